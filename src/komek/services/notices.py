"""The messages a citizen was sent: the outbox's notifications about their applications, appeals,
requests, offers and appointments, each as it was written (its text in the language it was sent
in) and whether it was delivered yet. A citizen reads their own only; any other role, or an
account without an IIN, is refused and the refusal logged."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from komek import access
from komek.errors import Forbidden
from komek.kz import phone
from komek.registry.db import session
from komek.registry.models import Notification

# The outbox's states as the citizen hears of them: claimed by a relay is still on its way.
SEEN_AS = {"pending": "pending", "sending": "pending", "delivered": "delivered", "dead": "failed"}


def _iso(when: dt.datetime | None) -> str | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return None if when is None else when.isoformat()


def mine(actor: access.Actor, url: str, about: str | None = None, client: str | None = None) -> list[dict]:
    """The citizen's own notifications, newest first; `about` ("application:12") keeps those of one case."""
    if actor.role != "citizen" or not actor.iin:
        access.record(url, actor, "notifications of a citizen", allowed=False, source=client)
        raise Forbidden("only a citizen reads the messages sent to them")
    query = select(Notification).where(Notification.iin == actor.iin)
    if about is not None:
        query = query.where(Notification.about == about)
    with session(url) as s:
        sent = s.scalars(query.order_by(Notification.created.desc(), Notification.id.desc())).all()
        out = [{"id": n.id, "about": n.about, "kind": n.about.split(":", 1)[0], "channel": n.channel,
                "phone": phone.mask(n.phone), "language": n.language, "text": n.text, "state": SEEN_AS.get(n.state, "pending"),
                "created": _iso(n.created), "delivered": _iso(n.delivered)} for n in sent]
    access.record(url, actor, "own notifications", iin=actor.iin, purpose="a citizen reads the messages sent to them",
                  source=client)
    return out
