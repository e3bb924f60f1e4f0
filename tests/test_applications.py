"""Applications: filed idempotently (a replay answers the first, another body is refused, two at
once file one), assessed with the card's numbers (TSA worked by hand from the registry's rows),
decided through the workflow (every move allowed and refused), the clock stopped while
information is asked, the caseworker's queue by working days left, and who may read what.
On SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import threading
import uuid
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
import pytest
from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import fresh_database
from komek import access
from komek.api import create_app
from komek.cases import workflow
from komek.errors import FieldError, Forbidden, NotFound, TransitionError
from komek.kz import registry_inputs
from komek.kz.calendar import calendar
from komek.registry import db
from komek.registry.db import session
from komek.registry.models import AccessEntry, Application, Assignment, IdempotencyKey, Notification, Transition
from komek.services import applications as service
from komek.services.card import card
from komek.services.extracts import ingest_extract
from komek.services.sources import source
from komek.settings import Settings
from komek.settings import settings as komek_settings

PASSWORD = "correct horse battery"
ON = dt.date(2026, 10, 31)
MONDAY = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)     # 14:00 in Kazakhstan
LINE = Decimal("48300")   # the TSA line for October 2026: max(35% of the median 138,000, 70% of the minimum 58,872)
NOT_TRANSFERS = {"wage", "self_employed", "business", "alimony", "rent", "other"}
keys = (f"key-{i}" for i in itertools.count())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, extract, tmp_path_factory):
    """The shared extract in a registry database, a citizen, caseworkers of two regions and an auditor."""
    tmp = tmp_path_factory.mktemp("applications")
    with fresh_database(request.param, tmp) as url:
        db.migrate(url)
        ingest_extract(extract, komek_settings(data_dir=tmp / "data", database_url=url))
        registry = source(extract)
        living = registry_inputs.households_on(registry_inputs.tables_of(registry), ON).collect().sort("household_id")
        members = pl.read_parquet(extract / "households.parquet").filter(pl.col("to_date").is_null())
        single = members.group_by("iin").len().filter(pl.col("len") == 1)["iin"]
        members = members.filter(pl.col("iin").is_in(single.implode()))
        region = living["region_code"].mode().sort()[0]
        other_region = living.filter(pl.col("region_code") != region)["region_code"][0]
        mine = living.filter(pl.col("region_code") == region)["household_id"]
        people = members.filter(pl.col("household_id").is_in(mine.implode())).sort("household_id", "iin")
        citizen, stranger = people["iin"][0], people.filter(pl.col("household_id") != people["household_id"][0])["iin"][0]
        actors = {"citizen": access.add(url, "citizen", PASSWORD, "citizen", iin=citizen),
                  "stranger": access.add(url, "stranger", PASSWORD, "citizen", iin=stranger),
                  "case": access.add(url, "case", PASSWORD, "caseworker", (region,)),
                  "elsewhere": access.add(url, "elsewhere", PASSWORD, "caseworker", (other_region,)),
                  "auditor": access.add(url, "auditor", PASSWORD, "auditor")}
        client = TestClient(create_app(Settings(data_dir=tmp, database_url=url, secret_key="k" * 40)))
        headers = {u: {"Authorization": "Bearer " + client.post("/api/v1/token", data={"username": u, "password": PASSWORD})
                       .json()["access_token"]} for u in actors}
        yield {"url": url, "db": source(database=url), "registry": registry, "extract": extract, "people": people,
               "actors": actors, "client": client, "headers": headers, "region": region, "citizen": citizen,
               "stranger": stranger}


def file(world, measure: str, iin: str, who: str = "case", now: dt.datetime | None = None) -> int:
    body = {"measure": measure, "month": "2026-10", "applicant_iin": iin}
    answer, replayed = service.file(world["actors"][who], world["db"], body, next(keys), now=now)
    assert not replayed
    return answer["id"]


def count(world, model, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def paid(world, hid: str, measure: str) -> float:
    """The card's amount of `measure` for the household (0 when the card shows none)."""
    return sum(e["amount"] for e in card(world["registry"], hid, ON)["entitlements"] if e["measure"] == measure)


