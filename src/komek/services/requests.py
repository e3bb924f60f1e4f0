"""Citizen requests to an office (a courtyard, a road, a bus route, a home): filed, linked to the
earlier request on the same problem, worked by the region's office, and told by SMS at every
change (komek.cases.requests has the data; docs/cases.md, "Citizen requests").

- **Filing** is idempotent: the key replayed gets the first answer, the key with another body is
  refused, two filings with one key at the same moment file one request. The answer is due in the
  general request's term of working days (komek.kz.deadlines), on Kazakhstan's calendar.
- **Repeats**: a request of the same category and region about the same place (the normalised
  address, or coordinates within the radius) as an open request, or one resolved within the
  window, is linked to the first request of that problem, which counts it; a resolved problem
  raised again is reopened (its resolution did not hold). A repeat follows its problem: every
  move of the problem moves it too, and its citizen is told. Acting on a repeat acts on its
  problem, except withdrawing, which is one's own; a problem whose first citizen withdraws passes
  to its earliest repeat still following.
- **Who may**: a citizen files and reads their own requests, withdraws them, closes an answered
  or resolved one and reopens a resolution within the window; a caseworker files on a citizen's
  behalf and works the requests of the regions served (the queue: problems waiting for their
  answer, least working days left first); an analyst reads the aggregates only, small cells
  suppressed. Another person's request is forbidden and the refusal logged; every read is logged.
- **Every change writes its SMS** in its own transaction (komek.cases.notifications.notify).
"""
from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError

from komek import access
from komek.cases import requests as data
from komek.cases.notifications import notify
from komek.errors import FieldError, Forbidden, NotFound
from komek.kz import deadlines, phone, regions
from komek.kz.calendar import calendar
from komek.kz.iin import is_valid, mask
from komek.registry.db import session
from komek.registry.models import CitizenRequest, RequestKey, RequestMove
from komek.services import disclosure, handling, keys
from komek.services.jobs import iso_utc, json_rows

FILERS = ("citizen", "caseworker")
READERS = ("analyst",)                  # the aggregates
LANGUAGES = ("kk", "ru", "en")
KOMEK = "komek"                         # who makes the moves Komek makes itself
MAX_TEXT, MAX_NOTE, MAX_PAGE = 4000, 2000, 200


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _replay(url: str, actor: access.Actor, key: str, digest: str) -> dict | None:
    with session(url) as s:
        return handling.replay(s.get(RequestKey, (actor.username, key)), digest, "request")


def _checked(actor: access.Actor, body: dict) -> dict:
    """The filing's fields, each checked (a FieldError names the first that is wrong)."""
    category = body.get("category")
    if category not in data.categories():
        raise FieldError("category", f"one of {', '.join(data.categories())}")
    region = body.get("region_code")
    if region not in regions():
        raise FieldError("region_code", f"a region's KATO code ({', '.join(regions())})")
    language = body.get("language", "kk")
    if language not in LANGUAGES:
        raise FieldError("language", f"one of {', '.join(LANGUAGES)}")
    locality = handling.text(body, "locality", 200)
    street, building = handling.text(body, "street", 200, False), handling.text(body, "building", 50, False)
    iin = body.get("iin")
    if actor.role == "citizen":
        iin = iin or actor.iin
    elif iin is None or not (isinstance(iin, str) and is_valid(iin)):
        raise FieldError("iin", "required: a caseworker files on behalf of a citizen, by a valid IIN")
    return {"category": category, "region_code": region, "language": language, "locality": locality,
            "street": street, "building": building, "place_key": data.place_key(locality, street, building),
            "point": data.check_point(body.get("latitude"), body.get("longitude")), "text": handling.text(body, "text", MAX_TEXT),
            "phone": phone.normalize(body.get("phone") if isinstance(body.get("phone"), str) else ""), "iin": iin}


# Filing ----------------------------------------------------------------------------------------

