"""OpenFisca parameter files written from Komek's parameters, so both engines read the same values.

Every dated value of the parameters the four measures use is carried over:
- a number stays a dated value;
- a regional value becomes a node with one child per region of regions.yaml (the default filled in
  for the regions it does not name), looked up by fancy indexing on the household's region;
- a scale becomes a single-amount scale (the amount of the highest threshold not above the base);
- a list of income kinds becomes a node of booleans, one per kind, in the order of INCOME_KINDS.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import yaml

from komek.engine import ParameterSet
from komek.engine.parameters import Parameter, Scale
from komek.kz.standard import INCOME_KINDS, standard

ROOTS = ("mci", "subsistence_minimum", "pension_age", "tsa", "housing_assistance", "disability", "large_family")


def _regions() -> list[str]:
    data = yaml.safe_load(files("komek.kz").joinpath("regions.yaml").read_text("utf-8"))
    return sorted(str(code) for code in data["regions"])


def _dated(history, value_of) -> dict:
    return {d.start: {"value": value_of(d.value)} for d in history}


def _leaf(p: Parameter, regions: list[str]) -> dict:
    first = p.history[0].value
    node: dict = {"description": p.label}
    if isinstance(first, dict):
        for code in regions:
            node[code] = {"values": _dated(p.history, lambda v, c=code: v.get(c, v.get("default")))}
    elif isinstance(first, Scale):
        n = len(first.thresholds)
        if any(len(d.value.thresholds) != n for d in p.history):
            raise ValueError(f"{p.name}: the number of brackets changes over time")
        node["metadata"] = {"type": "single_amount"}
        node["brackets"] = [{"threshold": _dated(p.history, lambda v, i=i: v.thresholds[i]),
                             "amount": _dated(p.history, lambda v, i=i: v.values[i])} for i in range(n)]
    elif isinstance(first, tuple):
        unknown = {c for d in p.history for c in d.value} - set(INCOME_KINDS)
        if unknown:
            raise ValueError(f"{p.name}: codes other than income kinds: {sorted(unknown)}")
        for kind in INCOME_KINDS:
            node[kind] = {"values": _dated(p.history, lambda v, k=kind: k in v)}
    else:
        node["values"] = _dated(p.history, lambda v: v)
    return node


def tree(parameters: ParameterSet) -> dict:
    """The OpenFisca parameter tree: top-level name -> node."""
    regions = _regions()
    out: dict = {}
    for name in parameters.names():
        parts = name.split(".")
        if parts[0] not in ROOTS:
            continue
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _leaf(parameters[name], regions)
    return out


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:   # dates repeat across brackets: write them out, no anchors
        return True


def write(folder: Path, parameters: ParameterSet | None = None) -> Path:
    """One YAML file per top-level name in `folder` (created); returns the folder."""
    if parameters is None:
        parameters = standard().parameters      # the parameter files and the counted-income lists
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, node in tree(parameters).items():
        text = yaml.dump(node, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
        (folder / f"{name}.yaml").write_text(text, "utf-8")
    return folder