# -- assessment ---------------------------------------------------------------------------------

def test_tsa_is_worked_by_hand_from_the_registry_rows_and_is_the_cards(world):
    """A family with TSA whose quarter's income holds no state payment (the rules would count the
    benefits they compute instead): (line - income of July to September / 3 / members) x members."""
    extract = world["extract"]
    incomes = pl.read_parquet(extract / "incomes.parquet").filter(pl.col("month").is_in(["2026-07", "2026-08", "2026-09"]))
    people = world["people"]
    chosen = None
    for hid in people["household_id"].unique(maintain_order=True).to_list()[:400]:
        iins = people.filter(pl.col("household_id") == hid)["iin"]
        theirs = incomes.filter(pl.col("iin").is_in(iins.implode()))
        if set(theirs["kind"].to_list()) <= NOT_TRANSFERS and set(
                e["measure"] for e in card(world["registry"], hid, ON)["entitlements"]) == {"tsa"}:
            chosen = hid, iins.to_list(), sum(theirs["amount"].to_list(), Decimal(0))
            break
    assert chosen, "the extract has a family with TSA and no state payment among its incomes"
    hid, iins, quarter = chosen
    n = len(iins)
    hand = ((LINE - quarter / 3 / n) * n).quantize(Decimal("1"), ROUND_HALF_UP)
    app_id = file(world, "tsa", iins[0])
    assert service.assess(world["url"]) >= 1
    seen = service.read(world["actors"]["case"], world["url"], app_id)
    assessment = seen["assessment"]
    assert assessment["eligible"] is True and Decimal(assessment["amount"]) == hand == Decimal(str(paid(world, hid, "tsa")))
    assert seen["state"] == "submitted" and seen["decided_by"] == "caseworker"      # TSA: a person decides
    explanation = assessment["explanation"]
    assert explanation["failed"] is None and "below the poverty line 48,300" in explanation["summary"][0]
    assert explanation["variables"]["tsa_poverty_line"]["value"] == float(LINE)
    assert assessment["rules_version"].startswith("komek ")
    with session(world["url"]) as s:
        assert s.get(Application, app_id).amount_tiyn == int(hand) * 100


def test_the_rules_approve_what_they_decide_and_the_assignment_is_the_amount(world):
    """Of families with four or more children, the large-family benefit is approved by the rules
    (assigned until changed at the card's amount); a family with fewer stays for a caseworker."""
    people = world["people"]
    cards = {}
    for hid in people["household_id"].unique(maintain_order=True).to_list()[:300]:
        cards[hid] = paid(world, hid, "large_family_benefit")
        if cards[hid] > 0 and 0 in cards.values():
            break
    big = next(h for h, a in cards.items() if a > 0)
    small = next(h for h, a in cards.items() if a == 0)
    head = lambda h: people.filter(pl.col("household_id") == h)["iin"][0]  # noqa: E731
    yes, no = file(world, "large_family_benefit", head(big)), file(world, "large_family_benefit", head(small))
    service.assess(world["url"])
    case = world["actors"]["case"]
    approved, left = service.read(case, world["url"], yes), service.read(case, world["url"], no)
    assert approved["state"] == "approved" and approved["history"][-1]["by"] == service.RULES
    assert approved["history"][-1]["role"] == workflow.SYSTEM
    [assigned] = approved["assignments"]
    assert Decimal(assigned["monthly_amount"]) == Decimal(str(cards[big])) and assigned["start"] == "2026-10-01"
    assert assigned["end"] is None and assigned["iin"] is None
    # Not eligible: a person decides, and the rule that failed is named with its article.
    assert left["state"] == "submitted" and left["assessment"]["eligible"] is False
    failed = left["assessment"]["explanation"]["failed"]
    assert failed["rule"] == "large_family" and failed["reference"]     # its gate: four or more children


