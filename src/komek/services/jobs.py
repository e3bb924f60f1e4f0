"""Batch jobs: a simulation, a scoring or an audit run, submitted over the API and run by a worker
process (`komek worker`, services.worker), never in the request.

The job record (the `jobs` table) is the one truth of a job on every database: its state,
progress and heartbeat, then its summary and the folder of its results, or its error. Only the
way a queued job reaches a worker differs:

- on PostgreSQL the queue is procrastinate: `submit` writes the record and defers procrastinate's
  task `komek.job` with the job id in the same transaction, so a job is queued exactly when its
  record is;
- on SQLite, which procrastinate cannot use, the worker claims queued records from the jobs
  table itself.

Either way `claim` moves a record from queued to running in one UPDATE that only one worker can
win, so a job delivered twice runs once. While it runs, its progress and a heartbeat are written
to the record; a job whose heartbeat stopped (its worker was killed) is queued again by the next
worker (`requeue_stale`) and runs again from the start. Results are written to a folder of that
attempt and renamed to `DATA_DIR/jobs/<id>/` when complete, so a rerun never mixes outputs.

Who may do what is decided here, not in the faces: a simulation (budgets by region and measure)
is run and read by an analyst or an administrator, a scoring run by an analyst, an audit run by
a national auditor. What an analyst downloads is aggregates only, every cell counting fewer than
ten households or people suppressed (services.disclosure); the rows about each household or
person are not kept. An audit's findings name people: every submission and download of an audit
is written to the access log, a download with one entry per person in the file.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import select, update

from komek import access
from komek.engine.reform import Reform
from komek.errors import Conflict, FieldError, Forbidden, KomekError, NotFound, ReformError
from komek.kz.standard import standard
from komek.money import MONEY
from komek.periods import month_end
from komek.registry import DatabaseSource, require_current
from komek.registry.db import backend, engine, session
from komek.registry.models import Job
from komek.scoring import index
from komek.services import disclosure
from komek.services.audit import checks, run_audit
from komek.services.impact import impact, published
from komek.services.score import indicators, not_computed, score_households, targeting
from komek.services.simulate import compare, compare_regions, gainers_losers, measures, national, simulate
from komek.services.sources import source
from komek.settings import Settings

TASK = "komek.job"                       # procrastinate's task: its one argument is the job id
BEAT = 10.0                              # seconds between heartbeats of a running job
STALE = dt.timedelta(seconds=60)         # a running job without a heartbeat for this long has lost its worker
FORMATS = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}
log = logging.getLogger("komek.jobs")


# The kinds of job ----------------------------------------------------------------------------

def _settings(params, allowed: tuple[str, ...]) -> dict:
    if not isinstance(params, dict):
        raise FieldError("(body)", "the job's settings are a JSON object")
    for name in params:
        if name not in allowed:
            raise FieldError(name, f"not a setting of this job (settings: {', '.join(allowed) or 'none'})")
    return params


def _month(params: dict) -> str:
    if "month" not in params:
        raise FieldError("month", "required (YYYY-MM)")
    month_end(params["month"])
    return params["month"]


def _reform(document) -> Reform | None:
    """A reform document (the YAML format of `komek simulate --reform`, as JSON), loaded and
    checked against the rules; an error names the field of the reform that is wrong."""
    if document is None:
        return None
    try:
        reform = Reform.from_spec(document)
        reform.check(standard())
    except ReformError as e:
        raise FieldError(f"reform.{e.field}" if e.field else "reform", str(e)) from None
    return reform


def json_rows(frame: pl.DataFrame) -> list[dict]:
    """A frame as JSON rows: money as exact decimal strings, dates as ISO dates."""
    def plain(v):
        return str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, dt.date) else v
    return [{k: plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _publish(frame: pl.DataFrame, folder: Path, name: str) -> None:
    """One result as NAME.parquet and NAME.csv (a list of values joined with '; ' in the CSV)."""
    frame.write_parquet(folder / f"{name}.parquet")
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    frame.with_columns(pl.col(c).list.join("; ") for c in lists).write_csv(folder / f"{name}.csv")


def _budgets(summary: pl.DataFrame) -> pl.DataFrame:
    return disclosure.suppress(summary, "recipients", also=("spending",))


def _targeting(registry: DatabaseSource, base, on: dt.date) -> pl.DataFrame:
    """Per benefit: the share of its spending to levels D-E and to the poorest fifth, the coverage
    of D-E households and the leakage of spending to A-B, a benefit of fewer than ten recipients
    suppressed."""
    table = targeting(base, score_households(registry, on))
    return disclosure.suppress(table, "recipients", also=[c for c in table.columns if c not in ("measure", "recipients")])


def _simulation_check(params) -> dict:
    params = _settings(params, ("month", "reform"))
    month = _month(params)
    _reform(params.get("reform"))
    return {"month": month, "reform": params.get("reform")}


def _simulation(registry: DatabaseSource, params: dict, out: Path, tracker: _Tracker) -> dict:
    """Recipients and spending by region and measure, and nationally, and the targeting of each
    benefit (with a reform: the reform's too, the comparison nationally and by region and what it
    does to whom, services.impact). The households' and persons' rows are computed in a scratch folder
    and removed: only aggregates are kept."""
    on, reform = month_end(params["month"]), _reform(params.get("reform"))
    rows, phases = out / "rows", 2 if reform else 1
    base = simulate(registry, on, progress=tracker.phase(0, phases), out=rows / "baseline")
    countrywide = _budgets(national(base.summary))
    _publish(_budgets(base.summary), out, "summary")
    _publish(countrywide, out, "national")
    _publish(measures(base), out, "measures")
    _publish(_targeting(registry, base, on), out, "targeting")
    summary = {"month": params["month"], "households": base.counts["households"], "persons": base.counts["persons"],
               "national": json_rows(countrywide), "not_computed": base.not_computed,
               "assumptions": base.assumptions, "warnings": base.warnings}
    if reform:
        reformed = simulate(registry, on, progress=tracker.phase(1, phases), reform=reform, out=rows / "reform")
        table = compare(base, reformed)
        for side in ("base", "reform"):
            table = disclosure.suppress(table, f"recipients_{side}", also=(f"spending_{side}", "change"))
        moved = gainers_losers(base, reformed)
        households = disclosure.suppress(pl.DataFrame({"change": list(moved), "households": list(moved.values())}),
                                         "households")
        _publish(_budgets(reformed.summary), out, "reform_summary")
        _publish(table, out, "comparison")
        regional = disclosure.suppress(compare_regions(base, reformed), "households",
                                       also=("spending_base", "spending_reform", "change"))
        summary["reform"] = {"name": reform.name, "start": reform.start.isoformat(), "comparison": json_rows(table),
                             "regions": json_rows(regional),
                             "households": json_rows(households), "warnings": reformed.warnings,
                             "impact": published(impact(registry, base, reformed))}
    shutil.rmtree(rows)
    return summary


def _score_check(params) -> dict:
    return {"month": _month(_settings(params, ("month",)))}


def _score(registry: DatabaseSource, params: dict, out: Path, tracker: _Tracker) -> dict:
    """Households per level A-E (and not known), by region and nationally; each indicator
    computed or why not. The level of each household is not kept."""
    step = tracker.phase(0, 1)
    step("score: households", 0, 1)
    levels = score_households(registry, month_end(params["month"]))
    unknown = not_computed(registry)
    counted = [*index.LEVELS, index.NOT_KNOWN]

    def per_level(by: str | None) -> pl.DataFrame:
        key = by or "scope"
        wide = index.distribution(levels, by).select(key, *counted)
        frame = wide.unpivot(on=counted, index=key, variable_name="level", value_name="households")
        return disclosure.suppress(frame if by else frame.drop(key), "households")

    _publish(per_level("region_code"), out, "levels_by_region")
    _publish(per_level(None), out, "levels")
    _publish(indicators(unknown), out, "indicators")
    step("score: households", 1, 1)
    return {"month": params["month"], "households": levels.height, "levels": json_rows(per_level(None)),
            "not_computed": unknown}


def _audit_check(params) -> dict:
    _settings(params, ())
    return {}


def _audit(registry: DatabaseSource, params: dict, out: Path, tracker: _Tracker) -> dict:
    """Every check over every payment: findings with their evidence (saved to the registry for
    review, as `komek audit` does), anomalies, payments left out, and each check's outcome."""
    result = run_audit(registry, out, save_to=registry.url, progress=tracker.phase(0, 1))
    for written in sorted(out.glob("*.parquet")):
        _publish(pl.read_parquet(written), out, written.stem)
    at_risk = result.findings.group_by("check").agg(pl.col("amount_at_risk").sum())
    outcome = checks(result).join(at_risk, on="check", how="left").with_columns(   # a check not run has no amount
        pl.when(pl.col("findings").is_not_null()).then(pl.col("amount_at_risk").fill_null(pl.lit(0, MONEY))))
    return {"payments": result.payments, "findings": result.findings.height, "anomalies": result.anomalies.height,
            "amount_at_risk": str(result.findings["amount_at_risk"].cast(MONEY).sum()), "checks": json_rows(outcome),
            "not_run": result.not_run, "partial": result.partial, "saved": True}


