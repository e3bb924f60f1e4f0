"""A synthetic labelled household survey made from a generated extract, shaped like a real
national survey: person rows, about 110 columns, a household id, a 4-class poverty target.

Target (poverty_class, 1 = poorest): per-capita consumption cut at its 10th, 25th and 50th
percentiles (classes of 10, 15, 25 and 50% of households; an assumption standing in for a
national survey's poverty lines). Consumption is not a column: it mixes the registry income per
person with a hidden household wealth, the members' schooling, the household's make-up and an
urban premium on wealth, plus noise no proxy sees. What the survey shows is what a real one
shows: assets owned (as 0/1 or as yes/no text in mixed case), livestock that only rural wealth
buys, assets whose meaning flips between regions, spending with reporting noise and heaping,
measures that depend on wealth non-linearly (the richest fifth's thresholds, U shapes) or not at
all, person columns (schooling, work, phone, illness), "don't know" coded as 99 or 999999, and
missing answers that are more frequent among the poor. An `ethnicity` column is included only to
show that protected columns are dropped. Difficulty is set by the constants below, calibrated on
the baselines (see docs/scoring.md).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from scipy.special import ndtri
from scipy.stats import rankdata

from komek.kz.standard import INCOME_KINDS, ages
from komek.scoring.index import WORK_INCOMES

SHARES = (0.10, 0.25, 0.50)         # cumulative shares of households below each class boundary
# Difficulty, set so that the baselines score here what they score on the real survey (heads-only
# LightGBM macro F1 0.404, OLS exclusion 49.9%; docs/scoring.md): more noise lowers both; signal
# that is not linear (U shapes, region-flipped assets, the urban premium, "don't know" codes)
# lowers the linear PMT more than the trees.
NOISE = 0.77                        # sd of the part of log consumption no proxy sees
SLOPE = 0.3                         # how closely assets and spending follow the household's means
REGIONAL = 1.5                      # how much an asset's meaning differs between regions
U_SHAPE = 2.7                       # how deep the U-shaped measures are
URBAN_PREMIUM = 0.8                 # how much more wealth buys in a town than in a village
DONT_KNOW = 0.10                    # share of numeric answers coded "don't know" (99, 999999)
ASSETS, MEASURES = 36, 36
REGION_SEED = 2025                  # regions differ the same way in every survey drawn
HIDDEN = ("true_log_consumption", "proxy_factor")   # what `survey(truth=True)` adds; never features


def _yes_no(own: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Yes/no as a survey's text: mostly "yes"/"no", some "Yes", "NO", " yes"."""
    yes, no = rng.choice(["yes", "Yes", "YES", " yes"], len(own), p=[.8, .12, .05, .03]), \
        rng.choice(["no", "No", "NO", "no "], len(own), p=[.8, .12, .05, .03])
    return np.where(own, yes, no)


