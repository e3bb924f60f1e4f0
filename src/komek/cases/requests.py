"""Citizen requests to an office as data (requests.yaml): the categories with their labels, the
states and the roles that may make each move, when a request repeats an earlier one (the same
category and place: the address normalised, or coordinates within a radius), and the windows after
a resolution. The service (services.requests) files, links and moves requests with them.

A move the table does not allow is refused with the moves that are allowed, so a face can offer them.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

from komek.errors import FieldError, ParameterError, TransitionError

SYSTEM = "system"                                                   # the role of a move Komek makes
KAZAKHSTAN = dt.timezone(dt.timedelta(hours=5), "Kazakhstan")       # one time zone, UTC+5, since 1 March 2024
EARTH_METRES = 6_371_008.8                                          # the mean radius (IUGG)
LATITUDES, LONGITUDES = (40.5, 55.5), (46.4, 87.4)                  # Kazakhstan's extremes, rounded outwards


@cache
def data() -> dict:
    return yaml.safe_load(files(__package__).joinpath("requests.yaml").read_text("utf-8"))


def categories() -> dict[str, dict[str, str]]:
    """Category code -> its label in each language (en, kk, ru)."""
    return data()["categories"]["labels"]


def label(category: str, language: str) -> str:
    return categories()[category][language]


STATES = tuple(data()["states"])
OPEN = tuple(data()["open"])            # a later request on the same problem is linked to it
WAITING = tuple(data()["waiting"])      # in the office's queue, its answer due
ANSWERS = tuple(data()["answers"])      # a move to one of these answers the request (its term ends)


@dataclass(frozen=True)
class Value:
    value: int
    since: dt.date
    source: str
    confirmed: bool
    assumption: str | None = None


def _dated(name: str, values: dict, on: dt.date) -> Value:
    known = sorted(d for d in values if d <= on)
    if not known:
        raise ParameterError(f"requests.yaml {name}: no value in force on {on} (the first is from {min(values)})")
    v = values[known[-1]]
    return Value(v["value"], known[-1], v["source"], v["confirmed"], v.get("assumption"))


def radius(on: dt.date) -> Value:
    """Metres within which two requests with coordinates are about the same place."""
    return _dated("radius_metres", data()["radius_metres"], on)


def window(name: str, on: dt.date) -> Value:
    """Calendar days after a resolution: `repeat` (a problem raised again is the same one) or `reopen`."""
    return _dated(f"windows.{name}", data()["windows"][name], on)


def today(now: dt.datetime) -> dt.date:
    """The date in Kazakhstan at `now` (a naive time is UTC)."""
    return (now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now).astimezone(KAZAKHSTAN).date()


# The moves -------------------------------------------------------------------------------------

def _rules(state: str, to: str) -> list[tuple[str, str | None]]:
    """(role, window or None) of each role that may move a request from `state` to `to`."""
    return [(r, None) if isinstance(r, str) else (r["role"], r["within"]) for r in data()["states"][state].get(to, [])]


def _within(name: str | None, resolved: dt.datetime | None, now: dt.datetime) -> bool:
    if name is None:
        return True
    return resolved is not None and (today(now) - today(resolved)).days <= window(name, today(now)).value


def allowed(state: str, role: str, resolved: dt.datetime | None, now: dt.datetime) -> list[str]:
    """The states `role` may move a request in `state` to, now (`resolved`: when it was resolved)."""
    return [to for to in data()["states"][state]
            if any(r == role and _within(w, resolved, now) for r, w in _rules(state, to))]


def check(state: str, to: str, role: str, resolved: dt.datetime | None, now: dt.datetime) -> None:
    """Nothing when `role` may move the request from `state` to `to` now; a TransitionError naming
    the moves allowed otherwise."""
    can = allowed(state, role, resolved, now)
    if to in can:
        return
    roles = _rules(state, to) if state in STATES else []
    if to not in STATES:
        why = f"{to!r} is not a state (states: {', '.join(STATES)})"
    elif not roles:
        why = f"a request {state} cannot move to {to}"
    elif role not in {r for r, _ in roles}:
        why = f"a {role} does not move a request from {state} to {to}"
    else:
        name = next(w for r, w in roles if r == role)
        why = (f"a request is moved from {state} to {to} within {window(name, today(now)).value} days of its "
               "resolution" + ("" if resolved is None else f" (resolved on {today(resolved)})"))
    raise TransitionError(f"{why}; allowed: {', '.join(can) or 'none'}", can)


# The place -------------------------------------------------------------------------------------

@cache
def _words() -> frozenset[str]:
    return frozenset(str(w).casefold() for w in data()["address_words"])


def normalised(text: str | None) -> str:
    """An address part as compared: case, ё/е, punctuation and the words that only say what kind of
    place it is (улица, көшесі, street, д., ...) dropped, a number kept with its letter (12а, 12 а: 12а)."""
    if text is None:
        return ""
    words = re.sub(r"[^\w№/-]+", " ", text.casefold().replace("ё", "е")).replace("-", " ").split()
    kept = [w for w in words if w not in _words()]
    return re.sub(r"(?<=\d) (?=[^\W\d_]\b)", "", " ".join(kept))


def place_key(locality: str, street: str | None, building: str | None) -> str:
    """The normalised place: locality | street | building (a part not given is empty)."""
    key = "|".join(normalised(part) for part in (locality, street, building))
    if not normalised(locality):
        raise FieldError("locality", "the town or village, by its name")
    return key


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points (haversine)."""
    (la1, lo1), (la2, lo2) = (tuple(map(math.radians, p)) for p in (a, b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_METRES * math.asin(math.sqrt(h))


def box(point: tuple[float, float], within: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(latitudes, longitudes) of a box holding every point within `within` metres of `point`: a
    database can find the candidates by range before the distance is measured."""
    lat, lon = point
    dlat = math.degrees(within / EARTH_METRES)
    dlon = math.degrees(within / (EARTH_METRES * math.cos(math.radians(min(abs(lat) + dlat, 89.9)))))
    return (lat - dlat, lat + dlat), (lon - dlon, lon + dlon)


def check_point(latitude: float | None, longitude: float | None) -> tuple[float, float] | None:
    """The coordinates, both or neither, inside Kazakhstan."""
    if (latitude is None) != (longitude is None):
        raise FieldError("latitude" if latitude is None else "longitude", "coordinates give both latitude and longitude")
    if latitude is None:
        return None
    for name, v, (low, high) in (("latitude", latitude, LATITUDES), ("longitude", longitude, LONGITUDES)):
        if not (isinstance(v, int | float) and math.isfinite(v) and low <= v <= high):
            raise FieldError(name, f"degrees between {low} and {high} (Kazakhstan), not {v!r}")
    return float(latitude), float(longitude)