def test_a_rejection_names_the_rule_that_failed_and_its_article(world):
    people = world["people"]
    hid = next(h for h in people["household_id"].unique(maintain_order=True).to_list() if paid(world, h, "tsa") == 0)
    app_id = file(world, "tsa", people.filter(pl.col("household_id") == hid)["iin"][0])
    service.assess(world["url"])
    case, url = world["actors"]["case"], world["url"]
    service.move(case, url, app_id, "in_review", "taken")
    with pytest.raises(TransitionError) as refused:       # nothing to approve: the rules found no TSA
        service.move(case, url, app_id, "approved", "approve")
    assert "approved" not in refused.value.allowed and "rejected" in refused.value.allowed
    seen = service.move(case, url, app_id, "rejected", "income above the line")
    failed = seen["assessment"]["explanation"]["failed"]
    assert seen["state"] == "rejected" and seen["assessment"]["amount"] == "0.00"
    assert failed["rule"] == "tsa_eligible" and "art. 120 para. 4" in failed["reference"] and failed["cites_article"]
    assert "is not below the poverty line" in seen["assessment"]["explanation"]["summary"][0]
    assert count(world, Assignment, Assignment.application_id == app_id) == 0


def test_what_the_registry_cannot_tell_is_unknown_not_zero(world):
    """Pension savings are in no table: a payment from them is not known, and a person decides."""
    iin = world["people"]["iin"][5]
    app_id = file(world, "uapf_pension", iin)
    service.assess(world["url"])
    seen = service.read(world["actors"]["case"], world["url"], app_id)
    assert seen["assessment"]["eligible"] is None and seen["assessment"]["amount"] is None
    assert "not_computed" in seen["assessment"]["explanation"] and seen["state"] == "submitted"
    with session(world["url"]) as s:
        a = s.get(Application, app_id)
        assert a.amount_tiyn is None and a.eligible is None and a.assessed is not None


# -- the workflow -------------------------------------------------------------------------------

C, P, S, V = "caseworker", "citizen", workflow.SYSTEM, workflow.SUPERVISOR
EXPECTED = {("submitted", "in_review"): {C}, ("submitted", "approved"): {S}, ("submitted", "withdrawn"): {P, C},
            ("in_review", "needs_information"): {C}, ("in_review", "approved"): {C}, ("in_review", "rejected"): {C},
            ("in_review", "withdrawn"): {P, C}, ("needs_information", "in_review"): {P, C},
            ("needs_information", "withdrawn"): {P, C}, ("approved", "in_review"): {C}, ("rejected", "in_review"): {C},
            ("approved", "approved"): {V}, ("rejected", "approved"): {V}}     # a decision changed on appeal


def test_every_move_of_the_table_and_no_other():
    """Every (from, to, role, what the rules found): allowed exactly as the issue's workflow says,
    an approval only of an applicant found eligible; a refusal names the moves allowed."""
    roles = (P, C, V, "auditor", "analyst", S)
    for state, to, role, eligible in itertools.product(workflow.STATES, workflow.STATES, roles, (True, False, None)):
        # an approval on appeal rests on the supervisor's amount and basis (services.appeals), not on the rules'
        may = role in EXPECTED.get((state, to), ()) and (to != "approved" or eligible is True or role == V)
        if may:
            workflow.check(state, to, role, eligible)
        else:
            with pytest.raises(TransitionError) as refused:
                workflow.check(state, to, role, eligible)
            assert refused.value.allowed == workflow.allowed(state, role, eligible)
    with pytest.raises(TransitionError, match="not a state"):
        workflow.check("submitted", "paid", C, True)


