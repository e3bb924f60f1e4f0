"""The rules engine over the recorded data, month by month, joined to the payments.

For each month paid, the standard runs over every household living at the month's end (the
same inputs and engine as `komek simulate`), and each payment gets what the rules give for the
recorded data: the household's amount for a household measure, the person's for a person
measure. The same pass keeps the facts other checks need: the TSA poverty line, the family's
counted income and the income its pension contributions imply, whether its TSA is conditional,
and how many able-bodied members take part in employment measures.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from komek.audit import check_config, value
from komek.engine import Simulation
from komek.kz import registry_inputs
from komek.kz.standard import standard
from komek.services.simulate import last_day, measure_names

def month_facts(tables: dict[str, pl.LazyFrame], month: str, registry: registry_inputs.Registry | None = None,
                households: pl.Series | None = None, measures: list[str] | None = None,
                cache: dict | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(households, persons) of the month with each measure's amount and the audit's facts.

    A `registry` read once serves many months; `households` (`_hid` values) and `measures`
    restrict the work to what was paid; `cache` keeps the quarterly contributions between months.
    """
    on = last_day(month)
    rules = standard()
    group_measures, person_measures = measure_names()
    if measures is not None:
        group_measures = [m for m in group_measures if m in measures]
        person_measures = [m for m in person_measures if m in measures]
    registry = registry or registry_inputs.Registry(tables)
    prepared = registry.prepare(on, households=households)
    p, h, group_of = prepared.engine()
    sim = Simulation(rules, on, p, h, group_of)
    ids = prepared.household_ids
    hh = pl.DataFrame({"household_id": ids, "_hid": pl.Series(prepared.hid, dtype=pl.UInt32),
                       "region_code": pl.Series(registry.regions.tolist(), dtype=pl.String).gather(prepared.region)}).with_columns(
        size=pl.Series(sim.calculate("household_size"), dtype=pl.Int32),
        poverty_line=pl.Series(sim.calculate("tsa_poverty_line"), dtype=pl.Float64),
        tsa_income=pl.Series(sim.calculate("household_tsa_income"), dtype=pl.Float64),
        unconditional=pl.Series(sim.calculate("tsa_unconditional"), dtype=pl.Boolean),
        **{m: pl.Series(sim.calculate(m), dtype=pl.Float64).round(2) for m in group_measures})
    people = pl.DataFrame({"iin": prepared.iins, "household_id": ids.gather(group_of),
                           "_iin": pl.Series(registry.key[prepared.pid], dtype=pl.UInt64),
                           "_hid": pl.Series(prepared.hid[group_of], dtype=pl.UInt32)}).with_columns(
        able=pl.Series(sim.calculate("able_bodied"), dtype=pl.Boolean),
        recorded_work=pl.Series(p["income_wage"] + p["income_self_employed"], dtype=pl.Float64),
        **{m: pl.Series(sim.calculate(m), dtype=pl.Float64).round(2) for m in person_measures})
    people = _participation(people, tables, on)
    people = _implied_work_income(people, tables, on, {} if cache is None else cache)
    per_household = people.group_by("household_id").agg(
        implied_income=(pl.col("implied_work") - pl.col("recorded_work")).clip(lower_bound=0).sum(),
        able_bodied=pl.col("able").sum().cast(pl.Int32),
        participating=(pl.col("able") & pl.col("participates")).sum().cast(pl.Int32))
    hh = hh.join(per_household, on="household_id", how="left")
    return hh, people.drop("recorded_work", "implied_work", "participates")


def _participation(people: pl.DataFrame, tables: dict[str, pl.LazyFrame], on: dt.date) -> pl.DataFrame:
    """A person takes part in employment measures: a jobseeker record in an active state, or a job."""
    status = check_config("conditional_without_participation")["participation_status"]
    able = people.lazy().filter(pl.col("able")).select("_iin")
    seekers = (tables["jobseekers"].filter(pl.col("registered") <= on).with_columns(registry_inputs._key())
               .join(able, on="_iin", how="semi").sort("registered")
               .group_by("_iin").agg(pl.col("status").last()).filter(pl.col("status").is_in(status)).select("_iin"))
    jobs = (tables["employment"].filter((pl.col("start_date") <= on) & (pl.col("end_date").is_null() | (pl.col("end_date") > on)))
            .select(registry_inputs._key()).join(able, on="_iin", how="semi"))
    active = pl.concat([seekers, jobs]).unique().collect()
    return people.with_columns(participates=pl.col("_iin").is_in(active["_iin"].implode()))


