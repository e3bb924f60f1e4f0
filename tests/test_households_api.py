"""GET /households/{id}: the card from the registry database by indexed queries, the same as the
card from the extract, for a citizen's own household or a caseworker's region only, every read
(and every refusal) in the access log."""
from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
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


def test_household_history(extract, registry_url, tmp_path):
    ingest_extract(extract, settings(data_dir=tmp_path / "data", database_url=registry_url))
    memberships = pl.read_parquet(extract / "households.parquet")
    moved = memberships.filter(pl.col("to_date").is_not_null())["household_id"].sort()[0]   # a household whose makeup changed
    rows = memberships.filter(pl.col("household_id") == moved)
    former = rows.filter(pl.col("to_date").is_not_null())["iin"][0]
    living = registry_inputs.households_on(registry_inputs.tables_of(source(extract)), ON).collect()
    region = living.filter(pl.col("household_id") == moved)["region_code"].to_list()
    region = region[0] if region else living["region_code"][0]
    access.add(registry_url, "former", PASSWORD, "citizen", iin=former)
    access.add(registry_url, "case", PASSWORD, "caseworker", (region,))
    client = TestClient(create_app(Settings(data_dir=tmp_path, database_url=registry_url, secret_key="k" * 40)))

    r = client.get(f"/api/v1/households/{moved}/history", headers=as_(client, "case"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["members"]) == rows.height
    assert sum(m["to"] is not None for m in body["members"]) == rows["to_date"].is_not_null().sum()
    assert all(m["iin"].startswith("********") for m in body["members"])
    paid = pl.read_parquet(extract / "payments.parquet").filter(
        (pl.col("household_id") == moved) | (pl.col("household_id").is_null() & pl.col("iin").is_in(rows["iin"].implode())))
    assert sum(p["payments"] for p in body["payments"]) == paid.height
    assert sum(p["amount"] for p in body["payments"]) == pytest.approx(float(paid["amount"].sum()))
    housing = pl.read_parquet(extract / "housing.parquet").filter(pl.col("household_id") == moved)
    assert [q["quarter"] for q in body["housing"]] == housing["quarter"].sort().to_list()
    # A former member reads the history of the household they left (not its card of today).
    assert client.get(f"/api/v1/households/{moved}/history", headers=as_(client, "former")).status_code == 200
    with session(registry_url) as s:
        logged = {e.subject_iin for e in s.scalars(select(AccessEntry).where(AccessEntry.actor == "case"))}
    assert logged == set(rows["iin"].to_list())


def test_search_needs_an_iin_or_a_full_name_with_birth_date(extract, registry_url, tmp_path):
    ingest_extract(extract, settings(data_dir=tmp_path / "data", database_url=registry_url))
    persons = pl.read_parquet(extract / "persons.parquet")
    current = pl.read_parquet(extract / "addresses.parquet").filter(pl.col("registered_to").is_null())
    someone = persons.join(current, on="iin").sort("iin").row(0, named=True)
    access.add(registry_url, "case", PASSWORD, "caseworker", (someone["region_code"],))
    access.add(registry_url, "audit", PASSWORD, "auditor")
    client = TestClient(create_app(Settings(data_dir=tmp_path, database_url=registry_url, secret_key="k" * 40)))
    case = as_(client, "case")

    by_name = {"last_name": f"  {someone['last_name'].upper()} ", "first_name": someone["first_name"].lower(),
               "birth_date": someone["birth_date"].isoformat()}
    found = client.get("/api/v1/persons", params=by_name, headers=case)
    assert found.status_code == 200, found.text
    namesakes = persons.join(current, on="iin").filter(
        (pl.col("last_name") == someone["last_name"]) & (pl.col("first_name") == someone["first_name"])
        & (pl.col("birth_date") == someone["birth_date"]) & (pl.col("region_code") == someone["region_code"]))
    assert [p["iin"] for p in found.json()] == namesakes["iin"].sort().to_list()
    assert someone["iin"] in [p["iin"] for p in found.json()]
    assert [p["iin"] for p in client.get("/api/v1/persons", params={"iin": someone["iin"]}, headers=case).json()] \
        == [someone["iin"]]
    elsewhere = persons.join(current, on="iin").filter(pl.col("region_code") != someone["region_code"]).row(0, named=True)
    assert client.get("/api/v1/persons", params={"iin": elsewhere["iin"]}, headers=case).json() == []
    nobody = client.get("/api/v1/persons", params={**by_name, "birth_date": "1900-01-01"}, headers=case)
    assert nobody.json() == []
    # A name alone is refused, naming what is missing; other roles do not search.
    alone = client.get("/api/v1/persons", params={"last_name": someone["last_name"]}, headers=case)
    assert alone.status_code == 422 and alone.json()["detail"][0]["path"] == "iin"
    assert client.get("/api/v1/persons", params={"iin": someone["iin"]}, headers=as_(client, "audit")).status_code == 403
    with session(registry_url) as s:
        log = [(e.actor, e.subject_iin, e.allowed) for e in s.scalars(select(AccessEntry).order_by(AccessEntry.id))]
    assert ("case", someone["iin"], True) in log and ("case", None, True) in log and ("audit", None, False) in log
    assert ("case", elsewhere["iin"], True) not in log
