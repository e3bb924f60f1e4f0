"""Batch jobs over the API: submitted (nothing queued when the settings are wrong or the role does
not allow it), run by a worker, and read: the summaries equal the services' own results for the
same month, downloads are aggregates with small cells suppressed (an audit's findings apart, each
download logged per person), and a job whose worker was killed runs again whole. On PostgreSQL
the jobs travel through procrastinate's queue."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
import yaml
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from komek import access
from komek.api import create_app
from komek.engine.reform import Reform
from komek.money import MONEY
from komek.registry.db import alembic_config, backend, engine, migrate, session
from komek.registry.models import AccessEntry, Job
from komek.services import jobs
from komek.services.audit import run_audit
from komek.services.disclosure import suppress
from komek.services.extracts import ingest_extract
from komek.services.score import score_households, targeting
from komek.services.simulate import compare, national, simulate
from komek.services.worker import work
from komek.settings import Settings

ON = dt.date(2026, 10, 31)
PASSWORD = "correct horse battery"
REFORM = Path(__file__).parents[1] / "docs" / "examples" / "reform-tsa-line.yaml"


def reform_document() -> dict:
    spec = yaml.safe_load(REFORM.read_text("utf-8"))
    return {**spec, "start": spec["start"].isoformat()}


def signed_in(client: TestClient):
    """The header of a user signed in (each signs in once: a password check is slow by design)."""
    tokens: dict[str, dict] = {}

    def as_(user: str) -> dict:
        if user not in tokens:
            token = client.post("/api/v1/token", data={"username": user, "password": PASSWORD}).json()["access_token"]
            tokens[user] = {"Authorization": f"Bearer {token}"}
        return tokens[user]
    return as_


def queue_rows(url: str) -> list[tuple]:
    """procrastinate's jobs (PostgreSQL): the job id each carries, its status and attempts."""
    with engine(url).connect() as conn:
        return conn.exec_driver_sql("SELECT (args->>'job_id')::int, status::text, attempts FROM procrastinate_jobs "
                                    "ORDER BY id").all()


def budgets(summary: pl.DataFrame) -> list[dict]:
    """Recipients and spending as the summary must show them, suppressed here by their own rule."""
    out = []
    for row in summary.iter_rows(named=True):
        hidden = row["recipients"] is not None and 0 < row["recipients"] < 10
        out.append({**row, "recipients": None if hidden else row["recipients"],
                    "spending": None if hidden or row["spending"] is None else str(row["spending"]), "suppressed": hidden})
    return out


@pytest.fixture(scope="module")
def direct(registry, tmp_path_factory):
    """The services called directly on the shared extract (the same data the jobs read from the database)."""
    base = simulate(registry, ON)
    reformed = simulate(registry, ON, reform=Reform.from_spec(reform_document()))
    return {"base": base, "compare": compare(base, reformed), "levels": score_households(registry, ON),
            "audit": run_audit(registry, tmp_path_factory.mktemp("audit"), anomalies=True)}


def test_suppress_blanks_small_cells_and_flags_them():
    frame = pl.DataFrame({"region": list("abcdef"), "n": [0, 1, 9, 10, None, 250],
                          "amount": [Decimal("0"), Decimal("5.5"), Decimal("90"), Decimal("100"), None, Decimal("7")]},
                         schema={"region": pl.String, "n": pl.UInt32, "amount": MONEY})
    out = suppress(frame, "n", also=("amount",))
    assert out.schema == {**frame.schema, "suppressed": pl.Boolean}
    assert out["n"].to_list() == [0, None, None, 10, None, 250]        # a zero points at no one; unknown stays unknown
    assert out["amount"].to_list() == [Decimal("0"), None, None, Decimal("100"), None, Decimal("7")]
    assert out["suppressed"].to_list() == [False, True, True, False, False, False]
    again = suppress(out.with_columns(m=pl.Series([50, 50, 50, 3, 50, 50])), "m", min_count=5)
    assert again["suppressed"].to_list() == [False, True, True, True, False, False]     # either count small
    assert again["n"][3] == 10 and again["m"][3] is None


