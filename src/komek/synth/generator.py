"""The synthetic Kazakhstan: a full registry extract, region by region, reproducible from a seed.

Each region draws from its own generator, np.random.default_rng([seed, region code]), so regions
are independent of each other and of the order they are written in. Every table gets one
Parquet file; each region appends its rows as a new row group, so memory is bounded by the
largest region.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import economy, health, labour, ledger, population
from . import property as prop
from .calibration import Region, calibration, household_counts, names, regions
from .columns import arrow_schema, dates, day, digits, flags, money, prefixed, table, text, words
from .population import ROLES, YEAR, People

TABLES = ["persons", "households", "addresses", "incomes", "contributions", "disability", "medical_exams",
          "housing", "assets", "employment", "border_crossings", "jobseekers", "vacancies", "injuries"]


@dataclass
class GenerationSummary:
    out: Path
    households: int = 0
    persons: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def window(as_of: date, months: int) -> economy.Window:
    """The `months` whole months before as_of's month, and the last full quarter before as_of."""
    end = np.datetime64(as_of, "M")
    first = end - np.arange(months, 0, -1)
    years = first.astype("datetime64[Y]").astype(np.int64) + 1970
    month_no = (first - first.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
    q_now = (as_of.year * 4 + (as_of.month - 1) // 3) - 1
    reference = years * 4 + (month_no - 1) // 3 == q_now
    first_day = (first.astype("datetime64[D]") - np.datetime64("1970-01-01")).astype(np.int64)
    return economy.Window(day(as_of), int(first_day[0]), [str(m) for m in first], years, first_day, reference)


def generate(out: Path, households: int, seed: int = 0, as_of: date = date(2026, 11, 1), months: int = 12,
             progress: Callable[[str, int, int], None] | None = None) -> GenerationSummary:
    """Write one Parquet file per table of the extract (all but payments) into `out`, and a
    manifest.json with the extract's id and as_of date."""
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    win = window(as_of, months)
    regs = regions()
    counts = household_counts(households)
    summary = GenerationSummary(out, rows={t: 0 for t in TABLES})
    writers = {t: pq.ParquetWriter(out / f"{t}.parquet", arrow_schema(t), compression="snappy") for t in TABLES}
    try:
        for i, region in enumerate(regs):
            rng = np.random.default_rng([seed, int(region.code)])
            tables = region_tables(rng, region, counts[region.code], win, [r.code for r in regs])
            for name, tbl in tables.items():
                if tbl.num_rows:
                    writers[name].write_table(tbl)
                summary.rows[name] += tbl.num_rows
            summary.households += counts[region.code]
            if progress:
                progress(region.name, i + 1, len(regs))
    finally:
        for w in writers.values():
            w.close()
    manifest = {"extract_id": f"synthetic-{households}-seed{seed}-{as_of.isoformat()}", "as_of": as_of.isoformat(),
                "source": "komek.synth", "seed": seed, "households": households, "months": months,
                "validated": True}   # valid by construction (tests/test_synth.py checks it against the contract)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    summary.persons = summary.rows["persons"]
    summary.seconds = time.perf_counter() - t0
    return summary


def region_tables(rng: np.random.Generator, region: Region, n_households: int, win: economy.Window,
                  codes: list[str]) -> dict[str, pa.Table]:
    as_of = win.as_of
    people = population.build(rng, region, n_households, as_of, win.start)
    dis = health.assign(rng, people, as_of)
    retired = economy.pension_age(people)
    streams, u = economy.incomes(rng, region, people, dis, win)
    # a worker who dies before the first day of a new job never starts it
    late = streams.first_month > 0
    d = people.death[streams.person]
    streams.first_month[late & (d >= 0) & (d < win.first_day[streams.first_month])] = 0

    firm_bins, firm_cum = labour.firms(rng, region, int((streams.kind == economy.WAGE).sum()))
    emp = labour.hire(rng, region, people, streams, win, firm_cum, codes)
    hit, hit_date, severity = labour.injuries(rng, people, emp, win)
    labour.close_contracts(people, emp)
    dead = people.death >= 0
    people.registered = np.where(dead, np.minimum(people.registered, people.death), people.registered)

    inc = ledger.spread(rng, people, streams, win)
    con = ledger.contributions(people, streams, win, inc, dis.group, retired)
    seekers = labour.jobseekers(rng, people, streams, win)
    vac = labour.vacancies(rng, int(round(len(seekers[0]) * calibration()["labour"]["vacancies_per_jobseeker"])),
                           firm_cum, win)
    home = prop.dwellings(rng, people)
    owned = prop.assets(rng, region, people, home, u, as_of)
    trips = prop.crossings(rng, people, u, win.start, as_of)

    code = region.code
    iin = people.iin
    nm = names()
    occ_codes, _ = labour.occupations()
    hh_id = prefixed("H" + code, np.arange(people.n_households), 7)
    t = {}
    t["persons"] = table("persons", {
        "iin": text(iin), "birth_date": dates(people.birth), "sex": words(["F", "M"], people.male),
        "death_date": dates(people.death, dead),
        "citizenship": words(["KAZ"] + calibration()["people"]["foreign"], people.citizenship),
        "last_name": words(nm.surnames, people.last), "first_name": words(nm.first, people.first),
        "patronymic": words(nm.patronymics, np.maximum(people.patronymic, 0), people.patronymic >= 0)})
    t["households"] = table("households", {
        "household_id": hh_id.take(pa.array(people.hh)), "iin": text(iin), "role": words(ROLES, people.role),
        "from_date": dates(people.registered), "to_date": dates(people.death, dead)})
    t["addresses"] = _addresses(rng, people, code, codes)

    row = inc["row"]
    t["incomes"] = table("incomes", {
        "iin": text(iin[streams.person[row]]), "month": words(win.labels, inc["month"]),
        "kind": words(economy.KINDS, streams.kind[row]), "amount": money(inc["tiyn"]),
        "source": words(economy.SOURCES, streams.source[row])})
    payer = np.where(con["wage"][:, None], firm_bins[np.maximum(streams.employer[con["row"]], 0)], iin[con["person"]])
    t["contributions"] = table("contributions", {
        "iin": text(iin[con["person"]]), "month": words(win.labels, con["month"]), "opv": money(con["opv"]),
        "opvr": money(con["opvr"]), "employer_bin": text(payer)})

    grp = dis.group[dis.who]
    exam_ids = prefixed("E" + code, np.arange(len(dis.exam_who)), 7)
    t["disability"] = table("disability", {
        "iin": text(iin[dis.who]), "group": words(health.GROUPS, grp), "cause": words(health.CAUSES, dis.cause),
        "valid_from": dates(dis.valid_from), "valid_to": dates(dis.valid_to, dis.valid_to >= 0),
        "exam_id": exam_ids.slice(0, len(dis.who))})
    t["medical_exams"] = table("medical_exams", {
        "exam_id": exam_ids, "iin": text(iin[dis.exam_who]), "exam_date": dates(dis.exam_date),
        "outcome": words(health.OUTCOMES, dis.exam_outcome)})
    t["housing"] = _housing(people, home, win, hh_id)

    owner, kind, value, acquired, disposed = owned
    t["assets"] = table("assets", {
        "asset_id": prefixed("A" + code, np.arange(len(owner)), 8), "iin": text(iin[owner]),
        "kind": words(prop.ASSET_KINDS, kind), "value": money(value), "acquired": dates(acquired),
        "disposed": dates(disposed, disposed >= 0)})
    t["employment"] = table("employment", {
        "iin": text(iin[emp.person]), "employer_bin": text(firm_bins[emp.firm]), "start_date": dates(emp.start),
        "end_date": dates(emp.end, emp.end >= 0), "occupation_code": words(occ_codes, emp.occupation),
        "region_code": words(codes, emp.region), "wage": money(emp.wage)})
    who, when, direction = trips
    t["border_crossings"] = table("border_crossings", {
        "iin": text(iin[who]), "date": dates(when), "direction": words(["exit", "entry"], direction)})
    sk, registered, status, wage, wage_given = seekers
    occ_rng = rng.integers(0, len(occ_codes), len(sk))
    t["jobseekers"] = table("jobseekers", {
        "iin": text(iin[sk]), "region_code": words([code], np.zeros(len(sk), np.int64)),
        "occupation_code": words(occ_codes, occ_rng), "registered": dates(registered),
        "status": words(list(calibration()["labour"]["jobseeker_status"]), status),
        "wage": pc.if_else(pa.array(wage_given), money(wage), pa.scalar(None, pa.decimal128(14, 2)))})
    firm, occ, posted, vstatus, vwage = vac
    t["vacancies"] = table("vacancies", {
        "vacancy_id": prefixed("V" + code, np.arange(len(firm)), 7), "employer_bin": text(firm_bins[firm]),
        "region_code": words([code], np.zeros(len(firm), np.int64)), "occupation_code": words(occ_codes, occ),
        "posted": dates(posted), "status": words(list(calibration()["labour"]["vacancy_status"]), vstatus),
        "wage": money(vwage)})
    t["injuries"] = table("injuries", {
        "case_id": prefixed("C" + code, np.arange(len(hit)), 6), "employer_bin": text(firm_bins[emp.firm[hit]]),
        "iin": text(iin[emp.person[hit]]), "date": dates(hit_date),
        "severity": words(list(calibration()["labour"]["injury_severity"]), severity),
        "occupation_code": words(occ_codes, emp.occupation[hit])})
    return t


def _addresses(rng, people: People, code: str, codes: list[str]) -> pa.Table:
    """The current registration of everyone, and an earlier one in another region for migrants."""
    share = calibration()["people"]["previous_region"]["value"]
    moved = np.flatnonzero((people.age >= 18) & (people.registered - people.birth > 365)
                           & (rng.random(people.n) < share))
    others = np.array([int(c) for c in codes if c != code])
    prev_region = others[rng.integers(0, len(others), len(moved))]
    prev_urban = rng.random(len(moved)) < 0.6
    prev_loc = population.localities(rng, prev_region, prev_urban)
    prev_to = people.registered[moved] - 1
    prev_from = np.maximum(prev_to - np.floor(rng.uniform(1, 10, len(moved)) * YEAR).astype(np.int64),
                           people.birth[moved])
    who = np.concatenate([np.arange(people.n), moved])
    loc = np.concatenate([people.locality[people.hh], prev_loc])
    n_cur = people.n
    return table("addresses", {
        "iin": text(people.iin[who]), "region_code": text(digits(loc // 10**7, 2)), "locality_code": text(digits(loc, 9)),
        "urban": flags(np.concatenate([people.urban[people.hh], prev_urban])),
        "registered_from": dates(np.concatenate([people.registered, prev_from])),
        "registered_to": dates(np.concatenate([np.zeros(n_cur, np.int64), prev_to]),
                               np.concatenate([np.zeros(n_cur, bool), np.ones(len(moved), bool)]))})


def _housing(people: People, home: dict, win: economy.Window, hh_id: pa.Array) -> pa.Table:
    """One row per household and quarter touched by the window; utilities follow the season."""
    q_of = win.years * 4 + (np.array([int(m[5:7]) for m in win.labels]) - 1) // 3
    quarters = sorted(set(q_of.tolist()))
    labels = [f"{q // 4}-Q{q % 4 + 1}" for q in quarters]
    factor = prop.heating([q % 4 + 1 for q in quarters])
    nq, nh = len(quarters), people.n_households
    h = np.repeat(np.arange(nh), nq)
    q = np.tile(np.arange(nq), nh)
    util = np.round(home["utilities"][h] * factor[q]).astype(np.int64)
    return table("housing", {
        "household_id": hh_id.take(pa.array(h)), "quarter": words(labels, q), "area_m2": pa.array(home["area"][h]),
        "tenure": words(prop.TENURES, home["tenure"][h]), "only_home": flags(home["only"][h]),
        "utilities": money(util), "maintenance": money(home["maintenance"][h]),
        "communication": money(home["communication"][h]), "rent": money(home["rent"][h])})
