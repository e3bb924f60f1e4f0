"""A household for a person signed in: the card and the history, from the registry database by
indexed queries, if the actor's role allows it, with every read written to the access log.

Who may read a household card: a citizen their own household (any other is "not found", so a
citizen learns nothing of other families), a caseworker the households of the regions served.
Other roles are refused, and the refusal is logged too.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import polars as pl

from komek import access
from komek.audit.listing import Filters, list_findings
from komek.errors import Forbidden, NotFound
from komek.kz import registry_inputs
from komek.kz.iin import mask
from komek.kz.standard import INCOME_KINDS
from komek.registry import DatabaseSource
from komek.services.calc import Costs, Household, Housing, Member, Situation
from komek.services.card import card, prepared
from komek.services.persons import rows

READERS = ("citizen", "caseworker")


def _region(part, household_id: str, on: dt.date) -> str | None:
    """Where the household lives on `on` (None: it does not live then)."""
    home = registry_inputs.households_on(registry_inputs.tables_of(part), on).collect()
    region = home.filter(pl.col("household_id") == household_id)["region_code"].to_list()
    return region[0] if region else None


def _allowed(actor: access.Actor, source: DatabaseSource, part, household_id: str, on: dt.date, what: str,
             purpose: str | None, client: str | None, region: Callable[[], str | None] | None = None) -> list[str]:
    """The household's members on `on` (IINs) if the actor may read it; else refused, and logged.
    A citizen's own household is one the citizen belongs to (or belonged to, for its history).
    `region`: where the household lives on `on`, when the caller works it out anyway."""
    url = source.url

    def refuse(error: Exception, iins=(None,)) -> None:
        access.record(url, actor, what, iins=list(iins), household_id=household_id, purpose=purpose, source=client,
                      allowed=False)
        raise error

    if actor.role not in READERS:
        refuse(Forbidden(f"a {actor.role} does not read household records"))
    memberships = part.frames["households"].filter(pl.col("household_id") == household_id)
    if memberships.is_empty():
        raise NotFound(f"household {household_id!r}: not in the registry")
    current = registry_inputs.in_force(memberships, "from_date", "to_date", on)
    iins = sorted(set(current["iin"].to_list()))
    ever = set(memberships["iin"].to_list()) if what == "household history" else set(iins)
    if actor.role == "citizen" and actor.iin not in ever:
        refuse(NotFound(f"household {household_id!r}: not in the registry"))
    if actor.role == "caseworker":     # the region first: a refusal computes nothing
        home = region() if region else _region(part, household_id, on)
        if home is not None and home not in actor.regions:
            refuse(Forbidden(f"household {household_id} is registered in region {home}, not one this caseworker "
                             "serves"), iins)
    return iins


def household(actor: access.Actor, source: DatabaseSource, household_id: str, on: dt.date,
              purpose: str | None = None, client: str | None = None, lang: str = "en") -> dict:
    part = source.household(household_id, registry_inputs.TABLES)
    inputs = []

    def region() -> str | None:       # the card's own inputs say where the household lives
        try:
            inputs.append(prepared(part, household_id, on))
        except NotFound:              # not living on `on`: the card says so below
            return None
        return inputs[0].region_codes[0]

    iins = _allowed(actor, source, part, household_id, on, "household card", purpose, client, region)
    data = card(part, household_id, on, findings_from=source.url, checked=True, lang=lang,   # the source checked the schema
                inputs=inputs[0] if inputs else None)
    # Whose data was read: every member's, one entry each.
    access.record(source.url, actor, "household card", iins=iins, household_id=household_id, purpose=purpose,
                  source=client)
    return data


def _tiyn(amount: float) -> Decimal:
    """A registry amount to the tiyn, as a situation holds money."""
    return Decimal(str(amount)).quantize(Decimal("0.01"))


def situation(actor: access.Actor, source: DatabaseSource, household_id: str, on: dt.date,
              purpose: str | None = None, client: str | None = None) -> tuple[Situation, list[str]]:
    """The household on `on` as the rules read it from the registry, as a situation (members
    named by position, never by IIN), if the actor may read it; and the measures the registry
    cannot compute (the card's "not computed"). Logged as the card is."""
    part = source.household(household_id, registry_inputs.TABLES)
    _allowed(actor, source, part, household_id, on, "household situation", purpose, client)
    inputs = prepared(part, household_id, on)
    persons, households = inputs.frames()
    home = households.row(0, named=True)
    members = [Member(id=f"member {i + 1}", role=r["role"], birth_date=r["birth_date"], sex=r["sex"],
                      disability_group=r["disability_group"] or None, disability_cause=r["disability_cause"] or None,
                      children_born=r["children_born"] or 0, participation_years=r["participation_years"] or 0,
                      incomes={k: _tiyn(r[f"income_{k}"]) for k in INCOME_KINDS if r[f"income_{k}"]})
               for i, r in enumerate(persons.iter_rows(named=True))]
    housing = Housing(area_m2=home["area_m2"], tenure=home["tenure"], only_home=home["only_home"],
                      monthly_costs=Costs(**{c: _tiyn(home[c]) for c in registry_inputs.COSTS}))
    locality = inputs.locality_codes[0]
    # A locality the situation cannot take (not 9 digits of this region) is taken as not known.
    locality = locality if len(locality) == 9 and locality.isdigit() and locality.startswith(home["region_code"]) else None
    found = Situation(date=on, region_code=home["region_code"], locality_code=locality,
                      household=Household(members=members, housing=housing))
    access.record(source.url, actor, "household situation", iins=persons["iin"].to_list(), household_id=household_id,
                  purpose=purpose, source=client)
    return found, sorted(registry_inputs.coverage(registry_inputs.tables_of(part)).not_computed)


def history(actor: access.Actor, source: DatabaseSource, household_id: str, on: dt.date,
            purpose: str | None = None, client: str | None = None) -> dict:
    """The household over time: who belonged to it and when, its housing by quarter, the support
    paid to it (or to a member, with no household named) by month and measure, and every audit
    finding with its review (IINs masked)."""
    part = source.household(household_id, ("households", "persons", "addresses", "housing", "payments"))
    _allowed(actor, source, part, household_id, on, "household history", purpose, client)
    memberships = part.frames["households"].filter(pl.col("household_id") == household_id).sort("from_date", "iin")
    payments = part.frames.get("payments")
    if payments is not None:    # paid to the household, or to a member with no household named
        payments = payments.filter((pl.col("household_id") == household_id) | pl.col("household_id").is_null())
    housing = part.frames.get("housing")
    findings = list_findings(source.url, Filters(household=household_id), checked=True).sort("month", "finding_id")
    everyone = sorted(set(memberships["iin"].to_list()))
    access.record(source.url, actor, "household history", iins=everyone, household_id=household_id, purpose=purpose,
                  source=client)
    return {
        "household_id": household_id, "date": on.isoformat(),
        "members": [{"iin": mask(r["iin"]), "role": r["role"], "from": _day(r["from_date"]), "to": _day(r["to_date"])}
                    for r in memberships.iter_rows(named=True)],
        "housing": None if housing is None else rows(housing.sort("quarter").drop("household_id")),
        "payments": None if payments is None else rows(
            payments.group_by("month", "measure").agg(amount=pl.col("amount").sum(), payments=pl.len(),
                                                      people=pl.col("iin").n_unique()).sort("month", "measure")),
        "findings": rows(findings.select("finding_id", "check", "severity", "review_state", "month", "measure",
                                           "iin", "amount_at_risk", "recovery_amount", "dismiss_reason")),
        "not_known": [t for t in ("housing", "payments") if not source.has(t)],
    }


def _day(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()