@dataclass(frozen=True)
class Kind:
    roles: tuple[str, ...]                          # who may submit it and read it
    personal: bool                                  # its results name people
    check: Callable[[object], dict]                 # the settings sent -> the settings kept (errors name the field)
    compute: Callable[[DatabaseSource, dict, Path, _Tracker], dict]   # writes the results, returns the summary


KINDS = {
    "simulation": Kind(("analyst", "administrator"), False, _simulation_check, _simulation),
    "score": Kind(("analyst",), False, _score_check, _score),
    "audit": Kind(("auditor",), True, _audit_check, _audit),
}


# Who may ------------------------------------------------------------------------------------

def _allow(url: str, actor: access.Actor, kind: str, what: str, client: str | None) -> Kind:
    spec = KINDS[kind]
    why = None
    if actor.role not in spec.roles:
        why = f"a {actor.role} does not run or read {kind} jobs ({' or '.join(spec.roles)} only)"
    elif spec.personal and actor.regions:
        why = f"an {kind} run covers the whole registry: it is for an auditor without regions"
    if why:
        access.record(url, actor, what, source=client, allowed=False)
        raise Forbidden(why)
    return spec


# The record ---------------------------------------------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso_utc(when: dt.datetime | None) -> str | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    if when is None:
        return None
    return (when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when).isoformat()


