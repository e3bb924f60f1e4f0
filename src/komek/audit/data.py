"""The tables an audit reads, from an extract folder or from the registry database.

Payments that name a person the civil registry does not know, or a measure the standard does
not have, are reported (`problems`) and left out of the checks: bad input is never a crash.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

TABLES = ("payments", "persons", "households", "addresses", "incomes", "contributions", "disability",
          "medical_exams", "housing", "assets", "employment", "border_crossings", "jobseekers")


# A trusted extract's large tables are scanned when a step needs them rather than held in
# memory for the whole run: a country's registry would not fit beside its payments.
SCANNED = ("incomes", "contributions", "housing", "persons", "households", "addresses", "assets", "employment")
# Of the civil registry, only what the rules and checks read (names and citizenship stay on disk).
COLUMNS = {"persons": ["iin", "birth_date", "sex", "death_date"]}


@dataclass
class AuditData:
    tables: dict[str, pl.DataFrame | pl.LazyFrame]
    as_of: str | None = None
    quarantined: dict[str, int] = field(default_factory=dict)   # invalid rows left out, per table
    problems: pl.DataFrame | None = None                        # payment_id, iin, measure, problem

    def __getitem__(self, name: str) -> pl.DataFrame:
        table = self.tables[name]
        return table.collect() if isinstance(table, pl.LazyFrame) else table

    def lazy(self) -> dict[str, pl.LazyFrame]:
        return {k: v.lazy() for k, v in self.tables.items()}


def _empty(name: str) -> pl.DataFrame:
    from komek.contract.schema import default_contract
    return pl.DataFrame(schema=default_contract().tables[name].schema)


def read_extract(folder: Path, whole: bool = False) -> AuditData:
    """The audit's tables of an extract; `whole`: every contract column (to rewrite the tables)."""
    from komek.contract.schema import default_contract
    from komek.contract.validate import read_manifest, read_raw, table_path, validate_frame
    manifest = read_manifest(Path(folder))
    trusted = manifest.get("validated") is True
    tables, quarantined = {}, {}
    for name in TABLES:
        path = table_path(Path(folder), name)
        if path is None:
            tables[name] = _empty(name)
            continue
        spec = default_contract().tables[name]
        columns = list(spec.columns) if whole else COLUMNS.get(name, list(spec.columns))
        if trusted and path.suffix == ".parquet":
            scan = pl.scan_parquet(path).select(columns)
            tables[name] = scan if name in SCANNED else scan.collect()
            continue
        result = validate_frame(spec, read_raw(path), path)
        if result.rows_quarantined:
            quarantined[name] = result.rows_quarantined
        tables[name] = result.valid.select(columns)
    return screen(AuditData(tables, manifest.get("as_of"), quarantined))


def read_database(url: str) -> AuditData:
    from sqlalchemy import func, select

    from komek.kz.registry_inputs import read_database as read_tables
    from komek.registry.db import engine
    from komek.registry.models import RECORDS
    tables = read_tables(url, TABLES)
    with engine(url).connect() as conn:
        as_of = conn.execute(select(func.max(RECORDS["payments"].__table__.c.extract_as_of))).scalar()
    return screen(AuditData(tables, as_of.isoformat() if as_of else None))


def screen(data: AuditData) -> AuditData:
    """Set aside payments for unknown persons or measures, and report them."""
    from komek.services.simulate import measure_names
    known = set(sum(measure_names(), []))
    pay = data.tables["payments"]
    unknown_person = ~pay["iin"].is_in(data.tables["persons"].lazy().select("iin").collect()["iin"].implode())
    unknown_measure = ~pay["measure"].is_in(sorted(known))
    problem = (pl.when(unknown_person & unknown_measure).then(pl.lit("unknown person and measure"))
               .when(unknown_person).then(pl.lit("unknown person")).when(unknown_measure).then(pl.lit("unknown measure")))
    flagged = pay.with_columns(problem=problem)
    data.problems = flagged.filter(pl.col("problem").is_not_null()).select(
        "payment_id", "iin", "measure", "month", "amount", "problem").sort("payment_id")
    data.tables["payments"] = flagged.filter(pl.col("problem").is_null()).drop("problem")
    return data
