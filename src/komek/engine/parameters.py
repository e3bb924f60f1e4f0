"""Parameters: dated values with their sources, read from YAML, looked up at a date.

A parameter file maps dotted names to nodes:

    tsa:
      child_supplement_mci:
        label: Child supplement, MCI per child aged 1-6
        unit: mci
        reference: Social Code art. 119
        values:
          2023-07-01: {value: 1.5, source: "Social Code 224-VII", confirmed: true}

A value may be a number, a mapping of place code to number (with `default` for the others:
a regional parameter; an entry may be `{value:, source:, confirmed:}` when its value has a source
of its own, and a place without one takes `default` under the entry's source), or a scale
(`brackets: [{threshold: 4, value: 16.03}, ...]`, looked up as the value of the highest threshold
not above the input). A place code is a region's code, or a prefix of locality codes longer than
the region's (a district within it): a row takes the longest such key that begins its locality,
else its region's, else `default` (`place_key`; a row whose locality is not known takes its
region's). Each dated value carries its source
and whether it is confirmed; an unconfirmed value is an assumption and is reported as such.

A parameter set anew each year (`renewed: yearly`, the budget law's) or each quarter
(`renewed: quarterly`, a statistic of the quarter) is known only to the end of the period of
its last value: a date past that still gets the last value, and a warning (`beyond`) says the
value in force then is not known.
"""
from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from komek.errors import ParameterError

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # the C parser where libyaml is present


@dataclass(frozen=True)
class Scale:
    thresholds: tuple[float, ...]
    values: tuple[float, ...]

    def lookup(self, x) -> np.ndarray:
        """The value of the highest threshold <= x (0 below the first threshold)."""
        x = np.asarray(x, dtype=float)
        i = np.searchsorted(np.asarray(self.thresholds), x, side="right") - 1
        vals = np.concatenate([[0.0], np.asarray(self.values, dtype=float)])
        return vals[i + 1]


@dataclass(frozen=True)
class Dated:
    start: dt.date
    value: Any                 # float | dict[str, float] (regional) | Scale
    source: str
    confirmed: bool = True
    note: str = ""
    by_region: dict = field(default_factory=dict)   # place code: (source, confirmed) where a place has its own

    @property
    def regional(self) -> bool:
        return isinstance(self.value, dict)

    def source_for(self, code: str | None) -> tuple[str, bool]:
        """The source of a place's value (a key of the table) and whether it is confirmed (the
        entry's for the default)."""
        return self.by_region.get(str(code), (self.source, self.confirmed))


def place_key(table: dict, region: str | None, locality: str | None = None) -> tuple[str | None, str]:
    """The key of a regional table that gives one row its value, and its kind: the longest key
    longer than the region's code that begins the locality (`locality`), else the region's
    (`region`), else `default` (`default`); (None, `none`) when the table has none of them."""
    region = "" if region is None else str(region)
    for n in range(len(locality or ""), len(region), -1):
        if locality[:n] in table:
            return locality[:n], "locality"
    if region in table:
        return region, "region"
    return ("default", "default") if "default" in table else (None, "none")


def place_values(table: dict, codes: np.ndarray, index: np.ndarray, localities: np.ndarray | None) -> np.ndarray:
    """`place_key` for many rows at once: each row's value (NaN where no key gives one), given
    the region codes, each row's index into them and each row's locality (None: none known).
    Regions are looked up once each; locality keys by one sorted search per key length, longest
    first."""
    default = table.get("default", np.nan)
    out = np.array([table.get(str(c), default) for c in codes], dtype=float)[index]
    if localities is None or not len(out):
        return out
    region_length = np.char.str_len(np.asarray(codes, dtype=str))[index] if len(codes) else np.zeros(0, int)
    keys = [k for k in table if k != "default"]
    found = np.zeros(len(out), bool)
    for n in sorted({len(k) for k in keys}, reverse=True):
        if not (region_length < n).any():
            continue
        of_length = np.array(sorted(k for k in keys if len(k) == n))
        prefix = localities.astype(f"U{n}")       # a shorter locality stays shorter and matches nothing
        at = np.minimum(np.searchsorted(of_length, prefix), len(of_length) - 1)
        hit = ~found & (region_length < n) & (of_length[at] == prefix)
        out[hit] = np.array([table[k] for k in of_length], dtype=float)[at[hit]]
        found |= hit
    return out


RENEWALS = {"yearly": 12, "quarterly": 3}


@dataclass
class Parameter:
    name: str
    label: str
    unit: str = ""
    reference: str = ""
    history: list[Dated] = field(default_factory=list)   # sorted by start
    renewed: str | None = None     # yearly, quarterly: known only to the end of its last value's period

    def beyond(self, date: dt.date) -> str | None:
        """A warning when `date` is past the period of the last known value, else None."""
        if self.renewed is None or not self.history:
            return None
        last = self.history[-1].start
        months = RENEWALS[self.renewed]
        period = (last.year * 12 + last.month - 1) // months
        if (date.year * 12 + date.month - 1) // months <= period:
            return None
        return (f"{self.name}: no value is known for {date} (set {self.renewed}; the last known is from "
                f"{last}, used here)")

    def at(self, date: dt.date) -> Dated:
        starts = [d.start for d in self.history]
        i = bisect.bisect_right(starts, date) - 1
        if i < 0:
            raise ParameterError(f"parameter {self.name} has no value on {date} (first value from {starts[0]})")
        return self.history[i]


