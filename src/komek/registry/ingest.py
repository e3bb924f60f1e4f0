"""Loading a validated extract into the registry database.

The whole extract is validated first (every required file and column, then every row), so a
`ContractError` leaves the database untouched. Each table is then loaded in one transaction:
its valid rows are bulk-copied into a temporary staging table (COPY on PostgreSQL, executemany
on SQLite) and upserted by the contract key. A stored row is replaced only when it differs and
its `extract_as_of` is not later than this extract's, so loading an extract twice changes
nothing and an older extract never overwrites what a newer one wrote. (`extract_as_of` is the
extract that last *changed* a row: a newer extract that only repeats it leaves the stamp.)
Quarantined rows go to the `quarantine` table in the same transaction as their table.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from sqlalchemy import Connection, Date, bindparam, text, update
from sqlalchemy.engine import make_url

from komek.contract.schema import Contract, Table
from komek.contract.validate import TableResult, validate_extract
from komek.errors import ContractError
from komek.registry.db import engine, normalize_url, reaching, require_current, session
from komek.registry.models import RECORDS, Ingestion
from komek.registry.report import IngestionReport, TableReport
from komek.settings import settings

Progress = Callable[[str, int, int], None]
COPY_CHUNK = 100_000        # rows per CSV buffer streamed to PostgreSQL's COPY
SQLITE_CHUNK = 50_000       # rows per executemany batch on SQLite


def ingest(folder: Path | str, url: str, contract: Contract, progress: Progress | None = None, *,
           as_of: dt.date | None = None, report_dir: Path | None = None) -> IngestionReport:
    """Validate the extract in `folder` and load it into the database at `url`, whose schema
    must be current (a SchemaError otherwise: the schema changes only through `migrate`).

    `as_of` (the date the extract describes) defaults to the manifest's `as_of`, else today.
    The report is recorded in `ingestions` and saved as ingestion-report.json/.md in
    `report_dir` (default: next to a SQLite database, else the data directory).
    `progress("ingest: <table>", done, total)` is called once validation is done and after each table.
    """
    url, folder = normalize_url(url), Path(folder).resolve()
    require_current(url)
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    extract = validate_extract(folder, contract)   # raises ContractError before any write
    report = IngestionReport(folder=str(folder), database=make_url(url).render_as_string(hide_password=True),
                             as_of="", extract_id=extract.manifest.get("extract_id"),
                             started=started.isoformat(timespec="seconds"),
                             validation_seconds=round(time.perf_counter() - clock, 3))
    stamp = as_of or _manifest_as_of(extract.manifest, report)
    report.as_of = stamp.isoformat()
    report.absent = extract.absent
    if extract.ignored_files:
        report.notes.append("ignored files: " + ", ".join(extract.ignored_files))
    with reaching(url), session(url) as s:
        row = Ingestion(folder=str(folder), extract_id=report.extract_id, as_of=stamp, started=started, status="running")
        s.add(row)
        s.flush()
        report.ingestion_id = row.id
    try:
        total = len(extract.tables)
        if progress:
            progress("ingest: validated", 0, total)
        for done, (name, result) in enumerate(extract.tables.items(), 1):
            report.tables[name] = load_table(url, contract.tables[name], result, stamp, report.ingestion_id)
            if progress:
                progress(f"ingest: {name}", done, total)
        analyze(url, [RECORDS[n].__tablename__ for n in extract.tables if n in RECORDS])
        report.status = "succeeded"
    except BaseException as e:
        report.status, report.error = "failed", f"{type(e).__name__}: {e}"
        raise
    finally:
        finished = dt.datetime.now(dt.UTC)
        report.finished = finished.isoformat(timespec="seconds")
        with session(url) as s:
            s.execute(update(Ingestion).where(Ingestion.id == report.ingestion_id).values(
                status=report.status, finished=finished, report=report.to_json()))
        report.save(report_dir or _default_report_dir(url))
    return report


def analyze(url: str, tables: list[str]) -> None:
    """Fresh planner statistics for the tables just loaded: without them PostgreSQL plans a lookup
    of one household's rows in a table of millions as a parallel scan, seconds instead of a
    millisecond, until autovacuum gets to it."""
    with engine(url).begin() as conn:
        for t in tables:
            conn.exec_driver_sql(f"ANALYZE {t}")


def _manifest_as_of(manifest: dict, report: IngestionReport) -> dt.date:
    value = manifest.get("as_of")
    if value is None:
        report.notes.append("manifest.json gives no as_of: the extract is stamped with today's date")
        return dt.date.today()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ContractError(f"manifest.json: as_of {value!r} is not a date (YYYY-MM-DD)") from None


def _default_report_dir(url: str) -> Path:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database).parent
    return settings().data_dir


def load_table(url: str, spec: Table, result: TableResult, as_of: dt.date, ingestion_id: int) -> TableReport:
    """Upsert one table's valid rows and store its quarantine, all in one transaction."""
    clock = time.perf_counter()
    report = TableReport(spec.name, rows_read=result.rows_read, quarantined=result.rows_quarantined,
                         reasons=result.reasons())
    with engine(url).begin() as conn:
        q = conn.dialect.identifier_preparer.quote
        target, stage = q(spec.name), q(f"stage_{spec.name}")
        cols = list(spec.columns)
        before = _count(conn, target)
        _create_stage(conn, target, stage, cols)
        bulk_insert(conn, f"stage_{spec.name}", result.valid.select(cols))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {stage}")    # temporary tables get no statistics otherwise
        written = conn.execute(_upsert(conn, spec, target, stage, fresh=before == 0), {"as_of": as_of}).rowcount
        report.inserted = _count(conn, target) - before
        report.updated = written - report.inserted
        report.unchanged = result.valid.height - written
        if "iin" in spec.columns and spec.name != "persons":
            report.unknown_persons = conn.exec_driver_sql(
                f"SELECT count(*) FROM {stage} s WHERE NOT EXISTS "
                f"(SELECT 1 FROM persons p WHERE p.iin = s.iin)").scalar_one()
        conn.exec_driver_sql(f"DROP TABLE {stage}")
        bulk_insert(conn, "quarantine", result.quarantine.select(
            pl.lit(ingestion_id).alias("ingestion_id"), pl.col("table").alias("table_name"), "row", "reason", "record"))
    report.seconds = round(time.perf_counter() - clock, 3)
    return report