def file(actor: access.Actor, url: str, body: dict, key: str, client: str | None = None,
         now: dt.datetime | None = None) -> tuple[dict, bool]:
    """File a request (`body`: category, region_code, locality, street, building, latitude and
    longitude, text, phone, language; iin for a caseworker): the acknowledgement, and whether it is
    the first answer replayed."""
    what = "request filed"
    if actor.role not in FILERS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not file requests"), client)
    digest = keys.digest(body)
    if (first := _replay(url, actor, key, digest)) is not None:
        access.record(url, actor, what + " (replayed)", iin=first["iin"], source=client)
        return first, True
    f = _checked(actor, body)
    if actor.role == "citizen" and f["iin"] != actor.iin:
        handling.refuse(url, actor, what, Forbidden("a citizen files requests of their own only"), client, f["iin"])
    if actor.role == "caseworker" and f["region_code"] not in actor.regions:
        handling.refuse(url, actor, what, Forbidden(f"region {f['region_code']} is not one this caseworker serves"), client, f["iin"])
    now = now or _now()
    day = data.today(now)
    due = calendar().due_date(day, deadlines.general_request(day).days)
    try:
        with session(url) as s:
            _lock(s, f["region_code"], f["category"])      # before the id is drawn: the first filed is the first
            r = CitizenRequest(iin=f["iin"], phone=f["phone"], language=f["language"], category=f["category"],
                               region_code=f["region_code"], locality=f["locality"], street=f["street"],
                               building=f["building"], place_key=f["place_key"],
                               latitude=f["point"][0] if f["point"] else None,
                               longitude=f["point"][1] if f["point"] else None, text=f["text"], state="received",
                               submitted=now, due_date=due, reopened=0, repeat_count=0, filed_by=actor.username,
                               filed_by_role=actor.role)
            s.add(r)
            s.flush()           # the write first: on SQLite the transaction holds the lock before it reads
            problem = _problem_of(s, r, now)
            on_behalf = "" if actor.role == "citizen" else f" on behalf of {mask(r.iin)}"
            if problem is None:
                _record(s, r, None, "received", actor.username, actor.role, f"filed{on_behalf}", now,
                        "request_received", {"date": day, "due": due})
            else:
                _link(s, r, problem, actor, on_behalf, now)
            answer = _ack(r)
            s.add(RequestKey(account=actor.username, key=key, body_sha256=digest, request_id=r.id,
                             response=json.dumps(answer), created=now))
            s.flush()
    except IntegrityError:          # the same key at the same moment: the filing that won answers
        if (first := _replay(url, actor, key, digest)) is None:
            raise
        return first, True
    access.record(url, actor, what, iin=r.iin, source=client)
    return answer, False


def _lock(s, region: str, category: str) -> None:
    """On PostgreSQL, filings of one category in one region one after the other, until commit (on
    SQLite the database's one write lock does it)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": f"request:{region}:{category}"})


def _problem_of(s, r: CitizenRequest, now: dt.datetime) -> CitizenRequest | None:
    """The first request of the problem `r` repeats: same category, region and place, and open, or
    resolved within the repeat window; the earliest when several are. Filings of one category in one
    region wait for each other (`_lock`), so two at once cannot both start a problem."""
    c = CitizenRequest
    same = c.place_key == r.place_key
    point = (r.latitude, r.longitude) if r.latitude is not None else None
    within = data.radius(data.today(now)).value
    if point is not None:
        (la0, la1), (lo0, lo1) = data.box(point, within)
        same = or_(same, c.latitude.between(la0, la1) & c.longitude.between(lo0, lo1))
    found = s.scalars(select(c).where(c.region_code == r.region_code, c.category == r.category, c.repeats_id.is_(None),
                                      c.id != r.id, or_(c.state.in_(data.OPEN), c.resolved_at.is_not(None)), same)
                      .order_by(c.id).with_for_update())
    for p in found:
        here = p.place_key == r.place_key or (
            point is not None and p.latitude is not None and data.metres(point, (p.latitude, p.longitude)) <= within)
        if here and (p.state in data.OPEN or "in_progress" in data.allowed(p.state, data.SYSTEM, p.resolved_at, now)):
            return p
    return None


def _link(s, r: CitizenRequest, problem: CitizenRequest, actor: access.Actor, on_behalf: str, now: dt.datetime) -> None:
    """`r` is a repeat of `problem`: counted, the problem reopened if it was resolved, and `r` in its state."""
    if problem.state not in data.OPEN:       # resolved (or closed after it) within the window: it did not hold
        _move_problem(s, problem, "in_progress", KOMEK, data.SYSTEM, f"raised again by request {r.id}", now)
    r.repeats_id, r.state = problem.id, problem.state
    problem.repeat_count += 1
    if r.state not in data.WAITING:          # joined a problem already answered: answered by that answer
        r.answered_at = now
    day = data.today(now)
    _record(s, r, None, r.state, actor.username, actor.role, f"filed{on_behalf}: the same problem as request "
            f"{problem.id}", now, "request_repeat", {"date": day, "due": r.due_date, "first": str(problem.id)})


def _ack(r: CitizenRequest) -> dict:
    return {"id": r.id, "state": r.state, "iin": r.iin, "category": r.category, "region_code": r.region_code,
            "submitted": iso_utc(r.submitted), "due_date": r.due_date.isoformat(), "repeats": r.repeats_id}


# Changes ---------------------------------------------------------------------------------------

def _record(s, r: CitizenRequest, was: str | None, to: str, who: str, role: str, note: str, now: dt.datetime,
            template: str, values: dict) -> None:
    """One change of `r`, in its history and in an SMS to its citizen, in the caller's transaction."""
    move = RequestMove(request_id=r.id, from_state=was, to_state=to, actor=who, role=role, at=now, note=note)
    s.add(move)
    s.flush()
    notify(s, phone=r.phone, iin=r.iin, language=r.language, template=template, about=f"request:{r.id}",
           values={"request": str(r.id), "category": data.label(r.category, r.language), **values},
           key=f"request:{r.id}:{move.id}")


