"""Disability assignments and the medical (MSE) examinations behind them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibration import calibration
from .population import YEAR, People

GROUPS = ["1", "2", "3", "child"]
CAUSES = ["general", "childhood", "work_injury", "occupational", "military", "other"]
OUTCOMES = ["group_1", "group_2", "group_3", "child", "not_disabled"]


@dataclass
class Disability:
    group: np.ndarray          # per person: index into GROUPS, -1 for none
    who: np.ndarray            # persons with a current assignment
    cause: np.ndarray
    valid_from: np.ndarray
    valid_to: np.ndarray       # -1: indefinite
    exam_who: np.ndarray       # examined persons (assigned first, then the rejected)
    exam_date: np.ndarray
    exam_outcome: np.ndarray


def _pick(rng, weights: dict, n: int, names: list[str]) -> np.ndarray:
    p = np.array([weights.get(k, 0.0) for k in names], float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(names) - 1)


def assign(rng: np.random.Generator, people: People, as_of: int) -> Disability:
    cal = calibration()["disability"]
    age = people.age
    bands = cal["prevalence"]
    rate = np.array([b[1] for b in bands])[np.searchsorted([b[0] for b in bands], age, side="right") - 1]
    who = np.flatnonzero((rng.random(people.n) < rate) & (age >= 1))
    a = age[who]
    child = a < 18
    grp = np.where(child, 3, _pick(rng, cal["adult_group"], len(who), GROUPS))
    cause = np.where(child, 1, _pick(rng, cal["adult_cause"], len(who), CAUSES))
    indefinite = rng.random(len(who)) < np.array([cal["indefinite"][g] for g in GROUPS])[grp]
    term = np.where(grp == 2, 1.0, 2.0)                    # re-examination after 1 or 2 years
    span = np.where(indefinite, np.minimum(a - 0.5, 15), np.minimum(term, a - 0.5))
    birth = people.birth[who]
    valid_from = np.maximum(as_of - 1 - np.floor(rng.random(len(who)) * span * YEAR).astype(np.int64), birth + 60)
    to = valid_from + np.floor(term * YEAR).astype(np.int64)
    adult18 = birth + np.floor(18 * YEAR).astype(np.int64)
    to = np.where(child, np.minimum(to, adult18 - 1), to)
    valid_to = np.where(indefinite & ~child, -1, np.maximum(to, valid_from))
    exam = valid_from - rng.integers(1, 31, len(who))

    group = np.full(people.n, -1, np.int64)
    group[who] = grp
    pool = np.flatnonzero((group < 0) & (age >= 1))
    rejected = pool[rng.random(len(pool)) < cal["rejected_exams"]]
    rej_date = as_of - rng.integers(1, 366, len(rejected))
    rej_date = np.maximum(rej_date, people.birth[rejected] + 1)
    return Disability(group, who, cause, valid_from, valid_to,
                      np.concatenate([who, rejected]), np.concatenate([exam, rej_date]),
                      np.concatenate([grp, np.full(len(rejected), 4)]))
