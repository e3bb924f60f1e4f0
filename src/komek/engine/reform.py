"""Reforms: new parameter values (from a YAML file) and replaced formulas, for a baseline-versus-
reform comparison. A reform file:

    name: Raise the TSA poverty line
    description: 40% of the median instead of 35%, from 1 January 2026.
    start: 2026-01-01
    source: Draft order (for discussion)
    parameters:
      tsa.poverty_line.median_share: 0.40
      housing_assistance.max_income_share: {regions: {"61": 0.08}, default: 0.10}
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from komek.engine.parameters import ParameterSet
from komek.engine.ruleset import RuleSet


@dataclass
class Reform:
    name: str
    start: dt.date
    parameters_changed: dict = field(default_factory=dict)
    formulas: dict[str, Callable] = field(default_factory=dict)   # variable -> new fn(x, p)
    description: str = ""
    source: str = "reform"

    @classmethod
    def load(cls, path: Path) -> "Reform":
        spec = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        unknown = set(spec) - {"name", "description", "start", "source", "parameters"}
        if unknown:
            raise ValueError(f"{path}: unknown reform setting(s) {', '.join(sorted(unknown))}")
        if "start" not in spec or "parameters" not in spec:
            raise ValueError(f"{path}: a reform needs `start` and `parameters`")
        start = spec["start"] if isinstance(spec["start"], dt.date) else dt.date.fromisoformat(str(spec["start"]))
        return cls(spec.get("name", Path(path).stem), start, dict(spec["parameters"]),
                   description=spec.get("description", ""), source=spec.get("source", f"reform {Path(path).name}"))

    def parameters(self, rules: RuleSet) -> ParameterSet:
        return rules.parameters.with_overrides(self.parameters_changed, self.start, self.source)

    def apply(self, sim) -> None:
        for name, fn in self.formulas.items():
            sim.replace_formula(name, replace(sim.rules.variables[name], formula=fn, module=f"reform {self.name}"))

    def check(self, rules: RuleSet) -> None:
        """Unknown parameters or variables are errors before anything runs."""
        self.parameters(rules)
        for name in self.formulas:
            if name not in rules.variables:
                raise ValueError(f"reform {self.name}: unknown variable {name!r}")
