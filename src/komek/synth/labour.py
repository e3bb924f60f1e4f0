"""Employers, labour contracts, job seekers, vacancies and occupational injuries."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibration import Region, calibration
from .columns import day
from .economy import WAGE, Streams, Window, pension_age
from .ids import bins
from .population import YEAR, People


@dataclass
class Employment:
    person: np.ndarray
    firm: np.ndarray
    start: np.ndarray
    end: np.ndarray            # -1: open
    occupation: np.ndarray
    region: np.ndarray         # index into the region codes
    wage: np.ndarray           # tiyn


def occupations() -> tuple[list[str], np.ndarray]:
    occ = calibration()["labour"]["occupations"]
    w = np.array(list(occ.values()), float)
    return list(occ), np.cumsum(w / w.sum())


def _weighted(rng, cum: np.ndarray, n: int) -> np.ndarray:
    return np.searchsorted(cum, rng.random(n), side="right").clip(0, len(cum) - 1)


def firms(rng: np.random.Generator, region: Region, workers: int) -> tuple[np.ndarray, np.ndarray]:
    """The region's employers (BIN matrix) and Zipf-like size weights (cumulative)."""
    k = max(30, workers // calibration()["labour"]["firm_size_per_worker"])
    registered = rng.integers(day("1996-01-01"), day("2025-12-31"), k)
    w = 1.0 / np.arange(1, k + 1) ** 1.1
    return bins(registered, region.index), np.cumsum(w / w.sum())


def hire(rng, region: Region, people: People, streams: Streams, window: Window, firm_cum: np.ndarray,
         region_codes: list[str]) -> Employment:
    """Current contracts of wage earners (plus an earlier contract for some)."""
    lab = calibration()["labour"]
    _, occ_cum = occupations()
    wage = np.flatnonzero(streams.kind == WAGE)
    streams.employer[wage] = _weighted(rng, firm_cum, len(wage))
    streams.occupation[wage] = _weighted(rng, occ_cum, len(wage))
    p = streams.person[wage]
    late = streams.first_month[wage] > 0
    adult = people.birth[p] + np.floor(16 * YEAR).astype(np.int64)
    tenure = rng.uniform(30 / YEAR, 1, len(p)) * np.clip(people.age[p] - 18, 0.2, 20)
    start = np.where(late, window.first_day[streams.first_month[wage]] + rng.integers(0, 28, len(p)),
                     np.maximum(window.start - np.floor(tenure * YEAR).astype(np.int64), adult))
    start = np.minimum(start, np.where(late, start, window.start - 1))
    own = region_codes.index(region.code)
    away = rng.random(len(p)) < lab["other_region_job"]
    reg = np.where(away, rng.integers(0, len(region_codes), len(p)), own)
    contract = np.maximum(np.round(streams.amount[2026][wage] / 1000) * 1000, 1000).astype(np.int64) * 100

    prev = rng.random(len(p)) < lab["previous_job"]
    end0 = start - rng.integers(1, 91, len(p))
    start0 = np.maximum(end0 - np.floor(rng.uniform(1, 8, len(p)) * YEAR).astype(np.int64), adult)
    prev &= start0 <= end0
    q = np.flatnonzero(prev)
    return Employment(
        person=np.concatenate([p, p[q]]),
        firm=np.concatenate([streams.employer[wage], _weighted(rng, firm_cum, len(q))]),
        start=np.concatenate([start, start0[q]]),
        end=np.concatenate([np.full(len(p), -1), end0[q]]),
        occupation=np.concatenate([streams.occupation[wage], _weighted(rng, occ_cum, len(q))]),
        region=np.concatenate([reg, np.full(len(q), own)]),
        wage=np.concatenate([contract, (contract[q] * rng.uniform(0.7, 1.0, len(q)) // 100 * 100).astype(np.int64)]),
    )


def injuries(rng, people: People, emp: Employment, window: Window):
    """Accidents at work among current contracts; a fatal one sets the person's death date."""
    lab = calibration()["labour"]
    cur = np.flatnonzero(emp.end < 0)
    years = (window.as_of - window.start) / YEAR
    hit = cur[rng.random(len(cur)) < lab["injuries_per_worker_year"] * years]
    p = emp.person[hit]
    lo = np.maximum(emp.start[hit], window.start)
    dead = people.death[p]
    hi = np.where(dead >= 0, np.maximum(dead, lo), window.as_of - 1)
    date = lo + np.floor(rng.random(len(hit)) * (hi - lo + 1)).astype(np.int64)
    sev = np.array(list(lab["injury_severity"].values()), float)
    severity = np.searchsorted(np.cumsum(sev / sev.sum()), rng.random(len(hit)), side="right").clip(0, 2)
    fatal = severity == 2
    people.death[p[fatal]] = date[fatal]
    return hit, date, severity


def close_contracts(people: People, emp: Employment) -> None:
    """A contract ends on the death of the worker."""
    d = people.death[emp.person]
    ended = (emp.end < 0) & (d >= 0) & (d >= emp.start)
    emp.end[ended] = d[ended]


def jobseekers(rng, people: People, streams: Streams, window: Window):
    lab = calibration()["labour"]
    earns = np.zeros(people.n, bool)
    earns[streams.person[streams.kind <= 2]] = True
    pool = (people.age >= 18) & ~pension_age(people) & ~earns & (people.death < 0)
    pool &= ~((people.age < lab["student_age"] + 1) & (rng.random(people.n) < lab["student_share"]))
    who = np.flatnonzero(pool & (rng.random(people.n) < lab["jobseeker_share"]))
    registered = np.maximum(window.as_of - rng.integers(1, 420, len(who)), people.birth[who] + int(18 * YEAR))
    st = np.array(list(lab["jobseeker_status"].values()), float)
    status = np.searchsorted(np.cumsum(st / st.sum()), rng.random(len(who)), side="right").clip(0, len(st) - 1)
    wage = (np.round(rng.uniform(120, 350, len(who))) * 100000).astype(np.int64)
    return who, registered, status, wage, rng.random(len(who)) < 0.8


def vacancies(rng, count: int, firm_cum: np.ndarray, window: Window):
    lab = calibration()["labour"]
    _, occ_cum = occupations()
    st = np.array(list(lab["vacancy_status"].values()), float)
    status = np.searchsorted(np.cumsum(st / st.sum()), rng.random(count), side="right").clip(0, len(st) - 1)
    wage = np.maximum(np.round(np.exp(np.log(220) + 0.4 * rng.standard_normal(count))) * 1000, 85000)
    return (_weighted(rng, firm_cum, count), _weighted(rng, occ_cum, count),
            rng.integers(window.start, window.as_of, count), status, (wage * 100).astype(np.int64))
