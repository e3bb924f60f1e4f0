"""Who has looked at my data: a citizen reads the access log of their own IIN (when, who, in
which role, for what); that read is logged too. Any other role, or an account without an IIN,
is refused and the refusal logged. The API's /me/access-log and the page /my/access both ask here."""
from __future__ import annotations

from komek import access
from komek.errors import Forbidden


def mine(actor: access.Actor, url: str, client: str | None = None) -> list[dict]:
    """The reads of the citizen's own data, newest first."""
    if actor.role != "citizen" or not actor.iin:
        access.record(url, actor, "access log of a citizen", allowed=False, source=client)
        raise Forbidden("only a citizen reads the log of who looked at their own data")
    seen = access.entries(url, actor.iin)
    access.record(url, actor, "own access log", iin=actor.iin, purpose="a citizen reads who looked at their data",
                  source=client)
    return seen