def _blank(values: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> list:
    return [None if m else v for v, m in zip(values.tolist(), rng.random(len(values)) < p)]


def survey(persons: pl.DataFrame, households: pl.DataFrame, on: dt.date, seed: int = 0,
           noise: float | None = None, truth: bool = False) -> pl.DataFrame:
    """Person rows of the survey; with `truth`, two hidden columns more, per household, to measure
    how far a model is from what can be known (never features): `true_log_consumption` without
    the noise no proxy sees, and `proxy_factor`, the common factor assets and spending follow."""
    rng, noise = np.random.default_rng(seed), NOISE if noise is None else noise
    total = pl.sum_horizontal(*(f"income_{k}" for k in INCOME_KINDS))
    age = ages(persons["birth_date"].to_numpy(), on)
    persons = persons.with_columns(pl.Series("age", age), total.alias("_income"))
    hh = (persons.group_by("household_id", maintain_order=True)
          .agg(pl.col("_income").sum().alias("income"), pl.len().alias("size"),
               (pl.col("age") < 15).sum().alias("children"), (pl.col("age") >= 65).sum().alias("elderly"))
          .join(households, on="household_id", how="inner", maintain_order="left"))
    n = hh.height
    size, children = hh["size"].to_numpy().astype(float), hh["children"].to_numpy().astype(float)
    # Income per person as normal scores of its rank: households with no registered income would
    # otherwise sit many deviations below the rest and make the classes easy to tell apart.
    zi = ndtri((rankdata(hh["income"].to_numpy() / size) - 0.5) / n)
    wealth = rng.normal(0, 1, n)                       # what the registry does not see
    urban = rng.random(n) < 1 / (1 + np.exp(-0.6 * wealth - 0.3 * zi - 0.3))
    hidx = {h: i for i, h in enumerate(hh["household_id"].to_list())}
    g = np.array([hidx[h] for h in persons["household_id"].to_list()])
    # Schooling follows the household's wealth; children under 7 have none recorded.
    school = np.clip(np.round(10.5 + 1.4 * wealth[g] + 0.4 * zi[g] + rng.normal(0, 2.2, len(g))), 0, 20)
    school = np.where(age < 7, np.nan, np.minimum(school, np.maximum(age - 6, 0)))
    best = np.full(n, -np.inf)
    np.maximum.at(best, g, np.nan_to_num(school, nan=-np.inf))
    best = np.where(np.isfinite(best), best, 9.0)
    seen = (0.25 * zi + (0.625 + URBAN_PREMIUM * (urban - 0.5)) * wealth + 0.08 * (best - 11)
            - 0.12 * np.maximum(children - 1, 0) - 0.08 * np.maximum(size - 4, 0))
    log_c = seen + rng.normal(0, noise, n)
    target = 1 + np.searchsorted(np.quantile(log_c, SHARES), log_c, side="right")
    latent = 0.6 * wealth + 0.4 * zi                   # what assets and spending follow
    # Some assets mean wealth in one region and need in another (a stove, a car, livestock):
    # a sign per region and asset, fixed for the country, seen only together with the region.
    _, region = np.unique(hh["region_code"].to_numpy(), return_inverse=True)
    flips = np.random.default_rng(REGION_SEED).choice([-1.0, 1.0], (ASSETS, region.max() + 1))
    cols: dict[str, object] = {"poverty_class": target, "urban": np.where(urban, "yes", "no"),
                               "rooms": np.clip(np.round(hh["area_m2"].to_numpy() / 18 + 0.4 * latent + rng.normal(0, .8, n)), 1, None),
                               "livestock": np.where(urban, 0, rng.poisson(np.exp(0.2 + 0.8 * latent))),
                               "water_inside": _yes_no(rng.random(n) < 1 / (1 + np.exp(-(2.5 * urban - 1 + latent))), rng)}
    for j in range(ASSETS):
        a, b, c = rng.normal(-0.3, 1), rng.uniform(0.2, 1.0), rng.normal(0, 1)
        useless = j % 6 == 5
        x = 0.0 if useless else (SLOPE * b * latent + (c * urban * latent if j % 3 == 0 else 0) + 0.5 * c * urban)
        if j % 3 == 1 and not useless:
            x = x + REGIONAL * b * latent * flips[j, region]
        own = rng.random(n) < 1 / (1 + np.exp(-(a + x)))
        cols[f"asset_{j + 1:02d}"] = _yes_no(own, rng) if j % 4 == 0 else own.astype(np.int8)
    top = np.quantile(latent, 0.8)
    for j in range(MEASURES):
        kind, c = j % 4, rng.uniform(0.3, 0.8)
        if kind == 0:       # spending: lognormal, rounded to the nearest thousand as people report it
            v = np.round(np.exp(9 + SLOPE * c * latent + rng.normal(0, .6, n)), -3)
        elif kind == 1:     # a threshold: only the richest fifth or so reach it
            v = (latent > top).astype(float) * rng.uniform(1, 5, n) + rng.normal(0, 1, n)
        elif kind == 2:     # a U shape: high at both ends
            v = U_SHAPE * c * (latent - rng.normal(0, .5)) ** 2 + rng.normal(0, 1, n)
        else:               # noise
            v = rng.normal(0, 1, n)
        v = np.round(v, 2)
        # "Don't know" written as a number, as survey files code it: 99 for small amounts, 999999 for spending.
        cols[f"x_{j + 1:02d}"] = np.where(rng.random(n) < DONT_KNOW, 999999.0 if kind == 0 else 99.0, v)
    # Poorer households leave more answers blank.
    blank = 0.02 + 0.10 / (1 + np.exp(2 * latent))
    for c in [c for c in cols if c.startswith(("x_", "asset_0"))]:
        cols[c] = _blank(np.asarray(cols[c]), blank, rng)
    heads = persons.filter(pl.col("role") == "head").unique("household_id").select("household_id", head_sex="sex")
    hh = hh.join(heads, on="household_id", how="left", maintain_order="left")
    hh_cols = pl.DataFrame({"household_id": hh["household_id"], "region": hh["region_code"], "head_sex": hh["head_sex"],
                            "tenure": hh["tenure"], "area_m2": (hh["area_m2"] * rng.lognormal(0, .15, n)).round(0),
                            "utilities": _blank((hh["utilities"].to_numpy() * rng.lognormal(0, .3, n)).round(-2), blank, rng),
                            **cols, **(dict(zip(HIDDEN, (seen, latent))) if truth else {})},
                           strict=False)
    m = persons.height
    phone = rng.random(m) < 1 / (1 + np.exp(-(1.2 + latent[g] + 0.1 * (np.nan_to_num(school, nan=0) - 10)) + 3 * (age < 12)))
    people = persons.select(
        "household_id", "age", pl.col("sex"), pl.col("role"),
        pl.when(pl.col("disability_group") != "").then(pl.lit("yes")).otherwise(pl.lit("no")).alias("disability"),
        pl.when(pl.col("disability_group") != "").then(pl.col("disability_group")).alias("disability_group"),
        pl.when(pl.sum_horizontal(*WORK_INCOMES) > 0).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("employed"),
        (pl.col("income_pension") > 0).cast(pl.Int8).alias("pension"),
        (pl.col("income_benefit") > 0).cast(pl.Int8).alias("benefit"))
    people = people.with_columns(
        ethnicity=pl.Series(rng.choice(["a", "b", "c"], m)),
        years_schooling=pl.Series(_blank(school, np.full(m, 0.04), rng), dtype=pl.Float64).fill_nan(None),
        mobile_phone=pl.Series(_yes_no(phone, rng)),
        chronic_illness=pl.Series(_yes_no(rng.random(m) < 0.05 + 0.004 * age, rng)),
        hours_worked=pl.Series(np.round(np.clip(rng.normal(40, 12, m), 0, 80)) * ((rng.random(m) < 0.6) & (age >= 15))))
    return people.join(hh_cols, on="household_id", how="inner", maintain_order="left")