def _change(s, r: CitizenRequest, to: str, who: str, role: str, note: str, now: dt.datetime) -> None:
    """Move `r` to `to`: its answer and resolution times, the change recorded and told."""
    was, day = r.state, data.today(now)
    reopening = was in ("resolved", "closed") and to == "in_progress"
    if to in data.ANSWERS and r.answered_at is None:
        r.answered_at = now
    if to == "resolved":
        r.resolved_at = now
    if reopening:
        r.resolved_at = None
    r.state = to
    template = "request_reopened" if reopening else f"request_{to}"
    values = {"note": note} if to in ("answered", "rejected") else {}
    if to == "resolved":
        values["until"] = day + dt.timedelta(days=data.window("reopen", day).value)
    _record(s, r, was, to, who, role, note, now, template, values)


def _followers(s, problem: CitizenRequest) -> list[CitizenRequest]:
    """The repeats that follow the problem (all but those their citizens withdrew)."""
    return s.scalars(select(CitizenRequest).where(CitizenRequest.repeats_id == problem.id,
                                                  CitizenRequest.state != "withdrawn")
                     .order_by(CitizenRequest.id).with_for_update()).all()


def _move_problem(s, problem: CitizenRequest, to: str, who: str, role: str, note: str, now: dt.datetime) -> None:
    """The problem and every repeat that follows it moved to `to`."""
    if problem.state in ("resolved", "closed") and to == "in_progress":
        problem.reopened += 1
    for r in [problem, *_followers(s, problem)]:
        _change(s, r, to, who, role, note, now)


def _withdraw(s, r: CitizenRequest, who: str, role: str, note: str, now: dt.datetime) -> None:
    """`r` withdrawn by its citizen. A problem others follow passes to the earliest of them, with
    its count and its reopenings; `r` and the other repeats then repeat that one."""
    followers = _followers(s, r) if r.repeats_id is None else []
    _change(s, r, "withdrawn", who, role, note, now)
    if followers:
        heir = followers[0]
        for other in s.scalars(select(CitizenRequest).where(CitizenRequest.repeats_id == r.id, CitizenRequest.id != heir.id)).all():
            other.repeats_id = heir.id
        heir.repeats_id, heir.repeat_count, heir.reopened = None, r.repeat_count, r.reopened
        r.repeats_id, r.repeat_count = heir.id, 0


def _may(url: str, actor: access.Actor, r: CitizenRequest | None, rid: int, what: str, client: str | None) -> CitizenRequest:
    """The request, if the actor may act on it: a citizen their own, a caseworker the regions served."""
    if actor.role not in FILERS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read or work requests"), client)
    if r is None:
        raise NotFound(f"request {rid}: no such request")
    if actor.role == "citizen" and r.iin != actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"request {rid} is another person's"), client, r.iin)
    if actor.role == "caseworker" and r.region_code not in actor.regions:
        handling.refuse(url, actor, what, Forbidden(f"request {rid} is of region {r.region_code}, not one this caseworker "
                                            "serves"), client, r.iin)
    return r


def _target(s, r: CitizenRequest, to: str) -> CitizenRequest:
    """What a move of `r` moves: its problem when `r` follows one (withdrawing is one's own)."""
    if r.repeats_id is not None and r.state != "withdrawn" and to != "withdrawn":
        return s.get(CitizenRequest, r.repeats_id, with_for_update=True)
    return r


