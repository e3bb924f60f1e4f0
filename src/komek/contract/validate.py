"""Validation of an extract against the contract.

Every row either passes every check and is returned typed, or goes to the quarantine with
the reasons it failed (all of them, `column: problem; ...`) and the raw record as JSON.
Nothing is dropped silently. A missing required file or column is not a row problem: it
stops the whole extract with a `ContractError` that names it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from komek.contract.schema import Column, Contract, Table
from komek.errors import ContractError
from komek.money import MONEY

MANIFEST = "manifest.json"
QUARANTINE_SCHEMA = {"table": pl.String, "row": pl.Int64, "reason": pl.String, "record": pl.String}
EARLIEST, LATEST = pl.date(1850, 1, 1), pl.date(2100, 12, 31)


@dataclass
class TableResult:
    table: str
    path: Path
    rows_read: int
    valid: pl.DataFrame          # typed as the contract says
    quarantine: pl.DataFrame     # QUARANTINE_SCHEMA

    @property
    def rows_quarantined(self) -> int:
        return self.quarantine.height

    def reasons(self) -> dict[str, int]:
        """Quarantined rows per problem (a row with two problems counts under both)."""
        if self.quarantine.is_empty():
            return {}
        counts = (self.quarantine.select(pl.col("reason").str.split("; ").alias("r")).explode("r")
                  .group_by("r").len().sort(["len", "r"], descending=[True, False]))
        return dict(counts.iter_rows())


def table_path(folder: Path, table: str) -> Path | None:
    for ext in ("parquet", "csv"):
        p = folder / f"{table}.{ext}"
        if p.exists():
            return p
    return None


def read_raw(path: Path) -> pl.DataFrame:
    """A table file as it is: Parquet with its own types, CSV entirely as text."""
    if path.suffix == ".parquet":
        try:
            return pl.read_parquet(path)
        except (pl.exceptions.ComputeError, OSError) as e:
            raise ContractError(f"{path.name}: not a readable Parquet file ({e})") from None
    if path.stat().st_size == 0:
        raise ContractError(f"{path.name}: the file is empty (a CSV file needs at least its header row)")
    try:
        return pl.read_csv(path, infer_schema=False, encoding="utf8")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as e:
        raise ContractError(f"{path.name}: not a readable UTF-8 CSV file ({e})") from None


def check_columns(table: Table, raw: pl.DataFrame, path: Path) -> None:
    missing = [c.name for c in table.columns.values() if c.required and c.name not in raw.columns]
    if missing:
        raise ContractError(f"{path.name}: missing required column(s) {', '.join(missing)} "
                            f"(table {table.name} needs {', '.join(c for c in table.columns)})")


def _text(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.strip_chars()


def _parse(contract: Contract, column: Column, raw_dtype: pl.DataType) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, problem or null) for one column; the problem ignores missing values."""
    name, t = column.name, column.type
    src = pl.col(name)
    text = _text(name)
    if t in contract.identifiers:
        kind = contract.identifiers[t]
        value = text
        problem = (pl.when(~text.str.contains(kind.form)).then(pl.lit(f"{kind.label} {kind.form_problem}"))
                   .when(~kind.valid(text)).then(pl.lit(f"{kind.label} check digit is wrong")))
    elif t == "code":
        value = text
        problem = pl.when(~text.is_in(list(column.codes))).then(
            pl.lit(f"unknown code (expected one of {', '.join(column.codes)})"))
    elif t in contract.code_lists:
        value = text
        problem = pl.when(~text.is_in(list(contract.code_lists[t].codes))).then(pl.lit(f"unknown {t} code"))
    elif t == "date":
        value = src if raw_dtype == pl.Date else text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        problem = (pl.when(value.is_null()).then(pl.lit("not a real date (YYYY-MM-DD)"))
                   .when((value < EARLIEST) | (value > LATEST)).then(pl.lit("date out of range 1850-2100")))
    elif t == "month":
        value = text
        problem = pl.when(~text.str.contains(r"^\d{4}-(0[1-9]|1[0-2])$")).then(
            pl.lit("not a month (YYYY-MM)"))
    elif t == "quarter":
        value = text
        problem = pl.when(~text.str.contains(r"^\d{4}-Q[1-4]$")).then(
            pl.lit("not a quarter (YYYY-Qn)"))
    elif t == "money":
        if isinstance(raw_dtype, pl.Decimal):
            value, bad_form = src.cast(MONEY, strict=False), src.cast(MONEY, strict=False) != src
        else:
            shown = src.round(2).cast(pl.String) if raw_dtype.is_float() else text
            value = shown.cast(MONEY, strict=False)
            bad_form = ~shown.str.contains(r"^-?\d{1,12}(\.\d{1,2})?$")
        problem = (pl.when(bad_form | value.is_null()).then(pl.lit("not an amount in tenge with at most two decimals"))
                   .when(value < 0).then(pl.lit("negative amount")))
    elif t in ("number", "integer"):
        dtype = pl.Float64 if t == "number" else pl.Int64
        value = src.cast(dtype, strict=False) if raw_dtype.is_numeric() else text.cast(dtype, strict=False)
        problem = (pl.when(value.is_null() | (value.is_nan() if t == "number" else pl.lit(False)))
                   .then(pl.lit(f"not a{'n integer' if t == 'integer' else ' number'}"))
                   .when(value < 0).then(pl.lit("negative value")))
    elif t == "boolean":
        if raw_dtype == pl.Boolean:
            value = src
        else:
            low = text.str.to_lowercase()
            value = (pl.when(low.is_in(["true", "1", "yes", "t", "y"])).then(True)
                     .when(low.is_in(["false", "0", "no", "f", "n"])).then(False))
        problem = pl.when(value.is_null()).then(pl.lit("not true/false"))
    else:  # string
        value = src.cast(pl.String)
        problem = pl.when(text == "").then(pl.lit("empty text"))
    missing = src.is_null() | ((text == "") if t != "string" else pl.lit(False))
    if column.required:
        problem = pl.when(missing).then(pl.lit("missing required value")).otherwise(problem)
    else:
        problem = pl.when(missing).then(None).otherwise(problem)
    value = pl.when(missing).then(None).otherwise(value)
    return value.cast(column.dtype, strict=False).alias(name), (pl.lit(f"{name}: ") + problem).alias(f"_p_{name}")


