"""The worker (`komek worker`): runs the queued jobs of services.jobs in a process of its own.

On PostgreSQL it is a procrastinate worker: the task `komek.job` takes a job id from
procrastinate's queue and runs it (`jobs.run`). On SQLite, which procrastinate cannot use, the
worker claims queued records from the jobs table itself, looking every second. Either way the
job record is the one truth: procrastinate only carries the job id to a worker, and a delivery
of a job that is no longer queued does nothing.

Beside the jobs, a thread of the worker relays the notifications of the outbox (komek.cases.
notifications.relay), on both databases: claimed from the notifications table, sent through the
gateway of the settings, retried with backoff (docs/cases.md says why procrastinate does not carry them).

A worker runs `concurrency` jobs at once; it stops on SIGTERM or SIGINT when the jobs running have
finished, and with `once` as soon as nothing is queued. When it starts, and every `stale` while it
waits, it sweeps: a running job whose heartbeat is older than `stale` (its worker was killed) is
queued again and runs from the start. On PostgreSQL the procrastinate jobs of workers that stopped
beating are retried, and every queued record is deferred (at most one delivery waits: the queueing
lock), so a record queued while no worker could take it is carried too.

Beside the jobs, a thread assesses the applications filed (services.applications.assess), a
batch at a time, until the worker stops (with `once`: until none is waiting); and a thread runs
the sweeps every SWEEP seconds (with `once`: once): holds past their time expired and late fees
honoured or refunded (services.appointments.sweep), appeals past their due date escalated
(services.appeals.sweep), offers unanswered past their reply window lapsed (services.offers.sweep).
The same sweeps can run on their own (`komek appointments sweep`, `komek appeals sweep`, `komek
offers sweep`); each is safe to run twice at once.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

from komek.cases import payments
from komek.cases.notifications.relay import Relay
from komek.registry import require_current
from komek.registry.db import backend, libpq
from komek.services import appeals, applications, appointments, jobs, offers
from komek.settings import Settings

POLL = 1.0          # seconds between looks at the jobs table (SQLite)
SWEEP = 60.0        # seconds between sweeps of holds, late fees and overdue appeals


def work(cfg: Settings, concurrency: int = 1, once: bool = False, stale: dt.timedelta = jobs.STALE) -> None:
    """Run queued jobs and deliver notifications until stopped (SIGTERM, SIGINT), or with `once`
    until no job is queued and no notification is due."""
    require_current(cfg.database)
    # The relay outlasts the assessor: with `once`, what the last assessments notify is delivered too.
    with _relaying(cfg, once), _assessing(cfg, once), _sweeping(cfg, once):
        if backend(cfg.database) == "postgresql":
            asyncio.run(_procrastinate(cfg, concurrency, once, stale))
        else:
            _poll(cfg, concurrency, once, stale)


@contextmanager
def _relaying(cfg: Settings, once: bool) -> Iterator[None]:
    """The notifications' relay in a thread while the jobs run; stopped with them (its sends
    under way finish), or with `once` waited for until none is due."""
    relay, stop, failure = Relay(cfg), threading.Event(), []

    def run() -> None:
        try:
            relay.run(stop, once)
        except BaseException as e:
            failure.append(e)

    thread = threading.Thread(target=run, name="komek-notifications", daemon=True)
    thread.start()
    try:
        yield
    except BaseException:
        stop.set()
        raise
    finally:
        if not once:
            stop.set()
        thread.join()
    if failure:
        raise failure[0]


@contextmanager
def _assessing(cfg: Settings, once: bool) -> Iterator[None]:
    """Filed applications assessed in a thread while the jobs run; stopped with them (the batch
    at hand is finished), or with `once` waited for until none is waiting."""
    stop = threading.Event()
    assessor = threading.Thread(target=_assess, args=(cfg.database, stop, once), name="komek-assess", daemon=True)
    assessor.start()
    try:
        yield
    finally:
        if not once:
            stop.set()
        assessor.join()


@contextmanager
def _sweeping(cfg: Settings, once: bool) -> Iterator[None]:
    """The sweeps in a thread every SWEEP seconds while the jobs run (with `once`: one round)."""
    stop = threading.Event()

    def run() -> None:
        while True:
            for name, sweep in (("appointments", lambda: appointments.sweep(cfg.database, payments.provider(cfg))),
                                ("appeals", lambda: appeals.sweep(cfg.database)),
                                ("offers", lambda: offers.sweep(cfg.database))):
                try:
                    sweep()
                except Exception:       # the database went away: the next round tries again
                    applications.log.exception("the %s sweep failed", name)
            if once or stop.wait(SWEEP):
                return

    sweeper = threading.Thread(target=run, name="komek-sweep", daemon=True)
    sweeper.start()
    try:
        yield
    finally:
        stop.set()
        sweeper.join()


def _assess(url: str, stop: threading.Event, once: bool) -> None:
    """Assess filed applications a batch at a time until stopped (the batch at hand is finished),
    or with `once` until none is waiting."""
    while True:
        try:
            done = applications.assess(url)
        except Exception:            # the database went away: try again, as the jobs' sweep does
            applications.log.exception("assessing applications failed")
            done = 0
            if once:
                return
        if done and not (stop.is_set() and not once):
            continue
        if done or once or stop.wait(POLL):
            return


async def _procrastinate(cfg: Settings, concurrency: int, once: bool, stale: dt.timedelta) -> None:
    from procrastinate import App, PsycopgConnector
    from procrastinate.exceptions import AlreadyEnqueued, ProcrastinateException

    url = cfg.database
    queue = App(connector=PsycopgConnector(conninfo=libpq(url), min_size=1, max_size=concurrency + 3))

    @queue.task(name=jobs.TASK)
    def job(job_id: int) -> None:
        jobs.run(cfg, job_id)

    async def sweep() -> None:
        await asyncio.to_thread(jobs.requeue_stale, url, stale)
        for stalled in await queue.job_manager.get_stalled_jobs(task_name=jobs.TASK,
                                                                seconds_since_heartbeat=stale.total_seconds()):
            try:
                await queue.job_manager.retry_job(stalled)
            except ProcrastinateException:       # retried by another worker meanwhile
                pass
        for job_id in await asyncio.to_thread(jobs.queued, url):
            try:
                await queue.configure_task(jobs.TASK, queueing_lock=jobs.lock(job_id)).defer_async(job_id=job_id)
            except AlreadyEnqueued:
                pass

    async def sweeping() -> None:
        while True:
            await asyncio.sleep(stale.total_seconds() or POLL)
            await sweep()

    async with queue.open_async():
        await sweep()
        sweeper = None if once else asyncio.create_task(sweeping())
        try:
            await queue.run_worker_async(concurrency=concurrency, wait=not once, install_signal_handlers=True)
        finally:
            if sweeper:
                sweeper.cancel()


def _poll(cfg: Settings, concurrency: int, once: bool, stale: dt.timedelta) -> None:
    url, stop = cfg.database, threading.Event()
    handlers = _on_stop(stop.set)
    running: set[Future] = set()
    swept = None
    try:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="komek-job") as pool:
            while True:
                if swept is None or (not once and dt.datetime.now(dt.UTC) - swept >= stale):
                    jobs.requeue_stale(url, stale)
                    swept = dt.datetime.now(dt.UTC)
                while not stop.is_set() and len(running) < concurrency and (claimed := jobs.claim_next(url)):
                    running.add(pool.submit(jobs.execute, cfg, *claimed))
                if not running:
                    if once or stop.is_set():
                        return
                    stop.wait(POLL)
                    continue
                done, running = wait(running, timeout=POLL, return_when=FIRST_COMPLETED)
                for finished in done:
                    finished.result()
    finally:
        for sig, previous in handlers.items():
            signal.signal(sig, previous)


def _on_stop(callback) -> dict:
    """SIGTERM and SIGINT call `callback` (the main thread only can set handlers); the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: callback())
    return previous
