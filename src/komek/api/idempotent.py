"""Filing routes that a client may retry: the Idempotency-Key header, and the answer, which names
where the thing filed lives and whether it is the first answer replayed."""
from __future__ import annotations

from fastapi import Header, Response

# Printable ASCII without spaces: a key is an opaque token of the client's.
KEY_PATTERN = r"^[\x21-\x7e]+$"


def key(thing: str):
    """The Idempotency-Key header of a route that files a THING."""
    return Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=KEY_PATTERN,
                  description=f"A key of the client's for this {thing}: sent again, the first answer is returned")


def filed(response: Response, answer: dict, replayed: bool, links: dict) -> dict:
    """The filing's answer with its links; Location names it, and a replay says so in a header."""
    response.headers["Location"] = links["self"]
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return {**answer, "links": links}
