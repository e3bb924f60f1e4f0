"""A person for someone signed in: the civil record, households, registrations, disability,
payments and audit findings, from the registry database by indexed queries on the IIN, if the
actor's role allows it, every read (and refusal) in the access log.

A citizen reads their own record only (any other IIN is "not found", so nobody learns whether
a person exists); a caseworker reads a person registered, on the date, in a region served, and
finds people by IIN or by full name with the birth date. People outside the caseworker's regions
are not in the answer, so a search says nothing of them.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from komek import access
from komek.audit.listing import Filters, list_findings
from komek.errors import FieldError, Forbidden, NotFound
from komek.kz import registry_inputs
from komek.kz.iin import mask
from komek.registry import DatabaseSource

READERS = ("citizen", "caseworker")


def rows(frame: pl.DataFrame) -> list[dict]:
    """Rows as JSON-able dicts: money as numbers, dates as ISO text."""
    plain = frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64), pl.col(pl.Date).cast(pl.String))
    return plain.to_dicts()


def person(actor: access.Actor, source: DatabaseSource, iin: str, on: dt.date, purpose: str | None = None,
           client: str | None = None) -> dict:
    url = source.url

    def log(allowed: bool) -> None:
        access.record(url, actor, "person record", iin=iin, purpose=purpose, source=client, allowed=allowed)

    if actor.role not in READERS:
        log(False)
        raise Forbidden(f"a {actor.role} does not read person records")
    civil = source.rows("persons", "iin", [iin])
    if civil.is_empty() or (actor.role == "citizen" and actor.iin != iin):
        if actor.role == "citizen" and actor.iin != iin:
            log(False)
        raise NotFound(f"person {mask(iin)}: not in the registry")
    addresses = source.rows("addresses", "iin", [iin]).sort("registered_from")
    regions = set(registry_inputs.in_force(addresses, "registered_from", "registered_to", on)["region_code"].to_list())
    if actor.role == "caseworker" and not regions & set(actor.regions):
        log(False)
        raise Forbidden("the person is not registered in a region this caseworker serves")
    record = {
        "iin": iin, "date": on.isoformat(),
        "person": rows(civil.drop("iin"))[0],
        "households": rows(source.rows("households", "iin", [iin]).sort("from_date")),
        "registrations": rows(addresses.drop("iin")),
        "disability": rows(source.rows("disability", "iin", [iin]).sort("valid_from").drop("iin")),
        "payments": rows(source.rows("payments", "iin", [iin]).sort("month", "payment_id").drop("iin")),
        "findings": _findings(url, iin),
        "not_known": [t for t in ("disability", "payments") if not source.has(t)],
    }
    log(True)
    return record


def _findings(url: str, iin: str) -> list[dict]:
    """The person's audit findings, shown as information (a finding is a reason to look, never a decision)."""
    frame = list_findings(url, Filters(iin=iin), checked=True)
    return rows(frame.select("finding_id", "check", "severity", "review_state", "month", "measure", "amount_at_risk"))


def search(actor: access.Actor, source: DatabaseSource, on: dt.date, iin: str | None = None,
           last_name: str | None = None, first_name: str | None = None, birth_date: dt.date | None = None,
           patronymic: str | None = None, purpose: str | None = None, client: str | None = None) -> list[dict]:
    """The people a caseworker may serve who match an IIN, or a full name with the birth date
    (never a name alone: no browsing of lists). Names match whatever their case and spacing.
    Each person found is logged; a search that finds nobody is logged too, with no subject."""
    url = source.url
    if actor.role != "caseworker":
        access.record(url, actor, "person search", purpose=purpose, source=client, allowed=False)
        raise Forbidden(f"a {actor.role} does not search the registry")
    if iin is None and not (last_name and first_name and birth_date):
        raise FieldError("iin", "give an IIN, or last_name, first_name and birth_date together")
    civil = source.rows("persons", "iin", [iin]) if iin else source.rows("persons", "birth_date", [birth_date])
    fold = lambda v: " ".join((v or "").split()).casefold()  # noqa: E731
    wanted = {"last_name": last_name, "first_name": first_name, "patronymic": patronymic}
    found = [r for r in civil.iter_rows(named=True)
             if all(fold(r[k]) == fold(v) for k, v in wanted.items() if v is not None)]
    iins = [r["iin"] for r in found]
    living = registry_inputs.in_force(source.rows("addresses", "iin", iins), "registered_from", "registered_to", on)
    region = dict(living.sort("registered_from").select("iin", "region_code").iter_rows())
    homes = registry_inputs.in_force(source.rows("households", "iin", iins), "from_date", "to_date", on)
    home = dict(homes.sort("from_date").select("iin", "household_id").iter_rows())
    served = [r for r in found if region.get(r["iin"]) in actor.regions]
    access.record(url, actor, "person search", iins=[r["iin"] for r in served] or [None], purpose=purpose, source=client)
    return [{"iin": r["iin"], "last_name": r["last_name"], "first_name": r["first_name"], "patronymic": r["patronymic"],
             "birth_date": r["birth_date"].isoformat(), "region_code": region[r["iin"]],
             "household_id": home.get(r["iin"])} for r in sorted(served, key=lambda r: r["iin"])]
