"""Who may see what, over the whole API: a walk of the OpenAPI document proving that every route
marked as giving personal data writes the access log and that no other route gives any, and a
role matrix (every role against every personal route, own against another's) with the expected
status, every refusal leaving a log entry.

One registry with a saved audit, on PostgreSQL when it is reachable (production), else SQLite.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import func, select

from conftest import fresh_database, postgres_url
from komek import access
from komek.api import create_app
from komek.audit import review
from komek.cases import payments
from komek.kz import registry_inputs
from komek.periods import month_end
from komek.registry import db
from komek.registry.db import session
from komek.registry.models import AccessEntry, Offer
from komek.services import appeals, appointments
from komek.services.extracts import ingest_extract
from komek.services.sources import source
from komek.services.worker import work
from komek.settings import Settings
from komek.settings import settings as komek_settings

PASSWORD = "correct horse battery"
SITUATION = json.loads((Path(__file__).parent.parent / "docs/examples/situation.json").read_text())
ON = month_end("2026-10")
REQUEST = {"category": "roads", "locality": "Kostanay", "street": "Al-Farabi", "text": "A pothole", "phone": "+77012345678"}


@pytest.fixture(scope="module")
def world(extract, audited, tmp_path_factory):
    """The registry, its audit saved, and an account of every role; the people and records they are checked on."""
    tmp = tmp_path_factory.mktemp("api-access")
    with fresh_database("postgresql" if postgres_url() else "sqlite", tmp) as url:
        db.migrate(url)
        ingest_extract(extract, komek_settings(data_dir=tmp / "data", database_url=url))
        findings = pl.concat([audited.findings, audited.anomalies])
        review.save(url, findings)

        living = registry_inputs.households_on(registry_inputs.tables_of(source(extract)), ON).collect().sort("household_id")
        region = findings["region_code"].drop_nulls().mode().sort()[0]
        mine = living.filter(pl.col("region_code") == region)
        theirs = living.filter(pl.col("region_code") != region)
        members = pl.read_parquet(extract / "households.parquet").filter(pl.col("to_date").is_null())
        hid, other_hid = mine["household_id"][0], theirs["household_id"][0]
        citizen = members.filter(pl.col("household_id") == hid)["iin"].sort()[0]
        stranger = members.filter(pl.col("household_id") == other_hid)["iin"].sort()[0]
        here = findings.filter(pl.col("region_code") == region).sort("finding_id")
        there = findings.filter(pl.col("region_code") != region).sort("finding_id")["finding_id"][0]
        other_region = theirs["region_code"][0]

        access.add(url, "citizen", PASSWORD, "citizen", iin=citizen)
        access.add(url, "case", PASSWORD, "caseworker", (region,))
        access.add(url, "case-elsewhere", PASSWORD, "caseworker", (other_region,))
        access.add(url, "auditor", PASSWORD, "auditor")
        access.add(url, "auditor-elsewhere", PASSWORD, "auditor", (other_region,))
        access.add(url, "analyst", PASSWORD, "analyst")
        access.add(url, "admin", PASSWORD, "administrator")
        access.add(url, "boss", PASSWORD, "supervisor", (region,))
        access.add(url, "boss-elsewhere", PASSWORD, "supervisor", (other_region,))
        key = access.add_key(url, "office-system", "caseworker", (region,))
        client = TestClient(create_app(Settings(data_dir=tmp, database_url=url, secret_key="k" * 40)))
        headers = {u: {"Authorization": "Bearer " + client.post("/api/v1/token", data={"username": u, "password": PASSWORD})
                       .json()["access_token"]} for u in ("citizen", "case", "case-elsewhere", "auditor", "auditor-elsewhere",
                                                            "analyst", "admin", "boss", "boss-elsewhere")}
        headers["key:office-system"] = {"X-API-Key": key}
        # Jobs: an audit run by a worker (its findings name people), a simulation and a scoring left queued.
        post = lambda path, who, body: client.post(path, json=body, headers=headers[who]).json()["id"]  # noqa: E731
        audit_job = post("/api/v1/audits", "auditor", {})
        work(Settings(data_dir=tmp, database_url=url), once=True)
        jobs = {"audit": audit_job, "simulation": post("/api/v1/simulations", "analyst", {"month": "2026-10"}),
                "score": post("/api/v1/scores", "analyst", {"month": "2026-10"})}
        # Applications: the citizen's own (one to read, one to move), and the stranger's in the other region.
        apply = lambda who, body, key: client.post("/api/v1/applications", json={"month": "2026-10", **body},  # noqa: E731
                                                   headers={**headers[who], "Idempotency-Key": key}).json()["id"]
        applications = {"mine": apply("citizen", {"measure": "tsa"}, "a1"), "moved": apply("citizen", {"measure": "tsa"}, "a2"),
                        "theirs": apply("case-elsewhere", {"measure": "tsa", "applicant_iin": stranger}, "a3")}
        # Appeals: the citizen's against a refusal (one to read, one for the walk to file), a stranger's elsewhere.
        refused = {"to_appeal": apply("citizen", {"measure": "tsa"}, "a4"), "walk_appeal": apply("citizen", {"measure": "tsa"}, "a5"),
                   "their_decision": apply("case-elsewhere", {"measure": "tsa", "applicant_iin": stranger}, "a6")}
        for name, app_id in refused.items():
            who = "case-elsewhere" if name == "their_decision" else "case"
            for to in ("in_review", "rejected"):
                client.post(f"/api/v1/applications/{app_id}/transitions", json={"to": to, "reason": "decided"}, headers=headers[who])
        person = lambda iin: access.Actor(-8, "someone", "citizen", (), iin)  # noqa: E731
        appeal = lambda iin, app_id: appeals.file(person(iin), url, {"application_id": app_id, "grounds": "wrong"},  # noqa: E731
                                                  f"world-appeal-{app_id}")[0]["id"]
        appealed = {"my_appeal": appeal(citizen, refused["to_appeal"]), "their_appeal": appeal(stranger, refused["their_decision"]),
                    "walk_appeal": refused["walk_appeal"]}
        # Requests: the same (two at different places, so that neither repeats the other).
        ask = lambda who, body, key: client.post("/api/v1/requests", json={**REQUEST, **body},  # noqa: E731
                                                 headers={**headers[who], "Idempotency-Key": key}).json()["id"]
        requests = {"my_request": ask("citizen", {"region_code": region}, "r1"),
                    "moved_request": ask("citizen", {"region_code": region, "street": "Tauelsizdik"}, "r2"),
                    "their_request": ask("case-elsewhere", {"region_code": other_region, "iin": stranger}, "r3")}
        # Appointments: slots in both regions, the citizen's reservations and a stranger's elsewhere.
        when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).replace(hour=5, minute=0, second=0, microsecond=0)
        cfg = Settings(data_dir=tmp, database_url=url)
        slots = [appointments.add_slot(access.Actor(-9, "case", "caseworker", (region, other_region)), url, "mse_exam",
                                       "MSE department", r, when + dt.timedelta(hours=i), 30, None)[0]["id"]
                 for i, r in enumerate((region, region, region, region, other_region))]
        rids = [appointments.hold(person(who), url, payments.provider(cfg), sid, f"world-{sid}")[0]["id"]
                for who, sid in zip((citizen, citizen, citizen, stranger), (slots[0], slots[1], slots[2], slots[4]))]
        day = when.astimezone(dt.timezone(dt.timedelta(hours=5))).date().isoformat()
        # Offers: the citizen's own, open, as a scan makes them (services.offers, tests/test_offers.py).
        with session(url) as s:
            offer = Offer(event_kind="birth", event_key=f"birth:{citizen}:2026-10-01", event_date=dt.date(2026, 10, 1),
                          iin=citizen, household_id=hid, region_code=region, measure="birth_benefit", month="2026-10",
                          amount_tiyn=16435000, explanation=json.dumps({"summary": ["a birth"], "reference": "SC"}),
                          rules_version="komek", extract_as_of=ON, code="123456", phone=None, language="kk",
                          state="not_sent", why_not_sent="no phone is known", created=dt.datetime.now(dt.UTC),
                          reply_by=dt.date(2099, 1, 1))
            s.add(offer)
            s.flush()
            offer_id = offer.id
        yield {"jobs": jobs, "offer": offer_id, "applications": applications, "requests": requests, "appeals": appealed, "url": url, "slot": slots[3], "rid": rids[0], "to_confirm": rids[1],
               "to_cancel": rids[2], "other_rid": rids[3], "days": {"from": day, "to": day}, "region": region,
               "client": client, "headers": headers, "hid": hid, "other_hid": other_hid, "citizen": citizen,
               "stranger": stranger, "fid": here["finding_id"][0], "fids": iter(here["finding_id"][1:].to_list()),
               "there": there, "iins": set(pl.read_parquet(extract / "persons.parquet")["iin"].to_list())}


def request_for(world: dict, method: str, path: str) -> dict:
    """How each route of the document is called in the walk. A route missing here fails the walk:
    a new route must say how it is called, so that it is checked."""
    w = world
    calls = {
        ("GET", "/api/v1/health"): {}, ("GET", "/api/v1/ready"): {},
        ("POST", "/api/v1/calculate"): {"json": SITUATION}, ("POST", "/api/v1/trace"): {"json": SITUATION},
        ("POST", "/api/v1/calculate/what-if"): {"json": SITUATION},
        ("GET", "/api/v1/parameters"): {}, ("GET", "/api/v1/parameters/{name}"): {"name": "tsa.share"},
        ("GET", "/api/v1/variables"): {}, ("GET", "/api/v1/variables/{name}"): {"name": "tsa"},
        ("GET", "/api/v1/measures"): {},
        ("POST", "/api/v1/token"): {"data": {"username": "case", "password": PASSWORD}},
        ("POST", "/api/v1/token/refresh"): {"json": {"refresh_token": "x"}},
        ("GET", "/api/v1/me"): {"as": "case"},
        ("GET", "/api/v1/me/access-log"): {"as": "citizen"},
        ("GET", "/api/v1/households/{household_id}"): {"as": "case", "household_id": w["hid"]},
        ("GET", "/api/v1/households/{household_id}/history"): {"as": "case", "household_id": w["hid"]},
        ("GET", "/api/v1/persons/{iin}"): {"as": "case", "iin": w["citizen"]},
        ("GET", "/api/v1/persons"): {"as": "case", "params": {"iin": w["citizen"]}},
        ("GET", "/api/v1/findings"): {"as": "auditor", "params": {"limit": 20}},
        ("GET", "/api/v1/findings/summary"): {"as": "auditor"},
        ("GET", "/api/v1/findings/{finding_id}"): {"as": "auditor", "finding_id": w["fid"]},
        ("POST", "/api/v1/findings/{finding_id}/review"): {"as": "auditor", "finding_id": next(w["fids"]),
                                                            "json": {"decision": "dismiss", "reason": "in order"}},
        ("POST", "/api/v1/simulations"): {"as": "analyst", "json": {"month": "2026-10"}},
        ("POST", "/api/v1/scores"): {"as": "analyst", "json": {"month": "2026-10"}},
        ("POST", "/api/v1/audits"): {"as": "auditor", "json": {}},
        ("GET", "/api/v1/simulations"): {"as": "analyst"}, ("GET", "/api/v1/scores"): {"as": "analyst"},
        ("GET", "/api/v1/audits"): {"as": "auditor"},
        ("GET", "/api/v1/statistics"): {"as": "analyst", "params": {"month": "2026-10"}},
        ("POST", "/api/v1/simulations/{job_id}/cancel"): {"as": "analyst", "job_id": str(w["jobs"]["simulation"])},
        ("POST", "/api/v1/scores/{job_id}/cancel"): {"as": "analyst", "job_id": str(w["jobs"]["score"])},
        ("POST", "/api/v1/audits/{job_id}/cancel"): {"as": "auditor", "job_id": str(w["jobs"]["audit"])},
        ("GET", "/api/v1/simulations/{job_id}"): {"as": "analyst", "job_id": str(w["jobs"]["simulation"])},
        ("GET", "/api/v1/scores/{job_id}"): {"as": "analyst", "job_id": str(w["jobs"]["score"])},
        ("GET", "/api/v1/audits/{job_id}"): {"as": "auditor", "job_id": str(w["jobs"]["audit"])},
        ("GET", "/api/v1/simulations/{job_id}/results/{name}"): {"as": "analyst", "job_id": str(w["jobs"]["simulation"]),
                                                                 "name": "national.csv"},
        ("GET", "/api/v1/scores/{job_id}/results/{name}"): {"as": "analyst", "job_id": str(w["jobs"]["score"]),
                                                            "name": "levels.csv"},
        ("GET", "/api/v1/audits/{job_id}/results/{name}"): {"as": "auditor", "job_id": str(w["jobs"]["audit"]),
                                                            "name": "findings.csv"},
        ("POST", "/api/v1/applications"): {"as": "citizen", "json": {"measure": "tsa", "month": "2026-10"},
                                            "headers": {"Idempotency-Key": "walk"}},
        ("GET", "/api/v1/applications"): {"as": "case"},
        ("GET", "/api/v1/applications/{app_id}"): {"as": "citizen", "app_id": str(w["applications"]["mine"])},
        ("POST", "/api/v1/applications/{app_id}/transitions"): {"as": "case", "app_id": str(w["applications"]["moved"]),
                                                                "json": {"to": "in_review", "reason": "taken"}},
        ("GET", "/api/v1/appointments/slots"): {"as": "citizen", "params": {"service": "mse_exam", "region": w["region"],
                                                                           **w["days"]}},
        ("POST", "/api/v1/appointments/slots"): {"as": "case", "json": {
            "service": "akim_reception", "office": "Akimat", "region": w["region"], "minutes": 20,
            "starts": (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0).isoformat()}},
        ("GET", "/api/v1/appointments"): {"as": "case", "params": w["days"]},
        ("POST", "/api/v1/appointments"): {"as": "citizen", "json": {"slot_id": w["slot"]}},
        ("GET", "/api/v1/appointments/{reservation_id}"): {"as": "case", "reservation_id": str(w["rid"])},
        ("POST", "/api/v1/appointments/{reservation_id}/confirm"): {"as": "citizen", "reservation_id": str(w["to_confirm"])},
        ("POST", "/api/v1/appointments/{reservation_id}/cancel"): {"as": "citizen", "reservation_id": str(w["to_cancel"])},
        ("POST", "/api/v1/payments/sandbox/callback"): {"json": {"reference": "x", "outcome": "paid", "amount_tiyn": 1}},
        ("POST", "/api/v1/requests"): {"as": "citizen", "json": {**REQUEST, "region_code": "39"},
                                       "headers": {"Idempotency-Key": "walk"}},
        ("GET", "/api/v1/requests"): {"as": "case"},
        ("GET", "/api/v1/requests/statistics"): {"as": "analyst"},
        ("GET", "/api/v1/monitoring"): {"as": "analyst", "params": {"month": "2026-10"}},
        ("GET", "/api/v1/requests/{rid}"): {"as": "citizen", "rid": str(w["requests"]["my_request"])},
        ("POST", "/api/v1/offers/inbound"): {"json": {"from": "+77010000000", "text": "yes 123456", "message_id": "walk"}},
        ("GET", "/api/v1/offers"): {"as": "citizen"},
        ("POST", "/api/v1/offers/{offer_id}/consent"): {"as": "citizen", "offer_id": str(w["offer"]),
                                                        "json": {"answer": "no", "text_shown": "the offer as shown"}},
        ("POST", "/api/v1/requests/{rid}/transitions"): {"as": "case", "rid": str(w["requests"]["moved_request"]),
                                                         "json": {"to": "in_progress", "note": "taken"}},
        ("POST", "/api/v1/appeals"): {"as": "citizen", "json": {"application_id": w["appeals"]["walk_appeal"], "grounds": "wrong"},
                                      "headers": {"Idempotency-Key": "walk"}},
        ("GET", "/api/v1/appeals"): {"as": "boss"},
        ("GET", "/api/v1/appeals/{appeal_id}"): {"as": "citizen", "appeal_id": str(w["appeals"]["my_appeal"])},
        ("POST", "/api/v1/appeals/{appeal_id}/transitions"): {"as": "boss", "appeal_id": str(w["appeals"]["my_appeal"]),
                                                              "json": {"to": "in_review", "note": "taken up"}},
    }
    assert (method, path) in calls, f"{method} {path}: say in request_for how the walk calls it"
    return calls[(method, path)]


def call(world: dict, method: str, path: str, spec: dict, who: str | None = None):
    url = re.sub(r"{(\w+)}", lambda m: spec[m.group(1)], path)
    who = who if who is not None else spec.get("as")
    headers = {**world["headers"].get(who, {}), **spec.get("headers", {}),
               **({"Idempotency-Key": "walk"} if path == "/api/v1/appointments" else {})}
    return world["client"].request(method, url, headers=headers, params=spec.get("params"),
                                   json=spec.get("json"), data=spec.get("data"))


def entries(world: dict) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(AccessEntry))


def test_every_route_with_personal_data_writes_the_log_and_no_other_gives_any(world):
    document = world["client"].get("/api/v1/openapi.json").json()
    personal, walked = [], 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            spec = request_for(world, method.upper(), path)
            before = entries(world)
            r = call(world, method.upper(), path, spec)
            walked += 1
            assert r.status_code < 500, (method, path, r.text)
            if operation.get("x-personal-data"):
                personal.append(path)
                assert r.status_code in (200, 201), (method, path, r.text)
                assert entries(world) > before, f"{method} {path} gave personal data without a log entry"
            else:
                given = set(re.findall(r"(?<!\d)\d{12}(?!\d)", r.text)) & world["iins"]
                assert not given, f"{method} {path} is not marked personal but gave IINs {sorted(given)[:3]}"
    assert walked >= 57 and len(personal) == 25


ROUTES = {   # route -> how it is called for the household, person and finding of the matrix
    "card": ("GET", "/api/v1/households/{household_id}", {"household_id": "hid"}),
    "history": ("GET", "/api/v1/households/{household_id}/history", {"household_id": "hid"}),
    "person": ("GET", "/api/v1/persons/{iin}", {"iin": "citizen"}),
    "search": ("GET", "/api/v1/persons", {}),
    "findings": ("GET", "/api/v1/findings", {}),
    "finding": ("GET", "/api/v1/findings/{finding_id}", {"finding_id": "fid"}),
    "summary": ("GET", "/api/v1/findings/summary", {}),
    "own log": ("GET", "/api/v1/me/access-log", {}),
    "audit job": ("GET", "/api/v1/audits/{job_id}", {"job_id": "audit"}),
    "audit results": ("GET", "/api/v1/audits/{job_id}/results/{name}", {"job_id": "audit", "name": "file"}),
    "simulation job": ("GET", "/api/v1/simulations/{job_id}", {"job_id": "simulation"}),
    "score job": ("GET", "/api/v1/scores/{job_id}", {"job_id": "score"}),
    "simulation jobs": ("GET", "/api/v1/simulations", {}),
    "audit jobs": ("GET", "/api/v1/audits", {}),
    "statistics": ("GET", "/api/v1/statistics", {}),
    "application": ("GET", "/api/v1/applications/{app_id}", {"app_id": "mine"}),
    "applications": ("GET", "/api/v1/applications", {}),
    "appointment": ("GET", "/api/v1/appointments/{reservation_id}", {"reservation_id": "rid"}),
    "appointments": ("GET", "/api/v1/appointments", {}),
    "request": ("GET", "/api/v1/requests/{rid}", {"rid": "my_request"}),
    "requests": ("GET", "/api/v1/requests", {}),
    "request statistics": ("GET", "/api/v1/requests/statistics", {}),
    "monitoring": ("GET", "/api/v1/monitoring", {}),
    "appeal": ("GET", "/api/v1/appeals/{appeal_id}", {"appeal_id": "my_appeal"}),
    "appeals": ("GET", "/api/v1/appeals", {}),
    "offers": ("GET", "/api/v1/offers", {}),
}
# Expected status per route and actor. "other" rows ask for another family's or region's record.
MATRIX = {
    #              citizen case  elsewhere auditor aud-else analyst admin  key
    "card":       (200,    200,  403,      403,    403,     403,    403,   200),
    "card other": (404,    403,  200,      403,    403,     403,    403,   403),
    "history":    (200,    200,  403,      403,    403,     403,    403,   200),
    "person":     (200,    200,  403,      403,    403,     403,    403,   200),
    "person other": (404,  403,  200,      403,    403,     403,    403,   403),
    "search":     (403,    200,  200,      403,    403,     403,    403,   200),
    "findings":   (403,    403,  403,      200,    200,     403,    403,   403),
    "finding":    (403,    403,  403,      200,    404,     403,    403,   403),
    "summary":    (403,    403,  403,      200,    200,     403,    403,   403),
    "own log":    (200,    403,  403,      403,    403,     403,    403,   403),
    "audit job":  (403,    403,  403,      200,    403,     403,    403,   403),
    "audit results": (403, 403,  403,      200,    403,     403,    403,   403),
    "simulation job": (403, 403, 403,      403,    403,     200,    200,   403),
    "score job":  (403,    403,  403,      403,    403,     200,    403,   403),
    "simulation jobs": (403, 403, 403,     403,    403,     200,    200,   403),
    "audit jobs": (403,    403,  403,      200,    403,     403,    403,   403),
    "statistics": (403,    403,  403,      403,    403,     200,    403,   403),
    "application": (200,   200,  403,      403,    403,     403,    403,   200),
    "application other": (403, 403, 200,   403,    403,     403,    403,   403),
    "applications": (200,  200,  200,      403,    403,     403,    403,   200),
    "appointment": (200,   200,  403,      403,    403,     403,    403,   200),
    "appointment other": (403, 403, 200,   403,    403,     403,    403,   403),
    "appointments": (200,  200,  200,      403,    403,     403,    403,   200),
    "request":    (200,    200,  403,      403,    403,     403,    403,   200),
    "request other": (403, 403,  200,      403,    403,     403,    403,   403),
    "requests":   (200,    200,  200,      403,    403,     403,    403,   200),
    "request statistics": (403, 403, 403,  403,    403,     200,    403,   403),
    "monitoring": (403,    403,  403,      403,    403,     200,    403,   403),
    "appeal":     (200,    403,  403,      403,    403,     403,    403,   403),
    "appeal other": (403,  403,  403,      403,    403,     403,    403,   403),
    "appeals":    (200,    403,  403,      403,    403,     403,    403,   403),
    "offers":     (200,    403,  403,      403,    403,     403,    403,   403),
}
# The supervisors (who decide appeals), of the region and of another, on the routes they read.
SUPERVISORS = {"appeal": (200, 403), "appeal other": (403, 200), "appeals": (200, 200)}
ACTORS = ("citizen", "case", "case-elsewhere", "auditor", "auditor-elsewhere", "analyst", "admin", "key:office-system")


@pytest.mark.parametrize("row", list(MATRIX))
def test_role_matrix(world, row):
    route = row.removesuffix(" other")
    method, path, fill = ROUTES[route]
    other = {"hid": "other_hid", "citizen": "stranger", "mine": "theirs", "rid": "other_rid", "my_request": "their_request",
             "my_appeal": "their_appeal"} if row.endswith(" other") else {}
    known = {**world, **{k: str(v) for k, v in {**world["jobs"], **world["applications"], **world["requests"],
                                                **world["appeals"]}.items()}, "file": "findings.csv",
             "rid": str(world["rid"]), "other_rid": str(world["other_rid"])}
    spec = {name: known[other.get(key, key)] for name, key in fill.items()}
    spec["params"] = ({"iin": world["citizen"]} if route == "search" else {"month": "2026-10"} if route in ("statistics", "monitoring")
                      else world["days"] if route == "appointments" else {})
    cells = [*zip(ACTORS, MATRIX[row]), *zip(("boss", "boss-elsewhere"), SUPERVISORS.get(row, ()))]
    for actor, expected in cells:
        refused_before = _refusals(world, actor)
        r = call(world, method, path, spec, actor)
        assert r.status_code == expected, (row, actor, r.status_code, r.text)
        if expected in (403, 404):
            assert _refusals(world, actor) > refused_before, (row, actor, "a refusal left no log entry")
    assert call(world, method, path, spec, "nobody").status_code == 401


def test_a_search_outside_the_regions_names_nobody(world):
    r = call(world, "GET", "/api/v1/persons", {"params": {"iin": world["stranger"]}}, "case")
    assert r.status_code == 200 and r.json() == []


def _refusals(world: dict, actor: str) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(AccessEntry).where(
            AccessEntry.actor == actor, AccessEntry.allowed.is_(False)))


# -- the document against the server: Schemathesis ------------------------------------------------

def test_the_server_keeps_its_document(world):
    """Generated requests for every operation, valid and not: no 5xx, and every response as the
    document says (status, content type, schema, headers)."""
    document = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world["client"].app)
    operations = [result.ok() for result in document.get_all_operations()]
    assert len(operations) >= 21
    for operation in operations:
        path = operation.path
        who = "auditor" if path.startswith("/api/v1/findings") else "citizen" if path.endswith("access-log") else "case"
        generated(operation, world["headers"][who])()


def generated(operation, headers: dict):
    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        # Every check but "schema-valid data is accepted": a situation's rules that JSON Schema
        # cannot state (one head; a date inside the parameters' span; born before it) refuse
        # some bodies the schema admits, with a 422 naming the field.
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
    return check
