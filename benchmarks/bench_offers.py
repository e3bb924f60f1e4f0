"""The heavy part of the proactive offers' scan of a whole registry (`komek offers scan`): finding
the events of the latest extract, the low-income one by computing TSA for every living household
at the end of the month and, for those it gives TSA, at the end of the month before.

    python benchmarks/bench_offers.py --database sqlite:////tmp/offers-20k.sqlite --extract /tmp/offers-20k --households 20000

The extract is generated (and the database migrated and loaded) first if absent; that part is not
timed. The events are found once; their count, the time and the process's peak memory are printed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True)
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--households", type=int, default=20_000)
    args = ap.parse_args()
    from komek.errors import NotFound
    from komek.kz import contract
    from komek.registry import DatabaseSource, db
    from komek.services import offers
    from komek.services.extracts import generate_extract, ingest_extract
    from komek.settings import settings
    if not (args.extract / "manifest.json").exists():
        generate_extract(args.extract, args.households, 11, dt.date(2026, 11, 1), 2, irregularities=0.0)
    db.migrate(args.database)
    try:
        offers.period(args.database)
    except NotFound:
        ingest_extract(args.extract, settings(data_dir=args.extract.parent / "offers-bench-data", database_url=args.database))
    p = offers.period(args.database)
    t = time.perf_counter()
    found = offers.events(args.database, p, DatabaseSource(args.database, contract()))
    events = time.perf_counter() - t
    print(json.dumps({"households": args.households, "events": len(found), "events_seconds": round(events, 1),
                      "low_income": sum(e.kind == "low_income" for e in found),
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))


if __name__ == "__main__":
    main()
