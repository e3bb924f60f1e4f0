"""Applications under load on loopback: POST /applications at a fixed rate for a fixed time (a
caseworker filing on citizens' behalf, each with its own Idempotency-Key), then the worker's
assessment of every one drained; then counts in the database: every acknowledged application
is there exactly once, none is doubled, every one is assessed; and every message of theirs (received, and granted
where the rules decide) is at the file sink exactly once. With --kill-at, the server and the
worker are killed with SIGKILL that many seconds in and started again; a request that failed is
retried with its key, as a client would.

    python benchmarks/bench_applications.py --database postgresql+psycopg://postgres@127.0.0.1:5432/komek_bench_apps \\
        --extract /tmp/apps-10k --households 10000 --rate 200 --seconds 60 --kill-at 30

The extract is generated (and the database created, migrated and loaded) first if absent; that
part is not timed. Every request goes to loopback only, and the run stops by itself.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

PASSWORD = "benchmark password"
MEASURES = ("tsa", "housing_assistance", "large_family_benefit", "disability_benefit", "base_pension")


def prepare(args) -> list[str]:
    """The database and the registry (not timed); the IINs of the living members of one household only."""
    import polars as pl
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from komek import access
    from komek.kz import regions
    from komek.registry import migrate
    from komek.services.extracts import ingest_extract
    from komek.settings import settings
    url = make_url(args.database)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).scalar():
            conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    admin.dispose()
    if not (args.extract / "persons.parquet").exists():
        from komek.synth import generate
        generate(args.extract, args.households, seed=1)
    migrate(args.database)
    ingest_extract(args.extract, settings(data_dir=Path(tempfile.mkdtemp()), database_url=args.database))
    try:
        access.add(args.database, "bench-caseworker", PASSWORD, "caseworker", tuple(regions()))
    except Exception:          # kept from an earlier run
        pass
    members = pl.read_parquet(args.extract / "households.parquet").filter(pl.col("to_date").is_null())
    return members.group_by("iin").len().filter(pl.col("len") == 1)["iin"].sort().to_list()


def start(args, data_dir: str) -> tuple[subprocess.Popen, subprocess.Popen]:
    """The server (uvicorn, its own process group) and the worker, both waited for."""
    env = dict(os.environ, KOMEK_DATABASE_URL=args.database, KOMEK_SECRET_KEY="bench-" + "k" * 40, KOMEK_DATA_DIR=data_dir)
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "komek.api.main:app", "--host", "127.0.0.1", "--port",
                               str(args.port), "--workers", str(args.workers), "--log-level", "warning"], env=env,
                              start_new_session=True)
    worker = subprocess.Popen([str(Path(sys.executable).parent / "komek"), "worker"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
            c.request("GET", "/api/v1/health")
            if c.getresponse().status == 200:
                return server, worker
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def kill(*procs: subprocess.Popen) -> None:
    for p in procs:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def token(args) -> str:
    c = http.client.HTTPConnection("127.0.0.1", args.port)
    c.request("POST", "/api/v1/token", body=f"username=bench-caseworker&password={PASSWORD.replace(' ', '+')}",
              headers={"content-type": "application/x-www-form-urlencoded"})
    return json.loads(c.getresponse().read())["access_token"]


def load(args, auth: dict, applicants: list[str], run: str) -> tuple[dict, dict]:
    """Filings at `rate` per second for `seconds`; each failed one retried with its key (up to five
    times, half a second apart; a refusal is not retried). The acknowledged: key -> application id."""
    rng = random.Random(1)
    bodies = [json.dumps({"measure": rng.choice(MEASURES), "month": args.month, "applicant_iin": rng.choice(applicants),
                          "phone": f"+7 70{rng.randint(0, 8)} {rng.randint(0, 9999999):07d}", "language": rng.choice(("kk", "ru"))})
              for _ in range(int(args.rate * args.seconds))]
    latencies, late, failures, acknowledged, retried, lock = [], [0], {}, {}, [0], threading.Lock()
    start_at, local = time.perf_counter(), threading.local()

    def one(i: int) -> None:
        delay = start_at + i / args.rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elif delay < -1.0:
            with lock:
                late[0] += 1
            return
        key = f"{run}-{i}"
        for attempt in range(6):
            if not hasattr(local, "c"):
                local.c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
            t = time.perf_counter()
            try:
                local.c.request("POST", "/api/v1/applications", body=bodies[i],
                                headers={**auth, "content-type": "application/json", "Idempotency-Key": key})
                r = local.c.getresponse()
                answer, status = r.read(), r.status
            except (OSError, http.client.HTTPException) as e:      # the server killed mid-answer too
                del local.c
                status = type(e).__name__
            with lock:
                if status == 201:
                    latencies.append(time.perf_counter() - t)
                    acknowledged[key] = json.loads(answer)["id"]
                    retried[0] += attempt > 0
                    return
                failures[str(status)] = failures.get(str(status), 0) + 1
            if isinstance(status, int) and status < 500:      # refused (an applicant with no household): not retried
                return
            time.sleep(0.5)

    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(one, range(len(bodies))))
    wall = time.perf_counter() - start_at
    ms = np.array(latencies or [np.nan]) * 1000
    return {"requests": len(bodies), "not_sent": late[0], "acknowledged": len(acknowledged),
            "acknowledged_after_a_retry": retried[0], "failed_attempts": failures, "seconds": round(wall, 1),
            "acknowledged_per_s": round(len(acknowledged) / wall, 1),
            **{f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)}}, acknowledged


def counts(args, acknowledged: dict, run: str) -> dict:
    """What the database holds of this run: each acknowledged key once, with the application answered."""
    from sqlalchemy import func, select

    from komek.registry.db import session
    from komek.registry.models import Application, IdempotencyKey, Transition
    with session(args.database) as s:
        keys = dict(s.execute(select(IdempotencyKey.key, IdempotencyKey.application_id)
                              .where(IdempotencyKey.key.like(f"{run}-%"))).all())
        ids = list(keys.values())
        apps = s.scalar(select(func.count()).select_from(Application).where(Application.id.in_(ids))) if ids else 0
        filed = dict(s.execute(select(Transition.application_id, func.count()).where(
            Transition.application_id.in_(ids), Transition.from_state.is_(None)).group_by(Transition.application_id)).all())
        unassessed = s.scalar(select(func.count()).select_from(Application).where(
            Application.id.in_(ids), Application.assessed.is_(None))) if ids else 0
        unknown = s.scalar(select(func.count()).select_from(Application).where(
            Application.id.in_(ids), Application.eligible.is_(None))) if ids else 0
        all_apps, all_keys = (s.scalar(select(func.count()).select_from(m)) for m in (Application, IdempotencyKey))
    return {"acknowledged": len(acknowledged), "keys_in_database": len(keys),
            "acknowledged_missing": sum(k not in keys for k in acknowledged),
            "acknowledged_with_another_id": sum(keys.get(k, v) != v for k, v in acknowledged.items()),
            "applications_of_the_keys": apps, "filed_more_than_once": sum(n != 1 for n in filed.values()),
            "applications_without_a_key": all_apps - all_keys, "not_assessed": unassessed,
            "assessed_as_unknown": unknown}


def told(args, acknowledged: dict, data_dir: str) -> dict:
    """The messages of the acknowledged applications: rows in the outbox by state, and the lines at
    the file sink (each delivery id once, every row delivered there)."""
    from sqlalchemy import func, select

    from komek.registry.db import session
    from komek.registry.models import Notification
    abouts = {f"application:{i}" for i in acknowledged.values()}
    with session(args.database) as s:
        rows = [(d, st, a) for d, st, a in s.execute(select(Notification.delivery_id, Notification.state, Notification.about)
                                                     .where(Notification.about.like("application:%"))) if a in abouts]
        states = dict(s.execute(select(Notification.state, func.count()).where(Notification.about.in_(abouts))
                                .group_by(Notification.state)).all()) if len(abouts) < 30000 else {}
    sink = Path(data_dir) / "notifications" / "sent.jsonl"
    lines = [json.loads(line) for line in sink.read_text("utf-8").splitlines() if line.strip()] if sink.exists() else []
    ours = [line for line in lines if line.get("about") in abouts]
    sent = {}
    for line in ours:
        sent[line["delivery_id"]] = sent.get(line["delivery_id"], 0) + 1
    ids = {str(d) for d, _, _ in rows}
    return {"outbox_rows": len(rows), "by_state": states, "applications_told": len({a for _, _, a in rows}),
            "lines_at_sink": len(ours), "delivery_ids_at_sink": len(sent), "sent_twice": sum(n > 1 for n in sent.values()),
            "rows_not_at_sink": len(ids - set(sent)), "lines_without_a_row": len(set(sent) - ids)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True, help="a PostgreSQL database of the benchmark's own (created if absent)")
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--households", type=int, default=10_000)
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=48)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8792)
    ap.add_argument("--kill-at", type=float, default=None, help="SIGKILL the server and the worker this many seconds in")
    ap.add_argument("--drain", type=float, default=600, help="seconds to wait for the worker to assess every application")
    args = ap.parse_args()
    applicants = prepare(args)
    data_dir, run = tempfile.mkdtemp(), f"bench-{int(time.time())}"
    procs = list(start(args, data_dir))
    killed = {}
    try:
        auth = {"Authorization": f"Bearer {token(args)}"}
        if args.kill_at is not None:
            def killer():
                time.sleep(args.kill_at)
                t = time.perf_counter()
                kill(*procs)
                procs[:] = start(args, data_dir)
                killed.update(at_s=args.kill_at, down_s=round(time.perf_counter() - t, 1))
            threading.Thread(target=killer, daemon=True).start()
        filed, acknowledged = load(args, auth, applicants, run)
        t = time.perf_counter()
        while counts(args, acknowledged, run)["not_assessed"] and time.perf_counter() - t < args.drain:
            time.sleep(1)
        drained = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        while (m := told(args, acknowledged, data_dir))["by_state"].get("delivered", 0) < m["outbox_rows"] \
                and time.perf_counter() - t < args.drain:
            time.sleep(1)
        print(json.dumps({"rate": args.rate, "seconds": args.seconds, "workers": args.workers, "killed": killed or None,
                          "POST /applications": filed, "assessment drained after the load, s": drained,
                          "messages delivered after the assessment, s": round(time.perf_counter() - t, 1),
                          "database": counts(args, acknowledged, run), "notifications": told(args, acknowledged, data_dir)},
                         indent=2))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:      # never left running
                kill(p)


if __name__ == "__main__":
    main()
