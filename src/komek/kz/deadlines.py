"""Statutory deadlines as data (deadlines.yaml): each measure's decision deadline in working days,
a supervisor's review, a general request and the reply window of an offer, each with its
reference, source, the date it is in force from and whether it is confirmed."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from komek.errors import FieldError, ParameterError

__all__ = ["Deadline", "appeal", "decision", "decisions", "general_request", "nearly_due", "offer_reply"]


@dataclass(frozen=True)
class Deadline:
    name: str
    days: int
    unit: str           # "working days" | "calendar days" | "months"
    label: str
    reference: str
    source: str
    since: dt.date      # in force from
    confirmed: bool
    assumption: str | None = None


@cache
def data() -> dict:
    return yaml.safe_load(files(__package__).joinpath("deadlines.yaml").read_text("utf-8"))


def _in_force(name: str, entry: dict, on: dt.date) -> Deadline:
    dated = sorted(d for d in entry["values"] if d <= on)
    if not dated:
        raise ParameterError(f"deadline {name}: no value in force on {on} (the first is from {min(entry['values'])})")
    v = entry["values"][dated[-1]]
    return Deadline(name, v["value"], entry["unit"], entry["label"], entry["reference"], v["source"], dated[-1],
                    v["confirmed"], v.get("assumption"))


def decision(measure: str, on: dt.date) -> Deadline:
    """The deadline of the decision on an application for `measure`, in force on `on`."""
    entries = data()["decision"]
    if measure not in entries:
        raise FieldError("measure", f"no decision deadline for {measure!r}; known: {', '.join(sorted(entries))}")
    entry = entries[measure]
    return _in_force(measure, entries[entry["same_as"]] if "same_as" in entry else entry, on)


def decisions(on: dt.date) -> dict[str, Deadline]:
    """Every measure's decision deadline in force on `on`."""
    return {m: decision(m, on) for m in data()["decision"]}


def appeal(on: dt.date) -> Deadline:
    return _in_force("appeal", data()["appeal"], on)


def general_request(on: dt.date) -> Deadline:
    return _in_force("general_request", data()["general_request"], on)


def offer_reply(on: dt.date) -> Deadline:
    return _in_force("offer_reply", data()["offer_reply"], on)


def nearly_due(on: dt.date) -> Deadline:
    """The threshold, in working days left, under which a case is flagged as nearly due."""
    return _in_force("nearly_due", {"label": "", "reference": "", **data()["nearly_due"]}, on)