def test_moves_over_http_refused_with_the_allowed_and_applied_once(world):
    client, h = world["client"], world["headers"]
    people = world["people"]
    hid = next(x for x in people["household_id"].unique(maintain_order=True).to_list()[3:] if paid(world, x, "tsa") > 0)
    app_id = file(world, "tsa", people.filter(pl.col("household_id") == hid)["iin"][0])
    service.assess(world["url"])
    path = f"/api/v1/applications/{app_id}/transitions"
    post = lambda who, to, reason="checked": client.post(path, json={"to": to, "reason": reason}, headers=h[who])  # noqa: E731
    r = post("case", "approved")
    assert r.status_code == 409 and r.json()["allowed"] == ["in_review", "withdrawn"]
    for to in ("in_review", "needs_information"):
        assert post("case", to).json()["state"] == to
    assert post("case", "needs_information").status_code == 200            # sent again: applied once
    assert count(world, Transition, Transition.application_id == app_id) == 3
    assert post("case", "approved").status_code == 409
    assert post("case", "rejected", "").status_code == 422
    assert post("case", "in_review", "documents received").json()["state"] == "in_review"
    approved = post("case", "approved").json()
    assert approved["state"] == "approved" and len(approved["assignments"]) == 1
    assert approved["assignments"][0]["end"] == "2026-12-31"                  # TSA: the quarter from October
    # Reopened: the assignment ends, the application is assessed again, and a new approval starts another.
    reopened = post("case", "in_review", "income changed").json()
    assert reopened["assignments"][0]["ended"] is not None and reopened["assessment"] == "pending"
    assert post("case", "approved").status_code == 409
    service.assess(world["url"])
    again = post("case", "approved", "checked again").json()
    assert [a["ended"] is None for a in again["assignments"]] == [False, True]
    assert count(world, Assignment, Assignment.application_id == app_id) == 2
    r = post("case", "withdrawn")
    assert r.status_code == 409 and r.json()["allowed"] == ["in_review"]
    assert [m["to"] for m in again["history"]] == ["submitted", "in_review", "needs_information", "in_review", "approved",
                                                   "in_review", "approved"]
    assert all(m["reason"] and m["by"] == "case" for m in again["history"][1:])


def test_a_citizen_withdraws_and_answers_but_does_not_decide(world):
    url, me = world["url"], world["actors"]["citizen"]
    answer, _ = service.file(me, world["db"], {"measure": "tsa", "month": "2026-10"}, next(keys))
    case = world["actors"]["case"]
    service.move(case, url, answer["id"], "in_review", "taken")
    with pytest.raises(TransitionError):
        service.move(me, url, answer["id"], "approved", "please")
    service.move(case, url, answer["id"], "needs_information", "the lease, please")
    assert service.move(me, url, answer["id"], "in_review", "sent the lease")["state"] == "in_review"
    assert service.move(me, url, answer["id"], "withdrawn", "no longer needed")["allowed"] == []


def test_the_clock_stops_while_information_is_asked(world):
    """A birth benefit is decided in 15 working days. Filed on Monday 2 November 2026 (no holiday
    in November): day 1 is the 3rd, day 15 Monday 23 November. Information asked on Wednesday 4th,
    given on Tuesday 10th: the 4th, 5th, 6th, 9th and 10th do not count (5 working days), so only
    the 3rd has run and the 14 left end on Monday 30 November."""
    url, case = world["url"], world["actors"]["case"]
    app_id = file(world, "birth_benefit", world["people"]["iin"][7], now=MONDAY)
    day = lambda d: MONDAY + dt.timedelta(days=d)  # noqa: E731
    filed = service.read(case, url, app_id, now=MONDAY)
    assert (filed["due_date"], filed["working_days_left"], filed["flag"]) == ("2026-11-23", 15, "in_time")
    service.move(case, url, app_id, "in_review", "taken", now=day(1))
    stopped = service.move(case, url, app_id, "needs_information", "the birth certificate", now=day(2))
    assert stopped["working_days_left"] == 14 and stopped["clock_stopped_since"] == "2026-11-04"
    assert service.read(case, url, app_id, now=day(7))["working_days_left"] == 14      # Monday 9th: still 14
    resumed = service.move(case, url, app_id, "in_review", "received", now=day(8))
    assert resumed["due_date"] == "2026-11-30" and resumed["stopped_working_days"] == 5
    assert resumed["working_days_left"] == 14 and resumed["clock_stopped_since"] is None
    with session(url) as s:
        assert s.get(Application, app_id).due_date == dt.date(2026, 11, 30)
    assert service.read(case, url, app_id, now=day(25))["flag"] == "nearly_due"       # Friday 27th: one day left
    assert service.read(case, url, app_id, now=day(28))["working_days_left"] == 0     # due today
    assert service.read(case, url, app_id, now=day(29))["flag"] == "overdue"          # Tuesday 1 December


