"""Accounts managed by an administrator: listed (IINs masked), added (with a password given or
drawn and returned once), given another role, regions or language, disabled. Only an
administrator may; anyone else is refused and the refusal logged. Every change is an access-log
entry with the administrator as the actor and the account's IIN (a citizen's) as its subject."""
from __future__ import annotations

import secrets

from komek import access
from komek.errors import Forbidden
from komek.kz.iin import mask

PURPOSE = "an administrator manages the accounts"


def administrator(actor: access.Actor, url: str, what: str = "accounts", client: str | None = None) -> None:
    """Nothing for an administrator; a Forbidden, logged, for anyone else."""
    if actor.role != "administrator":
        access.record(url, actor, what, purpose=PURPOSE, source=client, allowed=False)
        raise Forbidden(f"only an administrator manages accounts; a {actor.role} may not")


def _shown(a: dict) -> dict:
    return {**a, "iin": mask(a["iin"]), "regions": tuple(a["regions"].split(",")) if a["regions"] else ()}


def listing(actor: access.Actor, url: str, client: str | None = None) -> list[dict]:
    administrator(actor, url, "accounts", client)
    return [_shown(a) for a in access.list_accounts(url)]


def one(actor: access.Actor, url: str, username: str, client: str | None = None) -> dict:
    administrator(actor, url, f"account {username}", client)
    return _shown(access.account(url, username))


def add(actor: access.Actor, url: str, username: str, role: str, regions: tuple[str, ...] = (), iin: str | None = None,
        language: str | None = None, password: str | None = None, client: str | None = None) -> tuple[dict, str | None]:
    """The account added, and the password drawn for it when none was given (shown once, never kept)."""
    administrator(actor, url, f"account {username}", client)
    drawn = None if password else secrets.token_urlsafe(15)
    made = access.add(url, username, password or drawn, role, regions, iin, language)
    access.record(url, actor, f"account {made.username} added: {role}" + (f", regions {','.join(regions)}" if regions else ""),
                  iin=iin, purpose=PURPOSE, source=client)
    return _shown(access.account(url, made.username)), drawn


def change(actor: access.Actor, url: str, username: str, role: str, regions: tuple[str, ...], language: str | None,
           iin: str | None = None, client: str | None = None) -> dict:
    """Another role or regions (which ends the account's sessions), or another language (which does not)."""
    was = one(actor, url, username, client)
    said = []
    if role != was["role"] or tuple(regions) != was["regions"] or iin:
        access.set_role(url, username, role, tuple(regions), iin)
        said.append(f"role {role}" + (f", regions {','.join(regions)}" if regions else ""))
    if language != was["language"]:
        access.set_language(url, username, language)
        said.append(f"language {language or 'none'}")
    now = access.account(url, username)
    if said:
        access.record(url, actor, f"account {username} changed: {'; '.join(said)}", iin=now["iin"], purpose=PURPOSE,
                      source=client)
    return _shown(now)


def disable(actor: access.Actor, url: str, username: str, client: str | None = None) -> None:
    """The account can no longer sign in, and its sessions and tokens stop working."""
    administrator(actor, url, f"account {username}", client)
    was = access.account(url, username)
    access.disable(url, username)
    access.record(url, actor, f"account {username} disabled", iin=was["iin"], purpose=PURPOSE, source=client)


def choose_language(actor: access.Actor, url: str, language: str) -> None:
    """A person's own choice of the pages' language, kept on their account (a system's key has none)."""
    if actor.id > 0 and language != actor.language:
        access.set_language(url, actor.username, language)
