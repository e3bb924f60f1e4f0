"""GET /households/{id}: the card from the registry database by indexed queries, the same as the
card from the extract, for a citizen's own household or a caseworker's region only, every read
(and every refusal) in the access log."""
from __future__ import annotations

import datetime as dt

import polars as pl
from fastapi.testclient import TestClient
from sqlalchemy import select

from komek import access
from komek.api import create_app
from komek.kz import registry_inputs
from komek.registry.db import session
from komek.registry.models import AccessEntry
from komek.services.card import card
from komek.services.extracts import ingest_extract
from komek.services.sources import source
from komek.settings import Settings, settings

ON = dt.date(2026, 10, 31)
PASSWORD = "correct horse battery"


def as_(client: TestClient, user: str) -> dict:
    """The header of a user signed in."""
    token = client.post("/api/v1/token", data={"username": user, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_household_cards_by_role(extract, registry, registry_url, tmp_path):
    ingest_extract(extract, settings(data_dir=tmp_path / "data", database_url=registry_url))
    tables = registry_inputs.tables_of(registry)
    living = registry_inputs.households_on(tables, ON).collect().sort("household_id")
    hid, region = living.row(0)
    other_hid, other_region = living.filter(pl.col("region_code") != region).row(0)
    members = pl.read_parquet(extract / "households.parquet").filter(
        (pl.col("household_id") == hid) & pl.col("to_date").is_null())["iin"].sort().to_list()
    access.add(registry_url, "citizen", PASSWORD, "citizen", iin=members[0])
    access.add(registry_url, "case", PASSWORD, "caseworker", (region,))
    access.add(registry_url, "elsewhere", PASSWORD, "caseworker", (other_region,))
    access.add(registry_url, "audit", PASSWORD, "auditor")
    client = TestClient(create_app(Settings(data_dir=tmp_path, database_url=registry_url, secret_key="k" * 40)))

    url = f"/api/v1/households/{hid}?month=2026-10&purpose=application%2042"
    assert client.get(url).status_code == 401
    r = client.get(url, headers=as_(client, "case"))
    assert r.status_code == 200, r.text
    from_db, from_extract = r.json(), card(registry, hid, ON)
    for key in ("level", "score", "entitlements", "total_support", "members", "region_code", "not_computed"):
        assert from_db[key] == from_extract[key], key
    assert client.get(f"/api/v1/households/{hid}", headers=as_(client, "citizen")).status_code == 200
    assert client.get(f"/api/v1/households/{other_hid}", headers=as_(client, "citizen")).status_code == 404
    assert client.get(url, headers=as_(client, "elsewhere")).status_code == 403
    assert client.get(url, headers=as_(client, "audit")).status_code == 403
    assert client.get("/api/v1/households/H000000000", headers=as_(client, "case")).status_code == 404
    assert client.get(f"/api/v1/households/{hid}?month=2026-13", headers=as_(client, "case")).status_code == 422

    with session(registry_url) as s:
        log = [(e.actor, e.subject_iin, e.household_id, e.purpose, e.allowed) for e in
               s.scalars(select(AccessEntry).order_by(AccessEntry.id))]
    assert [e for e in log if e[0] == "case" and e[4]] == [("case", iin, hid, "application 42", True) for iin in members]
    assert {(e[0], e[4]) for e in log} >= {("elsewhere", False), ("audit", False), ("citizen", False), ("citizen", True)}
    # The citizen sees the caseworker's read of the family.
    seen = client.get("/api/v1/me/access-log", headers=as_(client, "citizen")).json()
    assert ("case", "caseworker", "application 42") in {(e["who"], e["role"], e["purpose"]) for e in seen}
    assert source(database=registry_url).household(hid, ["persons"]).has("persons")


def test_person_records_by_role(extract, registry_url, tmp_path):
    ingest_extract(extract, settings(data_dir=tmp_path / "data", database_url=registry_url))
    addresses = pl.read_parquet(extract / "addresses.parquet").filter(pl.col("registered_to").is_null())
    iin, region = addresses.sort("iin").select("iin", "region_code").row(0)
    stranger = addresses.filter(pl.col("region_code") != region).sort("iin")["iin"][0]
    access.add(registry_url, "me", PASSWORD, "citizen", iin=iin)
    access.add(registry_url, "case", PASSWORD, "caseworker", (region,))
    access.add(registry_url, "analyst", PASSWORD, "analyst")
    client = TestClient(create_app(Settings(data_dir=tmp_path, database_url=registry_url, secret_key="k" * 40)))

    r = client.get(f"/api/v1/persons/{iin}?purpose=a%20request", headers=as_(client, "case"))
    assert r.status_code == 200, r.text
    body = r.json()
    civil = pl.read_parquet(extract / "persons.parquet").filter(pl.col("iin") == iin).row(0, named=True)
    assert body["person"]["birth_date"] == civil["birth_date"].isoformat()
    assert [a["region_code"] for a in body["registrations"]][-1] == region
    paid = pl.read_parquet(extract / "payments.parquet").filter(pl.col("iin") == iin)
    assert len(body["payments"]) == paid.height
    assert client.get(f"/api/v1/persons/{iin}", headers=as_(client, "me")).status_code == 200
    assert client.get(f"/api/v1/persons/{stranger}", headers=as_(client, "me")).status_code == 404       # not "forbidden"
    assert client.get(f"/api/v1/persons/{stranger}", headers=as_(client, "case")).status_code == 403
    assert client.get(f"/api/v1/persons/{iin}", headers=as_(client, "analyst")).status_code == 403
    assert client.get("/api/v1/persons/12345", headers=as_(client, "case")).status_code == 422
    with session(registry_url) as s:
        log = {(e.actor, e.subject_iin, e.allowed) for e in s.scalars(select(AccessEntry))}
    assert {("case", iin, True), ("me", iin, True), ("me", stranger, False), ("case", stranger, False),
            ("analyst", iin, False)} <= log