def validate_frame(contract: Contract, table: Table, raw: pl.DataFrame, path: Path | None = None) -> TableResult:
    """Check every row of one table; return the typed valid rows and the quarantine."""
    path = path or Path(f"{table.name}")
    check_columns(table, raw, path)
    raw = raw.with_row_index("_row", offset=1)
    for c in table.columns.values():            # optional columns a source did not send
        if c.name not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.String).alias(c.name))
    parsed = [_parse(contract, c, raw.schema[c.name]) for c in table.columns.values()]
    typed = raw.with_columns([v for v, _ in parsed] + [p for _, p in parsed])
    problems = [f"_p_{c}" for c in table.columns]
    row_checks = []
    for a, b in table.order:
        row_checks.append(pl.when(pl.col(a).is_not_null() & pl.col(b).is_not_null() & (pl.col(b) < pl.col(a)))
                          .then(pl.lit(f"{b}: before {a}")).alias(f"_o_{a}_{b}"))
    for ident, facts in table.encodes.items():    # only a well-formed identifier can contradict the other columns
        decode = contract.identifiers[table.columns[ident].type].encodes
        well_formed = pl.when(pl.col(f"_p_{ident}").is_null()).then(pl.col(ident))
        for fact, other in facts.items():
            row_checks.append(pl.when(well_formed.is_not_null() & (decode[fact](well_formed) != pl.col(other)))
                              .then(pl.lit(f"{ident}: does not encode {other}")).alias(f"_e_{ident}_{fact}"))
    typed = typed.with_columns(row_checks)
    problems += [e.meta.output_name() for e in row_checks]
    typed = typed.with_columns(pl.concat_str(problems, separator="; ", ignore_nulls=True).alias("_reason"))
    typed = typed.with_columns(pl.when(pl.col("_reason") == "").then(None).otherwise(pl.col("_reason")).alias("_reason"))
    # A key seen twice in one file: the first valid occurrence stands, later ones are quarantined.
    dup = pl.col("_reason").is_null() & pl.struct(list(table.key)).is_first_distinct().over(
        pl.col("_reason").is_null()).not_()
    typed = typed.with_columns(pl.when(dup).then(pl.lit(f"duplicate key ({', '.join(table.key)}) of an earlier row"))
                               .otherwise(pl.col("_reason")).alias("_reason"))
    bad = typed.filter(pl.col("_reason").is_not_null())
    good = typed.filter(pl.col("_reason").is_null()).select(list(table.columns))
    originals = raw.filter(pl.col("_row").is_in(bad["_row"].implode())).select(pl.exclude("_row"))
    quarantine = pl.DataFrame({
        "table": [table.name] * bad.height,
        "row": bad["_row"].cast(pl.Int64),
        "reason": bad["_reason"],
        "record": originals.select(pl.struct(pl.all().cast(pl.String)).struct.json_encode()).to_series()
        if bad.height else pl.Series([], dtype=pl.String),
    }, schema=QUARANTINE_SCHEMA)
    return TableResult(table.name, path, raw.height, good, quarantine)


