"""Server time of the web pages people wait on: the caseworker's queue, the household card and the
auditor's findings list, each asked one after another (no other load) from a server on loopback,
with the percentiles per page and the page weight (the HTML and what it loads).

    python benchmarks/bench_pages.py --database postgresql+psycopg://postgres@127.0.0.1:5432/komek_bench_pages \\
        --extract /tmp/pages-1m --households 1000000 --requests 300

Not timed, done first when the database has none of it: the extract is generated with 1% of its
payments irregular (planted) and ingested, the audit's findings saved, a month of casework
simulated through the services (so the queue holds what a month leaves open), and one account per
role made. The server runs in a child process on 127.0.0.1 and is stopped at the end.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

PASSWORD = "benchmark password"
STATIC = ("/static/komek.css", "/static/htmx-2.0.4.min.js", "/static/favicon.svg")


def prepare(args) -> dict:
    """The registry, its findings, a month of casework and the accounts (not timed)."""
    import polars as pl
    from sqlalchemy import func, select

    from komek import access
    from komek.cases.workflow import OPEN
    from komek.kz import registry_inputs
    from komek.periods import month_end
    from komek.registry import migrate
    from komek.registry.db import session
    from komek.registry.models import Application, AuditFinding, Ingestion
    from komek.services.audit import run_audit
    from komek.services.casework import simulate_month
    from komek.services.extracts import generate_extract, ingest_extract
    from komek.services.sources import source
    from komek.settings import settings

    def step(what: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr, flush=True)

    if not (args.extract / "persons.parquet").exists():
        step(f"generating {args.households:,} households")
        generate_extract(args.extract, args.households, 1, dt.date(2026, 11, 1), 12, irregularities=0.01)
    migrate(args.database)
    with session(args.database) as s:
        findings = s.scalar(select(func.count()).select_from(AuditFinding))
        loaded = s.scalar(select(func.count()).select_from(Ingestion).where(Ingestion.finished.is_not(None)))
    if not loaded:
        step("ingesting")
        ingest_extract(args.extract, settings(data_dir=Path(tempfile.mkdtemp()), database_url=args.database))
    # What the preparation reads of the registry it reads from the extract it was loaded from (the same
    # rows), lazily from its files: a national registry read whole into frames does not fit in memory.
    extract = source(args.extract)
    if not findings:
        step("auditing")
        run_audit(extract, Path(tempfile.mkdtemp()), save_to=args.database, anomalies=False)
    with session(args.database) as s:
        applications = s.scalar(select(func.count()).select_from(Application))
    if not applications:
        step(f"a month of casework, {args.applications:,} applications")
        simulate_month(args.database, args.casework_month, args.applications)
    living = registry_inputs.households_on(registry_inputs.tables_of(extract), month_end(args.month)).collect()
    region = living["region_code"].value_counts(sort=True)["region_code"][0]
    for name, role, regions in (("bench-caseworker", "caseworker", (region,)), ("bench-auditor", "auditor", ())):
        try:
            access.add(args.database, name, PASSWORD, role, regions)
        except Exception:          # kept from an earlier run
            pass
    with session(args.database) as s:
        counts = {"findings": s.scalar(select(func.count()).select_from(AuditFinding)),
                  "applications": s.scalar(select(func.count()).select_from(Application)),
                  "open_in_region": s.scalar(select(func.count()).select_from(Application).where(
                      Application.region_code == region, Application.state.in_(OPEN)))}
    return {"region": region, "households": living.filter(pl.col("region_code") == region)["household_id"].to_list(),
            "living": living.height, **counts}


def serve(args) -> subprocess.Popen:
    env = dict(os.environ, KOMEK_DATABASE_URL=args.database, KOMEK_SECRET_KEY="bench-" + "k" * 40,
               KOMEK_DATA_DIR=tempfile.mkdtemp())
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "komek.api.main:app", "--host", "127.0.0.1", "--port",
                             str(args.port), "--workers", "1", "--log-level", "warning"], env=env)
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/v1/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


class Browser:
    """A person's browser on loopback: it keeps the cookies (the CSRF nonce, the session)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def post(self, path: str, form: dict) -> tuple[int, bytes]:
        with self.opener.open(self.base + path, urllib.parse.urlencode(form).encode(), timeout=30) as r:
            return r.status, r.read()


def signed_in(base: str, username: str) -> Browser:
    """The browser of `username`, signed in through the sign-in form (its CSRF token read as a browser does)."""
    browser = Browser(base)
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', browser.get("/signin")[1].decode()).group(1)
    status, page = browser.post("/signin", {"username": username, "password": PASSWORD, "next": "/", "csrf": token})
    assert status == 200 and b'action="/signout"' in page, page[:300]      # the start page, signed in
    return browser


def timed(client, paths: list[str]) -> dict:
    """Each path asked once, in turn: the percentiles and the HTML's size."""
    ms, sizes, failures = [], [], {}
    for path in paths:
        t = time.perf_counter()
        status, body = client.get(path)
        ms.append((time.perf_counter() - t) * 1000)
        sizes.append(len(body))
        if status != 200:
            failures[status] = failures.get(status, 0) + 1
    a = np.array(ms)
    return {"requests": len(paths), "failures": failures, **{f"p{q}_ms": round(float(np.percentile(a, q)), 1)
                                                             for q in (50, 95, 99)},
            "max_ms": round(float(a.max()), 1), "html_bytes_median": int(np.median(sizes))}


def weight(client, path: str) -> dict:
    """The bytes a first visit to `path` loads: the HTML and the site's style sheet, script and icon."""
    html = len(client.get(path)[1])
    assets = {p: len(client.get(p)[1]) for p in STATIC}
    return {"html": html, **assets, "total": html + sum(assets.values())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", required=True)
    ap.add_argument("--extract", type=Path, required=True)
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--applications", type=int, default=5_000, help="filed in the simulated month of casework")
    ap.add_argument("--casework-month", default="2026-11")
    ap.add_argument("--month", default="2026-10", help="the month of the card")
    ap.add_argument("--requests", type=int, default=300, help="per page")
    ap.add_argument("--port", type=int, default=8793)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    world = prepare(args)
    proc = serve(args)
    try:
        base = f"http://127.0.0.1:{args.port}"
        case, auditor = signed_in(base, "bench-caseworker"), signed_in(base, "bench-auditor")
        rng = random.Random(args.seed)
        cards = [f"/casework/households/{h}?month={args.month}" for h in rng.sample(world["households"], args.requests)]
        for path in cards[:5] + ["/casework/queue", "/audit/findings"]:        # warm the server's caches
            (auditor if path.startswith("/audit") else case).get(path)
        pages = {"queue": timed(case, ["/casework/queue"] * args.requests),
                 "card": timed(case, cards),
                 "findings list": timed(auditor, ["/audit/findings"] * args.requests)}
        print(json.dumps({"households": args.households, "living": world["living"], "region": world["region"],
                          "findings": world["findings"], "applications": world["applications"],
                          "open_in_region": world["open_in_region"], "pages": pages,
                          "card_weight_bytes": weight(case, cards[0])}, indent=2))
    finally:
        proc.terminate()
        proc.wait(15)


if __name__ == "__main__":
    main()
