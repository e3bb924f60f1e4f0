"""Checks on the payment itself: paid twice, or an amount the rules do not give."""
from __future__ import annotations

import polars as pl

from komek.audit import check_config, findings, value


def mark_duplicates(paid: pl.DataFrame) -> pl.DataFrame:
    """`duplicate`: a second (third...) payment of one measure to one person in one month.

    The payment kept as the original is the one that fits the registry best: to a household the
    recipient lives in, by the household's region; then the lowest payment id. Only payments
    sharing a person, measure and month are ranked; every other payment is its own original.
    """
    group = ["iin", "measure", "month"]
    twice = pl.struct(group).is_duplicated()
    fits = (pl.col("in_engine").fill_null(False).cast(pl.Int8) * 2
            + (pl.col("region_code") == pl.col("household_region")).fill_null(False).cast(pl.Int8))
    marked = paid.with_columns(_twice=twice)
    ranked = (marked.filter(pl.col("_twice")).with_columns(_fit=fits)
              .sort([*group, "_fit", "payment_id"], descending=[False, False, False, True, False])
              .with_columns(duplicate=pl.int_range(pl.len()).over(group) > 0,
                            original_payment=pl.col("payment_id").first().over(group),
                            original_household=pl.col("household_id").first().over(group),
                            original_region=pl.col("region_code").first().over(group)).drop("_fit"))
    single = marked.filter(~pl.col("_twice")).with_columns(
        duplicate=pl.lit(False), original_payment=pl.col("payment_id"), original_household=pl.col("household_id"),
        original_region=pl.col("region_code"))
    return pl.concat([single, ranked]).drop("_twice")


def duplicate_payment(paid: pl.DataFrame) -> pl.DataFrame:
    hit = paid.filter(pl.col("duplicate"))
    return findings("duplicate_payment", hit, ["original_payment", "original_household", "original_region",
                                               "household_id", "region_code"])


def amount_differs(paid: pl.DataFrame) -> pl.DataFrame:
    """Paid amount against the rules' amount for the recorded data (recipient in the household).

    Payments the engine cannot place (recipient dead, not a member, a duplicate) are left to the
    checks that explain them. The amount at risk is the difference, either way.
    """
    cfg = check_config("amount_differs")
    tolerance = value(cfg["min_difference"])
    p = paid.filter(pl.col("in_engine") & ~pl.col("duplicate"))
    if cfg["measures"] != "all":
        p = p.filter(pl.col("measure").is_in(cfg["measures"]))
    hit = (p.with_columns(difference=(pl.col("amount_paid").cast(pl.Float64) - pl.col("expected")).round(2))
           .filter(pl.col("difference").abs() >= tolerance)
           .with_columns(rules_amount=pl.col("expected"),
                         direction=pl.when(pl.col("difference") > 0).then(pl.lit("overpaid")).otherwise(pl.lit("underpaid"))))
    return findings("amount_differs", hit, ["rules_amount", "difference", "direction"], at_risk=pl.col("difference").abs())