def _implied_work_income(people: pl.DataFrame, tables: dict[str, pl.LazyFrame], on: dt.date, cache: dict) -> pl.DataFrame:
    """Monthly work income the OPV of the quarter before implies (OPV / rate; a lower bound)."""
    rate = value(check_config("concealed_income")["opv_rate"])
    quarter, months = registry_inputs.quarter_before(on)
    if quarter not in cache:
        cache[quarter] = (tables["contributions"].filter(pl.col("month").is_in(months)).with_columns(registry_inputs._key())
                          .group_by("_iin").agg((pl.col("opv").sum().cast(pl.Float64) / rate / 3).alias("implied_work"))
                          .collect())
    return (people.join(cache[quarter], on="_iin", how="left", maintain_order="left")
            .with_columns(pl.col("implied_work").fill_null(0.0)))


def annotate(payments: pl.DataFrame, tables: dict[str, pl.LazyFrame], progress=None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each payment with what the rules give for it and the facts of its household that month;
    and the members (iin, household_id, month) of households paid a need-tested measure."""
    group_measures, person_measures = measure_names()
    number = {m: i for i, m in enumerate(group_measures + person_measures)}
    need_tested = check_config("assets_above_need")["measures"]
    months = sorted(payments["month"].unique().to_list())
    member_schema = {"iin": pl.String, "household_id": pl.String, "month": pl.String}
    if not months:
        return (payments.with_columns(expected=pl.lit(None, pl.Float64), in_engine=pl.lit(False), member=pl.lit(None, pl.Boolean)),
                pl.DataFrame(schema=member_schema))
    registry = registry_inputs.Registry(tables, payments["household_id"].unique(), dates=[last_day(m) for m in months])
    # Payments keyed by integers once: the recipient, the household, and (measure, key) pairs
    # packed into one number, so each month's look-ups are integer joins.
    keyed = registry.hid(payments).with_columns(
        registry_inputs._key(), _m=pl.col("measure").replace_strict(number, default=None, return_dtype=pl.UInt64))
    keyed = keyed.with_columns(_kh=pl.col("_hid").cast(pl.UInt64) * 64 + pl.col("_m"), _kp=pl.col("_iin") * 64 + pl.col("_m"))
    contributions: dict = {}

    def one(month: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        pay = keyed.filter(pl.col("month") == month)
        # Only households paid this month are recomputed, and only the measures paid.
        paid_measures = pay["measure"].unique().to_list()
        hh, people = month_facts(tables, month, registry, pay["_hid"].drop_nulls().unique(), paid_measures, contributions)
        by_household = pl.concat([hh.select(_kh=pl.col("_hid").cast(pl.UInt64) * 64 + number[m], expected_h=pl.col(m))
                                  for m in group_measures if m in hh.columns]
                                 or [pl.DataFrame(schema={"_kh": pl.UInt64, "expected_h": pl.Float64})])
        by_person = pl.concat([people.select(_kp=pl.col("_iin") * 64 + number[m], expected_p=pl.col(m))
                               for m in person_measures if m in people.columns]
                              or [pl.DataFrame(schema={"_kp": pl.UInt64, "expected_p": pl.Float64})])
        facts = hh.select("_hid", pl.col("region_code").alias("household_region"), "size", "poverty_line",
                          "tsa_income", "implied_income", "unconditional", "able_bodied", "participating")
        part = (pay.join(by_household, on="_kh", how="left")
                .join(by_person, on="_kp", how="left")
                .join(people.select("_iin", pl.col("_hid").alias("_member_of")), on="_iin", how="left")
                .join(facts, on="_hid", how="left")
                .with_columns(expected=pl.when(pl.col("_member_of") == pl.col("_hid"))
                              .then(pl.coalesce("expected_h", "expected_p")).otherwise(pl.col("expected_h")),
                              member=(pl.col("_member_of") == pl.col("_hid")).fill_null(False))
                .with_columns(in_engine=pl.col("expected").is_not_null() & pl.col("member"))
                .drop("expected_h", "expected_p", "_member_of", "_kh", "_kp", "_m", "_iin", "_hid"))
        need = pay.filter(pl.col("measure").is_in(need_tested)).select("_hid").unique()
        return part, people.join(need, on="_hid", how="semi").select("iin", "household_id", month=pl.lit(month))

    parts, members = [], []
    for i, month in enumerate(months, 1):
        part, paid_members = one(month)
        parts.append(part)
        members.append(paid_members)
        if progress:
            progress(f"audit: rules {month}", i, len(months))
    return pl.concat(parts, how="diagonal_relaxed"), pl.concat(members)
