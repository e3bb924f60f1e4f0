"""What would change the decision: for each support measure of a situation, the nearest change
of one thing the family can tell the caseworker about that turns the measure on (or off).

The levers are the head's wage, the number of children, the home's area and its utility costs;
a measure is searched along a lever only when its declared inputs (`RuleSet.needs`) include what
the lever changes. The threshold is found by bisection to the tenge (or the square metre, or the
child), and every answer is checked by computing the changed situation and its neighbour again:
only a verified threshold is reported.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from komek import access
from komek.kz.standard import benefits, standard
from komek.registry import DatabaseSource
from komek.services import households
from komek.services.calc import Member, Situation, dated, parse, simulation_for


@dataclass(frozen=True)
class Lever:
    name: str
    label: str
    unit: str
    needs: frozenset[str]           # inputs it changes
    low: int
    high: int


LEVERS = (
    Lever("head_wage", "the head's monthly wage", "tenge", frozenset({"income_wage"}), 0, 3_000_000),
    Lever("children", "children under 18 in the household", "children", frozenset({"role", "birth_date"}), 0, 12),
    Lever("area_m2", "the home's living area", "m2", frozenset({"area_m2"}), 0, 400),
    Lever("utilities", "the home's monthly utility costs", "tenge", frozenset({"utilities"}), 0, 1_000_000),
)


def _head(s: Situation) -> Member:
    return next(m for m in s.household.members if m.role == "head")


def _children(s: Situation) -> int:
    return sum(m.role == "child" and (s.date - m.birth_date).days < 18 * 365 for m in s.household.members)


def current(s: Situation, lever: Lever) -> int:
    if lever.name == "head_wage":
        return int(_head(s).incomes.get("wage", 0))
    if lever.name == "children":
        return _children(s)
    if lever.name == "area_m2":
        return int(s.household.housing.area_m2)
    return int(s.household.housing.monthly_costs.utilities)


def changed(s: Situation, lever: Lever, value: int) -> Situation:
    """The situation with the lever at `value` (children are added aged five, or the youngest removed)."""
    s = s.model_copy(deep=True)
    if lever.name == "head_wage":
        _head(s).incomes["wage"] = Decimal(value)
    elif lever.name == "children":
        kids = sorted((m for m in s.household.members if m.role == "child" and (s.date - m.birth_date).days < 18 * 365),
                      key=lambda m: m.birth_date)
        for i in range(value - len(kids)):
            born = dt.date(s.date.year - 5, s.date.month, min(s.date.day, 28))
            s.household.members.append(Member(id=f"added child {i + 1}", role="child", birth_date=born, sex="M"))
        for m in kids[::-1][:max(len(kids) - value, 0)]:
            s.household.members.remove(m)
    elif lever.name == "area_m2":
        s.household.housing.area_m2 = float(value)
    else:
        s.household.housing.monthly_costs.utilities = Decimal(value)
    return s


def _amounts(s: Situation) -> dict[str, float]:
    sim = simulation_for(s, standard())
    values = {m: sim.calculate(m) for m in benefits()}
    out = {m: float(v.sum()) for m, v in values.items()}
    out["per_capita_income"] = float(sim.calculate("per_capita_income")[0])
    return out


def _threshold(s: Situation, lever: Lever, measure: str, start: int, end: int, paid: bool) -> int | None:
    """The value nearest `start` towards `end` where the measure's being paid flips, or None."""
    on = lambda v: _amounts(changed(s, lever, v))[measure] > 0  # noqa: E731
    if on(end) == paid:
        return None
    near, far = start, end            # on(near) == paid, on(far) != paid
    while abs(far - near) > 1:
        mid = (near + far) // 2
        near, far = (mid, far) if on(mid) == paid else (near, mid)
    return far


def what_if(data: dict | Situation) -> dict:
    """For each benefit: its amount now, and per lever the nearest verified change that turns it on or off."""
    s = parse(data)
    rules = standard()
    with dated():              # every situation tried keeps the date: the first computation tells
        now = _amounts(s)
    out = []
    for measure in benefits():
        needs = set(rules.needs(measure))
        paid = now[measure] > 0
        changes = []
        for lever in LEVERS:
            if not needs & lever.needs:
                continue
            at = current(s, lever)
            found = [t for t in (_threshold(s, lever, measure, at, lever.high, paid),
                                 _threshold(s, lever, measure, at, lever.low, paid) if at > lever.low else None) if t is not None]
            if not found:
                continue
            to = min(found, key=lambda t: abs(t - at))
            step = 1 if to > at else -1
            then, before = _amounts(changed(s, lever, to)), _amounts(changed(s, lever, to - step))
            verified = (then[measure] > 0) != paid and (before[measure] > 0) == paid
            if not verified:
                continue
            changes.append({"lever": lever.name, "label": lever.label, "unit": lever.unit, "now": at, "to": to,
                            "amount_then": round(then[measure], 2), "per_capita_income_then": round(then["per_capita_income"], 2),
                            "verified": True})
        out.append({"measure": measure, "label": rules.variables[measure].label, "amount": round(now[measure], 2),
                    "paid": paid, "turns": "off" if paid else "on", "changes": changes})
    return {"date": s.date.isoformat(), "per_capita_income": round(now["per_capita_income"], 2), "measures": out}


def for_household(actor: access.Actor, source: DatabaseSource, household_id: str, on: dt.date,
                  purpose: str | None = None, client: str | None = None) -> dict:
    """`what_if` of a household as the registry has it (if the actor may read it), each measure
    with its article; the measures the registry cannot compute are left out, as the card leaves
    them. A what-if: nothing is stored and nothing decided."""
    s, not_computed = households.situation(actor, source, household_id, on, purpose, client)
    found = what_if(s)
    rules = standard()
    found["measures"] = [dict(m, reference=rules.variables[m["measure"]].reference)
                         for m in found["measures"] if m["measure"] not in not_computed]
    return found