def test_the_queue_is_by_working_days_left_and_pages_without_loss(world):
    """Filed every five days back from 2 November, seen on Friday 6 November: Monday 26 October is
    off (25 October, a holiday, fell on a Sunday), so the one filed on Sunday 18 October is due on
    Monday 9 November, one working day left."""
    url, case = world["url"], world["actors"]["case"]
    filed = [file(world, "birth_benefit", world["people"]["iin"][10 + i], now=MONDAY - dt.timedelta(days=5 * i))
             for i in range(7)]
    now = MONDAY + dt.timedelta(days=4)
    seen, cursor = [], None
    while True:
        page = service.listing(case, url, cursor, limit=4, now=now)
        seen += page["items"]
        if not (cursor := page["next_cursor"]):
            break
    assert len(seen) == page["total"] == len({i["id"] for i in seen})
    order = [(i["working_days_left"], i["id"]) for i in seen]
    assert order == sorted(order) and all(i["state"] in workflow.OPEN for i in seen)
    ours = {i["id"]: i for i in seen if i["id"] in filed}
    assert len(ours) == 7
    assert (ours[filed[3]]["due_date"], ours[filed[3]]["working_days_left"], ours[filed[3]]["flag"]) == (
        "2026-11-09", 1, "nearly_due")
    assert (ours[filed[0]]["due_date"], ours[filed[0]]["flag"]) == ("2026-11-23", "in_time")
    for i in ours.values():
        left = calendar().working_days_left(dt.date(2026, 11, 6), dt.date.fromisoformat(i["due_date"]))
        assert i["working_days_left"] == left
        assert i["flag"] == ("overdue" if left < 0 else "nearly_due" if left <= 1 else "in_time")
    assert {i["flag"] for i in ours.values()} == {"overdue", "nearly_due", "in_time"}
    with pytest.raises(FieldError):
        service.listing(case, url, "not-a-cursor")


# -- idempotency --------------------------------------------------------------------------------

def test_a_replayed_key_answers_the_first_and_another_body_is_refused(world):
    client, h = world["client"], world["headers"]
    body = {"measure": "tsa", "month": "2026-10", "applicant_iin": world["people"]["iin"][20]}
    key = {"Idempotency-Key": "retry-" + uuid.uuid4().hex}
    first = client.post("/api/v1/applications", json=body, headers={**h["case"], **key})
    again = client.post("/api/v1/applications", json=body, headers={**h["case"], **key})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true" and first.headers["Location"].endswith(f"/{first.json()['id']}")
    other = client.post("/api/v1/applications", json={**body, "measure": "housing_assistance"}, headers={**h["case"], **key})
    assert other.status_code == 422 and other.json()["detail"][0]["path"] == "Idempotency-Key"
    assert count(world, Application, Application.applicant_iin == body["applicant_iin"]) == 1
    assert count(world, IdempotencyKey, IdempotencyKey.key == key["Idempotency-Key"]) == 1
    # A key is the account's own: another account's same key files its own application.
    mine = client.post("/api/v1/applications", json={"measure": "tsa", "month": "2026-10"}, headers={**h["citizen"], **key})
    assert mine.status_code == 201 and mine.json()["id"] != first.json()["id"]


