"""Monitoring of public services, the case side: an application's course read from its history
(when it was first decided, in how many working days, on time or late, and whether it stood open
and overdue on a day), and the alerts a region's on-time share raises (monitoring.yaml).

Working days to a decision are counted as the deadline counts them: from the day after the
submission to the day of the decision, both in Kazakhstan, without the working days the clock
stood still while information was asked. The decision is the first approval or refusal: a
decision changed later, on reconsideration or appeal, is the appeals' figure, not a second one.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from komek.cases import deadlines
from komek.kz.calendar import Stop, calendar

DECIDED = ("approved", "rejected")
CLOSED = (*DECIDED, "withdrawn")


@cache
def config() -> dict:
    cfg = yaml.safe_load(files(__package__).joinpath("monitoring.yaml").read_text("utf-8"))
    return cfg


@dataclass(frozen=True)
class Course:
    """What an application's history says for monitoring. `decided`/`withdrawn`: the day (in
    Kazakhstan) of the first decision or of the withdrawal before any, None while neither came."""
    submitted: dt.date
    decided: dt.date | None
    outcome: str | None                 # approved, rejected
    by_rules: bool
    withdrawn: dt.date | None
    due: dt.date                        # the due date of the decision (the clock's stops before it counted)
    working_days: int | None            # to the decision
    stops: tuple[Stop, ...]             # ended before the decision (or before now, when open)
    stopped_since: dt.date | None       # open and waiting for the applicant since

    @property
    def on_time(self) -> bool | None:
        return None if self.decided is None else self.decided <= self.due

    def open_on(self, day: dt.date) -> bool:
        """Submitted by `day` and neither decided nor withdrawn by then."""
        ended = self.decided or self.withdrawn
        return self.submitted <= day and (ended is None or ended > day)

    def overdue_on(self, measure: str, day: dt.date) -> bool:
        """Open on `day` and past its due date then (a clock standing still on `day` counted to it)."""
        if not self.open_on(day):
            return False
        stops = [s for s in self.stops if s.end <= day]
        waiting = self.stopped_since is not None and self.stopped_since <= day
        if waiting:
            stops.append(Stop(self.stopped_since, day))
        return day > deadlines.due(measure, self.submitted, stops)


def course(measure: str, submitted: dt.datetime, moves: Iterable[tuple[str | None, str, dt.datetime, str]]) -> Course:
    """An application's course from its moves in order: (from state, to state, when, role)."""
    first = deadlines.today(submitted)
    stops, since = [], None
    decided = outcome = withdrawn = None
    by_rules = False
    for was, to, at, role in moves:
        day = deadlines.today(at)
        if was == "needs_information" and since is not None:
            stops.append(Stop(since, day))
            since = None
        if to == "needs_information":
            since = day
        if to in DECIDED:
            decided, outcome, by_rules = day, to, role == "system"
            break
        if to == "withdrawn":
            withdrawn = day
            break
    due = deadlines.due(measure, first, stops)
    days = None
    if decided is not None:
        days = calendar().working_days(first + dt.timedelta(days=1), decided) - deadlines.stopped_days(stops)
    return Course(first, decided, outcome, by_rules, withdrawn, due, days, tuple(stops),
                  since if decided is None and withdrawn is None else None)


def median(values: Sequence[int]) -> float | None:
    if not values:
        return None
    v = sorted(values)
    mid = len(v) // 2
    return float(v[mid]) if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def percentile(values: Sequence[int], share: float) -> int | None:
    """The nearest-rank percentile: the least value with at least `share` of the values at or below it."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, math.ceil(share * len(v)) - 1)]


def alerts(regions: Iterable[dict]) -> list[dict]:
    """An alert for each region (a row with region_code, month, decisions, on_time) whose on-time
    share fell below the threshold among enough decisions: data for a person to look into."""
    rule = config()["on_time"]
    out = []
    for r in regions:
        if r["decisions"] >= rule["min_decisions"] and r["on_time"] / r["decisions"] < rule["threshold"]:
            out.append({"region_code": r["region_code"], "month": r["month"], "kind": "on_time_share",
                        "on_time_share": round(r["on_time"] / r["decisions"], 3), "threshold": rule["threshold"],
                        "decisions": r["decisions"], "late": r["decisions"] - r["on_time"],
                        "measures_below": r.get("measures_below", [])})
    return out