def test_jobs_over_the_api(extract, registry_url, tmp_path, direct):
    cfg = Settings(data_dir=tmp_path / "data", database_url=registry_url, secret_key="k" * 40)
    ingest_extract(extract, cfg)
    someone = pl.read_parquet(extract / "persons.parquet")["iin"][0]
    for user, role, regions, iin in [("analyst", "analyst", (), None), ("admin", "administrator", (), None),
                                     ("auditor", "auditor", (), None), ("local", "auditor", ("75",), None),
                                     ("case", "caseworker", ("75",), None), ("citizen", "citizen", (), someone)]:
        access.add(registry_url, user, PASSWORD, role, regions, iin)
    client = TestClient(create_app(cfg))
    as_ = signed_in(client)
    pg = backend(registry_url) == "postgresql"

    def post(path: str, user: str, body: dict | None = None):
        return client.post(f"/api/v1/{path}", json=body, headers=as_(user))

    # Refused: the settings (nothing queued, the field named), the role (403, logged).
    bad = post("simulations", "analyst", {"month": "2026-10", "reform": {**reform_document(), "parameters": {"tsa.nope": 1}}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["path"] == "reform.parameters.tsa.nope", bad.text
    assert "unknown parameter" in bad.json()["detail"][0]["message"]
    assert post("simulations", "analyst", {"month": "2026-10", "reform": {"start": "soon", "parameters": {}}}
                ).json()["detail"][0]["path"] == "reform.start"
    assert post("simulations", "analyst", {"month": "2026-13"}).status_code == 422
    assert post("scores", "analyst", {"month": "2026-10", "households": 5}).status_code == 422
    for path, user in [("simulations", "citizen"), ("simulations", "case"), ("simulations", "auditor"),
                       ("scores", "auditor"), ("scores", "admin"), ("audits", "analyst"), ("audits", "local")]:
        assert post(path, user, {"month": "2026-10"} if path != "audits" else {}).status_code == 403, (path, user)
    with session(registry_url) as s:
        assert s.scalars(select(Job)).all() == []
    if pg:
        assert queue_rows(registry_url) == []

    sim = post("simulations", "analyst", {"month": "2026-10", "reform": reform_document()})
    assert sim.status_code == 202, sim.text
    assert sim.json()["state"] == "queued" and sim.headers["location"] == sim.json()["links"]["self"]
    score = post("scores", "analyst", {"month": "2026-10"}).json()
    audit = post("audits", "auditor").json()
    ids = {"simulations": sim.json()["id"], "scores": score["id"], "audits": audit["id"]}
    waiting = client.get(f"/api/v1/simulations/{ids['simulations']}", headers=as_("admin")).json()
    assert (waiting["state"], waiting["progress"], waiting["summary"], waiting["links"]["results"]) == ("queued", 0.0, None, {})
    assert client.get(f"/api/v1/simulations/{ids['simulations']}/results/summary.csv",
                      headers=as_("analyst")).status_code == 404
    if pg:      # the queue carries each job, by its id
        assert queue_rows(registry_url) == [(i, "todo", 0) for i in ids.values()]

    work(cfg, concurrency=2, once=True)

    got = {p: client.get(f"/api/v1/{p}/{i}", headers=as_("auditor" if p == "audits" else "analyst")).json()
           for p, i in ids.items()}
    for p, job in got.items():
        assert (job["state"], job["progress"], job["attempts"], job["error"]) == ("succeeded", 1.0, 1, None), (p, job)
        assert job["started"] <= job["finished"] and job["submitted_by"] in ("analyst", "auditor")
    if pg:
        assert queue_rows(registry_url) == [(i, "succeeded", 1) for i in ids.values()]
    jobs.run(cfg, ids["scores"])                   # a second delivery of a job done: nothing happens
    assert client.get(f"/api/v1/scores/{ids['scores']}", headers=as_("analyst")).json()["attempts"] == 1

    # The summaries are the services' own results for the month.
    summary, base = got["simulations"]["summary"], direct["base"]
    assert (summary["households"], summary["persons"]) == (base.counts["households"], base.counts["persons"])
    assert summary["national"] == budgets(national(base.summary))
    assert summary["not_computed"] == base.not_computed
    tsa = next(r for r in summary["reform"]["comparison"] if r["measure"] == "tsa")
    expected = direct["compare"].filter(pl.col("measure") == "tsa").row(0, named=True)
    assert Decimal(tsa["spending_reform"]) == expected["spending_reform"] > expected["spending_base"] == Decimal(tsa["spending_base"])
    levels = direct["levels"].with_columns(pl.col("level").fill_null("not known"))["level"].value_counts()
    counts = dict(levels.iter_rows())
    assert {r["level"]: r["households"] for r in got["scores"]["summary"]["levels"]} == {
        lv: (None if 0 < counts.get(lv, 0) < 10 else counts.get(lv, 0)) for lv in ("A", "B", "C", "D", "E", "not known")}
    # The analyst's statistics show the scoring run by region; the only simulation had a reform, so support is not known.
    stats = client.get("/api/v1/statistics", params={"month": "2026-10"}, headers=as_("analyst")).json()
    by_region = direct["levels"].with_columns(pl.col("level").fill_null("not known")).group_by("region_code", "level").len()
    n = {(r, lv): k for r, lv, k in by_region.iter_rows()}
    assert stats["levels"]["job"] == ids["scores"] and len(stats["levels"]["rows"]) == 6 * by_region["region_code"].n_unique()
    for row in stats["levels"]["rows"]:
        k = n.get((row["region_code"], row["level"]), 0)
        assert (row["households"], row["suppressed"]) == ((None, True) if 0 < k < 10 else (k, False)), row
    assert stats["support"] is None and "simulation" in stats["not_known"]["support"]
    found = direct["audit"]
    assert got["audits"]["summary"]["findings"] == found.findings.height > 0
    assert got["audits"]["summary"]["anomalies"] == found.anomalies.height
    assert Decimal(got["audits"]["summary"]["amount_at_risk"]) == found.findings["amount_at_risk"].sum()

    # Downloads: an analyst gets aggregates only, small cells suppressed; no row about a household or person is kept.
    links = got["simulations"]["links"]["results"]
    assert set(links) == {"summary", "national", "measures", "targeting", "reform_summary", "comparison"}
    r = client.get(links["summary"]["parquet"], headers=as_("analyst"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.apache.parquet"
    regional = pl.read_parquet(io.BytesIO(r.content))
    assert regional.drop("suppressed").with_columns(pl.col("spending").cast(pl.String)).to_dicts() == [
        {k: v for k, v in row.items() if k != "suppressed"} for row in budgets(base.summary)]
    assert regional["suppressed"].any()          # a small country has small cells
    csv = client.get(links["national"]["csv"], headers=as_("admin"))
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert pl.read_csv(io.BytesIO(csv.content))["measure"].to_list() == [r["measure"] for r in summary["national"]]
    for p in ("simulations", "scores"):
        folder = Path(_folder(registry_url, ids[p]))
        assert [f for f in folder.iterdir() if f.is_dir()] == []
        for table in folder.glob("*.parquet"):
            assert not {"iin", "household_id"} & set(pl.read_parquet_schema(table)), table
    assert client.get(f"/api/v1/simulations/{ids['simulations']}/results/households.parquet",
                      headers=as_("analyst")).status_code == 404
    assert client.get(f"/api/v1/scores/{ids['simulations']}", headers=as_("analyst")).status_code == 404
    assert client.get("/api/v1/simulations/999999", headers=as_("analyst")).status_code == 404
    assert client.get(f"/api/v1/simulations/{ids['simulations']}", headers=as_("auditor")).status_code == 403
    assert client.get(f"/api/v1/audits/{ids['audits']}", headers=as_("analyst")).status_code == 403
    assert client.get(got["audits"]["links"]["results"]["findings"]["csv"], headers=as_("local")).status_code == 403

    # An audit's findings name people: the auditor downloads them, and each person's entry is in the access log.
    findings = client.get(got["audits"]["links"]["results"]["findings"]["parquet"], headers=as_("auditor"))
    assert findings.status_code == 200
    named = pl.read_parquet(io.BytesIO(findings.content))
    assert named.height == found.findings.height and named["iin"].sort().equals(found.findings["iin"].sort())
    with session(registry_url) as s:
        log = s.scalars(select(AccessEntry).order_by(AccessEntry.id)).all()
    downloaded = {e.subject_iin for e in log if e.actor == "auditor" and e.allowed and e.what.endswith("findings.parquet")}
    assert downloaded == set(found.findings["iin"])
    assert any(e.actor == "auditor" and e.allowed and e.what == f"audit run {ids['audits']}" for e in log)
    refused = {(e.actor, e.what) for e in log if not e.allowed}
    assert {("citizen", "simulation run"), ("case", "simulation run"), ("analyst", "audit run"), ("local", "audit run"),
            ("auditor", f"simulation job {ids['simulations']}")} <= refused
    assert not [e for e in log if e.actor in ("analyst", "admin") and e.allowed]      # aggregates name no one


def _folder(url: str, job_id: int) -> str:
    with session(url) as s:
        return s.get(Job, job_id).folder


def test_a_job_whose_worker_was_killed_runs_again(extract, registry_url, tmp_path, direct):
    cfg = Settings(data_dir=tmp_path / "data", database_url=registry_url)
    ingest_extract(extract, cfg)
    analyst = access.add(registry_url, "analyst", PASSWORD, "analyst")
    job_id = jobs.submit(registry_url, "simulation", {"month": "2026-10", "reform": reform_document()}, analyst)["id"]
    komek = Path(sys.executable).parent / "komek"
    worker = subprocess.Popen([str(komek), "worker", "--database", registry_url, "--data-dir", str(cfg.data_dir)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = jobs.status(registry_url, "simulation", job_id, analyst)
            if job["state"] != "queued" and job["progress"] > 0:
                break
            time.sleep(0.02)
        worker.kill()                              # mid-run: between the baseline's first region and the reform's end
    finally:
        worker.wait(30)
    job = jobs.status(registry_url, "simulation", job_id, analyst)
    assert (job["state"], job["attempts"]) == ("running", 1), job
    root = cfg.data_dir / "jobs"
    assert list(root.glob(f".{job_id}.1.partial")) and not (root / str(job_id)).exists()

    work(cfg, once=True, stale=dt.timedelta(0))    # the next worker: the heartbeat has stopped

    job = jobs.status(registry_url, "simulation", job_id, analyst)
    assert (job["state"], job["attempts"], job["progress"]) == ("succeeded", 2, 1.0), job
    assert job["summary"]["national"] == budgets(national(direct["base"].summary))
    assert sorted(p.name for p in root.iterdir()) == [str(job_id)]          # the killed attempt's folder is gone
    assert sorted(p.name for p in (root / str(job_id)).iterdir()) == sorted(
        f"{n}.{f}" for n in ("comparison", "measures", "national", "reform_summary", "summary", "targeting")
        for f in ("csv", "parquet"))
    if backend(registry_url) == "postgresql":      # procrastinate's delivery of the job was retried, not duplicated
        assert queue_rows(registry_url) == [(job_id, "succeeded", 2)]


def test_a_job_is_cancelled_queued_or_running_and_listed_to_its_submitter(extract, registry_url, tmp_path, direct):
    cfg = Settings(data_dir=tmp_path / "data", database_url=registry_url, secret_key="k" * 40)
    ingest_extract(extract, cfg)
    for user, role in [("analyst", "analyst"), ("other", "analyst"), ("admin", "administrator")]:
        access.add(registry_url, user, PASSWORD, role)
    client = TestClient(create_app(cfg))
    as_ = signed_in(client)
    ids = [client.post("/api/v1/simulations", json={"month": "2026-10"}, headers=as_("analyst")).json()["id"]
           for _ in range(3)]
    listed = lambda user: [j["id"] for j in client.get("/api/v1/simulations", headers=as_(user)).json()]  # noqa: E731
    assert listed("analyst") == ids[::-1] and listed("other") == [] and listed("admin") == ids[::-1]
    assert client.get("/api/v1/scores", headers=as_("admin")).status_code == 403         # not a scorer

    cancel = lambda user, job_id: client.post(f"/api/v1/simulations/{job_id}/cancel", headers=as_(user))  # noqa: E731
    queued, running, left = ids
    refused = cancel("other", queued)
    assert refused.status_code == 403 and "another account" in refused.json()["detail"]
    with session(registry_url) as s:
        assert s.scalar(select(AccessEntry).where(AccessEntry.actor == "other", AccessEntry.allowed.is_(False))) is not None
    r = cancel("analyst", queued)
    assert r.status_code == 200 and (r.json()["state"], r.json()["step"]) == ("cancelled", "cancelled by analyst")

    attempt = jobs.claim(registry_url, running)                    # a worker has started it
    assert cancel("admin", running).json()["state"] == "cancelled"
    jobs.execute(cfg, running, attempt)                             # its worker stops at the first step, keeping nothing
    root = cfg.data_dir / "jobs"
    assert not any(root.iterdir())

    work(cfg, once=True)                                             # only the job left runs
    states = {j["id"]: j["state"] for j in client.get("/api/v1/simulations", headers=as_("analyst")).json()}
    assert states == {queued: "cancelled", running: "cancelled", left: "succeeded"}
    assert sorted(p.name for p in root.iterdir()) == [str(left)]
    done = cancel("analyst", left)
    assert done.status_code == 409 and "is succeeded" in done.json()["detail"]
    assert client.get(f"/api/v1/simulations/{running}", headers=as_("analyst")).json()["results"] == []

    # The analyst's statistics: the month's latest run, or not known with what computes it.
    stats = client.get("/api/v1/statistics", params={"month": "2026-10"}, headers=as_("analyst")).json()
    assert stats["support"]["job"] == left and stats["support"]["rows"] == budgets(direct["base"].summary)
    assert stats["levels"] is None and "POST /api/v1/scores" in stats["not_known"]["levels"]
    reach = targeting(direct["base"], direct["levels"])      # the same run's targeting, a benefit of under ten suppressed
    reach = suppress(reach, "recipients", also=[c for c in reach.columns if c not in ("measure", "recipients")])
    assert stats["targeting"]["job"] == left and stats["targeting"]["rows"] == jobs.json_rows(reach)
    earlier = client.get("/api/v1/statistics", params={"month": "2026-09"}, headers=as_("analyst")).json()
    assert earlier["support"] is None and earlier["levels"] is None and set(earlier["not_known"]) == {"support", "levels", "targeting"}
    assert client.get("/api/v1/statistics", params={"month": "2026-10"}, headers=as_("admin")).status_code == 403


def test_migration_sets_up_and_removes_the_queue(database_url):
    migrate(database_url)
    pg = backend(database_url) == "postgresql"
    with engine(database_url).connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert "jobs" in tables and ("procrastinate_jobs" in tables) == pg
    cfg = alembic_config()
    with engine(database_url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
    with engine(database_url).connect() as conn:
        left = set(inspect(conn).get_table_names())
        if pg:
            assert conn.exec_driver_sql("SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%%' AND "
                                        "pronamespace = current_schema()::regnamespace").scalar() == 0
    assert not {t for t in left if t == "jobs" or t.startswith("procrastinate")}
    migrate(database_url)
