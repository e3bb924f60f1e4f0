"""The API under load on loopback: GET /households/{id} (a caseworker, every read logged) and
POST /calculate at a fixed rate for a fixed time, with latency percentiles and errors.

    python benchmarks/bench_api.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --extract /tmp/api-100k --households 100000 --card-rate 20 --rate 200 --seconds 30

The extract is generated (and ingested into the database, after `migrate`) first if the folder
has none; that part is not timed. The server runs in a child process on 127.0.0.1 and is
stopped at the end; every request goes to loopback only, and the run stops by itself.
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


def prepare(args) -> list[str]:
    """The extract and the registry (not timed); the households living in one region, and the caseworker."""
    import polars as pl

    from komek import access
    from komek.kz import registry_inputs
    from komek.periods import month_end
    from komek.registry import migrate
    from komek.services.extracts import ingest_extract
    from komek.services.sources import source
    from komek.settings import settings
    if not (args.extract / "persons.parquet").exists():
        from komek.synth import generate
        generate(args.extract, args.households, seed=1)
        migrate(args.database)
        ingest_extract(args.extract, settings(data_dir=Path(tempfile.mkdtemp()), database_url=args.database))
    living = registry_inputs.households_on(registry_inputs.tables_of(source(args.extract)), month_end(args.month)).collect()
    region = living["region_code"].value_counts(sort=True)["region_code"][0]
    try:
        access.add(args.database, "bench-caseworker", PASSWORD, "caseworker", (region,))
    except Exception:          # kept from an earlier run
        pass
    return living.filter(pl.col("region_code") == region)["household_id"].to_list()


def serve(args) -> subprocess.Popen:
    env = dict(os.environ, KOMEK_DATABASE_URL=args.database, KOMEK_SECRET_KEY="bench-" + "k" * 40,
               KOMEK_DATA_DIR=tempfile.mkdtemp())
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "komek.api.main:app", "--host", "127.0.0.1", "--port",
                             str(args.port), "--workers", str(args.workers), "--log-level", "warning"], env=env)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=1)
            c.request("GET", "/api/v1/health")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def load(args, rate: float, method: str, path_of, body: bytes | None, headers: dict) -> dict:
    """Requests at `rate` per second for `seconds`, spread over threads with their own connection.
    A request whose turn comes more than a second late is not sent (counted as `not_sent`): the
    server is saturated, and the run still ends on time."""
    latencies, errors, late, failures, lock = [], [0], [0], {}, threading.Lock()
    start, n = time.perf_counter(), int(rate * args.seconds)
    local = threading.local()

    def one(i: int) -> None:
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elif delay < -1.0:
            with lock:
                late[0] += 1
            return
        if not hasattr(local, "c"):
            local.c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
        t = time.perf_counter()
        status = None
        for _ in (1, 2):      # a kept-alive connection the server closed when idle is reopened once
            try:
                local.c.request(method, path_of(i), body=body, headers=headers)
                r = local.c.getresponse()
                r.read()
                status = r.status
                break
            except OSError as e:
                local.c = http.client.HTTPConnection("127.0.0.1", args.port, timeout=10)
                status = type(e).__name__
                if not isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                    break
        with lock:
            latencies.append(time.perf_counter() - t)
            if status != 200:
                errors[0] += 1
                failures[str(status)] = failures.get(str(status), 0) + 1

    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - start
    ms = np.array(latencies or [np.nan]) * 1000
    sent = n - late[0]
    return {"requests": n, "not_sent": late[0], "errors": errors[0], "failures": failures, "seconds": round(wall, 1),
            "achieved_per_s": round((sent - errors[0]) / wall, 1),
            **{f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True)
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--rate", type=float, default=200, help="POST /calculate requests per second")
    ap.add_argument("--card-rate", type=float, default=200, help="GET /households/{id} requests per second")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=8791)
    ap.add_argument("--skip-calculate", action="store_true", help="Only the card")
    ap.add_argument("--skip-card", action="store_true", help="Only /calculate")
    args = ap.parse_args()
    households = prepare(args)
    proc = serve(args)
    try:
        c = http.client.HTTPConnection("127.0.0.1", args.port)
        c.request("POST", "/api/v1/token", body=f"username=bench-caseworker&password={PASSWORD.replace(' ', '+')}",
                  headers={"content-type": "application/x-www-form-urlencoded"})
        token = json.loads(c.getresponse().read())["access_token"]
        rng = random.Random(1)
        picks = [rng.choice(households) for _ in range(int(args.card_rate * args.seconds))]
        auth = {"Authorization": f"Bearer {token}"}
        card = None if args.skip_card else load(
            args, args.card_rate, "GET", lambda i: f"/api/v1/households/{picks[i]}?month={args.month}&purpose=benchmark",
            None, auth)
        situation = (Path(__file__).parents[1] / "docs" / "examples" / "situation.json").read_bytes()
        calc = None if args.skip_calculate else load(args, args.rate, "POST", lambda i: "/api/v1/calculate", situation,
                                                     {"content-type": "application/json"})
        print(json.dumps({"households in the region": len(households), "workers": args.workers,
                          "GET /households/{id}": card, "POST /calculate": calc}, indent=2))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
