"""API keys: how another system signs in. A key carries a role and regions like an account (a
regional office's system as a caseworker of its region, a statistics system as an analyst);
never a citizen's (a system is nobody's own data), a supervisor's (a decision on appeal is a named
person's) nor an administrator's. The key is shown once
when made; only its SHA-256 is kept."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from komek.access.accounts import ROLES, Actor, check
from komek.errors import FieldError, NotFound, SignInError
from komek.registry.db import require_current, session
from komek.registry.models import ApiKey

KEY_ROLES = tuple(r for r in ROLES if r not in ("citizen", "supervisor", "administrator"))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_key(url: str, name: str, role: str, regions: tuple[str, ...] = ()) -> str:
    """A new key for the system `name`; the key itself is returned once and never kept."""
    if role not in KEY_ROLES:
        raise FieldError("role", f"a system's key is one of: {', '.join(KEY_ROLES)}")
    check(role, regions, None)
    prefix = "kmk_" + secrets.token_hex(4)
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    require_current(url)
    with session(url) as s:
        if s.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
            raise FieldError("name", f"a key named {name!r} exists")
        s.add(ApiKey(name=name, prefix=prefix, key_hash=_digest(key), role=role, regions=",".join(regions) or None,
                     created=dt.datetime.now(dt.UTC)))
    return key


def key_actor(url: str, key: str) -> Actor:
    """The system a key names, while the key is not revoked; a SignInError otherwise."""
    with session(url) as s:
        k = s.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key)))
        if k is None or k.revoked is not None:
            raise SignInError("not a valid API key")
        return Actor(-k.id, f"key:{k.name}", k.role, tuple(k.regions.split(",")) if k.regions else ())


def list_keys(url: str) -> list[dict]:
    require_current(url)
    with session(url) as s:
        return [{"name": k.name, "prefix": k.prefix, "role": k.role, "regions": k.regions or "", "created": k.created,
                 "revoked": k.revoked} for k in s.scalars(select(ApiKey).order_by(ApiKey.name))]


def revoke_key(url: str, name: str) -> None:
    require_current(url)
    with session(url) as s:
        k = s.scalar(select(ApiKey).where(ApiKey.name == name))
        if k is None:
            raise NotFound(f"no API key {name!r}")
        k.revoked = k.revoked or dt.datetime.now(dt.UTC)
