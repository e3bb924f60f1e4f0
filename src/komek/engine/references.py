"""Legal references: the text a variable, an exception or a parameter implements.

A reference names the act and the article and paragraph (or the order and its point). Where the
article or point could not be confirmed in the texts read, the reference says so once, in one
form, with the reason: ``"<act, topic> [assumption: <reason>]"``. It is the counterpart of a
parameter value's ``confirmed: false``: explanations and generated documents show it as written.
"""
from __future__ import annotations

import re

_ASSUMPTION = re.compile(r"\[assumption: (?P<reason>[^\]]*)\]")


def assumed(citation: str, reason: str) -> str:
    """A reference whose article or point is not confirmed, saying why."""
    if not reason.strip():
        raise ValueError(f"an assumed reference needs its reason: {citation!r}")
    return f"{citation} [assumption: {reason}]"


def assumption_reason(reference: str) -> str | None:
    """Why the reference's article is an assumption, or None for a reference given as confirmed."""
    m = _ASSUMPTION.search(reference)
    return m["reason"].strip() if m else None
