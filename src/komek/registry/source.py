"""Where registry data comes from: an extract folder or the registry database, behind one interface.

Every reader (the batch of the standard, the score, the card, the audit, the generator's
payments) asks a `Source` for the tables it needs as lazy frames of valid rows, and asks which
of them are there: a table the source does not have is not known (see the contract's `absent`),
and whoever needs it says so instead of computing from nothing.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

import polars as pl
from sqlalchemy import select

from komek.contract import Contract
from komek.contract.validate import TableResult, locate, read_manifest, read_raw, validate_frame
from komek.errors import ContractError, SourceError
from komek.registry.db import display, engine, reaching, require_current
from komek.registry.models import RECORDS, Ingestion

# Values looked up in one query at most: PostgreSQL takes up to 65,535 parameters in a statement.
CHUNK = 20_000


class Source:
    """Registry tables from one place. `as_of`: the date the data describes (None: not stated)."""
    contract: Contract
    as_of: dt.date | None = None
    name: str = ""

    def has(self, table: str) -> bool:
        raise NotImplementedError

    def _scan(self, table: str) -> pl.LazyFrame:
        raise NotImplementedError

    def scan(self, table: str, columns: Iterable[str] | None = None) -> pl.LazyFrame:
        """The table's valid rows (only `columns`, when given)."""
        if not self.has(table):
            raise SourceError(f"{self.name}: has no {table} table")
        frame = self._scan(table)
        return frame.select(list(columns)) if columns is not None else frame

    def tables(self, names: Iterable[str]) -> dict[str, pl.LazyFrame]:
        """The named tables the source has, as lazy frames (those it lacks are left out)."""
        return {n: self.scan(n) for n in names if self.has(n)}

    def absent(self, names: Iterable[str]) -> list[str]:
        return [n for n in names if not self.has(n)]

    @property
    def quarantined(self) -> dict[str, int]:
        """Rows left out as invalid, per table read so far (an extract validated on reading)."""
        return {}

    @property
    def spec(self) -> tuple[str, str]:
        """What reopens this source in another process: (kind, folder or URL)."""
        raise NotImplementedError


class ExtractSource(Source):
    """An extract folder. Files are validated against the contract as they are first read, bad
    rows left out (and counted), except the Parquet files of an extract whose manifest says they
    were validated when written (`"validated": true`, as the synthetic generator's are)."""

    def __init__(self, folder: Path, contract: Contract):
        self.folder, self.contract = Path(folder), contract
        self.files = locate(self.folder, contract)         # required files and columns, or a ContractError
        self.manifest = read_manifest(self.folder)
        self.trusted = self.manifest.get("validated") is True
        self.as_of = _date(self.manifest.get("as_of"), f"{self.folder}/manifest.json: as_of")
        self.name = f"extract {self.folder}"
        self.results: dict[str, TableResult] = {}

    def has(self, table: str) -> bool:
        return table in self.files

    def _scan(self, table: str) -> pl.LazyFrame:
        path = self.files[table]
        if self.trusted and path.suffix == ".parquet":
            return pl.scan_parquet(path)
        if table not in self.results:
            self.results[table] = validate_frame(self.contract, self.contract.tables[table], read_raw(path), path)
        return self.results[table].valid.lazy()

    @property
    def quarantined(self) -> dict[str, int]:
        return {t: r.rows_quarantined for t, r in self.results.items() if r.rows_quarantined}

    def quarantine(self) -> dict[str, pl.DataFrame]:
        return {t: r.quarantine for t, r in self.results.items() if r.rows_quarantined}

    @property
    def spec(self) -> tuple[str, str]:
        return "extract", str(self.folder.resolve())


