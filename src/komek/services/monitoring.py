"""Monitoring of public services, for the analyst and the ministry: per measure, region and month,
the applications filed, the decisions made and the share made within the statutory deadline, the
median and 90th-percentile working days to a decision, what stood open and overdue at the month's
end, the appeals decided and the share that changed the decision, the proactive offers made and
the share accepted; per region the citizen requests open and repeated; alerts where a region's
on-time share fell below the threshold (komek/cases/monitoring.yaml). Aggregates only: a cell
counting fewer than ten applications, decisions, appeals or offers is suppressed with its figures
(services.disclosure).

A month is counted as it stood at its last day, or today while it runs; a month not begun is not
known. Figures of a cell with no decision (a share, a median) are null, not zero."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl
from sqlalchemy import select

from komek import access
from komek.cases import appeals, deadlines, monitoring
from komek.errors import FieldError, Forbidden
from komek.kz import regions
from komek.kz.standard import benefits
from komek.periods import month_end, month_start
from komek.registry.db import session
from komek.registry.models import Appeal, Application, Offer, Transition
from komek.services import disclosure
from komek.services import requests as citizen_requests
from komek.services.jobs import json_rows

READERS = ("analyst",)
DECISIONS = ("decisions", "approved", "rejected", "by_rules", "on_time")
FIGURES = ("on_time_share", "median_working_days", "p90_working_days")
APPEALS = ("appeals", "appeals_decided", "overturned")
OFFERS = ("offers", "offers_accepted", "offers_lapsed")
COUNTS = ("applications", *DECISIONS, "withdrawn", "open_at_end", "overdue_at_end", *APPEALS, *OFFERS)


def _utc(day: dt.date) -> dt.datetime:
    """The first instant of a day in Kazakhstan, in UTC."""
    return dt.datetime.combine(day, dt.time(), deadlines.KAZAKHSTAN).astimezone(dt.UTC)


def _courses(url: str, first: dt.date, last: dt.date, wanted: list[str], measure: str | None):
    """(measure, region, course) of every application submitted by `last` and not closed before `first`."""
    a, t = Application, Transition
    closed = select(t.application_id).where(t.to_state.in_(monitoring.CLOSED), t.at < _utc(first))
    apps = select(a.id).where(a.submitted < _utc(last + dt.timedelta(days=1)), a.id.not_in(closed))
    if wanted:
        apps = apps.where(a.region_code.in_(wanted))
    if measure:
        apps = apps.where(a.measure == measure)
    query = (select(a.id, a.measure, a.region_code, a.submitted, t.from_state, t.to_state, t.at, t.role)
             .join(t, t.application_id == a.id).where(a.id.in_(apps)).order_by(a.id, t.id))
    moves, about = defaultdict(list), {}
    with session(url) as s:
        for app_id, m, region, submitted, was, to, at, role in s.execute(query):
            about[app_id] = (m, region, submitted)
            if was is not None:
                moves[app_id].append((was, to, at, role))
    for app_id, (m, region, submitted) in about.items():
        yield m, region, monitoring.course(m, submitted, moves[app_id])


def _appeals(url: str, first: dt.date, last: dt.date, wanted: list[str], measure: str | None):
    """(measure, region, filed in the month, decided in the month by a supervisor, the decision changed) of the
    appeals filed or decided in the month."""
    a, p = Appeal, Application
    start, end = _utc(first), _utc(last + dt.timedelta(days=1))
    query = (select(p.measure, a.region_code, a.filed, a.decided, a.outcome).join(p, p.id == a.application_id)
             .where(((a.filed >= start) & (a.filed < end)) | ((a.decided >= start) & (a.decided < end))))
    if wanted:
        query = query.where(a.region_code.in_(wanted))
    if measure:
        query = query.where(p.measure == measure)
    with session(url) as s:
        for m, region, filed, decided, outcome in s.execute(query):
            inside = lambda at: at is not None and first <= deadlines.today(at) <= last
            by_supervisor = inside(decided) and outcome in appeals.OUTCOMES
            yield m, region, inside(filed), by_supervisor, by_supervisor and outcome in appeals.CHANGES


def _offers(url: str, first: dt.date, last: dt.date, wanted: list[str], measure: str | None):
    """(measure, region, state now) of the offers made in the month."""
    o = Offer
    query = select(o.measure, o.region_code, o.state).where(o.created >= _utc(first), o.created < _utc(last + dt.timedelta(days=1)))
    if wanted:
        query = query.where(o.region_code.in_(wanted))
    if measure:
        query = query.where(o.measure == measure)
    with session(url) as s:
        yield from s.execute(query)


def _cell() -> dict:
    return {**dict.fromkeys(COUNTS, 0), "days": []}


def _add(cell: dict, c: monitoring.Course, measure: str, first: dt.date, last: dt.date) -> None:
    inside = lambda d: d is not None and first <= d <= last
    cell["applications"] += inside(c.submitted)
    if inside(c.decided):
        cell["decisions"] += 1
        cell[c.outcome] += 1
        cell["by_rules"] += c.by_rules
        cell["on_time"] += bool(c.on_time)
        cell["days"].append(c.working_days)
    cell["withdrawn"] += inside(c.withdrawn)
    cell["open_at_end"] += c.open_on(last)
    cell["overdue_at_end"] += c.overdue_on(measure, last)


def _row(keys: dict, cell: dict) -> dict:
    days, n, heard = cell.pop("days"), cell["decisions"], cell["appeals_decided"]
    return {**keys, **cell, "on_time_share": round(cell["on_time"] / n, 3) if n else None,
            "overturned_share": round(cell["overturned"] / heard, 3) if heard else None,
            "accepted_share": round(cell["offers_accepted"] / cell["offers"], 3) if cell["offers"] else None,
            "median_working_days": monitoring.median(days), "p90_working_days": monitoring.percentile(days, 0.9)}


_SCHEMA = {**dict.fromkeys(COUNTS, pl.Int64), "on_time_share": pl.Float64, "overturned_share": pl.Float64, "accepted_share": pl.Float64, "median_working_days": pl.Float64,
           "p90_working_days": pl.Int64}


def _published(rows: list[dict], keys: dict) -> pl.DataFrame:
    """The rows as a table, each count of fewer than ten suppressed with the figures resting on it."""
    frame = pl.DataFrame(rows, schema={**keys, **_SCHEMA}, orient="row") if rows else pl.DataFrame(schema={**keys, **_SCHEMA})
    frame = disclosure.suppress(frame, "applications")
    frame = disclosure.suppress(frame, "decisions", also=(*DECISIONS[1:], *FIGURES))
    for name in ("withdrawn", "open_at_end", "overdue_at_end", "appeals"):
        frame = disclosure.suppress(frame, name)
    frame = disclosure.suppress(frame, "appeals_decided", also=("overturned", "overturned_share"))
    frame = disclosure.suppress(frame, "offers", also=("offers_accepted", "offers_lapsed", "accepted_share"))
    return frame


def figures(url: str, month: str, wanted: list[str] | None = None, measure: str | None = None,
            now: dt.datetime | None = None) -> dict:
    """The monitoring of `month` (YYYY-MM) for the regions `wanted` (all when none) and one measure
    or all: the cells by measure and region, the regions' totals, the requests, and the alerts."""
    if measure is not None and measure not in benefits():
        raise FieldError("measure", f"not a support measure ({', '.join(benefits())})")
    first, end = month_start(month), month_end(month)
    today = deadlines.today(now)
    if first > today:
        raise FieldError("month", f"{month} has not begun: nothing is known of it yet")
    last, wanted = min(end, today), list(wanted or [])
    cells, totals = defaultdict(_cell), defaultdict(_cell)
    for m, region, c in _courses(url, first, last, wanted, measure):
        _add(cells[m, region], c, m, first, last)
        _add(totals[region], c, m, first, last)
    for m, region, filed, heard, changed in _appeals(url, first, last, wanted, measure):
        for cell in (cells[m, region], totals[region]):
            cell["appeals"] += filed
            cell["appeals_decided"] += heard
            cell["overturned"] += changed
    for m, region, state in _offers(url, first, last, wanted, measure):
        for cell in (cells[m, region], totals[region]):
            cell["offers"] += 1
            cell["offers_accepted"] += state == "accepted"
            cell["offers_lapsed"] += state == "lapsed"
    rule = monitoring.config()["on_time"]
    below = defaultdict(list)
    for (m, region), cell in cells.items():
        if cell["decisions"] >= rule["min_decisions"] and cell["on_time"] / cell["decisions"] < rule["threshold"]:
            below[region].append(m)
    by_region = [_row({"region_code": r, "month": month}, totals[r]) for r in sorted(totals)]
    alerts = monitoring.alerts({**r, "measures_below": sorted(below[r["region_code"]])} for r in by_region)
    national = _cell()
    for r in by_region:
        for name in COUNTS:
            national[name] += r[name]
    table = _published([_row({"measure": m, "region_code": r, "month": month}, cell)
                        for (m, r), cell in sorted(cells.items())],
                       {"measure": pl.String, "region_code": pl.String, "month": pl.String})
    return {"month": month, "as_of": last.isoformat(), "complete": last == end, "regions": wanted or None,
            "measure": measure, "threshold": {k: rule[k] for k in ("threshold", "min_decisions", "assumption")},
            "cells": json_rows(table),
            "by_region": json_rows(_published(by_region, {"region_code": pl.String, "month": pl.String})),
            "national": {name: national[name] for name in COUNTS},
            "requests": _requests(url, month, wanted, today), "alerts": alerts, "min_count": disclosure.MIN_COUNT}


