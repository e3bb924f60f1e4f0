"""Entities and variables: what a rule set is made of.

A variable belongs to an entity (a person or a group of persons such as a household), has a
period, a type, a label and the legal reference it implements. It is either an input (data),
an aggregate of a person variable over a group's members, or a formula. A formula declares the
variables and parameters it reads, so dependencies are known without running anything; it is
computed only for the rows its `eligible` variable marks, and may carry exceptions: conditions
under which another formula replaces the base rule, listed in priority order.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

PERIODS = ("month", "quarter", "year", "eternity")
DTYPES = {"money": float, "float": float, "int": int, "bool": bool, "date": "datetime64[D]", "str": object}
ROUNDING = ("tiyn", "tenge", "tenge_up", None)
AGGREGATIONS = ("sum", "count", "any", "max", "min")


@dataclass(frozen=True)
class Entity:
    name: str
    label: str
    roles: tuple[str, ...] = ()     # a group entity's roles; empty for the person entity

    @property
    def is_person(self) -> bool:
        return not self.roles


@dataclass
class Exception_:
    """`when` the named boolean variable holds, the value is `formula`'s (or 0), not the base rule's."""
    when: str
    formula: Callable | None
    reference: str
    label: str
    inputs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()


@dataclass
class Variable:
    name: str
    entity: Entity
    dtype: str
    label: str
    period: str = "month"
    reference: str = ""
    formula: Callable | None = None
    inputs: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    eligible: str | None = None
    rounding: str | None = None
    default: object = 0
    aggregate: tuple[str, str, str | None] | None = None     # (person variable, how, role or None)
    exceptions: list[Exception_] = field(default_factory=list)
    module: str = ""
    measure: bool = False          # a support measure or contribution, reported in results

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"variable {self.name}: unknown type {self.dtype!r}")
        if self.period not in PERIODS:
            raise ValueError(f"variable {self.name}: unknown period {self.period!r}")
        if self.rounding not in ROUNDING:
            raise ValueError(f"variable {self.name}: unknown rounding {self.rounding!r}")
        if self.aggregate and self.aggregate[1] not in AGGREGATIONS:
            raise ValueError(f"variable {self.name}: unknown aggregation {self.aggregate[1]!r}")

    @property
    def is_input(self) -> bool:
        return self.formula is None and self.aggregate is None

    def dependencies(self) -> list[str]:
        """Every variable this one reads: inputs, eligibility, exception conditions and inputs."""
        deps = list(self.inputs)
        if self.eligible:
            deps.append(self.eligible)
        if self.aggregate:
            deps.append(self.aggregate[0])
        for e in self.exceptions:
            deps += [e.when, *e.inputs]
        return list(dict.fromkeys(deps))

    def parameters(self) -> list[str]:
        return list(dict.fromkeys([*self.params, *(p for e in self.exceptions for p in e.params)]))

    def exception(self, when: str, *, reference: str, label: str = "", inputs=(), params=()):
        """Decorator: an exception to this variable's base rule (declared after the base, in priority order)."""
        def register(fn: Callable | None) -> Callable | None:
            self.exceptions.append(Exception_(when, fn, reference, label or when, tuple(inputs), tuple(params)))
            return fn
        return register

    def exempt(self, when: str, *, reference: str, label: str = "") -> None:
        """An exception whose value is zero (an exemption)."""
        self.exceptions.append(Exception_(when, None, reference, label or when))

    def empty(self, n: int) -> np.ndarray:
        if not self.default and self.dtype != "str":
            return np.zeros(n, dtype=DTYPES[self.dtype])     # zeroed pages from the system: no fill
        return np.full(n, self.default, dtype=DTYPES[self.dtype])
