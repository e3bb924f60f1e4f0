"""The outbox: the `notifications` table, written by every change in its own transaction and
read by the relay (komek.cases.notifications.relay).

A writer calls `notify(session, phone=..., template=..., values=..., about=...)` inside the
transaction of the change: the notification is committed with it, or not at all. The relay
`claim`s due notifications (pending ones whose time has come, and claims whose worker went
silent past their lease) in one statement that only one worker wins for each row: on PostgreSQL
the rows are locked with FOR UPDATE SKIP LOCKED, so concurrent workers take different ones; on
SQLite the statement runs under the database's one write lock. A claim holds until `next_attempt`
and counts an attempt; `delivered`, `failed` and `release` then write its outcome only while that
attempt is still the notification's own, so a worker whose claim lapsed changes nothing.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from komek.cases.notifications import texts
from komek.errors import FieldError, KomekError, NotFound
from komek.kz import phone as phones
from komek.kz.iin import is_valid, mask
from komek.registry import engine, require_current
from komek.registry.models import Notification

STATES = ("pending", "sending", "delivered", "dead")
CHANNELS = ("sms",)
ABOUT = re.compile(r"^[a-z][a-z_]*:[^\s]{1,180}$")      # kind:reference, e.g. application:123


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(when: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return when.replace(tzinfo=dt.UTC) if when is not None and when.tzinfo is None else when


def notify(session: Session, *, phone: str, template: str, values: dict, about: str, iin: str | None = None,
           language: str = "kk", channel: str = "sms", key: str | None = None) -> Notification:
    """Write a notification in the caller's transaction (nothing is sent until it commits): to
    `phone` (and the person `iin`, when known), the template's text in `language` with `values`,
    about what (`application:123`). With a `key`, writing the same notification again returns the
    one written first. A wrong argument raises a FieldError naming it, before anything is written."""
    if channel not in CHANNELS:
        raise FieldError("channel", f"unknown channel {channel!r} (one of {', '.join(CHANNELS)})")
    if not isinstance(about, str) or not ABOUT.match(about):
        raise FieldError("about", "what the notification is about, as kind:reference (application:123)")
    if iin is not None and not (isinstance(iin, str) and is_valid(iin)):
        raise FieldError("iin", f"{mask(str(iin))} is not a valid IIN")
    if key is not None and not (isinstance(key, str) and 0 < len(key) <= 200):
        raise FieldError("key", "a text of 1 to 200 characters")
    to = phones.normalize(phone)
    text = texts.render(template, values, language)
    now = _now()
    # One INSERT that does nothing when the key was written before: no read comes first, so on
    # SQLite the transaction asks for the write lock (and waits for it) before it has read anything.
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(Notification)
    written = session.scalar(insert.values(
        delivery_id=str(uuid.uuid4()), key=key, channel=channel, phone=to, iin=iin, language=language, template=template,
        text=text, about=about, state="pending", attempts=0, next_attempt=now, created=now,
    ).on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id))
    if written is not None:
        return session.get(Notification, written)
    first = session.scalar(select(Notification).where(Notification.key == key))
    if (first.about, first.template) != (about, template):
        raise FieldError("key", f"{key!r} was written for {first.template} about {first.about}")
    return first


@dataclass(frozen=True)
class Delivery:
    """A claimed notification, as a gateway sends it: `attempt` is the claim's own (its number),
    `until` when the claim lapses."""
    id: int
    delivery_id: str
    channel: str
    phone: str
    iin: str | None
    language: str
    template: str
    about: str
    text: str
    attempt: int
    until: dt.datetime


def claim(url: str, worker: str, limit: int, lease: dt.timedelta) -> list[Delivery]:
    """Claim up to `limit` due notifications for `lease`, oldest due first: pending ones whose
    time has come and claims past their lease (their worker stopped)."""
    now = _now()
    until = now + lease
    due = (select(Notification.id)
           .where(Notification.state.in_(("pending", "sending")), Notification.next_attempt <= now)
           .order_by(Notification.next_attempt, Notification.id).limit(limit)
           .with_for_update(skip_locked=True).cte("due"))
    taken = (update(Notification).where(Notification.id.in_(select(due.c.id)))
             .values(state="sending", attempts=Notification.attempts + 1, next_attempt=until, claimed_by=worker,
                     last_attempt=now)
             .returning(Notification.id, Notification.delivery_id, Notification.channel, Notification.phone,
                        Notification.iin, Notification.language, Notification.template, Notification.about,
                        Notification.text, Notification.attempts))
    with engine(url).begin() as conn:
        rows = conn.execute(taken).all()
    return sorted((Delivery(*row, until=until) for row in rows), key=lambda d: d.id)


def _own(d: Delivery):
    return update(Notification).where(Notification.id == d.id, Notification.state == "sending",
                                      Notification.attempts == d.attempt)


def delivered(url: str, d: Delivery) -> bool:
    """The gateway took it: delivered. False when the claim was no longer this attempt's."""
    with engine(url).begin() as conn:
        return conn.execute(_own(d).values(state="delivered", delivered=_now(), next_attempt=None,
                                           last_error=None)).rowcount == 1