def test_two_requests_with_one_key_at_once_file_one(world):
    actor, iin = world["actors"]["case"], world["people"]["iin"][21]
    body, key, answers, start = {"measure": "tsa", "month": "2026-10", "applicant_iin": iin}, "race-" + uuid.uuid4().hex, [], \
        threading.Barrier(6)

    def one():
        start.wait()
        answers.append(service.file(actor, source(database=world["url"]), body, key))

    threads = [threading.Thread(target=one) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 6 and len({a["id"] for a, _ in answers}) == 1
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * 5
    assert count(world, Application, Application.applicant_iin == iin) == 1
    assert count(world, Transition, Transition.application_id == answers[0][0]["id"]) == 1


def test_invalid_bodies_are_422_with_the_field_and_change_nothing(world):
    client, h = world["client"], world["headers"]
    before, told = count(world, Application), count(world, Notification, Notification.key.like("application:%"))
    post = lambda body, headers: client.post("/api/v1/applications", json=body, headers=headers)  # noqa: E731
    key = {"Idempotency-Key": "k-" + uuid.uuid4().hex}
    cases = [({"measure": "nope", "month": "2026-10"}, "measure"), ({"measure": "tsa", "month": "2026-13"}, "month"),
             ({"measure": "tsa", "month": "2026-10", "extra": 1}, "extra"),
             ({"measure": "tsa", "month": "2026-10", "applicant_iin": "12"}, "applicant_iin"),
             ({"measure": "tsa", "month": "2026-10"}, "applicant_iin"),                  # a caseworker names whose
             ({"measure": "tsa", "month": "2026-10", "applicant_iin": "000000000000"}, "applicant_iin"),
             ({"measure": "tsa", "month": "2026-10", "applicant_iin": world["citizen"], "phone": "+7 901 234 56 78"},
              "phone"),                                                                   # a Russian number
             ({"measure": "tsa", "month": "2026-10", "applicant_iin": world["citizen"], "language": "de"}, "language")]
    for body, field in cases:
        r = post(body, {**h["case"], **key})
        assert r.status_code == 422 and r.json()["detail"][0]["path"] == field, (body, r.text)
    r = post({"measure": "tsa", "month": "2026-10"}, h["citizen"])
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "Idempotency-Key"
    assert count(world, Application) == before and count(world, IdempotencyKey, IdempotencyKey.key == key["Idempotency-Key"]) == 0
    assert count(world, Notification, Notification.key.like("application:%")) == told
    r = client.post("/api/v1/applications/1/transitions", json={"to": "paid", "reason": "x"}, headers=h["case"])
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "to"


# -- who may ------------------------------------------------------------------------------------

def test_another_persons_application_is_forbidden_and_logged(world):
    client, h, url = world["client"], world["headers"], world["url"]
    mine = client.post("/api/v1/applications", json={"measure": "tsa", "month": "2026-10"},
                       headers={**h["citizen"], "Idempotency-Key": uuid.uuid4().hex}).json()["id"]
    refused = lambda who: count(world, AccessEntry, AccessEntry.actor == who, AccessEntry.allowed.is_(False))  # noqa: E731
    before = {u: refused(u) for u in ("stranger", "elsewhere", "auditor")}
    assert client.get(f"/api/v1/applications/{mine}", headers=h["citizen"]).status_code == 200
    assert client.get(f"/api/v1/applications/{mine}", headers=h["stranger"]).status_code == 403
    assert client.post(f"/api/v1/applications/{mine}/transitions", json={"to": "withdrawn", "reason": "x"},
                       headers=h["stranger"]).status_code == 403
    assert client.get(f"/api/v1/applications/{mine}", headers=h["elsewhere"]).status_code == 403
    assert client.get(f"/api/v1/applications/{mine}", headers=h["auditor"]).status_code == 403
    assert client.get("/api/v1/applications", headers=h["auditor"]).status_code == 403
    assert refused("stranger") == before["stranger"] + 2 and refused("elsewhere") == before["elsewhere"] + 1
    assert refused("auditor") == before["auditor"] + 2
    with session(url) as s:
        entry = s.scalars(select(AccessEntry).where(AccessEntry.actor == "stranger").order_by(AccessEntry.id.desc())).first()
    assert (entry.subject_iin, entry.allowed) == (world["citizen"], False)
    # Filing for someone else: a citizen for another person, a caseworker outside the regions served.
    other = {"measure": "tsa", "month": "2026-10", "applicant_iin": world["stranger"]}
    assert client.post("/api/v1/applications", json=other, headers={**h["citizen"], "Idempotency-Key": "x1"}).status_code == 403
    assert client.post("/api/v1/applications", json=other, headers={**h["elsewhere"], "Idempotency-Key": "x2"}).status_code == 403
    # An unknown id says nothing more than that.
    assert client.get("/api/v1/applications/999999999", headers=h["citizen"]).json() == {
        "detail": "application 999999999: no such application"}
    with pytest.raises(NotFound):
        service.read(world["actors"]["case"], url, 999999999)
    with pytest.raises(Forbidden):
        service.listing(world["actors"]["auditor"], url)


def test_every_read_is_logged_and_a_citizen_lists_only_their_own(world):
    client, h = world["client"], world["headers"]
    reads = lambda: count(world, AccessEntry, AccessEntry.actor == "citizen", AccessEntry.allowed.is_(True))  # noqa: E731
    before = reads()
    own = client.get("/api/v1/applications", headers=h["citizen"]).json()
    assert own["total"] >= 1 and {i["applicant"][-4:] for i in own["items"]} == {world["citizen"][-4:]}
    client.get(f"/api/v1/applications/{own['items'][0]['id']}", headers=h["citizen"])
    assert reads() == before + 2
    queue = client.get("/api/v1/applications?limit=3", headers=h["case"]).json()
    assert len(queue["items"]) == 3 and queue["next_cursor"] and math.isfinite(queue["total"])


# -- telling the applicant ----------------------------------------------------------------------

def told(world, app_id: int) -> list[Notification]:
    with session(world["url"]) as s:
        return list(s.scalars(select(Notification).where(Notification.about == f"application:{app_id}")
                              .order_by(Notification.id)))


def babel(day: dt.date, lang: str) -> str:
    return re.sub("[\u00a0\u202f]", " ", format_date(day, "long", locale=lang))   # the SMS has plain spaces


def test_a_filing_with_a_phone_is_told_once_in_its_language(world):
    """A birth benefit filed on Monday 2 November 2026 is due Monday 23 November (15 working days,
    as the clock's test works out): the SMS says both in Russian, to the number in E.164, once
    however often the filing is replayed."""
    case, iin, key = world["actors"]["case"], world["people"]["iin"][20], next(keys)
    body = {"measure": "birth_benefit", "month": "2026-10", "applicant_iin": iin, "phone": "8 (701) 234-56-78",
            "language": "ru"}
    answer, _ = service.file(case, world["db"], body, key, now=MONDAY)
    again, replayed = service.file(case, world["db"], body, key, now=MONDAY)
    assert replayed and again == answer
    assert (answer["notified_by"], answer["phone"], answer["language"]) == ("sms", "+7********78", "ru")
    [n] = told(world, answer["id"])
    filed = service.read(case, world["url"], answer["id"])["history"]
    assert (n.template, n.phone, n.language, n.iin, n.state) == ("application_received", "+77012345678", "ru", iin, "pending")
    with session(world["url"]) as s:
        first = s.scalar(select(Transition.id).where(Transition.application_id == answer["id"]))
    assert n.key == f"application:{answer['id']}:transition:{first}" and len(filed) == 1
    assert babel(dt.date(2026, 11, 23), "ru") == "23 ноября 2026 г."
    assert n.text == (f"Komek: ваше заявление {answer['id']} (Единовременное пособие на рождение ребёнка) принято "
                      f"{babel(dt.date(2026, 11, 2), 'ru')} Срок решения: 23 ноября 2026 г.")


def test_a_filing_without_a_phone_is_not_told_and_says_so(world):
    case = world["actors"]["case"]
    app_id = file(world, "birth_benefit", world["people"]["iin"][21])
    seen = service.read(case, world["url"], app_id)
    assert (seen["notified_by"], seen["phone"], seen["language"]) == (None, None, None)
    assert told(world, app_id) == []
    service.move(case, world["url"], app_id, "withdrawn", "filed by mistake")
    assert told(world, app_id) == []


def test_each_move_the_applicant_must_hear_of_is_told_once(world):
    """TSA, decided by a caseworker: received, information asked (what is asked), granted (the
    card's amount from October), reopened, refused (appeal within three months of the decision,
    an assumption of deadlines.yaml), withdrawn; a move sent again writes nothing, and a review
    begun or resumed is not told."""
    people, url, case = world["people"], world["url"], world["actors"]["case"]
    hid = next(x for x in people["household_id"].unique(maintain_order=True).to_list()[40:] if paid(world, x, "tsa") > 0)
    iin = people.filter(pl.col("household_id") == hid)["iin"][0]
    answer, _ = service.file(case, world["db"], {"measure": "tsa", "month": "2026-10", "applicant_iin": iin,
                                                 "phone": "701 234 5679"}, next(keys), now=MONDAY)
    app_id = answer["id"]
    service.assess(url)
    day = lambda d: MONDAY + dt.timedelta(days=d)  # noqa: E731
    moves = [("in_review", "taken", 1), ("needs_information", "the lease of the home", 1),
             ("needs_information", "the lease of the home", 1), ("in_review", "the lease given", 2),
             ("approved", "eligible", 3), ("approved", "eligible", 3), ("in_review", "income changed", 4)]
    for to, reason, d in moves:
        service.move(case, url, app_id, to, reason, now=day(d))
    service.assess(url)
    for to, reason, d in [("rejected", "income above the line", 5), ("rejected", "income above the line", 5),
                          ("in_review", "reconsidered", 6), ("withdrawn", "moved away", 7)]:
        service.move(case, url, app_id, to, reason, now=day(d))
    notes = told(world, app_id)
    assert [n.template for n in notes] == ["application_received", "application_needs_information",
                                           "application_granted", "application_reopened", "application_refused",
                                           "application_withdrawn"]
    assert {(n.phone, n.language) for n in notes} == {("+77012345679", "kk")}
    with session(url) as s:
        transitions = s.scalars(select(Transition.id).where(Transition.application_id == app_id)
                                .order_by(Transition.id)).all()
    assert len(transitions) == 9                    # the two moves sent again were not applied
    kept = [transitions[i] for i in (0, 2, 4, 5, 6, 8)]   # filed, asked, granted, reopened, refused, withdrawn
    assert [n.key for n in notes] == [f"application:{app_id}:transition:{t}" for t in kept]
    asked, granted, _, refused, _ = notes[1:]
    assert "the lease of the home" in asked.text
    amount = Decimal(str(paid(world, hid, "tsa"))).quantize(Decimal("0.01"))
    said = format_decimal(amount, "#,##0" if amount == int(amount) else "#,##0.00", locale="kk").replace("\u00a0", " ").replace("\u202f", " ")
    assert f"айына {said} теңге" in granted.text and babel(dt.date(2026, 10, 1), "kk") in granted.text
    # Decided 7 Nov 2026: three months later is Sunday 7 Feb 2027, so the term runs to Monday 8 Feb.
    assert refused.text.endswith(f"Шағымдану мерзімі: {babel(dt.date(2027, 2, 8), 'kk')}.")
