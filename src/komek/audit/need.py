"""Checks on need: hidden income, conditional TSA without participation, assets (a signal only)."""
from __future__ import annotations

import polars as pl

from komek.audit import check_config, findings, value
from komek.audit.presence import MONTH_END, measured


def concealed_income(paid: pl.DataFrame) -> pl.DataFrame:
    """TSA paid while counted income, with the work income that pension contributions imply
    (OPV / 10%, when above the wage recorded), puts the family's per-capita income above the line."""
    margin = value(check_config("concealed_income")["margin"])
    p = paid.filter(pl.col("in_engine") & ~pl.col("duplicate") & measured("concealed_income"))
    hit = (p.with_columns(per_capita_recorded=(pl.col("tsa_income") / pl.col("size")).round(2),
                          per_capita_with_contributions=((pl.col("tsa_income") + pl.col("implied_income")) / pl.col("size")).round(2))
           .filter(pl.col("per_capita_with_contributions") > pl.col("poverty_line") + margin)
           .with_columns(pl.col("implied_income").round(2).alias("work_income_implied_by_opv_not_recorded")))
    return findings("concealed_income", hit, ["per_capita_recorded", "per_capita_with_contributions", "poverty_line",
                                              "work_income_implied_by_opv_not_recorded", "size"])


def conditional_without_participation(paid: pl.DataFrame) -> pl.DataFrame:
    """Conditional TSA (able-bodied members, not an unconditional case) where no able-bodied
    member is a jobseeker in an active state or has a job at the month's end."""
    p = paid.filter(pl.col("in_engine") & ~pl.col("duplicate") & measured("conditional_without_participation"))
    hit = p.filter(~pl.col("unconditional") & (pl.col("able_bodied") > 0) & (pl.col("participating") == 0))
    return findings("conditional_without_participation", hit, ["able_bodied", "participating", "unconditional"])


def assets_above_need(paid: pl.DataFrame, assets: pl.DataFrame, members: pl.DataFrame) -> pl.DataFrame:
    """A family paid a need-tested measure holds a vehicle or land above the configured value,
    or real estate besides its home (the most valuable property) worth more than configured.
    A risk signal: the amount at risk is not known, so it is zero.

    `members`: iin, household_id, month for the months paid.
    """
    limits = {k: float(value(v)) for k, v in check_config("assets_above_need")["thresholds"].items()}
    p = paid.filter(~pl.col("duplicate") & measured("assets_above_need"))
    assets = assets.lazy().filter(pl.col("iin").is_in(members["iin"].unique().implode()))
    held = (members.lazy().join(assets.select("iin", "asset_id", "kind", pl.col("value").cast(pl.Float64), "acquired", "disposed"), on="iin")
            .filter((pl.col("acquired") <= MONTH_END) & (pl.col("disposed").is_null() | (pl.col("disposed") > MONTH_END)))
            .collect())
    home = pl.col("value").rank("ordinal", descending=True).over("household_id", "month", "kind") == 1
    besides_home = (held.filter((pl.col("kind") == "real_estate") & ~home)
                    .filter(pl.col("value").sum().over("household_id", "month") > limits["real_estate_besides_home"]))
    single = held.filter(pl.col("kind").is_in(["vehicle", "land"])
                         & (pl.col("value") > pl.col("kind").replace_strict(limits, default=None, return_dtype=pl.Float64)))
    flagged = (pl.concat([single, besides_home]).group_by("household_id", "month").agg(
        assets=pl.concat_str(pl.col("asset_id"), pl.lit(" "), pl.col("kind"), pl.lit(" "), pl.col("value").round(0).cast(pl.Int64).cast(pl.String),
                             pl.lit(" (holder "), pl.col("iin"), pl.lit(")")).sort()))
    hit = p.join(flagged, on=["household_id", "month"])
    return findings("assets_above_need", hit, ["assets"], at_risk=pl.lit(0))
