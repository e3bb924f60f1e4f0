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
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from komek.audit import check_config, value
from komek.engine import Simulation
from komek.kz import registry_inputs
from komek.kz.standard import household_measures, person_measures, standard
from komek.money import tiyn
from komek.periods import month_end as last_day
from komek.periods import quarter_before

# A household's facts each payment carries, as the month's recompute gives them.
FACTS = {"size": np.int32, "poverty_line": np.float64, "tsa_income": np.float64, "implied_income": np.float64,
         "unconditional": bool, "able_bodied": np.int32, "participating": np.int32}


class Facts:
    """What the audit reads beside the standard's inputs, as arrays keyed by the registry's
    person positions: jobs and jobseeker records (participation in employment measures) and the
    OPV of each quarter (the work income contributions imply). Read once for every month."""

    def __init__(self, tables: dict[str, pl.LazyFrame], registry: registry_inputs.Registry, dates: list[dt.date]):
        self.registry = registry
        status = check_config("conditional_without_participation")["participation_status"]
        ri = registry_inputs
        day, never = ri.day_numbers, ri.NEVER
        rate = float(value(check_config("concealed_income")["opv_rate"]))
        quarters = dict(quarter_before(d) for d in dates)
        # The three tables in one parallel collection.
        jobs, seekers, opv = pl.collect_all([
            tables["employment"].select(ri.iin_key(), "start_date", "end_date"),
            tables["jobseekers"].select(ri.iin_key(), "registered", active=pl.col("status").is_in(status)),
            tables["contributions"].filter(pl.col("month").is_in([m for q in quarters for m in quarters[q]]))
            .select(ri.iin_key(), ri.month_codes(quarters), tiyn("opv"))])
        self.job = (registry.positions(jobs["_iin"]), day(jobs["start_date"], -never), day(jobs["end_date"]))
        self.seeker = (registry.positions(seekers["_iin"]), day(seekers["registered"], -never),
                       seekers["active"].to_numpy())
        who, paid = registry.positions(opv["_iin"]), opv["opv"].to_numpy().astype(np.float64)
        # Monthly work income the OPV of the quarter implies (OPV / rate; a lower bound), by person.
        self.implied = {q: np.bincount(who[sel], weights=paid[sel], minlength=registry.n) / 100 / rate / 3
                        for q, sel in ri.by_quarter(quarters, opv["month"].to_numpy(), who >= 0)}

    def participation(self, on: dt.date) -> np.ndarray:
        """Whether each person takes part in employment measures on `on`: their latest jobseeker
        record is in an active state, or they have a job."""
        d = registry_inputs.day_number(on)
        n = self.registry.n
        who, start, end = self.job
        working = np.zeros(n + 1, bool)
        working[np.where((start <= d) & (end > d) & (who >= 0), who, n)] = True
        who, registered, active = self.seeker
        rows = np.flatnonzero((registered <= d) & (who >= 0))
        latest = registry_inputs.latest(n, who[rows], registered[rows])
        seeking = np.zeros(n, bool)
        has = latest >= 0
        seeking[has] = active[rows[latest[has]]]
        return working[:n] | seeking

    def implied_work(self, on: dt.date) -> np.ndarray:
        """Each person's monthly work income implied by the OPV of `on`'s reference quarter."""
        return self.implied[quarter_before(on)[0]]


