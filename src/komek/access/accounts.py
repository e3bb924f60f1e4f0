"""Accounts: added, listed, disabled and given roles by an administrator (`komek users`, the
administrator's pages), and signed in with a password. Five wrong passwords in a row lock an
account for fifteen minutes; the answer to a wrong password never says whether the account exists.
An account may keep the language its pages are shown in."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from komek.errors import FieldError, NotFound, SignInError
from komek.kz import regions as kz_regions
from komek.kz.catalogs import LANGUAGES
from komek.kz.iin import is_valid
from komek.registry.db import require_current, session
from komek.registry.models import Account

ROLES = ("citizen", "caseworker", "supervisor", "auditor", "analyst", "administrator")
REGIONAL = ("caseworker", "supervisor")     # serve the regions named on the account
MAX_FAILURES, LOCK = 5, dt.timedelta(minutes=15)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Actor:
    """Who is asking: a value handed to every service that decides what they may see."""
    id: int
    username: str
    role: str
    regions: tuple[str, ...] = ()       # empty: national (an auditor or analyst), or none (a citizen)
    iin: str | None = None
    token_version: int = 0
    language: str | None = None         # the pages' language the account keeps; none: the browser's


def _actor(a: Account) -> Actor:
    return Actor(a.id, a.username, a.role, tuple(a.regions.split(",")) if a.regions else (), a.iin, a.token_version,
                 a.language)


def _language(language: str | None) -> str | None:
    if language is not None and language not in LANGUAGES:
        raise FieldError("language", f"unknown language {language!r} (one of: {', '.join(LANGUAGES)})")
    return language


def check(role: str, regions: tuple[str, ...], iin: str | None) -> None:
    if role not in ROLES:
        raise FieldError("role", f"unknown role {role!r} (one of: {', '.join(ROLES)})")
    unknown = [r for r in regions if r not in kz_regions()]
    if unknown:
        raise FieldError("region", f"unknown region code(s) {', '.join(unknown)}")
    if role == "citizen" and not (iin and is_valid(iin)):
        raise FieldError("iin", "a citizen's account needs the citizen's own valid IIN")
    if role in REGIONAL and not regions:
        raise FieldError("region", f"a {role}'s account needs the regions the {role} serves")


def add(url: str, username: str, password: str, role: str, regions: tuple[str, ...] = (), iin: str | None = None,
        language: str | None = None) -> Actor:
    if not username or len(username) > 64 or username != username.strip():
        raise FieldError("username", "1 to 64 characters, no space at either end")
    check(role, regions, iin)
    _language(language)
    if len(password) < 12:
        raise FieldError("password", "at least 12 characters")
    require_current(url)
    with session(url) as s:
        if s.scalar(select(Account.id).where(Account.username == username)) is not None:
            raise FieldError("username", f"{username!r} is taken")
        a = Account(username=username, password_hash=_hasher.hash(password), role=role, regions=",".join(regions) or None,
                    iin=iin, disabled=False, failed_logins=0, token_version=0, created=dt.datetime.now(dt.UTC),
                    language=language)
        s.add(a)
        s.flush()
        return _actor(a)


def _one(s, username: str) -> Account:
    a = s.scalar(select(Account).where(Account.username == username))
    if a is None:
        raise NotFound(f"no account {username!r}")
    return a


def find(url: str, account_id: int) -> Actor | None:
    """The account a token names, while it is enabled."""
    with session(url) as s:
        a = s.get(Account, account_id)
        return None if a is None or a.disabled else _actor(a)


def _listed(a: Account, now: dt.datetime) -> dict:
    locked = _utc(a.locked_until)
    return {"username": a.username, "role": a.role, "regions": a.regions or "", "iin": a.iin, "disabled": a.disabled,
            "created": a.created, "language": a.language, "locked_until": locked if locked and locked > now else None}


def list_accounts(url: str, now: dt.datetime | None = None) -> list[dict]:
    """Every account; `locked_until` while too many failed sign-ins keep it locked."""
    require_current(url)
    now = now or dt.datetime.now(dt.UTC)
    with session(url) as s:
        return [_listed(a, now) for a in s.scalars(select(Account).order_by(Account.username))]


def account(url: str, username: str, now: dt.datetime | None = None) -> dict:
    """One account as `list_accounts` gives it; NotFound when there is none."""
    require_current(url)
    with session(url) as s:
        return _listed(_one(s, username), now or dt.datetime.now(dt.UTC))


def set_language(url: str, username: str, language: str | None) -> None:
    """The language the account's pages are shown in (none: the browser's); its sessions go on."""
    _language(language)
    require_current(url)
    with session(url) as s:
        _one(s, username).language = language


def disable(url: str, username: str) -> None:
    require_current(url)
    with session(url) as s:
        a = _one(s, username)
        a.disabled, a.token_version = True, a.token_version + 1


def set_role(url: str, username: str, role: str, regions: tuple[str, ...] = (), iin: str | None = None) -> Actor:
    require_current(url)
    with session(url) as s:
        a = _one(s, username)
        check(role, regions, iin or a.iin)
        a.role, a.regions, a.iin = role, ",".join(regions) or None, iin or a.iin
        a.token_version += 1
        s.flush()
        return _actor(a)


def authenticate(url: str, username: str, password: str, now: dt.datetime | None = None) -> Actor:
    """The actor for a right password; a SignInError otherwise (the same for an unknown account).
    A failure is counted (and commits) before it is told."""
    now = now or dt.datetime.now(dt.UTC)
    refused = None
    with session(url) as s:
        a = s.scalar(select(Account).where(Account.username == username))
        if a is None or a.disabled:
            _hasher.hash(password)        # the same work as a real check, so timing tells nothing
            refused = "wrong username or password"
        elif (locked := _utc(a.locked_until)) and locked > now:
            refused = f"too many failed sign-ins: try again after {locked:%H:%M} UTC"
        else:
            try:
                _hasher.verify(a.password_hash, password)
                a.failed_logins, a.locked_until = 0, None
                actor = _actor(a)
            except (VerificationError, InvalidHashError):
                a.failed_logins += 1
                if a.failed_logins >= MAX_FAILURES:
                    a.failed_logins, a.locked_until = 0, now + LOCK
                refused = "wrong username or password"
    if refused:
        raise SignInError(refused)
    return actor


def _utc(when: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return when.replace(tzinfo=dt.UTC) if when is not None and when.tzinfo is None else when
