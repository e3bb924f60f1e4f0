"""What every case service does the same way with a request: a refusal logged before it is
raised, a text field checked, a page's cursor, and the first answer to an idempotency key."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence

from komek import access
from komek.errors import FieldError


def refuse(url: str, actor: access.Actor, what: str, error: Exception, client: str | None = None,
           iin: str | None = None, household_id: str | None = None):
    """Log the refused attempt in the access log, then raise `error`."""
    access.record(url, actor, what, iin=iin, household_id=household_id, source=client, allowed=False)
    raise error


def text(body: dict, name: str, limit: int, required: bool = True) -> str | None:
    """The field `name` of a body as a text of at most `limit` characters, stripped."""
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise FieldError(name, "required: a text" if value is None else "a text that is not empty")
    if len(value) > limit:
        raise FieldError(name, f"at most {limit} characters")
    return value.strip()


def token(position: Sequence) -> str:
    """A page's cursor: the last row's position in the list's order, opaque to the client (a
    decimal amount kept as its text, so it is read back exactly)."""
    return base64.urlsafe_b64encode(json.dumps(list(position), default=str).encode()).decode()


def cursor(value: str, *types: Callable) -> tuple:
    """The position a cursor of `token` holds, each part read by its type; anything else is a
    FieldError on `cursor`."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(value.encode()))
        if len(parts) != len(types):
            raise ValueError(value)
        return tuple(kind(part) for kind, part in zip(types, parts))
    except (ValueError, TypeError, ArithmeticError, binascii.Error):
        raise FieldError("cursor", "not a cursor this list gave (take next_cursor from the previous page)") from None


def replay(first, digest: str, kind: str) -> dict | None:
    """The answer first given to an idempotency key (`first`: its stored row, with `body_sha256`,
    `response` and the id of the KIND it made, or None for a new key); the key with another body
    is refused."""
    if first is None:
        return None
    if first.body_sha256 != digest:
        raise FieldError("Idempotency-Key", f"already used for {kind} {getattr(first, kind + '_id')} with another "
                         f"body: a new {kind} takes a new key")
    return json.loads(first.response)