def results(job: Job) -> list[str]:
    """The names of a succeeded job's results (each as NAME.parquet and NAME.csv)."""
    if job.state != "succeeded" or not job.folder:
        return []
    return sorted(p.stem for p in Path(job.folder).glob("*.parquet"))


def view(job: Job) -> dict:
    return {"id": job.id, "kind": job.kind, "state": job.state, "progress": job.progress, "step": job.step,
            "params": json.loads(job.params), "submitted_by": job.submitted_by, "role": job.role,
            "created": iso_utc(job.created), "started": iso_utc(job.started), "finished": iso_utc(job.finished),
            "heartbeat": iso_utc(job.heartbeat), "attempts": job.attempts, "error": job.error,
            "summary": json.loads(job.summary) if job.summary else None, "results": results(job)}


def submit(url: str, kind: str, params, actor: access.Actor, client: str | None = None) -> dict:
    """Check the settings (nothing is queued when they are wrong), write the record and queue it."""
    if kind not in KINDS:
        raise NotFound(f"no kind of job {kind!r} (kinds: {', '.join(KINDS)})")
    spec = _allow(url, actor, kind, f"{kind} run", client)
    kept = spec.check(params)
    require_current(url)
    with session(url) as s:
        job = Job(kind=kind, params=json.dumps(kept, ensure_ascii=False, default=str), state="queued", progress=0.0,
                  step="queued", submitted_by=actor.username, role=actor.role, created=_now(), attempts=0)
        s.add(job)
        s.flush()
        if backend(url) == "postgresql":
            _defer(s.connection().connection.driver_connection, job.id)
        shown = view(job)
    if spec.personal:
        access.record(url, actor, f"{kind} run {job.id}", source=client)
    return shown


def lock(job_id: int) -> str:
    """procrastinate's queueing lock of a job: at most one delivery of it waits in the queue."""
    return f"komek-job-{job_id}"


def _defer(connection, job_id: int) -> int:
    """Queue the job in procrastinate on `connection` (a psycopg connection in the transaction that
    wrote the record): both are committed, or neither."""
    from procrastinate import App, PsycopgConnector
    queue = App(connector=PsycopgConnector())
    return queue.configure_task(TASK, queueing_lock=lock(job_id), connection=connection).defer(job_id=job_id)


def _job(url: str, kind: str, job_id: int) -> Job:
    with session(url) as s:
        job = s.get(Job, job_id)
    if job is None or job.kind != kind:
        raise NotFound(f"{kind} job {job_id}: no such job")
    return job


