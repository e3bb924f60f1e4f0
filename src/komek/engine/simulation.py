"""Vectorized computation of a rule set over a population of persons grouped in households.

Every variable is a NumPy array over its entity (persons or groups). A formula runs once for
all the rows it applies to (its eligibility subset), reading its declared inputs sliced to
those rows; group values reach persons by indexing and person values reach groups through
declared aggregates (`np.bincount`). Results are cached, so each variable is computed once.

A computed variable may be given (`give`), as OpenFisca lets a situation do: for the rows given,
its value is taken as it is and its formula is not run; rows not given are computed as usual.
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np

from komek.engine.parameters import Dated, ParameterSet, Scale, place_values
from komek.engine.ruleset import RuleSet
from komek.engine.variables import DTYPES, Variable
from komek.errors import InputError, ParameterError


def round_money(values: np.ndarray, rule: str | None) -> np.ndarray:
    """Round by the measure's rule (half up, or up). Binary float noise is removed first by
    snapping to a ten-thousandth of the unit, so 1.005 tenge is 1.01 and not 1.00."""
    if rule is None:
        return values
    unit = 100.0 if rule == "tiyn" else 1.0
    v = np.round(values * unit, 4)
    return (np.ceil(v) if rule == "tenge_up" else np.floor(v + 0.5)) / unit


class Params:
    """Parameters as a formula sees them: at one date, regional ones resolved for its rows.

    `places` is a callable giving (region codes, each row's index into them, a callable giving
    each row's locality code, or None when none is known); it is called only when a regional
    parameter is read, and the localities only when its table has keys below a region's.
    """

    def __init__(self, parameters: ParameterSet, date: dt.date, places,
                 allowed: tuple[str, ...], log: list | None, owner: str, warnings: set | None = None):
        self._ps, self.date, self._places = parameters, date, places
        self._allowed, self._log, self._owner = allowed, log, owner
        self._warnings = warnings

    def _get(self, name: str) -> Dated:
        if not any(name == a or (a.endswith("*") and name.startswith(a[:-1])) for a in self._allowed):
            raise ParameterError(f"{self._owner} reads parameter {name} without declaring it")
        parameter = self._ps[name]
        dated = parameter.at(self.date)
        if self._log is not None:
            self._log.append((self._owner, name, self.date))
        if self._warnings is not None and (warning := parameter.beyond(self.date)):
            self._warnings.add(warning)
        return dated

    def _resolved(self, name: str, dated: Dated) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        located = self._places()
        if located is None:
            raise ParameterError(f"{name} is regional but the population has no region")
        codes, index, localities = located
        shortest = min((len(str(c)) for c in codes), default=0)
        finer = any(len(k) > shortest for k in dated.value if k != "default")   # keys below a region
        return place_values(dated.value, codes, index, localities() if finer else None), codes, index

    def __getitem__(self, name: str):
        dated = self._get(name)
        if not dated.regional:
            return dated.value
        values, codes, index = self._resolved(name, dated)
        if "default" not in dated.value and np.isnan(values).any():
            missing = sorted({str(c) for c in codes[index[np.isnan(values)]]})
            raise ParameterError(f"{name} has no value for region(s) {', '.join(missing)} on {self.date}")
        return values

    def where_known(self, name: str) -> np.ndarray:
        """A regional parameter for each row, NaN where no key of its table gives the row a value
        and there is no default: a value published for some regions only."""
        return self._resolved(name, self._get(name))[0]

    def scale(self, name: str) -> Scale:
        value = self._get(name).value
        if not isinstance(value, Scale):
            raise ParameterError(f"{name} is not a scale")
        return value

    def at(self, date: dt.date) -> Params:
        """The same parameters on another date (the quarter before, the 1st of January...)."""
        return Params(self._ps, date, self._places, self._allowed, self._log, self._owner, self._warnings)


class Simulation:
    def __init__(self, rules: RuleSet, date: dt.date, persons: dict[str, np.ndarray],
                 groups: dict[str, np.ndarray], group_of: np.ndarray, parameters: ParameterSet | None = None,
                 trace: bool = False):
        if not rules._checked:
            rules.check()
        self.rules, self.date = rules, date
        self.parameters = parameters or rules.parameters
        self.group_of = np.asarray(group_of, dtype=np.int64)
        self.n_persons = len(self.group_of)
        self.n_groups = len(next(iter(groups.values()))) if groups else int(self.group_of.max(initial=-1)) + 1
        if self.n_persons and self.group_of.max(initial=-1) >= self.n_groups:
            raise InputError("group_of points past the last group")
        self.values: dict[str, np.ndarray] = {}
        self.param_log: list | None = [] if trace else None
        self.warnings: set[str] = set()     # parameters read past their last known value
        self.exceptions_applied: dict[str, list[np.ndarray]] = {}
        for data, is_person in ((persons, True), (groups, False)):
            for name, arr in data.items():
                self._set_input(name, np.asarray(arr), is_person)
        self._overridden: dict[str, Variable] = {}
        self.given: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}   # name: (rows, values, by whom)
        self._spread: dict[str, np.ndarray] = {}
        self._located: tuple[np.ndarray, np.ndarray] | None = None

    def _set_input(self, name: str, arr: np.ndarray, is_person: bool) -> None:
        var = self.rules.variables.get(name)
        if var is None:
            raise InputError(f"unknown input {name!r}")
        if var.entity.is_person != is_person:
            raise InputError(f"{name} belongs to the {var.entity.name} entity")
        n = self.n_persons if is_person else self.n_groups
        if len(arr) != n:
            raise InputError(f"{name} has {len(arr)} values for {n} {var.entity.label}")
        # Text inputs become fixed-width NumPy strings: comparisons then run in C, not per object.
        if var.dtype == "str":
            self.values[name] = arr if arr.dtype.kind == "U" else arr.astype(str)
        else:
            self.values[name] = arr.astype(DTYPES[var.dtype], copy=False)

    def give(self, name: str, rows, values, by: list[str]) -> None:
        """Take `values` for the computed variable `name` on `rows` instead of its formula;
        `by` says, per row, who gave the value (a document, a what-if)."""
        var = self.rules.variables.get(name)
        if var is None:
            raise InputError(f"unknown variable {name!r}")
        if var.is_input:
            raise InputError(f"{name} is an input, not a computed variable")
        if name in self.values:
            raise InputError(f"{name} is already computed: give values before calculating")
        rows = np.asarray(rows, dtype=np.int64)
        values = np.asarray(values)
        if len(rows) != len(values) or len(rows) != len(by):
            raise InputError(f"{name}: {len(rows)} rows, {len(values)} values and {len(by)} sources do not match")
        if len(rows) and (rows.min() < 0 or rows.max() >= self.size(var) or len(np.unique(rows)) != len(rows)):
            raise InputError(f"{name}: given rows must be distinct and within the {var.entity.label}")
        self.given[name] = (rows, values.astype(DTYPES[var.dtype]) if var.dtype != "str" else values.astype(str), list(by))

    def given_by(self, name: str, row: int) -> str | None:
        """Who gave the value of `name` on `row`, or None when it was computed."""
        if name not in self.given:
            return None
        rows, _, by = self.given[name]
        hit = np.flatnonzero(rows == row)
        return by[hit[0]] if len(hit) else None

    def fully_given(self, name: str) -> bool:
        return name in self.given and len(self.given[name][0]) == self.size(self.variable(name))

    def closure(self, names) -> list[str]:
        """The variables the named ones are computed from, dependencies first, stopping at a
        value given for every row (its formula does not run)."""
        order, seen = [], set()

        def visit(n: str) -> None:
            if n in seen:
                return
            seen.add(n)
            if not self.fully_given(n):
                for d in self.variable(n).dependencies():
                    visit(d)
            order.append(n)

        for n in names:
            visit(n)
        return order

    def replace_formula(self, name: str, variable: Variable) -> None:
        """A reform: another formula for one variable in this simulation only."""
        self._overridden[name] = variable

    def variable(self, name: str) -> Variable:
        return self._overridden.get(name) or self.rules.variables[name]

    def size(self, var: Variable) -> int:
        return self.n_persons if var.entity.is_person else self.n_groups

    def calculate(self, name: str) -> np.ndarray:
        if name in self.values:
            return self.values[name]
        var = self.variable(name)
        if name in self.given:
            out = self._given(var)
        elif var.is_input:
            out = var.empty(self.size(var))
        elif var.aggregate:
            out = self._aggregate(var)
        else:
            out = self._formula(var)
        self.values[name] = out
        return out

    def _given(self, var: Variable) -> np.ndarray:
        rows, values, _ = self.given[var.name]
        if self.fully_given(var.name):          # the formula is not run: its inputs are not needed
            out = var.empty(self.size(var))
        else:
            out = (self._aggregate(var) if var.aggregate else self._formula(var)).copy()
        out[rows] = values
        return out

    def _aggregate(self, var: Variable) -> np.ndarray:
        of, how, role = var.aggregate
        vals = self.calculate(of)
        groups = self.group_of
        if role is not None:
            keep = self.calculate("role") == role
            vals, groups = vals[keep], groups[keep]
        if how == "count":
            return np.bincount(groups, weights=vals.astype(bool), minlength=self.n_groups).astype(np.int64)
        if how == "sum":
            out = np.bincount(groups, weights=vals.astype(float), minlength=self.n_groups)
            return out.astype(DTYPES[var.dtype])
        if how == "any":
            return np.bincount(groups, weights=vals.astype(bool), minlength=self.n_groups) > 0
        out = np.full(self.n_groups, -np.inf if how == "max" else np.inf)
        (np.maximum if how == "max" else np.minimum).at(out, groups, vals.astype(float))
        out[~np.isfinite(out)] = 0
        return out.astype(DTYPES[var.dtype])

    def _column(self, dep: str, var: Variable, idx) -> np.ndarray:
        if var.entity.is_person and not self.variable(dep).entity.is_person:
            # A household value read by persons: spread to the members once, then reused.
            if dep not in self._spread:
                self._spread[dep] = self.calculate(dep)[self.group_of]
            arr = self._spread[dep]
        else:
            arr = self.calculate(dep)
        return arr[idx]

    def _region_index(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Sorted region codes and each group's index into them, worked out once."""
        if self._located is None and self.rules.region_variable in self.values:
            codes, index = np.unique(self.values[self.rules.region_variable].astype(str), return_inverse=True)
            self._located = (codes, index)
        return self._located

    def _places(self, var: Variable, idx):
        def locate():
            located = self._region_index()
            if located is None:
                return None
            codes, index = located
            rows = (lambda a: (a[self.group_of] if var.entity.is_person else a)[idx])  # noqa: E731
            name = self.rules.locality_variable
            return codes, rows(index), lambda: rows(self.values[name]) if name is not None and name in self.values else None
        return locate

    def _run(self, fn, inputs, params, var: Variable, idx, owner: str) -> np.ndarray:
        x = SimpleNamespace(**{d: self._column(d, var, idx) for d in inputs})
        x.n = len(x.__dict__[inputs[0]]) if inputs else (self.size(var) if isinstance(idx, slice) else len(idx))
        p = Params(self.parameters, self.date, self._places(var, idx), params, self.param_log, owner, self.warnings)
        result = np.asarray(fn(x, p))
        if result.shape == ():
            result = np.full(x.n, result)
        return result

    def _formula(self, var: Variable) -> np.ndarray:
        n = self.size(var)
        if var.eligible:
            idx = np.flatnonzero(self.calculate(var.eligible))
            if len(idx) == 0:
                return var.empty(n)
        else:
            idx = slice(None)
        dtype = np.dtype(DTYPES[var.dtype])
        value = self._run(var.formula, var.inputs, var.params, var, idx, var.name).astype(dtype, copy=bool(var.exceptions))
        applied = []
        for exc in reversed(var.exceptions):     # the first exception listed has the last word
            hit = np.flatnonzero(self._column(exc.when, var, idx))
            if exc.formula is None:
                value[hit] = 0
            elif len(hit):
                rows = (np.arange(n)[idx])[hit]
                value[hit] = self._run(exc.formula, exc.inputs, exc.params, var, rows, f"{var.name}:{exc.when}")
            applied.append(hit)
        self.exceptions_applied[var.name] = applied
        value = round_money(value, var.rounding) if var.rounding else value
        if isinstance(idx, slice):            # every row computed: no default to fill in
            return value.astype(dtype, copy=False)
        out = var.empty(n)
        out[idx] = value
        return out
