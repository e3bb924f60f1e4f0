"""A person for someone signed in: the civil record, households, registrations, disability,
payments and audit findings, from the registry database by indexed queries on the IIN, if the
actor's role allows it, every read (and refusal) in the access log.

A citizen reads their own record only (any other IIN is "not found", so nobody learns whether
a person exists); a caseworker reads a person registered, on the date, in a region served.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from komek import access
from komek.audit.listing import Filters, list_findings
from komek.errors import Forbidden, NotFound
from komek.kz import registry_inputs
from komek.kz.iin import mask
from komek.registry import DatabaseSource

READERS = ("citizen", "caseworker")


def _rows(frame: pl.DataFrame) -> list[dict]:
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
        "person": _rows(civil.drop("iin"))[0],
        "households": _rows(source.rows("households", "iin", [iin]).sort("from_date")),
        "registrations": _rows(addresses.drop("iin")),
        "disability": _rows(source.rows("disability", "iin", [iin]).sort("valid_from").drop("iin")),
        "payments": _rows(source.rows("payments", "iin", [iin]).sort("month", "payment_id").drop("iin")),
        "findings": _findings(url, iin),
        "not_known": [t for t in ("disability", "payments") if not source.has(t)],
    }
    log(True)
    return record


def _findings(url: str, iin: str) -> list[dict]:
    """The person's audit findings, shown as information (a finding is a reason to look, never a decision)."""
    frame = list_findings(url, Filters(iin=iin), checked=True)
    return _rows(frame.select("finding_id", "check", "severity", "review_state", "month", "measure", "amount_at_risk"))
