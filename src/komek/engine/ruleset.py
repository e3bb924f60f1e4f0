"""A rule set: entities, variables and parameters, checked as a whole when it is loaded."""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable

from komek.engine.parameters import ParameterSet
from komek.engine.variables import Entity, Variable
from komek.errors import RuleError


class RuleSet:
    def __init__(self, person: Entity, group: Entity, region_variable: str, locality_variable: str | None = None):
        self.person, self.group = person, group
        self.region_variable = region_variable      # a group variable: regional parameters key on it
        # A group variable whose code begins with a place key longer than the region's (a district
        # within it): a regional table's value for the place is taken before the region's.
        self.locality_variable = locality_variable
        self.variables: dict[str, Variable] = {}
        self.parameters: ParameterSet | None = None
        self._checked = False

    # Declaring variables -------------------------------------------------------------------

    def add(self, var: Variable) -> Variable:
        if var.name in self.variables:
            raise RuleError(f"variable {var.name} is defined twice ({self.variables[var.name].module} and {var.module})")
        self.variables[var.name] = var
        self._checked = False
        return var

    def input(self, name: str, entity: Entity, dtype: str, label: str, *, default=0, period="month",
              reference: str = "") -> Variable:
        return self.add(Variable(name, entity, dtype, label, period, reference, default=default, module="inputs"))

    def aggregate(self, name: str, of: str, how: str, label: str, *, role: str | None = None,
                  dtype: str = "money", period="month") -> Variable:
        """A group variable: `how` (sum, count, any, max, min) of a person variable over members (of a role)."""
        return self.add(Variable(name, self.group, dtype, label, period, aggregate=(of, how, role), module="aggregates"))

    def formula(self, entity: Entity, dtype: str, label: str, *, reference: str, inputs: Iterable[str] = (),
                params: Iterable[str] = (), eligible: str | None = None, rounding: str | None = None,
                period: str = "month", name: str | None = None, measure: bool = False) -> Callable[[Callable], Variable]:
        """Decorator: `fn(x, p)` computes the variable from inputs `x.<name>` and parameters `p[...]`."""
        def register(fn: Callable) -> Variable:
            return self.add(Variable(name or fn.__name__, entity, dtype, label, period, reference, fn,
                                     tuple(inputs), tuple(params), eligible, rounding, module=fn.__module__,
                                     measure=measure))
        return register

    def load_modules(self, package: str) -> None:
        """Import every module of a package (each declares its variables on import)."""
        pkg = importlib.import_module(package)
        names = [f"{package}.{info.name}" for info in pkgutil.iter_modules(pkg.__path__)]
        for name in names:
            importlib.import_module(name)
        # The order variables are listed in (the measures, their docs, the summary) is the package's
        # module order, whichever module another import happened to load first.
        place = {name: i for i, name in enumerate(names)}
        # (Aggregates are declared in any module without naming it: by name among themselves.)
        self.variables = dict(sorted(self.variables.items(), key=lambda kv: (
            place.get(kv[1].module, -1), kv[0] if kv[1].module == "aggregates" else "")))

    # Checking -------------------------------------------------------------------------------

    def check(self) -> None:
        """Unknown names, reads across entities, unknown parameters and cycles: all reported together."""
        problems = []
        for v in self.variables.values():
            for dep in v.dependencies():
                d = self.variables.get(dep)
                if d is None:
                    problems.append(f"{v.name} reads unknown variable {dep}")
                elif v.aggregate and dep == v.aggregate[0]:
                    if not d.entity.is_person:
                        problems.append(f"{v.name} aggregates {dep}, which is not a person variable")
                elif d.entity != v.entity and not (v.entity.is_person and d.entity == self.group):
                    problems.append(f"{v.name} ({v.entity.name}) reads {dep} ({d.entity.name}): "
                                    "a group reads its members through an aggregate")
            if v.eligible and v.eligible in self.variables and self.variables[v.eligible].dtype != "bool":
                problems.append(f"{v.name} is eligible by {v.eligible}, which is not a yes/no variable")
            if self.parameters is not None:
                for p in v.parameters():
                    if not (p.endswith("*") and any(n.startswith(p[:-1]) for n in self.parameters.names())) \
                            and p not in self.parameters:
                        problems.append(f"{v.name} reads unknown parameter {p}")
        problems += [f"cycle: {' -> '.join(c)}" for c in self._cycles()]
        if problems:
            raise RuleError("the rules do not hold together:\n  " + "\n  ".join(problems))
        self._checked = True

    def _cycles(self) -> list[list[str]]:
        state: dict[str, int] = {}
        cycles, stack = [], []

        def visit(name: str) -> None:
            state[name] = 1
            stack.append(name)
            for dep in self.variables[name].dependencies():
                if dep not in self.variables:
                    continue
                if state.get(dep) == 1:
                    cycles.append(stack[stack.index(dep):] + [dep])
                elif dep not in state:
                    visit(dep)
            stack.pop()
            state[name] = 2

        for name in self.variables:
            if name not in state:
                visit(name)
        return cycles

    # Questions about the rules --------------------------------------------------------------

    def closure(self, names: Iterable[str]) -> list[str]:
        """The named variables and everything they depend on, dependencies first."""
        order, seen = [], set()

        def visit(n: str) -> None:
            if n in seen:
                return
            seen.add(n)
            for d in self.variables[n].dependencies():
                visit(d)
            order.append(n)

        for n in names:
            if n not in self.variables:
                raise RuleError(f"unknown variable {n!r}")
            visit(n)
        return order

    def needs(self, name: str) -> list[str]:
        """The inputs (data) a variable needs: what a form must ask and an audit must check."""
        closure = self.closure([name])
        inputs = {n for n in closure if self.variables[n].is_input}
        if any(self.variables[n].parameters() for n in closure):   # regional parameters key on the region
            inputs.add(self.region_variable)
        return sorted(inputs)

    def measures(self) -> list[Variable]:
        """Variables that are support measures or contributions: money with a legal reference, not inputs."""
        return [v for v in self.variables.values() if v.measure]