def move(actor: access.Actor, url: str, rid: int, to: str, note: str, client: str | None = None,
         now: dt.datetime | None = None) -> dict:
    """Move a request to `to`, with a note (the answer, the reason): the request as it then stands.
    The same move sent again by the same person is applied once; a move not allowed is refused
    with the moves that are."""
    if not isinstance(note, str) or not note.strip():
        raise FieldError("note", "a change states why (the answer, the reason)")
    if len(note) > MAX_NOTE:
        raise FieldError("note", f"at most {MAX_NOTE} characters")
    note, now = note.strip(), now or _now()
    with session(url) as s:
        r = _may(url, actor, s.get(CitizenRequest, rid), rid, "request change", client)
        target = _target(s, r, to)                  # the problem locked first, then the request: one order
        s.refresh(r, with_for_update=True)
        last = s.scalars(select(RequestMove).where(RequestMove.request_id == rid).order_by(RequestMove.id.desc())
                         .limit(1)).one()
        if not (r.state == to and (last.to_state, last.actor, last.note) == (to, actor.username, note)):
            data.check(target.state, to, actor.role, target.resolved_at, now)
            if to == "withdrawn":
                _withdraw(s, r, actor.username, actor.role, note, now)
            else:
                _move_problem(s, target, to, actor.username, actor.role, note, now)
    return read(actor, url, rid, None, client, now)


# Reading ---------------------------------------------------------------------------------------

def _clock(r: CitizenRequest, today: dt.date) -> dict:
    """The due date, where a request waiting for its answer stands today, and whether it was answered in time."""
    st = calendar().standing(today, r.due_date, deadlines.nearly_due(today).days) if r.state in data.WAITING else None
    answered = data.today(r.answered_at) if r.answered_at else None
    return {"due_date": r.due_date.isoformat(), "working_days_left": st.left if st else None,
            "flag": st.state if st else None, "answered_at": iso_utc(r.answered_at),
            "on_time": None if answered is None else answered <= r.due_date,
            "due_date_rests_on": [a.what for a in calendar().rests_on(data.today(r.submitted), r.due_date)]}


def _place(r: CitizenRequest) -> dict:
    return {"region_code": r.region_code, "locality": r.locality, "street": r.street, "building": r.building,
            "latitude": r.latitude, "longitude": r.longitude}


def read(actor: access.Actor, url: str, rid: int, purpose: str | None = None, client: str | None = None,
         now: dt.datetime | None = None) -> dict:
    """One request: the citizen, place and text, its state and clock, the problem it repeats or the
    repeats it counts, what the actor may do next, and every change."""
    now = now or _now()
    with session(url) as s:
        r = _may(url, actor, s.get(CitizenRequest, rid), rid, "request", client)
        target = _target(s, r, "")
        history = s.scalars(select(RequestMove).where(RequestMove.request_id == rid).order_by(RequestMove.id)).all()
        repeats = s.scalars(select(CitizenRequest.id).where(CitizenRequest.repeats_id == rid)
                            .order_by(CitizenRequest.id)).all()
        can = data.allowed(target.state, actor.role, target.resolved_at, now)
    access.record(url, actor, "request", iin=r.iin, purpose=purpose, source=client)
    return {"id": r.id, "iin": r.iin, "phone": r.phone, "language": r.language, "category": r.category,
            "category_label": data.label(r.category, "en"), "place": _place(r), "text": r.text, "state": r.state,
            "submitted": iso_utc(r.submitted), **_clock(r, data.today(now)), "resolved_at": iso_utc(r.resolved_at),
            "solved": r.resolved_at is not None, "reopened": target.reopened, "repeats": r.repeats_id,
            "repeat_count": r.repeat_count, "repeated_by": repeats, "filed_by": r.filed_by,
            "filed_by_role": r.filed_by_role, "allowed": can,
            "history": [{"from": m.from_state, "to": m.to_state, "by": m.actor, "role": m.role, "at": iso_utc(m.at),
                         "note": m.note} for m in history]}


def _item(r: CitizenRequest, today: dt.date) -> dict:
    return {"id": r.id, "citizen": mask(r.iin), "category": r.category, "place": _place(r), "state": r.state,
            "submitted": iso_utc(r.submitted), **_clock(r, today), "solved": r.resolved_at is not None,
            "reopened": r.reopened, "repeats": r.repeats_id, "repeat_count": r.repeat_count}