def _requests(url: str, month: str, wanted: list[str], today: dt.date) -> list[dict]:
    """Per region: the requests of the month and their repeats, the problems open now and those answered late."""
    rows = citizen_requests.counted(url, wanted, today).filter(pl.col("month") == month)
    table = (rows.group_by("region_code").agg(pl.sum(n).cast(pl.Int64) for n in ("requests", "repeats", "open", "late"))
             .sort("region_code"))
    return json_rows(disclosure.suppress(table, "requests", also=("repeats", "open", "late")))


def read(actor: access.Actor, url: str, month: str, region: str | None = None, measure: str | None = None,
         client: str | None = None, now: dt.datetime | None = None) -> dict:
    """`figures` for an analyst (aggregates only; one of some regions sees those only), the read logged."""
    what = f"monitoring {month}"
    if actor.role not in READERS:
        access.record(url, actor, what, source=client, allowed=False)
        raise Forbidden(f"a {actor.role} does not read the monitoring of public services (an analyst's)")
    if region is not None and region not in regions():
        raise FieldError("region", f"a region's KATO code ({', '.join(regions())})")
    if region is not None and actor.regions and region not in actor.regions:
        access.record(url, actor, what, source=client, allowed=False)
        raise Forbidden(f"region {region} is not one of this analyst's")
    out = figures(url, month, [region] if region else list(actor.regions), measure, now)
    access.record(url, actor, what, source=client)
    return out
