"""Idempotency keys: the digest of a request's body that a key is kept with, so the key replayed
with the same body gets the first answer and with another body is refused."""
from __future__ import annotations

import hashlib
import json


def digest(body: dict) -> str:
    """SHA-256 of the body, its keys sorted: the same body gives the same digest however it was sent."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
