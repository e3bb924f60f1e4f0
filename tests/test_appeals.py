"""Appeals to a supervisor: filed within the term after the decision (and refused after it), due
in working days counted here by hand across a holiday, filed idempotently, another person's case
refused and logged, the decision's maker refused as the supervisor, an appeal upheld changing the
decision and the assignment (both explanations kept), a rejected one leaving them, the escalation
after the due date, the queue, and the SMS in the outbox. On SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import fresh_database
from komek import access
from komek.api import create_app
from komek.errors import Conflict, FieldError, Forbidden, TransitionError
from komek.kz import iin as kiin
from komek.registry import db
from komek.registry.db import session
from komek.registry.models import AccessEntry, Appeal, AppealKey, AppealMove, Application, Assignment, Notification, Transition
from komek.services import appeals as service
from komek.services import applications
from komek.settings import Settings

PASSWORD = "correct horse battery"
DECIDED = dt.datetime(2026, 12, 10, 4, tzinfo=dt.UTC)      # Thursday, 09:00 in Kazakhstan
FILED = dt.datetime(2026, 12, 14, 4, tzinfo=dt.UTC)        # Monday
DUE = dt.date(2026, 12, 22)     # 15 Tue, [16 Wed: Independence Day], 17 Thu, 18 Fri, 21 Mon, 22 Tue: the 5th working day
RULES_TIYN = 1_000_000          # what the rules computed: 10,000 tenge a month
keys = (f"key-{i}" for i in itertools.count())
iins = (n for n in itertools.count(1))


def _iin() -> str:
    n = next(iins)
    while (c := kiin.check_digit(head := f"{900101000000 // 10 + n:011d}")) is None:
        n += 1
    return head + str(c)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("appeals")
    with fresh_database(request.param, tmp) as url:
        db.migrate(url)
        actors = {"case": access.add(url, "case", PASSWORD, "caseworker", ("39",)),
                  "boss": access.add(url, "boss", PASSWORD, "supervisor", ("39",)),
                  "boss-elsewhere": access.add(url, "boss-elsewhere", PASSWORD, "supervisor", ("10",))}
        client = TestClient(create_app(Settings(data_dir=tmp, database_url=url, secret_key="k" * 40)))
        yield {"url": url, "actors": actors, "client": client}


def citizen(world) -> access.Actor:
    iin = _iin()
    return access.add(world["url"], f"citizen-{iin}", PASSWORD, "citizen", iin=iin)


def token(world, actor: access.Actor) -> dict:
    r = world["client"].post("/api/v1/token", data={"username": actor.username, "password": PASSWORD})
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def decided(world, person: access.Actor, to: str, eligible: bool = True, by: str = "case") -> int:
    """An application of `person` assessed by the rules (eligible at RULES_TIYN, or not) and decided
    by a caseworker on DECIDED: its id."""
    with session(world["url"]) as s:
        a = Application(applicant_iin=person.iin, household_id=f"h-{person.iin}", measure="tsa", month="2026-11",
                        region_code="39", state="in_review", submitted=DECIDED - dt.timedelta(days=10),
                        due_date=DECIDED.date(), stopped_days=0, filed_by=person.username, filed_by_role="citizen",
                        assessed=DECIDED, rules_version="test", eligible=eligible,
                        amount_tiyn=RULES_TIYN if eligible else 0,
                        explanation=json.dumps({"summary": ["TSA: the line less the income, times the members"],
                                                "reference": "Social Code art. 120", "amount": "10000.00"}))
        s.add(a)
        s.flush()
        s.add(Transition(application_id=a.id, from_state=None, to_state="in_review", actor=person.username,
                         role="citizen", at=a.submitted, reason="filed"))
    applications.move(world["actors"][by], world["url"], a.id, to, f"{to} by the caseworker", now=DECIDED)
    return a.id


def appeal(world, person: access.Actor, app_id: int, now: dt.datetime = FILED, key: str | None = None, **more) -> dict:
    body = {"application_id": app_id, "grounds": "The income of my late husband was counted", "phone": "8 701 234 56 78",
            **more}
    answer, replayed = service.file(person, world["url"], body, key or next(keys), now=now)
    assert not replayed
    return answer


def decide(world, appeal_id: int, outcome: str, now: dt.datetime = FILED + dt.timedelta(days=3), who: str = "boss",
           **more) -> dict:
    return service.move(world["actors"][who], world["url"], appeal_id,
                        {"to": "decided", "outcome": outcome, "note": f"the supervisor finds: {outcome}", **more}, now=now)


def count(world, model, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_filed_within_the_term_due_in_five_working_days_across_a_holiday(world):
    person = citizen(world)
    app_id = decided(world, person, "rejected", eligible=False)
    answer = appeal(world, person, app_id)
    assert answer["due_date"] == DUE.isoformat() and answer["state"] == "filed"
    assert answer["appeal_term_until"] == "2027-03-10"          # three months after 10 December 2026, a Wednesday
    got = service.read(person, world["url"], answer["id"], now=FILED)
    assert got["working_days_left"] == 5 and got["decision"]["state"] == "rejected"
    assert got["decision"]["reason"] == "rejected by the caseworker" and got["decision"]["by"] == "case"


def test_out_of_term_refused_naming_the_field_and_nothing_written(world):
    person = citizen(world)
    app_id = decided(world, person, "rejected", eligible=False)
    before = count(world, Appeal)
    with pytest.raises(FieldError) as e:
        appeal(world, person, app_id, now=dt.datetime(2027, 3, 11, 4, tzinfo=dt.UTC))
    assert e.value.field == "application_id" and "until 2027-03-10" in e.value.problem
    assert count(world, Appeal) == before
    late = appeal(world, person, app_id, now=dt.datetime(2027, 3, 10, 4, tzinfo=dt.UTC))   # the last day is in the term
    # 11 Thu, 12 Fri, [15 Mon: Constitution Day], 16, 17, 18: the 5th working day
    assert late["due_date"] == "2027-03-18"
    with pytest.raises(Conflict):       # one appeal per decision
        appeal(world, person, app_id, now=dt.datetime(2027, 3, 10, 5, tzinfo=dt.UTC))


def test_a_replayed_key_answers_the_first_and_another_body_is_refused(world):
    person = citizen(world)
    app_id = decided(world, person, "rejected", eligible=False)
    body = {"application_id": app_id, "grounds": "wrong", "language": "ru"}
    first, replayed = service.file(person, world["url"], body, "same", now=FILED)
    again, replayed_again = service.file(person, world["url"], body, "same", now=FILED + dt.timedelta(minutes=5))
    assert not replayed and replayed_again and again == first
    with pytest.raises(FieldError) as e:
        service.file(person, world["url"], {**body, "grounds": "other"}, "same", now=FILED)
    assert e.value.field == "Idempotency-Key"
    assert count(world, Appeal, Appeal.application_id == app_id) == 1
    assert count(world, AppealKey, AppealKey.appeal_id == first["id"]) == 1
    assert count(world, Notification, Notification.about == f"appeal:{first['id']}") == 0   # no phone: no SMS


def test_another_persons_case_is_403_and_logged_with_its_subject(world):
    person, other = citizen(world), citizen(world)
    app_id = decided(world, person, "rejected", eligible=False)
    r = world["client"].post("/api/v1/appeals", json={"application_id": app_id, "grounds": "not mine"},
                             headers={**token(world, other), "Idempotency-Key": "k1"})
    assert r.status_code == 403
    mine = appeal(world, person, app_id)
    r = world["client"].get(f"/api/v1/appeals/{mine['id']}", headers=token(world, other))
    assert r.status_code == 403
    assert count(world, AccessEntry, AccessEntry.actor == other.username, AccessEntry.allowed.is_(False),
                 AccessEntry.subject_iin == person.iin) == 2
    assert count(world, Appeal, Appeal.application_id == app_id) == 1
    with pytest.raises(Forbidden):      # a supervisor of another region
        service.read(world["actors"]["boss-elsewhere"], world["url"], mine["id"])
    assert world["client"].get("/api/v1/appeals", headers=token(world, world["actors"]["case"])).status_code == 403


def test_the_supervisor_who_made_the_decision_is_refused(world):
    world["actors"]["case2"] = access.add(world["url"], "case2", PASSWORD, "caseworker", ("39",))
    person = citizen(world)
    app_id = decided(world, person, "rejected", eligible=False, by="case2")
    promoted = access.set_role(world["url"], "case2", "supervisor", ("39",))     # the same person, now a supervisor
    p = appeal(world, person, app_id)
    refused = count(world, AccessEntry, AccessEntry.actor == "case2", AccessEntry.allowed.is_(False))
    with pytest.raises(Forbidden, match="second person"):
        service.move(promoted, world["url"], p["id"], {"to": "decided", "outcome": "upheld", "note": "fine",
                                                       "amount_tiyn": 5, "basis": "b"}, now=FILED)
    assert count(world, AccessEntry, AccessEntry.actor == "case2", AccessEntry.allowed.is_(False)) == refused + 1
    assert service.read(person, world["url"], p["id"], now=FILED)["state"] == "filed"
    service.move(promoted, world["url"], p["id"], {"to": "in_review", "note": "taken up"}, now=FILED)   # taking up is not deciding


def test_upheld_changes_the_decision_and_the_assignment_keeping_both_explanations(world):
    person = citizen(world)
    app_id = decided(world, person, "approved")
    p = appeal(world, person, app_id)
    with pytest.raises(FieldError) as e:        # above the rules' amount without a basis
        decide(world, p["id"], "upheld", amount_tiyn=1_250_000)
    assert e.value.field == "basis"
    with pytest.raises(FieldError) as e:        # not in the appellant's favour
        decide(world, p["id"], "upheld", amount_tiyn=RULES_TIYN, basis="x")
    assert e.value.field == "amount_tiyn"
    got = decide(world, p["id"], "upheld", amount_tiyn=1_250_000, basis="the late husband's income of July is a pension "
                 "arrears paid once (Social Code art. 120)")
    assert got["state"] == "decided" and got["outcome"] == "upheld" and got["amount"] == "12500.00"
    assert got["decision"]["reason"] == "approved by the caseworker"
    assert got["explanation"] == "the supervisor finds: upheld"
    with session(world["url"]) as s:
        a = s.get(Application, app_id)
        held = s.scalars(select(Assignment).where(Assignment.application_id == app_id).order_by(Assignment.id)).all()
        last = s.scalars(select(Transition).where(Transition.application_id == app_id).order_by(Transition.id.desc())).first()
    assert a.state == "approved" and (last.from_state, last.to_state, last.role) == ("approved", "approved", "supervisor")
    assert len(held) == 2
    old, new = held
    assert old.monthly_tiyn == RULES_TIYN and old.end_date == dt.date(2026, 12, 16) and old.ended is not None
    assert new.monthly_tiyn == 1_250_000 and new.start_date == dt.date(2026, 12, 17) and new.ended is None
    shown = applications.read(world["actors"]["case"], world["url"], app_id)["assignments"]
    assert shown[0]["explanation"]["summary"] == ["TSA: the line less the income, times the members"]
    assert shown[1]["explanation"]["summary"] == shown[0]["explanation"]["summary"]
    assert shown[1]["explanation"]["appeal"]["explanation"] == "the supervisor finds: upheld"
    assert shown[1]["explanation"]["appeal"]["by"] == "boss" and shown[1]["monthly_amount"] == "12500.00"
    texts = [n.template for n in _sms(world, p["id"])]
    assert texts == ["appeal_received", "appeal_decided"]


def test_a_refusal_upheld_approves_from_the_month_applied_for_with_the_stated_amount(world):
    person = citizen(world)
    app_id = decided(world, person, "rejected", eligible=False)
    p = appeal(world, person, app_id)
    with pytest.raises(FieldError) as e:        # the rules computed nothing: the supervisor states it
        decide(world, p["id"], "partly_upheld")
    assert e.value.field == "amount_tiyn"
    decide(world, p["id"], "partly_upheld", amount_tiyn=400_000, basis="the household plot yields nothing this year")
    with session(world["url"]) as s:
        held = s.scalars(select(Assignment).where(Assignment.application_id == app_id)).all()
    assert [(g.start_date, g.monthly_tiyn) for g in held] == [(dt.date(2026, 11, 1), 400_000)]


def test_rejected_leaves_the_decision_and_a_decided_appeal_moves_no_more(world):
    person = citizen(world)
    app_id = decided(world, person, "approved")
    p = appeal(world, person, app_id)
    got = decide(world, p["id"], "rejected")
    again = decide(world, p["id"], "rejected")           # the same move again: applied once
    assert got["outcome"] == again["outcome"] == "rejected" and got["application_state"] == "approved"
    assert count(world, AppealMove, AppealMove.appeal_id == p["id"]) == 2
    assert count(world, Assignment, Assignment.application_id == app_id) == 1
    assert count(world, Transition, Transition.application_id == app_id) == 2
    with pytest.raises(TransitionError):
        service.move(person, world["url"], p["id"], {"to": "withdrawn", "note": "changed my mind"})
    sms = _sms(world, p["id"])
    assert [n.template for n in sms] == ["appeal_received", "appeal_decided"]
    assert "шешім өзгеріссіз" in sms[1].text and sms[1].phone == "+77012345678"


def test_escalated_after_the_due_date_once_and_the_queue_puts_overdue_first(world):
    person = citizen(world)
    early = appeal(world, person, decided(world, person, "rejected", eligible=False))
    later = appeal(world, person, decided(world, person, "rejected", eligible=False), now=FILED + dt.timedelta(days=2))
    on_due = dt.datetime(2026, 12, 22, 12, tzinfo=dt.UTC)
    assert service.sweep(world["url"], on_due) == 0
    after = dt.datetime(2026, 12, 23, 4, tzinfo=dt.UTC)
    assert service.sweep(world["url"], after) >= 1 and service.sweep(world["url"], after) == 0
    got = service.read(person, world["url"], early["id"], now=after)
    assert got["escalated_to"] == "the head of the region's office of the service provider"
    assert got["flag"] == "overdue" and got["working_days_left"] == -1 and got["state"] == "filed"
    step = got["history"][-1]
    assert (step["from"], step["to"], step["role"]) == ("filed", "filed", "system") and "1 working days overdue" in step["note"]
    assert service.read(person, world["url"], later["id"], now=after)["escalated"] is None   # due 24 December
    queue = service.listing(world["actors"]["boss"], world["url"], limit=200, now=after)["items"]
    ids = [i["id"] for i in queue]
    assert ids.index(early["id"]) < ids.index(later["id"])
    assert [i["working_days_left"] for i in queue] == sorted(i["working_days_left"] for i in queue)
    assert service.listing(world["actors"]["boss-elsewhere"], world["url"], now=after)["total"] == 0


def test_over_http_filed_read_and_decided(world):
    person = citizen(world)
    app_id = decided(world, person, "rejected", eligible=False)
    head = {**token(world, person), "Idempotency-Key": "http-1"}
    r = world["client"].post("/api/v1/appeals", json={"application_id": app_id, "grounds": "wrong"}, headers=head)
    assert r.status_code == 201, r.text
    again = world["client"].post("/api/v1/appeals", json={"application_id": app_id, "grounds": "wrong"}, headers=head)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true" and again.json() == r.json()
    boss = token(world, world["actors"]["boss"])
    move = f"/api/v1/appeals/{r.json()['id']}/transitions"
    bad = world["client"].post(move, json={"to": "decided", "note": "n", "outcome": "granted"}, headers=boss)
    assert bad.status_code == 422
    done = world["client"].post(move, json={"to": "decided", "note": "the decision stands", "outcome": "rejected"},
                                headers=boss)
    assert done.status_code == 200 and done.json()["outcome"] == "rejected"
    mine = world["client"].get("/api/v1/appeals", headers=token(world, person)).json()
    assert [i["id"] for i in mine["items"]] == [r.json()["id"]]


def _sms(world, appeal_id: int) -> list[Notification]:
    with session(world["url"]) as s:
        return s.scalars(select(Notification).where(Notification.about == f"appeal:{appeal_id}")
                         .order_by(Notification.id)).all()


def test_the_worker_sweeps_overdue_appeals(world, tmp_path):
    """`komek worker` runs the sweeps beside the jobs: an appeal whose due date passed is escalated
    by one round of the worker (its due date set back, the sweep going by today's date)."""
    from komek.registry.models import Appeal
    from komek.services.worker import work
    from komek.settings import Settings
    person = citizen(world)
    filed = appeal(world, person, decided(world, person, "rejected", eligible=False))
    with session(world["url"]) as s:
        s.get(Appeal, filed["id"]).due_date = dt.date(2026, 11, 20)
    work(Settings(data_dir=tmp_path, database_url=world["url"]), once=True)
    with session(world["url"]) as s:
        got = s.get(Appeal, filed["id"])
        assert got.escalated is not None and got.escalated_to and got.state == "filed"