def status(url: str, kind: str, job_id: int, actor: access.Actor, client: str | None = None) -> dict:
    """A job's state, progress and step, its timestamps, and when it succeeded its summary and results."""
    _allow(url, actor, kind, f"{kind} job {job_id}", client)
    return view(_job(url, kind, job_id))


def mine(url: str, kind: str, actor: access.Actor, client: str | None = None, limit: int = 50) -> list[dict]:
    """The actor's jobs of a kind, newest first (an administrator's: everyone's)."""
    _allow(url, actor, kind, f"{kind} jobs", client)
    query = select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(limit)
    if actor.role != "administrator":
        query = query.where(Job.submitted_by == actor.username)
    with session(url) as s:
        return [view(job) for job in s.scalars(query)]


def cancel(url: str, kind: str, job_id: int, actor: access.Actor, client: str | None = None) -> dict:
    """Stop a job that is queued or running (its submitter, or an administrator): it is not run,
    or its worker stops at its next step and keeps nothing. A finished job is a conflict."""
    what = f"{kind} job {job_id}: cancel"
    _allow(url, actor, kind, what, client)
    job = _job(url, kind, job_id)
    if actor.role != "administrator" and job.submitted_by != actor.username:
        access.record(url, actor, what, source=client, allowed=False)
        raise Forbidden(f"{kind} job {job_id} was submitted by another account: only it or an administrator cancels it")
    with engine(url).begin() as conn:
        done = conn.execute(update(Job).where(Job.id == job_id, Job.state.in_(("queued", "running"))).values(
            state="cancelled", finished=_now(), step=f"cancelled by {actor.username}")).rowcount
    if not done:
        raise Conflict(f"{kind} job {job_id} is {_job(url, kind, job_id).state}: only a queued or running job can be cancelled")
    log.info("job %s (%s): cancelled by %s", job_id, kind, actor.username)
    return view(_job(url, kind, job_id))


def result(url: str, kind: str, job_id: int, name: str, actor: access.Actor, client: str | None = None) -> Path:
    """The file NAME.parquet or NAME.csv of a succeeded job, for the actor to download. A download
    of a result that names people is logged with one entry per person in it."""
    what = f"{kind} job {job_id}: {name}"
    spec = _allow(url, actor, kind, what, client)
    job = _job(url, kind, job_id)
    if job.state != "succeeded":
        raise NotFound(f"{kind} job {job_id} has no results: it is {job.state}")
    stem, _, fmt = name.rpartition(".")
    if fmt not in FORMATS or stem not in results(job):
        raise NotFound(f"{kind} job {job_id}: no result {name!r} (results: {', '.join(results(job))}; "
                       f"as {' or '.join(FORMATS)})")
    path = Path(job.folder) / name
    if spec.personal:
        table = Path(job.folder) / f"{stem}.parquet"
        named = "iin" in pl.read_parquet_schema(table)
        iins = pl.read_parquet(table, columns=["iin"])["iin"].unique().sort().to_list() if named else []
        access.record(url, actor, what, iins=iins or [None], purpose=f"{kind} results", source=client)
    return path


# Running ------------------------------------------------------------------------------------

def _claim_where(job_id: int):
    return update(Job).where(Job.id == job_id, Job.state == "queued")


def claim(url: str, job_id: int) -> int | None:
    """Move a queued job to running; the attempt it begins, or None when it is not queued (taken,
    done or cancelled)."""
    now = _now()
    with engine(url).begin() as conn:
        won = conn.execute(_claim_where(job_id).values(
            state="running", attempts=Job.attempts + 1, started=now, heartbeat=now, finished=None, progress=0.0,
            step="started", error=None, summary=None, folder=None)).rowcount
        return conn.scalar(select(Job.attempts).where(Job.id == job_id)) if won else None


def claim_next(url: str) -> tuple[int, int] | None:
    """The oldest queued job, claimed: (its id, the attempt), or None when none is queued."""
    while True:
        with engine(url).connect() as conn:
            job_id = conn.scalar(select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(1))
        if job_id is None:
            return None
        attempt = claim(url, job_id)
        if attempt is not None:
            return job_id, attempt


def queued(url: str) -> list[int]:
    with engine(url).connect() as conn:
        return list(conn.scalars(select(Job.id).where(Job.state == "queued").order_by(Job.id)))


