"""Checks on the payment itself: paid twice, or an amount the rules do not give."""
from __future__ import annotations

import numpy as np
import polars as pl

from komek.audit import check_config, findings, value

GROUP = ["iin", "measure", "month"]


def _twice(paid: pl.DataFrame) -> pl.Expr:
    """Payments sharing a person, measure and month with another: on the packed integer key
    (`_k`: person position, month, measure code) when the recompute gave one, else on the text."""
    if "_k" in paid.columns and paid.height and paid["_k"].min() >= 0:
        return pl.col("_k").is_duplicated()
    return pl.struct(GROUP).is_duplicated()


def _ranked(paid: pl.DataFrame) -> pl.DataFrame:
    """The payments sharing a person, measure and month, ranked within each group: the first is
    the one that fits the registry best (to a household the recipient lives in, by the
    household's region; then the lowest payment id), the others its duplicates."""
    fits = (pl.col("in_engine").fill_null(False).cast(pl.Int8) * 2
            + (pl.col("region_code") == pl.col("household_region")).fill_null(False).cast(pl.Int8))
    return (paid.with_row_index("_row").filter(_twice(paid)).with_columns(_fit=fits)
            .sort([*GROUP, "_fit", "payment_id"], descending=[False, False, False, True, False])
            .with_columns(duplicate=pl.int_range(pl.len()).over(GROUP) > 0,
                          original_payment=pl.col("payment_id").first().over(GROUP),
                          original_household=pl.col("household_id").first().over(GROUP),
                          original_region=pl.col("region_code").first().over(GROUP)).drop("_fit"))


def mark_duplicates(paid: pl.DataFrame) -> pl.DataFrame:
    """`duplicate`: a second (third...) payment of one measure to one person in one month, the
    first being the one that fits the registry best (`_ranked`). Only the few payments that share
    a group are ranked; the column is set in place, with no copy of the payments."""
    ranked = _ranked(paid)
    duplicate = np.zeros(paid.height, bool)
    duplicate[ranked.filter(pl.col("duplicate"))["_row"].to_numpy()] = True
    return paid.with_columns(duplicate=pl.Series(duplicate))


def duplicate_payment(paid: pl.DataFrame) -> pl.DataFrame:
    hit = _ranked(paid).filter(pl.col("duplicate")).sort("_row").drop("_row")
    return findings("duplicate_payment", hit, ["original_payment", "original_household", "original_region",
                                               "household_id", "region_code"])


def amount_differs(paid: pl.DataFrame) -> pl.DataFrame:
    """Paid amount against the rules' amount for the recorded data (recipient in the household).

    Payments the engine cannot place (recipient dead, not a member, a duplicate) are left to the
    checks that explain them. The amount at risk is the difference, either way.
    """
    cfg = check_config("amount_differs")
    tolerance = value(cfg["min_difference"])
    measures = pl.lit(True) if cfg["measures"] == "all" else pl.col("measure").is_in(cfg["measures"])
    # Lazy, so the filters fuse and only the differing payments are materialized.
    hit = (paid.lazy().filter(pl.col("in_engine") & ~pl.col("duplicate") & measures)
           .with_columns(difference=(pl.col("amount_paid").cast(pl.Float64) - pl.col("expected")).round(2))
           .filter(pl.col("difference").abs() >= tolerance)
           .with_columns(rules_amount=pl.col("expected"),
                         direction=pl.when(pl.col("difference") > 0).then(pl.lit("overpaid")).otherwise(pl.lit("underpaid")))
           .collect())
    return findings("amount_differs", hit, ["rules_amount", "difference", "direction"], at_risk=pl.col("difference").abs())
