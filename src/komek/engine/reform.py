"""Reforms: new parameter values (from a YAML file) and replaced formulas, for a baseline-versus-
reform comparison. A reform file:

    name: Raise the TSA poverty line
    description: 40% of the median instead of 35%, from 1 January 2026.
    start: 2026-01-01
    source: Draft order (for discussion)
    parameters:
      tsa.poverty_line.median_share: 0.40
      housing_assistance.max_income_share: {regions: {"61": 0.08, "5522": 0.07}, default: 0.10}

A regional value's keys are region codes or locality prefixes below them (a district: "5522"),
as in the parameter files; the reform's table replaces the parameter's whole table.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from komek.engine.parameters import ParameterSet
from komek.engine.ruleset import RuleSet
from komek.errors import ParameterError, ReformError


@dataclass
class Reform:
    name: str
    start: dt.date
    parameters_changed: dict = field(default_factory=dict)
    formulas: dict[str, Callable] = field(default_factory=dict)   # variable -> new fn(x, p)
    description: str = ""
    source: str = "reform"

    @classmethod
    def load(cls, path: Path) -> Reform:
        """A reform file (YAML)."""
        try:
            spec = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        except FileNotFoundError:
            raise ReformError(f"{path}: no such reform file") from None
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ReformError(f"{path}: not a valid YAML file ({' '.join(str(e).split())})") from None
        return cls.from_spec(spec, str(path), Path(path).stem, f"reform {Path(path).name}")

    @classmethod
    def from_spec(cls, spec, where: str = "reform", name: str = "reform", source: str = "reform") -> Reform:
        """A reform document as read from a file or sent in a request; `where` names it in errors,
        `name` and `source` are the defaults of its own `name` and `source`."""
        if not isinstance(spec, dict):
            raise ReformError(f"{where}: a reform is a mapping with `start` and `parameters`")
        unknown = set(spec) - {"name", "description", "start", "source", "parameters"}
        if unknown:
            raise ReformError(f"{where}: unknown reform setting(s) {', '.join(sorted(unknown))}", sorted(unknown)[0])
        for needed in ("start", "parameters"):
            if needed not in spec:
                raise ReformError(f"{where}: a reform needs `start` and `parameters`", needed)
        if not isinstance(spec["parameters"], dict):
            raise ReformError(f"{where}: parameters: a mapping of parameter name to value", "parameters")
        try:
            start = spec["start"] if isinstance(spec["start"], dt.date) else dt.date.fromisoformat(str(spec["start"]))
        except ValueError:
            raise ReformError(f"{where}: start: {spec['start']!r} is not a date (YYYY-MM-DD)", "start") from None
        return cls(str(spec.get("name", name)), start, dict(spec["parameters"]),
                   description=str(spec.get("description", "")), source=str(spec.get("source", source)))

    def parameters(self, rules: RuleSet) -> ParameterSet:
        return rules.parameters.with_overrides(self.parameters_changed, self.start, self.source)

    def apply(self, sim) -> None:
        for name, fn in self.formulas.items():
            sim.replace_formula(name, replace(sim.rules.variables[name], formula=fn, module=f"reform {self.name}"))

    def check(self, rules: RuleSet) -> None:
        """Unknown parameters or variables, and values that are not numbers, are errors before anything runs."""
        for name, value in self.parameters_changed.items():
            if name not in rules.parameters:
                raise ReformError(f"reform {self.name}: parameters.{name}: unknown parameter", f"parameters.{name}")
            try:
                new = rules.parameters.with_overrides({name: value}, self.start, self.source)[name].history[-1].value
            except (ValueError, TypeError, ParameterError):
                new = None
            if new is None or (_numeric(rules.parameters[name].history[-1].value) and not _numeric(new)):
                raise ReformError(f"reform {self.name}: parameters.{name}: {value!r} is not a value this "
                                  "parameter can take (a number, or regions with a default)", f"parameters.{name}")
        for name in self.formulas:
            if name not in rules.variables:
                raise ReformError(f"reform {self.name}: unknown variable {name!r}", f"formulas.{name}")


def _numeric(value) -> bool:
    """A number, or a regional table of numbers."""
    if isinstance(value, dict):
        return all(isinstance(v, float) for v in value.values())
    return isinstance(value, float)