def _date(key) -> dt.date:
    if isinstance(key, dt.date):
        return key
    try:
        return dt.date.fromisoformat(str(key))
    except ValueError:
        raise ValueError(f"not a date: {key!r}") from None


def _value(name: str, raw: dict) -> Any:
    if "brackets" in raw:
        br = sorted(raw["brackets"], key=lambda b: b["threshold"])
        return Scale(tuple(float(b["threshold"]) for b in br), tuple(float(b["value"]) for b in br))
    if "regions" in raw:
        regional = {str(k): float(v["value"] if isinstance(v, dict) else v) for k, v in raw["regions"].items()}
        if "default" in raw:
            regional["default"] = float(raw["default"])
        return regional
    if "value" not in raw:
        raise ValueError(f"parameter {name}: a dated entry needs value, regions or brackets")
    value = raw["value"]
    if isinstance(value, list):          # a list of codes, e.g. the income kinds a measure counts
        return tuple(str(v) for v in value)
    return value if isinstance(value, (str, bool)) else float(value)


def _by_region(name: str, raw: dict) -> dict:
    """Each place's own source and confirmation, where its entry gives them."""
    out = {}
    for code, v in (raw.get("regions") or {}).items():
        if isinstance(v, dict):
            if not v.get("source"):
                raise ValueError(f"parameter {name}: place {code} has a value of its own but no source")
            out[str(code)] = (str(v["source"]), bool(v.get("confirmed", True)))
    return out


def _is_leaf(node: dict) -> bool:
    return isinstance(node, dict) and "values" in node


class ParameterSet:
    """All parameters of a country, by dotted name."""

    def __init__(self, params: dict[str, Parameter]):
        self.params = params

    @classmethod
    def load(cls, folder: Path) -> ParameterSet:
        params: dict[str, Parameter] = {}
        for path in sorted(Path(folder).glob("*.yaml")):
            cls._walk(yaml.load(path.read_text("utf-8"), Loader=LOADER) or {}, "", params, path.name)
        return cls(params)

    @staticmethod
    def _walk(node: dict, prefix: str, out: dict, file: str) -> None:
        for key, child in node.items():
            name = f"{prefix}{key}"
            if _is_leaf(child):
                history = []
                for start, raw in child["values"].items():
                    try:
                        history.append(Dated(_date(start), _value(name, raw), str(raw.get("source", "")),
                                             bool(raw.get("confirmed", True)), str(raw.get("note", "")),
                                             _by_region(name, raw)))
                    except (ValueError, TypeError, AttributeError) as e:
                        raise ValueError(f"{file}: parameter {name}: {e}") from None
                    if not history[-1].source:
                        raise ValueError(f"{file}: parameter {name} value from {start} has no source")
                if name in out:
                    raise ValueError(f"{file}: parameter {name} is defined twice")
                renewed = child.get("renewed")
                if renewed is not None and renewed not in RENEWALS:
                    raise ValueError(f"{file}: parameter {name}: renewed must be one of {', '.join(RENEWALS)}")
                out[name] = Parameter(name, child.get("label", name), child.get("unit", ""),
                                      child.get("reference", ""), sorted(history, key=lambda d: d.start), renewed)
            elif isinstance(child, dict):
                ParameterSet._walk(child, name + ".", out, file)
            else:
                raise ValueError(f"{file}: {name} is neither a parameter (with values) nor a group")

    def __contains__(self, name: str) -> bool:
        return name in self.params

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.params[name]
        except KeyError:
            raise ParameterError(f"unknown parameter {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self.params)

    def with_overrides(self, overrides: dict[str, Any], start: dt.date, source: str) -> ParameterSet:
        """A copy where each named parameter takes a new value from `start` on (a reform or a what-if):
        a number, `{regions: {code: value}, default: value}`, or the flat `{code: value, default: value}`."""
        params = dict(self.params)
        for name, value in overrides.items():
            base = self[name]
            raw = value if isinstance(value, dict) else {"value": value}
            if not {"value", "regions", "brackets"} & set(raw):      # a flat table: place codes and default
                raw = {"regions": {k: v for k, v in raw.items() if k != "default"},
                       **({"default": raw["default"]} if "default" in raw else {})}
            new = Dated(start, _value(name, raw), source, True, "override")
            history = [d for d in base.history if d.start < start] + [new]
            params[name] = Parameter(base.name, base.label, base.unit, base.reference, history)   # a reform's value is its own
        return ParameterSet(params)

    def beyond(self, names, date: dt.date) -> list[str]:
        """Warnings for the named parameters whose value on `date` is past what is known."""
        return [w for n in sorted(set(names)) if n in self.params and (w := self.params[n].beyond(date))]

    def assumptions(self, date: dt.date) -> list[str]:
        """Parameters whose value in force on `date` is not confirmed."""
        out = []
        for name, p in self.params.items():
            try:
                if not p.at(date).confirmed:
                    out.append(name)
            except ParameterError:
                pass
        return sorted(out)
