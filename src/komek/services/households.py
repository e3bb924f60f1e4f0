"""A household for a person signed in: the card, from the registry database by indexed queries,
if the actor's role allows it, with every read written to the access log.

Who may read a household card: a citizen their own household (any other is "not found", so a
citizen learns nothing of other families), a caseworker the households of the regions served.
Other roles are refused, and the refusal is logged too.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from komek import access
from komek.errors import Forbidden, NotFound
from komek.kz import registry_inputs
from komek.registry import DatabaseSource
from komek.services.card import card

READERS = ("citizen", "caseworker")


def household(actor: access.Actor, source: DatabaseSource, household_id: str, on: dt.date,
              purpose: str | None = None, client: str | None = None) -> dict:
    url = source.url

    def refuse(why: str, iins=(None,)) -> None:
        for iin in iins:
            access.record(url, actor, "household card", iin=iin, household_id=household_id, purpose=purpose,
                          source=client, allowed=False)
        raise Forbidden(why)

    if actor.role not in READERS:
        refuse(f"a {actor.role} does not read household cards")
    part = source.household(household_id, registry_inputs.TABLES)
    memberships = part.frames["households"].filter(pl.col("household_id") == household_id)
    if memberships.is_empty():
        raise NotFound(f"household {household_id!r}: not in the registry")
    current = memberships.filter((pl.col("from_date") <= on) & (pl.col("to_date").is_null() | (pl.col("to_date") > on)))
    iins = sorted(set(current["iin"].to_list()))
    if actor.role == "citizen" and actor.iin not in iins:
        access.record(url, actor, "household card", household_id=household_id, purpose=purpose, source=client,
                      allowed=False)
        raise NotFound(f"household {household_id!r}: not in the registry")
    data = card(part, household_id, on, findings_from=url)
    if actor.role == "caseworker" and data["region_code"] not in actor.regions:
        refuse(f"household {household_id} is registered in region {data['region_code']}, not one this caseworker serves",
               iins)
    for iin in iins:           # whose data was read: every member's
        access.record(url, actor, "household card", iin=iin, household_id=household_id, purpose=purpose, source=client)
    return data
