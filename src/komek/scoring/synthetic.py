"""A synthetic labelled household survey made from a generated extract, shaped like a real
national survey: person rows, about 100 mostly numeric or yes/no columns, a household id, a
4-class poverty target, yes/no strings, categories and missing values. It exercises the path a
real survey takes and gives the figures of the proxy means test on the synthetic population.

Target (poverty_class, 1 = poorest): income per person as multiples of the subsistence minimum,
below 2, 2-3, 3-5, 5 and above. The synthetic incomes run higher than real ones, so the lines are
multiples chosen to give a poorest class near 20% of households (an assumption, for the figures).
Income itself is not a column (a survey's consumption or income is what the model must guess);
the proxies are noisy functions of it, as assets and living conditions are in real surveys.
An `ethnicity` column is included only to show that protected columns are dropped.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from komek.kz.standard import INCOME_KINDS, ages
from komek.scoring.index import WORK_INCOMES, subsistence_minimum

LINES = (2.0, 3.0, 5.0)
ASSETS, MEASURES = 40, 40


def survey(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    total = pl.sum_horizontal(*(f"income_{k}" for k in INCOME_KINDS))
    hh = (persons.group_by("household_id", maintain_order=True).agg(total.sum().alias("income"), pl.len().alias("size"))
          .join(households, on="household_id", how="inner", maintain_order="left"))
    pc = (hh["income"] / hh["size"]).to_numpy()
    multiple = pc / subsistence_minimum(on)
    target = 1 + np.searchsorted(np.array(LINES), multiple, side="right")
    n = hh.height
    z = np.log1p(pc)
    z = (z - z.mean()) / (z.std() or 1.0) + rng.normal(0, 0.6, n)          # what the proxies see
    cols: dict[str, np.ndarray] = {"poverty_class": target, "urban": np.where(rng.random(n) < 1 / (1 + np.exp(-0.8 * z - 0.4)), "yes", "no"),
                                   "rooms": np.clip(np.round(hh["area_m2"].to_numpy() / 18 + rng.normal(0, .7, n)), 1, None)}
    for j in range(ASSETS):
        a, b = rng.normal(0, 1), rng.uniform(0.2, 1.0)
        own = rng.random(n) < 1 / (1 + np.exp(-(a + b * z)))
        cols[f"asset_{j + 1:02d}"] = np.where(own, "yes", "no") if j % 4 == 0 else own.astype(np.int8)
    for j in range(MEASURES):
        c = rng.uniform(0, 0.5) if j % 3 else 0.0                              # a third are pure noise
        cols[f"x_{j + 1:02d}"] = np.round(c * z + rng.normal(0, 1, n), 3)
    heads = persons.filter(pl.col("role") == "head").unique("household_id").select("household_id", head_sex="sex")
    hh = hh.join(heads, on="household_id", how="left", maintain_order="left")
    hh_cols = pl.DataFrame({"household_id": hh["household_id"], "region": hh["region_code"], "head_sex": hh["head_sex"],
                            "tenure": hh["tenure"], "area_m2": hh["area_m2"],
                            "utilities": (hh["utilities"] * rng.lognormal(0, .2, n)).round(0), **cols})
    people = persons.select(
        "household_id", pl.Series("age", ages(persons["birth_date"].to_numpy(), on)), pl.col("sex"), pl.col("role"),
        pl.when(pl.col("disability_group") != "").then(pl.lit("yes")).otherwise(pl.lit("no")).alias("disability"),
        pl.when(pl.col("disability_group") != "").then(pl.col("disability_group")).alias("disability_group"),
        pl.when(pl.sum_horizontal(*WORK_INCOMES) > 0).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("employed"),
        (pl.col("income_pension") > 0).cast(pl.Int8).alias("pension"),
        (pl.col("income_benefit") > 0).cast(pl.Int8).alias("benefit"))
    people = people.with_columns(ethnicity=pl.Series(rng.choice(["a", "b", "c"], people.height)),
                                 years_schooling=pl.Series(np.clip(np.round(rng.normal(11, 2.5, people.height)), 0, 20)))
    out = people.join(hh_cols, on="household_id", how="inner", maintain_order="left")
    missing = [c for c in out.columns if c.startswith(("x_", "asset_0")) or c in ("years_schooling", "utilities")]
    return out.with_columns(pl.when(pl.Series(rng.random(out.height) < 0.03)).then(None).otherwise(pl.col(c)).alias(c)
                            for c in missing)