class DatabaseSource(Source):
    """The registry database. A table is there when an ingestion that succeeded delivered it;
    `as_of` is the latest such extract's. Rows were validated when they were ingested."""

    def __init__(self, url: str, contract: Contract):
        self.url, self.contract = url, contract
        require_current(url)
        self.name = f"database {display(url)}"
        with reaching(url), engine(url).connect() as conn:
            runs = conn.execute(select(Ingestion.as_of, Ingestion.report).where(Ingestion.status == "succeeded")).all()
        self.delivered = {t for _, report in runs for t in json.loads(report or "{}").get("tables", {})}
        self.as_of = max((a for a, _ in runs), default=None)
        self._frames: dict[str, pl.DataFrame] = {}

    def has(self, table: str) -> bool:
        return table in self.delivered

    def _select(self, table: str, column: str | None = None, values: list[str] = (), conn=None) -> pl.DataFrame:
        """The table's contract columns, typed as the contract says; only rows whose `column` is one
        of `values`. On `conn` when given (one household's queries share a connection)."""
        spec, model = self.contract.tables[table], RECORDS[table].__table__
        query = select(*(model.c[c] for c in spec.columns))
        if column is not None:
            query = query.where(model.c[column].in_(values))
        if conn is not None:
            return pl.DataFrame(conn.execute(query).all(), schema=spec.schema, orient="row")
        with reaching(self.url), engine(self.url).connect() as conn:
            return pl.DataFrame(conn.execute(query).all(), schema=spec.schema, orient="row")

    def _scan(self, table: str) -> pl.LazyFrame:
        if table not in self._frames:
            self._frames[table] = self._select(table)
        return self._frames[table].lazy()

    @property
    def spec(self) -> tuple[str, str]:
        return "database", self.url

    def rows(self, table: str, column: str, values: Iterable[str], conn=None) -> pl.DataFrame:
        """The table's rows whose `column` is one of `values`, typed as the contract says (an indexed
        query: every column looked up this way leads a key or has an index)."""
        values = sorted(set(values))
        if not values or not self.has(table):
            return pl.DataFrame(schema=self.contract.tables[table].schema)
        if len(values) <= CHUNK:
            return self._select(table, column, values, conn)
        return pl.concat([self._select(table, column, values[i:i + CHUNK], conn) for i in range(0, len(values), CHUNK)])

    def household(self, household_id: str, tables: Iterable[str]) -> FrameSource:
        """One household's part of the registry, by indexed queries on one connection: its
        memberships, and for its members every membership (to place a person listed in two
        households), the civil record, registrations and the other person tables named; the
        household's own rows of the others."""
        return self.households([household_id], tables, f"household {household_id}")

    def households(self, household_ids: Iterable[str], tables: Iterable[str], named: str = "households") -> FrameSource:
        """Some households' part of the registry, as `household` gives one's."""
        household_ids = list(household_ids)
        tables = [t for t in tables if self.has(t)]
        by_household = {t for t in tables if "household_id" in self.contract.tables[t].key[:1]}
        with reaching(self.url), engine(self.url).connect() as conn:
            iins = self.rows("households", "household_id", household_ids, conn)["iin"].to_list()
            frames = {"households": self.rows("households", "iin", iins, conn)}
            for t in tables:
                if t != "households":
                    frames[t] = (self.rows(t, "household_id", household_ids, conn) if t in by_household
                                 else self.rows(t, "iin", iins, conn))
        return FrameSource(frames, self.contract, f"{self.name}, {named}", self.as_of, tables)


class FrameSource(Source):
    """Tables already in memory (a slice of a database, or a test's): the source they came from
    says which tables it has and as of when."""

    def __init__(self, frames: dict[str, pl.DataFrame], contract: Contract, name: str, as_of: dt.date | None,
                 present: Iterable[str]):
        self.frames, self.contract, self.name, self.as_of = frames, contract, name, as_of
        self.present = set(present)

    def has(self, table: str) -> bool:
        return table in self.present

    def _scan(self, table: str) -> pl.LazyFrame:
        return self.frames[table].lazy()

    @property
    def spec(self) -> tuple[str, str]:
        raise NotImplementedError("an in-memory slice cannot be reopened elsewhere")


def _date(value, field: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ContractError(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


def open_source(contract: Contract, extract: Path | str | None = None, database: str | None = None) -> Source:
    """The one place that chooses: the extract folder when one is given, else the database."""
    if extract is not None:
        return ExtractSource(Path(extract), contract)
    if database is None:
        raise SourceError("no registry data: give an extract folder or a database")
    return DatabaseSource(database, contract)


def reopen(spec: tuple[str, str], contract: Contract) -> Source:
    kind, where = spec
    return open_source(contract, extract=where) if kind == "extract" else open_source(contract, database=where)
