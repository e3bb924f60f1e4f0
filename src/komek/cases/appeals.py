"""Appeals to a supervisor as data (appeals.yaml): which decisions the applicant may appeal and
for how long after them, the states and the roles that may make each move, the outcomes (which of
them change the decision), and to whom an appeal past its due date is escalated. The service
(services.appeals) files, decides and escalates appeals with them.

'Upheld' is said of the appeal: an appeal upheld is granted, the decision changed in the
appellant's favour; rejected, the decision stands.
"""
from __future__ import annotations

import calendar as months
import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from komek.errors import ParameterError, TransitionError
from komek.kz.calendar import calendar

SYSTEM = "system"       # the role of what Komek does itself (the escalation)


@cache
def data() -> dict:
    return yaml.safe_load(files(__package__).joinpath("appeals.yaml").read_text("utf-8"))


STATES = tuple(data()["states"])
OPEN = tuple(data()["open"])
DECISIONS = tuple(data()["decisions"])       # the states of an application whose decision may be appealed
OUTCOMES = tuple(o for o in data()["outcomes"] if o != "withdrawn")      # a supervisor's
CHANGES = tuple(o for o, v in data()["outcomes"].items() if v["changes"])


def outcome_label(outcome: str, language: str) -> str:
    return data()["outcomes"][outcome][language]


@dataclass(frozen=True)
class Dated:
    value: object
    since: dt.date
    source: str
    confirmed: bool
    assumption: str | None = None


def _dated(name: str, on: dt.date, field: str = "value") -> Dated:
    values = data()[name]
    known = sorted(d for d in values if d <= on)
    if not known:
        raise ParameterError(f"appeals.yaml {name}: no value in force on {on} (the first is from {min(values)})")
    v = values[known[-1]]
    return Dated(v[field], known[-1], v["source"], v["confirmed"], v.get("assumption"))


def term(decided: dt.date) -> Dated:
    """The last day an appeal against a decision of `decided` may be filed (`value`), with its source."""
    t = _dated("term_months", decided)
    m = decided.month - 1 + t.value
    year, month = decided.year + m // 12, m % 12 + 1
    last = dt.date(year, month, min(decided.day, months.monthrange(year, month)[1]))
    return Dated(calendar().due_in_calendar_days(decided, (last - decided).days), t.since, t.source, t.confirmed,
                 t.assumption)


def escalation(on: dt.date) -> Dated:
    """To whom an appeal past its due date is escalated (`value`), with the basis."""
    return _dated("escalation", on, "to")


def allowed(state: str, role: str) -> list[str]:
    return [to for to, roles in data()["states"][state].items() if role in roles]


def check(state: str, to: str, role: str) -> None:
    """Nothing when `role` may move an appeal from `state` to `to`; a TransitionError naming the moves allowed otherwise."""
    can = allowed(state, role)
    if to in can:
        return
    if to not in STATES:
        why = f"{to!r} is not a state (states: {', '.join(STATES)})"
    elif to not in data()["states"][state]:
        why = f"an appeal {state} cannot move to {to}"
    else:
        why = f"a {role} does not move an appeal from {state} to {to}"
    raise TransitionError(f"{why}; allowed: {', '.join(can) or 'none'}", can)
