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
        access.record(url, actor, "household card", iins=list(iins), household_id=household_id, purpose=purpose,
                      source=client, allowed=False)
        raise Forbidden(why)

    if actor.role not in READERS:
        refuse(f"a {actor.role} does not read household cards")
    part = source.household(household_id, registry_inputs.TABLES)
    memberships = part.frames["households"].filter(pl.col("household_id") == household_id)
    if memberships.is_empty():
        raise NotFound(f"household {household_id!r}: not in the registry")
    current = registry_inputs.in_force(memberships, "from_date", "to_date", on)
    iins = sorted(set(current["iin"].to_list()))
    if actor.role == "citizen" and actor.iin not in iins:
        access.record(url, actor, "household card", household_id=household_id, purpose=purpose, source=client,
                      allowed=False)
        raise NotFound(f"household {household_id!r}: not in the registry")
    if actor.role == "caseworker":     # the region first: a refusal computes nothing
        home = registry_inputs.households_on(registry_inputs.tables_of(part), on).collect()
        region = home.filter(pl.col("household_id") == household_id)["region_code"].to_list()
        if region and region[0] not in actor.regions:
            refuse(f"household {household_id} is registered in region {region[0]}, not one this caseworker serves", iins)
    data = card(part, household_id, on, findings_from=url, checked=True)   # the source checked the schema
    # Whose data was read: every member's, one entry each.
    access.record(url, actor, "household card", iins=iins, household_id=household_id, purpose=purpose, source=client)
    return data
