"""Checks on disability and carer benefits against the medical and social examination records.

A disability benefit rests on its recipient's disability; a carer benefit on the disability of
the member cared for (checks.yaml `cared_for`, as the rules count them). Each payment is checked
against the assignment of every person it rests on, in force at the month's end, and the exam
that assignment cites. A carer benefit is paid per member cared for, so the part of the payment
for the members whose record fails a check is at risk (all of it when there is one member).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from komek.audit import check_config, config, findings, value
from komek.audit.presence import MONTH_END
from komek.kz.standard import ages, standard
from komek.periods import month_end

OUTCOME = {"1": "group_1", "2": "group_2", "3": "group_3", "child": "child"}
OWN = "disability_benefit"
CHECKS = ("disability_no_exam", "disability_exam_expired", "disability_group_mismatch")


def _with_age(rows: pl.DataFrame) -> pl.DataFrame:
    """`age` at the month's end of each row (month, birth_date), as the rules count it."""
    age = np.zeros(rows.height, dtype=np.int64)
    births = rows["birth_date"].fill_null(dt.date(1970, 1, 1)).to_numpy()     # an unknown birth date: no age (below)
    for m in rows["month"].unique().to_list():
        at = (rows["month"] == m).to_numpy()
        age[at] = ages(births[at], month_end(m))
    return rows.with_columns(age=pl.when(pl.col("birth_date").is_not_null()).then(pl.Series(age, dtype=pl.Int32)))


def _child_age_limit(months: pl.Series) -> pl.DataFrame:
    """month -> disability.child_age_limit on its last day (a dated parameter of the standard)."""
    limit = standard().parameters["disability.child_age_limit"]
    ms = months.unique().sort().to_list()
    return pl.DataFrame({"month": ms, "child_age_limit": [int(limit.at(month_end(m)).value) for m in ms]},
                        schema={"month": pl.String, "child_age_limit": pl.Int32})


# The rules' definitions of the member a carer benefit is paid for (kz/standard/demography.py).
RULE = {
    "disabled_child": pl.col("age") < pl.col("child_age_limit"),
    "group_1_adult": (pl.col("age") >= 18) & (pl.col("group") == "1"),
}


def in_force(paid: pl.DataFrame, disability: pl.DataFrame, exams: pl.DataFrame, households: pl.DataFrame | pl.LazyFrame,
             persons: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """One row per checked payment and person it rests on (`cared_for`), with that person's
    assignment in force at the month's end and the exam it cites (`exam_found` false when there is
    none for that person); `members_cared_for` counts the persons of the payment."""
    cared_for = config()["cared_for"]
    measures = sorted({m for c in CHECKS for m in check_config(c)["measures"]})
    p = paid.filter(pl.col("measure").is_in(measures) & ~pl.col("duplicate"))
    own = p.filter(pl.col("measure") == OWN).select("payment_id", "month", cared_for=pl.col("iin"))
    carer = p.filter(pl.col("measure").is_in(list(cared_for))).select("payment_id", "month", "household_id")
    # Only the households and people concerned: the registry's tables are far larger.
    members = households.lazy().filter(pl.col("household_id").is_in(carer["household_id"].unique().implode())).collect()
    persons = (persons.lazy().filter(pl.col("iin").is_in(pl.concat([members["iin"], own["cared_for"]]).unique().implode()))
               .collect())
    members = (members.select("household_id", pl.col("iin").alias("cared_for"), "from_date", "to_date")
               .join(persons.select(pl.col("iin").alias("cared_for"), "death_date"), on="cared_for", how="left"))
    carers = (carer.join(members, on="household_id")
              .filter((pl.col("from_date") <= MONTH_END) & (pl.col("to_date").is_null() | (pl.col("to_date") > MONTH_END))
                      & (pl.col("death_date").is_null() | (pl.col("death_date") > MONTH_END)))
              .select("payment_id", "month", "cared_for"))
    people = pl.concat([own, carers]).unique(["payment_id", "cared_for"])
    rec = _with_age(people.join(disability.rename({"iin": "cared_for"}), on="cared_for")
                    .filter((pl.col("valid_from") <= MONTH_END) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > MONTH_END)))
                    .sort("valid_from").group_by("payment_id", "cared_for").last()
                    .join(persons.select(pl.col("iin").alias("cared_for"), "birth_date"), on="cared_for", how="left")
                    .join(_child_age_limit(people["month"]), on="month", how="left"))
    rec = rec.select("payment_id", "cared_for", "group", "valid_from", "valid_to", "exam_id", "age", "child_age_limit")
    ex = exams.select("exam_id", pl.col("iin").alias("exam_iin"), "exam_date", "outcome")
    rests_on = pl.lit(False)
    for measure, rule in cared_for.items():
        rests_on = rests_on | ((pl.col("measure") == measure) & RULE[rule])
    return (p.join(rec, on="payment_id", how="inner")
            .filter((pl.col("measure") == OWN) | rests_on)
            .join(ex, on="exam_id", how="left")
            .with_columns(exam_found=pl.col("exam_date").is_not_null() & (pl.col("exam_iin") == pl.col("cared_for")),
                          members_cared_for=pl.len().over("payment_id"))
            .sort("payment_id", "cared_for"))


def _flag(check: str, records: pl.DataFrame, problem: pl.Expr, evidence: list[str]) -> pl.DataFrame:
    """Payments with a person whose record has `problem`: the first such person's evidence and the
    part of the payment for those persons at risk."""
    records = records.filter(pl.col("measure").is_in(check_config(check)["measures"]))
    hit = (records.filter(problem).group_by("payment_id", maintain_order=True)
           .agg(pl.all().first(), members_with_this_problem=pl.len()))
    at_risk = (pl.col("amount_paid").cast(pl.Float64) * pl.col("members_with_this_problem") / pl.col("members_cared_for")).round(2)
    own = hit.filter(pl.col("measure") == OWN)
    carers = hit.filter(pl.col("measure") != OWN)
    return pl.concat([findings(check, own, evidence),
                      findings(check, carers, ["cared_for", *evidence, "members_cared_for", "members_with_this_problem"],
                               at_risk=at_risk)])


def disability_no_exam(records: pl.DataFrame) -> pl.DataFrame:
    return _flag("disability_no_exam", records, ~pl.col("exam_found"), ["group", "valid_from", "exam_id"])


def disability_exam_expired(records: pl.DataFrame) -> pl.DataFrame:
    days = value(check_config("disability_exam_expired")["max_exam_age_days"])
    records = records.with_columns(days_from_exam_to_assignment=(pl.col("valid_from") - pl.col("exam_date")).dt.total_days())
    return _flag("disability_exam_expired", records, pl.col("exam_found") & (pl.col("days_from_exam_to_assignment") > days),
                 ["group", "valid_from", "exam_id", "exam_date", "days_from_exam_to_assignment"])


def disability_group_mismatch(records: pl.DataFrame) -> pl.DataFrame:
    mismatch = pl.col("exam_found") & (pl.col("outcome") != pl.col("group").replace_strict(OUTCOME, default=None))
    return _flag("disability_group_mismatch", records, mismatch, ["group", "exam_id", "exam_date", "outcome"])
