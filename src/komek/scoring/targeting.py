"""Which measures reach the households that need them: for each benefit of the unified
standard, from a simulation and the index levels of the same households,
- to_DE: the share of its spending that goes to households at levels D-E;
- to_bottom_quintile: the share of its spending that goes to the poorest fifth of households
  by income per person (quintiles of households, unweighted);
- DE_coverage: the share of D-E households that receive it;
- leakage_AB: the share of its spending that goes to households at levels A-B.
A measure built for a group other than the poor (a pension, a disability benefit) is not wrong
to reach A-B households; the table shows where money goes, the judgement is the analyst's."""
from __future__ import annotations

import polars as pl


def by_measure(households: pl.DataFrame, levels: pl.DataFrame, measures: list[str]) -> pl.DataFrame:
    f = households.select("household_id", *(pl.col(m).cast(pl.Float64) for m in measures)).join(
        levels.select("household_id", "level", "income_per_capita"), on="household_id", how="inner")
    quintile = pl.col("income_per_capita").rank("ordinal") <= pl.len() * 0.2
    f = f.with_columns(de=pl.col("level").is_in(["D", "E"]), ab=pl.col("level").is_in(["A", "B"]), q1=quintile)
    n_de = int(f["de"].sum())
    rows = []
    for m in measures:
        spend = float(f[m].sum())
        share = (lambda mask, m=m, spend=spend: float(f.filter(mask)[m].sum()) / spend if spend else None)  # noqa: E731
        rows.append({"measure": m, "recipients": int((f[m] > 0).sum()), "spending": spend,
                     "to_DE": share(pl.col("de")), "to_bottom_quintile": share(pl.col("q1")),
                     "DE_coverage": float(f.filter(pl.col("de") & (pl.col(m) > 0)).height / n_de) if n_de else None,
                     "leakage_AB": share(pl.col("ab"))})
    schema = {"measure": pl.String, "recipients": pl.Int64, "spending": pl.Float64, "to_DE": pl.Float64,
              "to_bottom_quintile": pl.Float64, "DE_coverage": pl.Float64, "leakage_AB": pl.Float64}
    return pl.DataFrame(rows, schema=schema).sort("spending", descending=True)