def listing(actor: access.Actor, url: str, cursor: str | None = None, limit: int = 50, purpose: str | None = None,
            client: str | None = None, now: dt.datetime | None = None) -> dict:
    """A citizen: their own requests, newest first. A caseworker: the queue of the regions served,
    each problem once (its first request, with the count of repeats) while its answer is due, by
    working days left (overdue first), then by id, flagged nearly due or overdue. A page at a time;
    each citizen on the page is a log entry."""
    what = "requests list" if actor.role == "citizen" else "requests queue"
    if actor.role not in FILERS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read requests (an analyst reads the statistics)"),
                client)
    if not 1 <= limit <= MAX_PAGE:
        raise FieldError("limit", f"from 1 to {MAX_PAGE}")
    after, today = handling.cursor(cursor, int, int) if cursor else None, data.today(now or _now())
    c = CitizenRequest
    with session(url) as s:
        if actor.role == "citizen":
            order = [(-i, i) for i in s.scalars(select(c.id).where(c.iin == actor.iin))]
        else:
            waiting = s.execute(select(c.id, c.due_date).where(c.region_code.in_(actor.regions), c.repeats_id.is_(None),
                                                               c.state.in_(data.WAITING))).all()
            order = [(st.left, i) for i, st in calendar().queue(waiting, today, deadlines.nearly_due(today).days)]
        order.sort()
        ranked = [o for o in order if after is None or o > after][:limit + 1]
        rows = {r.id: r for r in s.scalars(select(c).where(c.id.in_([i for _, i in ranked])))}
        shown = [rows[i] for _, i in ranked[:limit]]
        items = [_item(r, today) for r in shown]
    access.record(url, actor, what, iins=sorted({r.iin for r in shown}) or [None], purpose=purpose, source=client)
    return {"items": items, "total": len(order),
            "next_cursor": handling.token(ranked[limit - 1]) if len(ranked) > limit else None}


# The aggregates --------------------------------------------------------------------------------

COUNTS = ("requests", "problems", "repeats", "open", "resolved", "reopened", "on_time", "late")


def statistics(actor: access.Actor, url: str, month: str | None = None, region: str | None = None,
               client: str | None = None, now: dt.datetime | None = None) -> dict:
    """Per region, category and month of submission: requests, problems (first requests), repeats,
    problems open and resolved now, problems reopened, and requests answered on time or late (late
    includes those overdue unanswered), with the on-time share. A cell of fewer than ten requests is
    suppressed with its figures; an analyst of some regions sees those only."""
    what = "requests statistics"
    if actor.role not in READERS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read the requests' statistics (an analyst's)"), client)
    if month is not None and not (isinstance(month, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month)):
        raise FieldError("month", "a month as YYYY-MM")
    if region is not None and region not in regions():
        raise FieldError("region", f"a region's KATO code ({', '.join(regions())})")
    if region is not None and actor.regions and region not in actor.regions:
        handling.refuse(url, actor, what, Forbidden(f"region {region} is not one of this analyst's"), client)
    wanted = [region] if region else list(actor.regions)
    today = data.today(now or _now())
    cells = counted(url, wanted, today)
    if month is not None:
        cells = cells.filter(pl.col("month") == month)
    table = (cells.group_by("region_code", "category", "month").agg(pl.sum(name).cast(pl.Int64) for name in COUNTS)
             .sort("region_code", "category", "month"))
    table = table.with_columns(pl.when(pl.col("on_time") + pl.col("late") > 0)
                               .then((pl.col("on_time") / (pl.col("on_time") + pl.col("late"))).round(3))
                               .otherwise(None).alias("on_time_share"))
    table = disclosure.suppress(table, "requests", also=[*COUNTS[1:], "on_time_share"])
    return {"month": month, "regions": wanted or None, "as_of": today.isoformat(), "cells": json_rows(table),
            "min_count": disclosure.MIN_COUNT}


def counted(url: str, wanted: list[str], today: dt.date) -> pl.DataFrame:
    """One row per request of the regions `wanted` (all when empty): its region, category, month
    of submission and a 0/1 for each of COUNTS as it stands on `today`; nothing suppressed yet."""
    c = CitizenRequest
    query = select(c.region_code, c.category, c.submitted, c.state, c.repeats_id, c.resolved_at, c.reopened,
                   c.answered_at, c.due_date)
    if wanted:
        query = query.where(c.region_code.in_(wanted))
    with session(url) as s:
        rows = s.execute(query).all()
    return pl.DataFrame([_cell(row, today) for row in rows], schema=_SCHEMA, orient="row")


_SCHEMA = {"region_code": pl.String, "category": pl.String, "month": pl.String,
           **{name: pl.Int8 for name in COUNTS}}


def _cell(row, today: dt.date) -> tuple:
    region, category, submitted, state, repeats, resolved, reopened, answered, due = row
    first = repeats is None
    on_time = answered is not None and data.today(answered) <= due
    late = (answered is not None and not on_time) or (answered is None and state in data.WAITING and due < today)
    return (region, category, data.today(submitted).strftime("%Y-%m"), 1, int(first), int(not first),
            int(first and state in data.OPEN), int(first and resolved is not None), int(first and reopened > 0),
            int(on_time), int(late))

