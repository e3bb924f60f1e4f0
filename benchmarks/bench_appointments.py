"""The race: N concurrent holds by N people (threads, each with its own session) on K slots,
counted in the database afterwards: exactly K live reservations, one per slot. With
`--without-index` the partial unique index is dropped first, to see what the code's own check
lets through without the database's guarantee.

    python benchmarks/bench_appointments.py [--attempts 1000] [--slots 10] [--database URL] [--without-index]
"""
import argparse
import datetime as dt
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from komek import access
from komek.cases.payments import Sandbox
from komek.errors import Conflict
from komek.kz.iin import make
from komek.registry import db
from komek.services import appointments

NOW = dt.datetime.now(dt.UTC)


def people(n: int) -> list[access.Actor]:
    found, serial = [], 0
    while len(found) < n:
        iin = make(dt.date(1970, 1, 1) + dt.timedelta(days=serial // 1000), "M", serial % 1000)
        if iin:
            found.append(access.Actor(serial, f"p{serial}", "citizen", (), iin))
        serial += 1
    return found


def race(url: str, attempts: int, slots: int, without_index: bool) -> dict:
    db.migrate(url)
    if without_index:
        with db.engine(url).begin() as conn:
            conn.exec_driver_sql("DROP INDEX ux_reservations_live_slot")
    case = access.Actor(-1, "case", "caseworker", ("75",))
    ids = [appointments.add_slot(case, url, "mse_exam", "bench office", "75", NOW + dt.timedelta(days=1, minutes=30 * i), 30,
                                 None)[0]["id"] for i in range(slots)]
    who, provider, outcomes, lock = people(attempts), Sandbox("bench"), Counter(), threading.Lock()
    gate = threading.Barrier(attempts + 1)

    def attempt(n: int) -> None:
        gate.wait()
        try:
            appointments.hold(who[n], url, provider, ids[n % slots], f"bench-{n}")
            outcome = "held"
        except Conflict:
            outcome = "taken"
        except Exception as e:
            outcome = type(e).__name__
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for t in threads:
        t.start()
    gate.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    with db.engine(url).connect() as conn:
        live = conn.execute(text("SELECT count(*), count(DISTINCT slot_id) FROM reservations "
                                 "WHERE state IN ('held', 'booked')")).one()
    return {"outcomes": dict(outcomes), "live": live[0], "slots_taken": live[1], "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=1000)
    ap.add_argument("--slots", type=int, default=10)
    ap.add_argument("--database", help="a PostgreSQL URL (a schema of its own is made and dropped); default: SQLite in a temporary folder")
    ap.add_argument("--without-index", action="store_true")
    args = ap.parse_args()
    schema = None
    if args.database:
        schema = f"komek_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(db.normalize_url(args.database))
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        url = make_url(db.normalize_url(args.database)).update_query_dict(
            {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite'}"
    try:
        got = race(url, args.attempts, args.slots, args.without_index)
    finally:
        db.engine(url).dispose()
        if schema:
            with admin.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    print(f"{db.backend(url)}{' without the index' if args.without_index else ''}: {args.attempts} holds on {args.slots} slots "
          f"in {got['seconds']:.2f} s ({args.attempts / got['seconds']:.0f}/s): {got['outcomes']}; "
          f"live reservations {got['live']} on {got['slots_taken']} slots")


if __name__ == "__main__":
    main()
