"""The tables an audit reads, from a source (an extract folder or the registry database).

Payments that name a person the civil registry does not know, or a measure the standard does
not have, are reported (`problems`) and left out of the checks: bad input is never a crash. A
table the source does not have is empty here and listed in `absent`, so the checks that need it
are reported as not run rather than run on nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from komek.errors import SourceError
from komek.kz import contract
from komek.kz.standard import household_measures, person_measures
from komek.registry import Source

TABLES = ("payments", "persons", "households", "addresses", "incomes", "contributions", "disability",
          "medical_exams", "housing", "assets", "employment", "border_crossings", "jobseekers",
          "account_activity")
# The large tables stay scans that a step filters to the rows it needs rather than being held in
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
    absent: list[str] = field(default_factory=list)             # tables the source does not have

    def __getitem__(self, name: str) -> pl.DataFrame:
        table = self.tables[name]
        return table.collect() if isinstance(table, pl.LazyFrame) else table

    def lazy(self) -> dict[str, pl.LazyFrame]:
        return {k: v.lazy() for k, v in self.tables.items()}


def read(source: Source, whole: bool = False) -> AuditData:
    """The audit's tables of a source; `whole`: every contract column (to rewrite the tables)."""
    if not source.has("payments"):
        raise SourceError(f"{source.name}: has no payments table, so there is nothing to audit")
    tables, absent = {}, source.absent(TABLES)
    for name in TABLES:
        spec = contract().tables[name]
        if name in absent:
            tables[name] = pl.DataFrame(schema=spec.schema)
            continue
        columns = list(spec.columns) if whole else COLUMNS.get(name, list(spec.columns))
        scan = source.scan(name, columns)
        tables[name] = scan if name in SCANNED and not whole else scan.collect()
    data = AuditData(tables, source.as_of.isoformat() if source.as_of else None, source.quarantined, absent=absent)
    return screen(data)


def screen(data: AuditData) -> AuditData:
    """Set aside payments for unknown persons or measures, and report them."""
    known = household_measures() + person_measures()
    pay = data["payments"]
    unknown_person = ~pay["iin"].is_in(data.tables["persons"].lazy().select("iin").collect()["iin"].implode())
    unknown_measure = ~pay["measure"].is_in(sorted(known))
    problem = (pl.when(unknown_person & unknown_measure).then(pl.lit("unknown person and measure"))
               .when(unknown_person).then(pl.lit("unknown person")).when(unknown_measure).then(pl.lit("unknown measure")))
    flagged = pay.with_columns(problem=problem)
    data.problems = flagged.filter(pl.col("problem").is_not_null()).select(
        "payment_id", "iin", "measure", "month", "amount", "problem").sort("payment_id")
    data.tables["payments"] = flagged.filter(pl.col("problem").is_null()).drop("problem")
    return data
