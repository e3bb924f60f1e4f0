"""The rules themselves as data: every parameter with each dated value and its source, every
variable with its entity, period, inputs and reference, and the measures. What the API's rules
endpoints and the docs return, in the shapes of OpenFisca's web API where it has one."""
from __future__ import annotations

from komek.engine.parameters import Parameter, Scale
from komek.errors import NotFound
from komek.kz.registry_inputs import ASSUMED, FROM, UNKNOWN
from komek.kz.standard import CONTRIBUTIONS, standard


def _plain(value):
    """A parameter value as JSON: a number, a text, a list of codes, regions, or a scale."""
    if isinstance(value, Scale):
        return {"thresholds": list(value.thresholds), "values": list(value.values)}
    if isinstance(value, tuple):
        return list(value)
    return value


def _parameter(p: Parameter) -> dict:
    last = p.history[-1]
    return {"name": p.name, "label": p.label, "unit": p.unit, "reference": p.reference, "renewed": p.renewed,
            "latest": {"from": last.start.isoformat(), "value": _plain(last.value), "confirmed": last.confirmed}}


def parameters() -> list[dict]:
    """Every parameter with its latest value."""
    ps = standard().parameters
    return [_parameter(ps[n]) for n in ps.names()]


def parameter(name: str) -> dict:
    """One parameter and every dated value: from when, the value, its source, confirmed or an assumption."""
    ps = standard().parameters
    if name not in ps:
        raise NotFound(f"parameter {name!r}: no such parameter")
    p = ps[name]
    return {**_parameter(p), "values": [{"from": d.start.isoformat(), "value": _plain(d.value), "source": d.source,
                                         "confirmed": d.confirmed, **({"note": d.note} if d.note else {})}
                                        for d in p.history]}


def _kind(v) -> str:
    return "input" if v.is_input else "aggregate" if v.aggregate else "formula"


def variables() -> list[dict]:
    rules = standard()
    return [{"name": v.name, "label": v.label, "entity": v.entity.name, "kind": _kind(v), "measure": v.measure}
            for v in rules.variables.values()]


def _origin(name: str) -> dict:
    """Where an input comes from in the registry: a table, a stated assumption, or nowhere."""
    if name in FROM:
        return {"table": FROM[name]}
    if name in ASSUMED:
        return {"assumption": ASSUMED[name]}
    return {"not_known": UNKNOWN[name]}


def variable(name: str) -> dict:
    """One variable: entity, period, type, reference, what it reads and, for a formula, its
    parameters, eligibility, rounding and exceptions; for an input, where the registry has it."""
    rules = standard()
    if name not in rules.variables:
        raise NotFound(f"variable {name!r}: no such variable")
    v = rules.variables[name]
    out = {"name": v.name, "label": v.label, "entity": v.entity.name, "period": v.period, "type": v.dtype,
           "kind": _kind(v), "reference": v.reference, "measure": v.measure, "inputs": v.dependencies(),
           "needs": rules.needs(name)}
    if v.is_input:
        out["origin"] = _origin(name)
        out["default"] = v.default if isinstance(v.default, (bool, int, float, str)) else None
    elif v.aggregate:
        of, how, role = v.aggregate
        out["aggregate"] = {"of": of, "how": how, "role": role}
    else:
        out.update(parameters=v.parameters(), eligible=v.eligible, rounding=v.rounding,
                   exceptions=[{"when": e.when, "label": e.label, "reference": e.reference,
                                "value": "zero" if e.formula is None else "by its own formula"} for e in v.exceptions])
    return out


def measures() -> list[dict]:
    """The support measures and contributions: paid out to families (benefit) or in to the state."""
    return [{"name": m.name, "label": m.label, "entity": m.entity.name, "reference": m.reference,
             "kind": "contribution" if m.name in CONTRIBUTIONS else "benefit"} for m in standard().measures()]
