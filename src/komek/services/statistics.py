"""The analyst's statistics: the latest succeeded runs of a month, as JSON, without downloading
files. Support (recipients and spending by region and measure, from the latest simulation without
a reform), targeting (per benefit, from the same run: the coverage of levels D-E, the leakage of
spending to A-B) and vulnerability levels (households per level by region, from the latest
scoring run), all aggregates whose cells of fewer than ten were suppressed when the run published them. A part
no run has computed yet is said to be not known, with how to compute it, never shown as zeros."""
from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from sqlalchemy import select

from komek import access
from komek.errors import Forbidden
from komek.periods import month_end
from komek.registry.db import session
from komek.registry.models import Job
from komek.services.jobs import iso_utc, json_rows

READERS = ("analyst",)
PARTS = {   # part -> (job kind, the result it shows, the route that computes it)
    "support": ("simulation", "summary", "POST /api/v1/simulations"),
    "levels": ("score", "levels_by_region", "POST /api/v1/scores"),
    "targeting": ("simulation", "targeting", "POST /api/v1/simulations"),
}


def _latest(url: str, kind: str, month: str) -> Job | None:
    """The latest succeeded run of `kind` for `month` (a simulation: without a reform)."""
    with session(url) as s:
        for job in s.scalars(select(Job).where(Job.kind == kind, Job.state == "succeeded").order_by(Job.id.desc())):
            params = json.loads(job.params)
            if params.get("month") == month and not params.get("reform"):
                return job
    return None


def statistics(url: str, month: str, actor: access.Actor, client: str | None = None) -> dict:
    """Each part of `month` from its latest run (which job, when it finished), or why it is not known."""
    if actor.role not in READERS:
        access.record(url, actor, f"statistics {month}", source=client, allowed=False)
        raise Forbidden(f"a {actor.role} does not read the statistics (an analyst's)")
    month_end(month)
    out: dict = {"month": month, "not_known": {}}
    for part, (kind, name, route) in PARTS.items():
        job = _latest(url, kind, month)
        table = Path(job.folder) / f"{name}.parquet" if job and job.folder else None
        if table is None or not table.exists():
            out[part] = None
            out["not_known"][part] = f"no {kind} run of {month} has succeeded: {route} computes it"
            continue
        out[part] = {"job": job.id, "finished": iso_utc(job.finished), "rows": json_rows(pl.read_parquet(table))}
    return out
