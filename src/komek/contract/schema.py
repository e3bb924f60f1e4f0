"""The contract as typed objects, read from a YAML file (the country's data, not code).

The contract knows no country. Its built-in types are generic (text, codes, dates, months,
quarters, money, numbers, yes/no); a country adds its own: identifiers with a check digit (and
what they encode, such as a birth date) and code lists kept apart (such as region codes), given
to `load_contract` by the country's package.

Each table says what its absence means (`absent`): a table that is not sent is not known, so
whatever needs it is not computed, never computed from nothing. An optional column says the
same of an empty value: `none` (nothing recorded, e.g. no death date) or `unknown`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from komek.money import MONEY

# How each built-in type is held in memory once validated.
DTYPES: dict[str, pl.DataType] = {
    "string": pl.String, "code": pl.String, "date": pl.Date, "month": pl.String, "quarter": pl.String,
    "money": MONEY, "number": pl.Float64, "integer": pl.Int64, "boolean": pl.Boolean,
}
MEANINGS = ("none", "unknown")      # what an absent table, or an empty optional value, means


@dataclass(frozen=True)
class Identifier:
    """A country's identifier type: its form, its check, and the facts it encodes (each a Polars
    expression of the identifier column giving the fact, e.g. the birth date)."""
    label: str
    description: str
    valid: Callable[[pl.Expr], pl.Expr]          # True where the text is a valid identifier
    form: str = r"^\d{12}$"
    form_problem: str = "is not 12 digits"
    encodes: dict[str, Callable[[pl.Expr], pl.Expr]] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeList:
    """A country's list of codes kept apart from the contract (e.g. region codes)."""
    description: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    codes: tuple[str, ...] = ()
    description: str = ""
    empty: str = "none"           # what an empty optional value means (MEANINGS)

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES.get(self.type, pl.String)


@dataclass(frozen=True)
class Table:
    name: str
    source: str
    key: tuple[str, ...]
    columns: dict[str, Column]
    required: bool = False
    order: tuple[tuple[str, str], ...] = ()
    encodes: dict[str, dict[str, str]] = field(default_factory=dict)   # identifier column -> {fact: column}
    absent: str = "unknown"       # what it means when the table is not sent (MEANINGS)

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns.values()}


@dataclass(frozen=True)
class Contract:
    version: int
    tables: dict[str, Table]
    identifiers: dict[str, Identifier] = field(default_factory=dict)
    code_lists: dict[str, CodeList] = field(default_factory=dict)

    def codes(self, table: str, column: str) -> tuple[str, ...]:
        """The codes a column may hold (its own, or its code list's)."""
        c = self.tables[table].columns[column]
        return self.code_lists[c.type].codes if c.type in self.code_lists else c.codes

    def optional_tables(self) -> list[str]:
        return [t for t, spec in self.tables.items() if not spec.required]


def _table(name: str, spec: dict, types: set[str]) -> Table:
    cols = {}
    for cname, c in spec["columns"].items():
        if extra := set(c) - {"type", "required", "codes", "description", "empty"}:
            raise ValueError(f"contract: {name}.{cname} has unknown settings {sorted(extra)}")
        if c["type"] not in types:
            raise ValueError(f"contract: {name}.{cname} has unknown type {c['type']!r}")
        empty = c.get("empty", "none")
        if empty not in MEANINGS:
            raise ValueError(f"contract: {name}.{cname}: empty must be one of {MEANINGS}, not {empty!r}")
        cols[cname] = Column(cname, c["type"], bool(c.get("required", False)),
                             tuple(str(x) for x in c.get("codes", ())), c.get("description", ""), empty)
    for k in spec["key"]:
        if k not in cols:
            raise ValueError(f"contract: key column {name}.{k} is not a column")
    absent = spec.get("absent", "unknown")
    if absent not in MEANINGS:
        raise ValueError(f"contract: table {name}: absent must be one of {MEANINGS}, not {absent!r}")
    return Table(name, spec["source"], tuple(spec["key"]), cols, bool(spec.get("required", False)),
                 tuple(tuple(p) for p in spec.get("order", ())),
                 {k: dict(v) for k, v in spec.get("encodes", {}).items()}, absent)


def load_contract(path: Path, identifiers: dict[str, Identifier] | None = None,
                  code_lists: dict[str, CodeList] | None = None) -> Contract:
    """Read a contract file, with the country's identifier types and code lists."""
    identifiers, code_lists = identifiers or {}, code_lists or {}
    spec = yaml.safe_load(Path(path).read_text("utf-8"))
    types = set(DTYPES) | set(identifiers) | set(code_lists)
    tables = {n: _table(n, t, types) for n, t in spec["tables"].items()}
    for t in tables.values():
        for column, facts in t.encodes.items():
            kind = t.columns[column].type if column in t.columns else None
            unknown = set(facts) - set(identifiers[kind].encodes if kind in identifiers else ())
            if unknown:
                raise ValueError(f"contract: {t.name}.{column} cannot encode {sorted(unknown)}")
    return Contract(spec["version"], tables, identifiers, code_lists)
