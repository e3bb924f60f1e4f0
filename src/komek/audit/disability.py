"""Checks on disability benefits against the medical and social examination records."""
from __future__ import annotations

import polars as pl

from komek.audit import check_config, findings, value
from komek.audit.presence import MONTH_END, _measures

OUTCOME = {"1": "group_1", "2": "group_2", "3": "group_3", "child": "child"}


def in_force(paid: pl.DataFrame, disability: pl.DataFrame, exams: pl.DataFrame) -> pl.DataFrame:
    """Disability benefit payments with the assignment in force at the month's end (as the
    rules read it) and the exam it cites (null when there is none for that person)."""
    p = _measures(paid, "disability_no_exam").filter(~pl.col("duplicate"))
    rec = (p.select("payment_id", "iin", "month").join(disability, on="iin")
           .filter((pl.col("valid_from") <= MONTH_END) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > MONTH_END)))
           .sort("valid_from").group_by("payment_id").last()
           .select("payment_id", "group", "valid_from", "valid_to", "exam_id"))
    ex = exams.select("exam_id", pl.col("iin").alias("exam_iin"), "exam_date", "outcome")
    return (p.join(rec, on="payment_id", how="inner").join(ex, on="exam_id", how="left")
            .with_columns(exam_found=pl.col("exam_date").is_not_null() & (pl.col("exam_iin") == pl.col("iin"))))


def disability_no_exam(records: pl.DataFrame) -> pl.DataFrame:
    hit = records.filter(~pl.col("exam_found"))
    return findings("disability_no_exam", hit, ["group", "valid_from", "exam_id"])


def disability_exam_expired(records: pl.DataFrame) -> pl.DataFrame:
    days = value(check_config("disability_exam_expired")["max_exam_age_days"])
    hit = (records.filter(pl.col("exam_found"))
           .with_columns(days_from_exam_to_assignment=(pl.col("valid_from") - pl.col("exam_date")).dt.total_days())
           .filter(pl.col("days_from_exam_to_assignment") > days))
    return findings("disability_exam_expired", hit, ["group", "valid_from", "exam_id", "exam_date", "days_from_exam_to_assignment"])


def disability_group_mismatch(records: pl.DataFrame) -> pl.DataFrame:
    hit = records.filter(pl.col("exam_found") & (pl.col("outcome") != pl.col("group").replace_strict(OUTCOME, default=None)))
    return findings("disability_group_mismatch", hit, ["group", "exam_id", "exam_date", "outcome"])
