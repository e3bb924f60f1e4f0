"""Why a household gets what it gets: every value used, each formula's inputs, the parameters
with their dates and sources, the exception that applied, and the article, as JSON or text.
A value given in the situation says so and by whom; what its formula would have read is left out."""
from __future__ import annotations

import numpy as np

from komek.engine.parameters import place_key
from komek.engine.simulation import Simulation
from komek.engine.variables import Variable


def _plain(v):
    if isinstance(v, np.generic):
        v = v.item()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def _value(sim: Simulation, var: Variable, group: int, members: np.ndarray, ids: list[str]):
    arr = sim.calculate(var.name)
    if var.entity.is_person:
        return {pid: _plain(arr[i]) for pid, i in zip(ids, members)}
    return _plain(arr[group])


def parameter_value(sim: Simulation, name: str, group: int, date=None):
    """A parameter's value for one group on `date` (the simulation's by default), a regional
    one for the group's place (`place_key`)."""
    return _for_group(sim, sim.parameters[name].at(date or sim.date).value, group)


def _place(sim: Simulation, group: int) -> tuple[str | None, str | None]:
    """The group's region code and locality code (None where not known)."""
    def code(name):
        arr = sim.values.get(name) if name else None
        return str(arr[group]) if arr is not None else None
    return code(sim.rules.region_variable), code(sim.rules.locality_variable)


def _key(sim: Simulation, table: dict, group: int) -> tuple[str | None, str]:
    return place_key(table, *_place(sim, group))


def _for_group(sim: Simulation, value, group: int):
    if isinstance(value, dict):
        key, _ = _key(sim, value, group)
        value = value.get(key, value.get("default")) if key is not None else None
    return value


def _params(sim: Simulation, var: Variable, group: int) -> list[dict]:
    used = {}
    for owner, name, date in sim.param_log or []:
        if owner == var.name or owner.startswith(var.name + ":"):
            used[(name, date)] = None
    out = []
    for name, date in used:
        p = sim.parameters[name]
        d = p.at(date)
        value = _for_group(sim, d.value, group)
        if hasattr(value, "thresholds"):
            value = {"thresholds": list(value.thresholds), "values": list(value.values)}
        key, kind = _key(sim, d.value, group) if d.regional else (None, "")
        source, confirmed = d.source_for(key) if d.regional else (d.source, d.confirmed)
        entry = {"name": name, "label": p.label, "value": value, "unit": p.unit, "in_force_from": d.start.isoformat(),
                 "looked_up_on": date.isoformat(), "source": source, "confirmed": confirmed,
                 "reference": p.reference}
        if d.regional:
            entry["place"] = {"key": key, "kind": kind}      # which entry of the table gave the value
        if warning := p.beyond(date):
            entry["warning"] = warning
        out.append(entry)
    return out


def applied_exception(sim: Simulation, var: Variable, row: int):
    """The exception that decided `var` on `row` (first listed wins), or None: none held, the
    row is not eligible, or its value was given."""
    if sim.given_by(var.name, int(row)) is not None:
        return None
    gate = sim.values.get(var.eligible) if var.eligible else None
    if gate is not None and not gate[row]:
        return None
    for e in var.exceptions:
        cond = sim.values[e.when]
        if cond[sim.group_of[row]] if var.entity.is_person and len(cond) == sim.n_groups else cond[row]:
            return e
    return None


def _exception(sim: Simulation, var: Variable, group: int, members: np.ndarray) -> list[dict]:
    """The exception that decided the value, per row of the household."""
    out = []
    for row in members if var.entity.is_person else np.array([group]):
        if (e := applied_exception(sim, var, row)) is not None:
            out.append({"row": int(row), "exception": e.label, "when": e.when, "reference": e.reference,
                        "value": "zero" if e.formula is None else "by the exception's formula"})
    return out


def explain(sim: Simulation, names: list[str], group: int, member_ids: list[str] | None = None) -> dict:
    """The explanation of the named variables for one group (household), as plain JSON-able data."""
    members = np.flatnonzero(sim.group_of == group)
    ids = member_ids or [str(i) for i in members]
    for n in names:
        sim.calculate(n)
    nodes = {}
    for name in sim.closure(names):
        var = sim.variable(name)
        kind = "input" if var.is_input else "aggregate" if var.aggregate else "formula"
        if sim.fully_given(name):
            kind = "given"
        node = {"label": var.label, "entity": var.entity.name, "period": var.period, "kind": kind,
                "value": _value(sim, var, group, members, ids)}
        if var.reference:
            node["reference"] = var.reference
        if kind == "aggregate":
            of, how, role = var.aggregate
            node["aggregate"] = f"{how} of {of} over members" + (f" with role {role}" if role else "")
        if name in sim.given:
            rows = members if var.entity.is_person else np.array([group])
            by = {(ids[list(members).index(r)] if var.entity.is_person else None): sim.given_by(name, int(r)) for r in rows}
            node["given"] = [{"member": m, "by": b} for m, b in by.items() if b is not None]
        if var.dependencies() and kind != "given":
            node["inputs"] = var.dependencies()
        if var.eligible:
            node["eligible_by"] = var.eligible
        if kind == "formula":
            node["rounding"] = var.rounding
            if params := _params(sim, var, group):
                node["parameters"] = params
            if exc := _exception(sim, var, group, members):
                for e in exc:
                    e["member"] = ids[list(members).index(e.pop("row"))] if var.entity.is_person else None
                node["exceptions_applied"] = exc
        nodes[name] = node
    return {"date": sim.date.isoformat(), "explains": names, "variables": nodes}


def to_text(explanation: dict) -> str:
    """The explanation as an indented tree; a value already shown is referred to, not repeated."""
    nodes, shown, lines = explanation["variables"], set(), []

    def fmt(v):
        if isinstance(v, dict):
            return ", ".join(f"{k}: {fmt(x)}" for k, x in v.items())
        if isinstance(v, float):
            if v.is_integer():
                return f"{int(v):,}" if abs(v) >= 10_000 else str(int(v))
            return f"{v:,.2f}" if abs(v) >= 100 else f"{v:g}"
        return str(v)

    def walk(name: str, depth: int) -> None:
        n, pad = nodes[name], "  " * depth
        ref = f"  [{n['reference']}]" if n.get("reference") else ""
        if name in shown:
            lines.append(f"{pad}{name} = {fmt(n['value'])}  (see above)")
            return
        shown.add(name)
        lines.append(f"{pad}{name} = {fmt(n['value'])}  — {n['label']}{ref}")
        for g in n.get("given", []):
            who = f" for {g['member']}" if g.get("member") else ""
            lines.append(f"{pad}  ! GIVEN{who}, not computed: {g['by']}")
        for e in n.get("exceptions_applied", []):
            who = f" for {e['member']}" if e.get("member") else ""
            lines.append(f"{pad}  ! exception{who}: {e['exception']} ({e['reference']}): {e['value']}")
        for p in n.get("parameters", []):
            flag = ("" if p["confirmed"] else "  (ASSUMPTION: not confirmed)") + (
                f"  (WARNING: {p['warning']})" if p.get("warning") else "")
            place = p.get("place")
            where = f" for {place['kind']} {place['key']}" if place and place["kind"] != "default" else (
                " (default)" if place else "")
            lines.append(f"{pad}  · {p['name']} = {fmt(p['value'])} {p['unit']}{where} from {p['in_force_from']}; "
                         f"source: {p['source']}{flag}")
        for d in n.get("inputs", []):
            walk(d, depth + 1)

    for name in explanation["explains"]:
        walk(name, 0)
    return "\n".join(lines)
