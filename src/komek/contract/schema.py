"""The contract as typed objects, read from a YAML file (the country's data, not code)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

import polars as pl
import yaml

MONEY = pl.Decimal(14, 2)

# How each contract type is held in memory once validated.
DTYPES: dict[str, pl.DataType] = {
    "iin": pl.String, "bin": pl.String, "string": pl.String, "code": pl.String,
    "region": pl.String, "date": pl.Date, "month": pl.String, "quarter": pl.String,
    "money": MONEY, "number": pl.Float64, "integer": pl.Int64, "boolean": pl.Boolean,
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    codes: tuple[str, ...] = ()
    description: str = ""

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    source: str
    key: tuple[str, ...]
    columns: dict[str, Column]
    required: bool = False
    order: tuple[tuple[str, str], ...] = ()
    iin_encodes: dict[str, str] = field(default_factory=dict)

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns.values()}


@dataclass(frozen=True)
class Contract:
    version: int
    tables: dict[str, Table]


def _table(name: str, spec: dict) -> Table:
    cols = {}
    for cname, c in spec["columns"].items():
        if extra := set(c) - {"type", "required", "codes", "description"}:
            raise ValueError(f"contract: {name}.{cname} has unknown settings {sorted(extra)}")
        if c["type"] not in DTYPES:
            raise ValueError(f"contract: {name}.{cname} has unknown type {c['type']!r}")
        cols[cname] = Column(cname, c["type"], bool(c.get("required", False)),
                             tuple(str(x) for x in c.get("codes", ())), c.get("description", ""))
    for k in spec["key"]:
        if k not in cols:
            raise ValueError(f"contract: key column {name}.{k} is not a column")
    return Table(name, spec["source"], tuple(spec["key"]), cols, bool(spec.get("required", False)),
                 tuple(tuple(p) for p in spec.get("order", ())), dict(spec.get("iin_encodes", {})))


def load_contract(path: Path | None = None) -> Contract:
    """Read a contract file; by default Kazakhstan's registry extract contract."""
    if path is None:
        return default_contract()
    spec = yaml.safe_load(Path(path).read_text("utf-8"))
    return Contract(spec["version"], {n: _table(n, t) for n, t in spec["tables"].items()})


@cache
def default_contract() -> Contract:
    spec = yaml.safe_load(files("komek.kz").joinpath("contract.yaml").read_text("utf-8"))
    return Contract(spec["version"], {n: _table(n, t) for n, t in spec["tables"].items()})
