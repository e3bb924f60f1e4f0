"""The access log: every read of personal data, allowed or refused, written in the same database
and never changed. A citizen may read who has looked at their own data; that read is logged too."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from komek.access.accounts import Actor
from komek.registry.db import session
from komek.registry.models import AccessEntry


def record(url: str, actor: Actor, what: str, *, iin: str | None = None, household_id: str | None = None,
           purpose: str | None = None, source: str | None = None, allowed: bool = True,
           iins: list[str | None] | None = None) -> None:
    """One entry, or one per person of `iins` (a household read: every member's data), in one transaction."""
    with session(url) as s:
        record_in(s, actor, what, iin=iin, household_id=household_id, purpose=purpose, source=source, allowed=allowed, iins=iins)


def record_in(s, actor: Actor, what: str, *, iin: str | None = None, household_id: str | None = None,
        purpose: str | None = None, source: str | None = None, allowed: bool = True,
        iins: list[str | None] | None = None) -> None:
    """`record`'s entries added to the caller's session `s`: written with the change they go with, or not at all."""
    now = dt.datetime.now(dt.UTC)
    # One statement for the lot (a page of 200 people is 200 entries), not a unit of work per entry.
    s.execute(insert(AccessEntry.__table__), [
        {"at": now, "actor": actor.username, "role": actor.role, "subject_iin": who, "household_id": household_id,
         "what": what, "purpose": purpose, "source": source, "allowed": allowed} for who in (iins or [iin])])


def entries(url: str, iin: str, limit: int = 200) -> list[dict]:
    """The reads of one person's data, newest first."""
    with session(url) as s:
        rows = s.scalars(select(AccessEntry).where(AccessEntry.subject_iin == iin)
                         .order_by(AccessEntry.at.desc(), AccessEntry.id.desc()).limit(limit))
        return [{"at": r.at.isoformat(), "who": r.actor, "role": r.role, "what": r.what, "purpose": r.purpose,
                 "allowed": r.allowed} for r in rows]