def month_facts(tables: dict[str, pl.LazyFrame], month: str, registry: registry_inputs.Registry | None = None,
                households: pl.Series | None = None, measures: list[str] | None = None,
                facts: Facts | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(households, persons) of the month with each measure's amount and the audit's facts.

    A `registry` and `facts` read once serve many months; `households` (`_hid` values) and
    `measures` restrict the work to what was paid.
    """
    on = last_day(month)
    rules = standard()
    group_measures, person_ms = household_measures(), person_measures()
    if measures is not None:
        group_measures = [m for m in group_measures if m in measures]
        person_ms = [m for m in person_ms if m in measures]
    registry = registry or registry_inputs.Registry(tables, dates=[on])
    facts = facts or Facts(tables, registry, [on])
    prepared = registry.prepare(on, households=households)
    # Region by region: the engine holds every intermediate value, so memory stays one region's.
    # Participation and implied income once for the date, then read by each region.
    known = (facts.participation(on), facts.implied_work(on))
    parts = [_facts_of(part, rules, group_measures, person_ms, known) for _, part in prepared.by_region()]
    if not parts:
        return _facts_of(prepared, rules, group_measures, person_ms, known)
    return pl.concat([hh for hh, _ in parts]), pl.concat([people for _, people in parts])


def _facts_of(prepared: registry_inputs.Prepared, rules, group_measures: list[str], person_measures: list[str],
              known: tuple[np.ndarray, np.ndarray]) -> tuple[pl.DataFrame, pl.DataFrame]:
    registry, on = prepared.registry, prepared.on
    p, h, group_of = prepared.engine()
    n = len(prepared.hid)
    sim = Simulation(rules, on, p, h, group_of)
    able = sim.calculate("able_bodied").astype(bool)
    participates = known[0][prepared.pid]
    recorded = p["income_wage"] + p["income_self_employed"]
    implied = np.clip(known[1][prepared.pid] - recorded, 0, None)
    ids = prepared.household_ids
    count = lambda flags: pl.Series(np.bincount(group_of, weights=flags, minlength=n), dtype=pl.Int32)  # noqa: E731
    hh = pl.DataFrame({
        "household_id": ids, "_hid": pl.Series(prepared.hid, dtype=pl.UInt32),
        "region_code": prepared.region_codes,
        "_region": pl.Series(prepared.region.astype(np.int64)),
        "size": pl.Series(sim.calculate("household_size"), dtype=pl.Int32),
        "poverty_line": pl.Series(sim.calculate("tsa_poverty_line"), dtype=pl.Float64),
        "tsa_income": pl.Series(sim.calculate("household_tsa_income"), dtype=pl.Float64),
        "unconditional": pl.Series(sim.calculate("tsa_unconditional"), dtype=pl.Boolean),
        **{m: pl.Series(sim.calculate(m), dtype=pl.Float64).round(2) for m in group_measures},
        "implied_income": pl.Series(np.bincount(group_of, weights=implied, minlength=n), dtype=pl.Float64),
        "able_bodied": count(able), "participating": count(able & participates)})
    people = pl.DataFrame({
        "iin": prepared.iins, "household_id": ids.gather(group_of),
        "_iin": pl.Series(registry.key[prepared.pid], dtype=pl.UInt64),
        "_hid": pl.Series(prepared.hid[group_of], dtype=pl.UInt32), "_pid": pl.Series(prepared.pid),
        "able": pl.Series(able, dtype=pl.Boolean),
        **{m: pl.Series(sim.calculate(m), dtype=pl.Float64).round(2) for m in person_measures}})
    return hh, people


def annotate(payments: pl.DataFrame, tables: dict[str, pl.LazyFrame], progress=None,
             unknown: dict[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each payment with what the rules give for it and the facts of its household that month;
    and the members (iin, household_id, month) of households paid a need-tested measure. A
    measure in `unknown` (not computable from the source) gets no rules' amount (null)."""
    group_measures, person_measures_ = household_measures(), person_measures()
    unknown = unknown or {}
    number = {m: i for i, m in enumerate(group_measures + person_measures_)}
    need_tested = check_config("assets_above_need")["measures"]
    months = sorted(payments["month"].unique().to_list())
    member_schema = {"iin": pl.String, "household_id": pl.String, "month": pl.String}
    if not months:
        return (payments.with_columns(expected=pl.lit(None, pl.Float64), in_engine=pl.lit(False), member=pl.lit(None, pl.Boolean)),
                pl.DataFrame(schema=member_schema))
    dates = [last_day(m) for m in months]
    registry = registry_inputs.Registry(tables, payments["household_id"].unique(), dates=dates)
    facts = Facts(tables, registry, dates)
    # Payments keyed by registry positions once (the recipient, the household, the measure), so
    # each month's amounts and facts are gathered from the month's arrays, with no join.
    keyed = registry.hid(payments).with_columns(_pid=pl.Series(registry.positions(payments.select(registry_inputs.iin_key())["_iin"])),
                                                _m=pl.col("measure").replace_strict(number, default=-1, return_dtype=pl.Int64),
                                                _h=pl.col("_hid").cast(pl.Int64).fill_null(-1))
    # Each month a contiguous, zero-copy slice (payments come sorted by month; sorted once if not).
    if not keyed["month"].is_sorted():
        keyed = keyed.sort("month", maintain_order=True)
    spans = keyed.group_by("month", maintain_order=True).len()
    starts = dict(zip(spans["month"], np.cumsum([0, *spans["len"].to_list()[:-1]]).tolist()))
    lengths = dict(zip(spans["month"], spans["len"]))
    # What each payment gets, filled month by month into whole columns over the payments, which
    # then join the payments' own columns with no copy of them.
    n = keyed.height
    out = {"expected": np.full(n, np.nan), "member": np.zeros(n, bool), "_k": np.full(n, -1, np.int64),
           "_mo": np.zeros(n, np.int16), "_known": np.zeros(n, bool), "_region": np.zeros(n, np.int64),
           **{c: np.zeros(n, t) for c, t in FACTS.items()}}

    def one(month: str) -> pl.DataFrame:
        at, length = starts[month], lengths[month]
        pay = keyed.slice(at, length)
        rows = slice(at, at + length)
        # Only households paid this month are recomputed, and only the measures paid.
        paid_measures = [m for m in pay["measure"].unique().to_list() if m not in unknown]
        hh, people = month_facts(tables, month, registry, pay["_hid"].drop_nulls().unique(), paid_measures, facts)
        at_h = np.full(len(registry.ids) + 1, -1, dtype=np.int64)        # the last slot: unknown household
        at_h[hh["_hid"].to_numpy()] = np.arange(hh.height)
        at_p = np.full(registry.n + 1, -1, dtype=np.int64)               # the last slot: unknown person
        at_p[people["_pid"].to_numpy()] = np.arange(people.height)
        h = at_h[pay["_h"].to_numpy()]
        pid = pay["_pid"].to_numpy()
        person = at_p[pid]
        member_of = np.where(person >= 0, people["_hid"].to_numpy().astype(np.int64)[np.maximum(person, 0)], -2)
        member = member_of == pay["_h"].to_numpy()
        code = pay["_m"].to_numpy()
        expected = out["expected"][rows]
        for c in np.unique(code[code >= 0]):
            m = (group_measures + person_measures_)[c]
            sel = np.flatnonzero(code == c)
            if m in group_measures and m in hh.columns:      # the household's amount
                sel = sel[h[sel] >= 0]
                expected[sel] = hh[m].to_numpy()[h[sel]]
            elif m in people.columns:                        # the person's, if a member
                sel = sel[member[sel]]
                expected[sel] = people[m].to_numpy()[person[sel]]
        out["member"][rows] = member
        known = h >= 0
        out["_known"][rows] = known
        for c in FACTS:
            out[c][rows] = hh[c].to_numpy()[np.maximum(h, 0)] if hh.height else 0
        out["_region"][rows] = hh["_region"].to_numpy()[np.maximum(h, 0)] if hh.height else 0
        # One integer per (person, month, measure): what duplicates and the anomaly lane group on.
        out["_k"][rows] = np.where((pid >= 0) & (code >= 0), (pid * len(months) + months.index(month)) * 64 + code, -1)
        out["_mo"][rows] = months.index(month)
        need = np.zeros(hh.height + 1, bool)
        need[h[pay["measure"].is_in(need_tested).to_numpy()]] = True
        need[-1] = False
        group = at_h[people["_hid"].to_numpy()]
        return people.filter(pl.Series(need[group])).select("iin", "household_id", month=pl.lit(month))

    # Two months at a time: the engine's NumPy work releases the GIL, so both cores compute.
    members = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for i, paid_members in enumerate(pool.map(one, months), 1):
            members.append(paid_members)
            if progress:
                progress(f"audit: rules {months[i - 1]}", i, len(months))
    known = pl.col("_known")
    paid = keyed.drop("_hid").with_columns(
        **{c: pl.Series(v) for c, v in out.items()},
        household_region=registry.region_names.gather(out["_region"])).with_columns(
        *(pl.when(known).then(pl.col(c)).alias(c) for c in ("household_region", *FACTS)),
        expected=pl.col("expected").fill_nan(None))
    return paid.with_columns(in_engine=pl.col("expected").is_not_null() & pl.col("member")).drop("_known", "_region"), \
        pl.concat(members)