def _count(conn: Connection, table: str) -> int:
    return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()


def _create_stage(conn: Connection, target: str, stage: str, cols: list[str]) -> None:
    """A temporary table with the target's column types (and so the same storage on SQLite)."""
    select = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in cols)
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {select} FROM {target} WITH NO DATA")
    else:
        conn.exec_driver_sql(f"CREATE TEMP TABLE {stage} AS SELECT {select} FROM {target} LIMIT 0")


def _upsert(conn: Connection, spec: Table, target: str, stage: str, fresh: bool = False):
    """INSERT ... ON CONFLICT that writes only new keys, and changed rows no older than the stored ones.

    A hash join first drops the rows that would change nothing, so re-loading a mostly unchanged
    extract costs a join rather than one conflict check per row (about 3x faster). Into an empty
    table a plain INSERT does: validation has already quarantined repeated keys.
    """
    q = conn.dialect.identifier_preparer.quote
    cols, key, rest = [q(c) for c in spec.columns], [q(c) for c in spec.key], [q(c) for c in spec.columns if c not in spec.key]
    distinct = "IS DISTINCT FROM" if conn.dialect.name == "postgresql" else "IS NOT"
    # Rows go in key order, which keeps the primary key's index pages hot.
    sql = f"INSERT INTO {target} ({', '.join(cols)}, extract_as_of) SELECT {', '.join(f's.{c}' for c in cols)}, :as_of FROM {stage} s "
    order = f" ORDER BY {', '.join(f's.{k}' for k in key)}"
    if fresh:
        return text(sql + order).bindparams(bindparam("as_of", type_=Date))
    differs = " OR ".join(f"stored.{c} {distinct} s.{c}" for c in rest) or "false"
    sql += (f"LEFT JOIN {target} stored ON {' AND '.join(f'stored.{k} = s.{k}' for k in key)} "
            f"WHERE stored.{key[0]} IS NULL OR (({differs}) AND stored.extract_as_of <= :as_of)" + order)
    if not rest:    # every column is the key: a row is either there or not
        sql += f" ON CONFLICT ({', '.join(key)}) DO NOTHING"
    else:           # the same test again: another writer may have changed the row since the join
        sql += (f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in rest)}, "
                f"extract_as_of = excluded.extract_as_of WHERE ("
                + " OR ".join(f"{target}.{c} {distinct} excluded.{c}" for c in rest)
                + f") AND {target}.extract_as_of <= excluded.extract_as_of")
    return text(sql).bindparams(bindparam("as_of", type_=Date))


def bulk_insert(conn: Connection, table: str, frame: pl.DataFrame) -> None:
    """Append a frame to a table in chunks, inside the connection's transaction."""
    if frame.is_empty():
        return
    q = conn.dialect.identifier_preparer.quote
    cols = ", ".join(q(c) for c in frame.columns)
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        # CSV keeps money and dates exact as text; an empty field is NULL, "" an empty string.
        with raw.cursor() as cur, cur.copy(f"COPY {q(table)} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            for chunk in frame.iter_slices(COPY_CHUNK):
                copy.write(chunk.write_csv(include_header=False))
        return
    frame = frame.with_columns(_sqlite_storage(frame.schema))
    sql = f"INSERT INTO {q(table)} ({cols}) VALUES ({', '.join('?' * frame.width)})"
    cur = raw.cursor()
    for chunk in frame.iter_slices(SQLITE_CHUNK):
        cur.executemany(sql, chunk.rows())
    cur.close()


def _sqlite_storage(schema: pl.Schema) -> list[pl.Expr]:
    """Values as SQLAlchemy stores them on SQLite: ISO date text, 0/1, money as decimal text."""
    exprs = []
    for name, dtype in schema.items():
        if dtype == pl.Date:
            exprs.append(pl.col(name).dt.to_string("%Y-%m-%d"))
        elif dtype == pl.Boolean:
            exprs.append(pl.col(name).cast(pl.Int8))
        elif isinstance(dtype, pl.Decimal):
            exprs.append(pl.col(name).cast(pl.String))
    return exprs
