"""Ingestion throughput on SQLite and PostgreSQL.

    python benchmarks/bench_ingest.py --rows 3000000            # a synthetic extract of ~3M rows
    python benchmarks/bench_ingest.py --extract path/to/extract  # a real or prepared one

The synthetic extract holds persons, households and addresses (one row per person) and three
months of wages per person, written as typed Parquet. Each database is loaded twice in its own
process (so peak RSS is per database): a first load into an empty database, then the same extract
again (every row compared, none written). Rows/s count every row read, with and without the validation.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import polars as pl

from komek.kz import iin, regions

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def synthetic_extract(folder: Path, rows: int, seed: int = 7) -> Path:
    """About `rows` rows: persons = rows / 6, each with a household row, an address and 3 incomes."""
    rng = np.random.default_rng(seed)
    n = max(rows // 6, 1)
    births = np.datetime64("1940-01-01") + rng.integers(0, 80 * 365, n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    people = pl.DataFrame({"birth_date": births, "male": male}).with_columns(
        (pl.int_range(pl.len()).over("birth_date", "male") * 2).alias("serial"))   # unique, spaced by 2
    numbers = iin.make_many(births, male, people["serial"].to_numpy())
    persons = pl.DataFrame({
        "iin": numbers, "birth_date": people["birth_date"].cast(pl.Date), "sex": np.where(male, "M", "F"),
        "death_date": pl.Series([None] * n, dtype=pl.Date), "citizenship": "KAZ",
        "last_name": [f"Фамилия{i}" for i in range(n)], "first_name": "Имя", "patronymic": None})
    persons.write_parquet(folder / "persons.parquet")
    pl.DataFrame({"household_id": [f"H{i // 3:08d}" for i in range(n)], "iin": numbers,
                  "role": np.array(["head", "spouse", "child"])[np.arange(n) % 3],
                  "from_date": dt.date(2015, 1, 1), "to_date": None}).write_parquet(folder / "households.parquet")
    codes = np.array(sorted(regions()))[rng.integers(0, len(regions()), n)]
    pl.DataFrame({"iin": numbers, "region_code": codes, "locality_code": np.char.add(codes, "1000000"),
                  "urban": rng.random(n) < 0.6, "registered_from": dt.date(2015, 1, 1),
                  "registered_to": None}).write_parquet(folder / "addresses.parquet")
    tiyn = rng.integers(8_500_000, 150_000_000, 3 * n)            # 85,000.00 to 1,500,000.00 tenge
    pl.DataFrame({"iin": np.repeat(numbers, 3), "month": np.tile(["2026-01", "2026-02", "2026-03"], n),
                  "kind": "wage", "amount": pl.Series(tiyn).cast(pl.Decimal(16, 0)) / 100, "source": "SGD"}
                 ).with_columns(pl.col("amount").cast(pl.Decimal(14, 2))).write_parquet(folder / "incomes.parquet")
    (folder / "manifest.json").write_text(json.dumps({"extract_id": "bench", "as_of": "2026-04-01"}))
    return folder


def run(folder: str, url: str) -> dict:
    """In a fresh process: load the extract twice; timings and peak RSS."""
    from komek.kz import contract
    from komek.registry import ingest, migrate
    migrate(url)
    out = {}
    for label in ("first load", "same extract again"):
        clock = time.perf_counter()
        report = ingest(folder, url, contract(), report_dir=Path(tempfile.mkdtemp()))
        seconds = time.perf_counter() - clock
        t = report.totals
        out[label] = dict(rows=t["rows_read"], seconds=round(seconds, 2), validation=report.validation_seconds,
                          inserted=t["inserted"], updated=t["updated"], rows_per_s=round(t["rows_read"] / seconds),
                          load_rows_per_s=round(t["rows_read"] / (seconds - report.validation_seconds)))
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def in_child(folder: str, url: str) -> dict:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(run, folder, url).result()


def on_postgres(url: str, sql: str) -> None:
    from sqlalchemy import create_engine
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(sql)
    admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the synthetic extract")
    ap.add_argument("--extract", type=Path, help="an extract folder instead of a synthetic one")
    ap.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL, or 'none' to skip it")
    ap.add_argument("--skip-sqlite", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="komek-bench-"))
    folder = args.extract
    if folder is None:
        clock = time.perf_counter()
        (work / "extract").mkdir()
        folder = synthetic_extract(work / "extract", args.rows)
        print(f"synthetic extract of ~{args.rows:,} rows in {time.perf_counter() - clock:.1f} s: {folder}")
    results = {}
    if not args.skip_sqlite:
        results["SQLite"] = in_child(str(folder), f"sqlite:///{(work / 'bench.sqlite').as_posix()}")
    if args.postgres != "none":
        from sqlalchemy.engine import make_url
        schema = f"komek_bench_{uuid.uuid4().hex[:8]}"     # a scratch schema, dropped afterwards
        on_postgres(args.postgres, f"CREATE SCHEMA {schema}")
        url = make_url(args.postgres).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            results["PostgreSQL"] = in_child(str(folder), url.render_as_string(hide_password=False))
        finally:
            on_postgres(args.postgres, f"DROP SCHEMA {schema} CASCADE")
    for db, r in results.items():
        for label in ("first load", "same extract again"):
            x = r[label]
            print(f"{db:10} {label:18} {x['rows']:>10,} rows {x['seconds']:>7.1f} s {x['rows_per_s']:>8,} rows/s; "
                  f"without validation ({x['validation']:.1f} s) {x['load_rows_per_s']:>8,} rows/s; "
                  f"inserted {x['inserted']:,} updated {x['updated']:,}")
        print(f"{db:10} peak RSS {r['peak_rss_mb']:,} MB")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