def failed(url: str, d: Delivery, error: str, retry_in: dt.timedelta | None) -> str | None:
    """The attempt failed: pending again after `retry_in`, or dead when None. The state written,
    or None when the claim was no longer this attempt's."""
    state = "dead" if retry_in is None else "pending"
    with engine(url).begin() as conn:
        won = conn.execute(_own(d).values(state=state, last_error=error[:2000],
                                          next_attempt=None if retry_in is None else _now() + retry_in)).rowcount
    return state if won else None


def release(url: str, unsent: list[Delivery]) -> None:
    """Claims not sent (the worker is stopping): pending again now, the attempt not counted."""
    with engine(url).begin() as conn:
        for d in unsent:
            conn.execute(_own(d).values(state="pending", attempts=Notification.attempts - 1, next_attempt=_now()))


# For an operator ------------------------------------------------------------------------------

def counts(url: str) -> dict[str, int]:
    """How many notifications are in each state (every state, none as 0)."""
    require_current(url)
    with engine(url).connect() as conn:
        found = dict(conn.execute(select(Notification.state, func.count()).group_by(Notification.state)).all())
    return {state: found.get(state, 0) for state in STATES}


def listing(url: str, state: str | None = None, limit: int = 50) -> list[dict]:
    """Notifications, newest first (of one state when given), phone and IIN masked."""
    if state is not None and state not in STATES:
        raise FieldError("state", f"unknown state {state!r} (one of {', '.join(STATES)})")
    require_current(url)
    query = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Notification.state == state)
    with engine(url).connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{"id": r["id"], "state": r["state"], "attempts": r["attempts"], "phone": phones.mask(r["phone"]),
             "iin": mask(r["iin"]), "language": r["language"], "template": r["template"], "about": r["about"],
             "created": _utc(r["created"]), "next_attempt": _utc(r["next_attempt"]), "delivered": _utc(r["delivered"]),
             "last_error": r["last_error"], "delivery_id": r["delivery_id"]} for r in rows]


def retry(url: str, ids: list[int]) -> list[int]:
    """Send dead notifications again, from a first attempt, with the same delivery id (so one the
    gateway did take is not sent twice). Every id must be dead, or nothing changes."""
    require_current(url)
    wanted = sorted(set(ids))
    try:
        with engine(url).begin() as conn:         # the write first: on SQLite it takes the lock before any read
            retried = conn.execute(update(Notification).where(Notification.id.in_(wanted), Notification.state == "dead")
                                   .values(state="pending", attempts=0, next_attempt=_now())).rowcount
            if retried != len(wanted):
                raise _NotAllDead
    except _NotAllDead:
        with engine(url).connect() as conn:
            states = dict(conn.execute(select(Notification.id, Notification.state)
                                       .where(Notification.id.in_(wanted))).all())
        wrong = next(i for i in wanted if states.get(i) != "dead")
        if wrong not in states:
            raise NotFound(f"notification {wrong}: no such notification") from None
        raise KomekError(f"notification {wrong} is {states[wrong]}: only a dead one is retried") from None
    return wanted


class _NotAllDead(Exception):
    """Some notification to retry is not dead: the transaction is rolled back."""