@dataclass
class Extract:
    folder: Path
    manifest: dict
    tables: dict[str, TableResult]
    ignored_files: list[str]
    absent: list[str]            # optional tables not sent: not known

    @property
    def quarantine(self) -> pl.DataFrame:
        return pl.concat([r.quarantine for r in self.tables.values()] or [pl.DataFrame(schema=QUARANTINE_SCHEMA)])


def locate(folder: Path, contract: Contract) -> dict[str, Path]:
    """The files of an extract, after checking that required tables and columns are there."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ContractError(f"extract folder {folder} does not exist" if not folder.exists()
                            else f"{folder} is a file, not an extract folder")
    found = {t: p for t in contract.tables if (p := table_path(folder, t)) is not None}
    problems = [f"missing required file {t}.parquet or {t}.csv"
                for t, spec in contract.tables.items() if spec.required and t not in found]
    for t, p in found.items():   # every file's columns, before any row is read in full
        cols = _columns(p)
        try:
            check_columns(contract.tables[t], pl.DataFrame(schema={c: pl.String for c in cols}), p)
        except ContractError as e:
            problems.append(str(e))
    if problems:
        raise ContractError(f"extract {folder}: " + "; ".join(problems))
    return found


def _columns(path: Path) -> list[str]:
    """A file's column names, read from its header only."""
    if path.suffix == ".parquet":
        try:
            return list(pl.read_parquet_schema(path))
        except (pl.exceptions.ComputeError, OSError) as e:
            raise ContractError(f"{path.name}: not a readable Parquet file ({e})") from None
    if path.stat().st_size == 0:
        raise ContractError(f"{path.name}: the file is empty (a CSV file needs at least its header row)")
    try:
        return pl.read_csv(path, n_rows=0, infer_schema=False).columns
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as e:
        raise ContractError(f"{path.name}: not a readable UTF-8 CSV file ({e})") from None


def read_manifest(folder: Path) -> dict:
    p = Path(folder) / MANIFEST
    if not p.exists():
        return {}
    try:
        return json.loads(p.read_text("utf-8"))
    except json.JSONDecodeError as e:
        raise ContractError(f"{p}: not valid JSON ({e})") from e


def validate_extract(folder: Path, contract: Contract) -> Extract:
    """Validate every table of an extract folder (all files are checked before any is read)."""
    folder = Path(folder)
    found = locate(folder, contract)
    known = {p.name for p in found.values()} | {MANIFEST}
    ignored = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in known)
    results = {t: validate_frame(contract, contract.tables[t], read_raw(p), p) for t, p in found.items()}
    absent = [t for t in contract.optional_tables() if t not in found]
    return Extract(folder, read_manifest(folder), results, ignored, absent)