def requeue_stale(url: str, stale: dt.timedelta = STALE) -> list[int]:
    """Queue again every running job whose heartbeat is older than `stale`: its worker stopped."""
    cutoff = _now() - stale
    lost = (Job.state == "running") & ((Job.heartbeat.is_(None)) | (Job.heartbeat < cutoff))
    # One statement, no read before the write: on SQLite a read lock upgraded to write fails as
    # busy at once when another connection (the worker's relay, its sweeps) has written meanwhile.
    with engine(url).begin() as conn:
        ids = sorted(conn.scalars(update(Job).where(lost).values(
            state="queued", step="queued again: its worker stopped", progress=0.0).returning(Job.id)))
    for job_id in ids:
        log.warning("job %s: its worker stopped; queued again", job_id)
    return ids


class _Dropped(Exception):
    """The attempt no longer owns its job (cancelled, or queued again after its heartbeat stopped)."""


class _Tracker:
    """A running attempt's progress and heartbeat, written to its record: by the services' progress
    callbacks (at most once a second) and by a thread every BEAT seconds. Every write is for this
    attempt only, so an attempt whose job was cancelled or queued again owns nothing, and stops at
    its next step."""

    def __init__(self, url: str, job_id: int, attempt: int):
        self.url, self.job_id, self.attempt = url, job_id, attempt
        self._stop, self._last = threading.Event(), 0.0

    def write(self, **values) -> bool:
        """Set `values` (and the heartbeat) while this attempt runs the job; whether it still does."""
        with engine(self.url).begin() as conn:
            return conn.execute(update(Job).where(Job.id == self.job_id, Job.state == "running",
                                                  Job.attempts == self.attempt)
                                .values(heartbeat=_now(), **values)).rowcount == 1

    def phase(self, i: int, n: int) -> Callable[[str, int, int], None]:
        """A progress callback for phase i of n (a reform is a second simulation)."""
        def progress(label: str, done: int, total: int) -> None:
            if time.monotonic() - self._last >= 1.0 or done >= total:
                self._last = time.monotonic()
                if not self.write(progress=round((i + done / max(total, 1)) / n, 4), step=label):
                    raise _Dropped()
        return progress

    def __enter__(self) -> _Tracker:
        def beat():
            while not self._stop.wait(BEAT) and self.write():
                pass
        threading.Thread(target=beat, name=f"komek-job-{self.job_id}-heartbeat", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()


def run(cfg: Settings, job_id: int) -> None:
    """Claim the job and run it (procrastinate's task); nothing when it is not queued."""
    attempt = claim(cfg.database, job_id)
    if attempt is not None:
        execute(cfg, job_id, attempt)


def execute(cfg: Settings, job_id: int, attempt: int) -> None:
    """Run a claimed job: its results into a folder of this attempt, renamed to DATA_DIR/jobs/<id>
    when complete; then the record says succeeded with the summary, or failed with the error."""
    url = cfg.database
    with session(url) as s:
        job = s.get(Job, job_id)
        kind, params = job.kind, json.loads(job.params)
    root = Path(cfg.data_dir).resolve() / "jobs"
    final, work = root / str(job_id), root / f".{job_id}.{attempt}.partial"
    for partial in root.glob(f".{job_id}.*.partial"):       # left by an attempt whose worker stopped
        shutil.rmtree(partial, ignore_errors=True)
    work.mkdir(parents=True)
    tracker = _Tracker(url, job_id, attempt)
    log.info("job %s (%s), attempt %s: started", job_id, kind, attempt)
    try:
        with tracker:
            summary = KINDS[kind].compute(source(database=url), params, work, tracker)
    except _Dropped:
        shutil.rmtree(work, ignore_errors=True)
        log.info("job %s (%s), attempt %s: stopped, the job was cancelled or taken by another attempt", job_id, kind, attempt)
        return
    except Exception as e:
        shutil.rmtree(work, ignore_errors=True)
        error = str(e) if isinstance(e, KomekError) else f"{type(e).__name__}: {e}"
        if not isinstance(e, KomekError):
            log.exception("job %s failed", job_id)
        tracker.write(state="failed", finished=_now(), error=error, step="failed")
        return
    if not tracker.write(step="saving the results"):      # queued again meanwhile: another attempt owns it
        shutil.rmtree(work, ignore_errors=True)
        return
    shutil.rmtree(final, ignore_errors=True)
    work.rename(final)
    tracker.write(state="succeeded", finished=_now(), progress=1.0, step="done", folder=str(final),
                  summary=json.dumps(summary, ensure_ascii=False))
    log.info("job %s (%s): succeeded", job_id, kind)
