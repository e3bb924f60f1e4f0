"""Citizen requests: filed idempotently, due in working days (counted here by hand), linked as
repeats of the same problem (same place by address or by distance, not another place, not after
the window), every move allowed and refused by a table written here, an SMS in the outbox with
each change, the caseworker's queue, refusals logged, and the analyst's aggregates. On SQLite and
on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import itertools
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import fresh_database
from komek import access
from komek.api import create_app
from komek.errors import FieldError, Forbidden, NotFound, TransitionError
from komek.kz import iin as kiin
from komek.registry import db
from komek.registry.db import session
from komek.registry.models import AccessEntry, CitizenRequest, Notification, RequestKey, RequestMove
from komek.services import requests as service
from komek.settings import Settings

PASSWORD = "correct horse battery"
MONDAY = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)      # 14:00 in Kazakhstan
DAY = dt.timedelta(days=1)
keys = (f"key-{i}" for i in itertools.count())


def _iin(n: int) -> str:
    while (c := kiin.check_digit(head := f"{900101000000 // 10 + n:011d}")) is None:
        n += 1
    return head + str(c)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("requests")
    with fresh_database(request.param, tmp) as url:
        db.migrate(url)
        citizen, neighbour = _iin(1), _iin(50)
        actors = {"citizen": access.add(url, "citizen", PASSWORD, "citizen", iin=citizen),
                  "neighbour": access.add(url, "neighbour", PASSWORD, "citizen", iin=neighbour),
                  "case": access.add(url, "case", PASSWORD, "caseworker", ("39",)),
                  "queue": access.add(url, "queue", PASSWORD, "caseworker", ("62",)),
                  "elsewhere": access.add(url, "elsewhere", PASSWORD, "caseworker", ("10",)),
                  "analyst": access.add(url, "analyst", PASSWORD, "analyst"),
                  "analyst59": access.add(url, "analyst59", PASSWORD, "analyst", ("59",))}
        client = TestClient(create_app(Settings(data_dir=tmp, database_url=url, secret_key="k" * 40)))
        headers = {u: {"Authorization": "Bearer " + client.post("/api/v1/token", data={"username": u, "password": PASSWORD})
                       .json()["access_token"]} for u in actors}
        yield {"url": url, "actors": actors, "client": client, "headers": headers, "citizen": citizen, "neighbour": neighbour}


def place(**more) -> dict:
    """A body at a place of its own (a street no other test uses), in Kostanay."""
    return {"category": "courtyard", "region_code": "39", "locality": "г. Костанай", "street": f"ул. {uuid.uuid4().hex[:10]}",
            "building": "5", "text": "Во дворе нет освещения", "phone": "8 (701) 234-56-78", **more}


def file(world, body: dict, who: str = "citizen", now: dt.datetime = MONDAY, key: str | None = None) -> dict:
    answer, replayed = service.file(world["actors"][who], world["url"], body, key or next(keys), now=now)
    assert not replayed
    return answer


def move(world, rid: int, to: str, who: str = "case", now: dt.datetime = MONDAY, note: str = "done") -> dict:
    return service.move(world["actors"][who], world["url"], rid, to, note, now=now)


def count(world, model, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def sms(world, rid: int) -> list[Notification]:
    with session(world["url"]) as s:
        return s.scalars(select(Notification).where(Notification.about == f"request:{rid}").order_by(Notification.id)).all()


def row(world, rid: int) -> CitizenRequest:
    with session(world["url"]) as s:
        return s.get(CitizenRequest, rid)


# -- filing -------------------------------------------------------------------------------------

def test_a_filing_is_due_in_fifteen_working_days_and_told_by_sms(world):
    # Monday 2 November 2026: the 15 working days after it end on Monday 23 November (no holiday between).
    a = file(world, place())
    assert (a["state"], a["due_date"], a["iin"], a["repeats"]) == ("received", "2026-11-23", world["citizen"], None)
    r = row(world, a["id"])
    assert (r.phone, r.language, r.place_key.split("|")[0], r.repeat_count) == ("+77012345678", "kk", "костанай", 0)
    [told] = sms(world, a["id"])
    assert (told.template, told.phone, told.iin, told.state) == ("request_received", "+77012345678", world["citizen"], "pending")
    assert told.text == (f"Komek: {a['id']} өтінішіңіз (аула) қабылданды. Қабылданған күні: 2026 ж. 2 қараша. "
                         "Жауап мерзімі: 2026 ж. 23 қараша.")
    assert count(world, RequestMove, RequestMove.request_id == a["id"]) == 1
    assert count(world, AccessEntry, AccessEntry.what == "request filed", AccessEntry.subject_iin == world["citizen"]) >= 1


def test_a_due_date_over_the_new_year_counts_the_holidays_and_says_what_it_rests_on(world):
    # Friday 11 December 2026: 14-15, 17-18 (16th: Independence Day), 21-25, 28-31 Dec are 13 days;
    # 1 and 2 January are holidays and the 2nd, a Saturday, moves to Monday the 4th; 5 and 6 January
    # are the 14th and 15th (the 7th is Orthodox Christmas). 2027's transfers are not decided yet.
    a = file(world, place(language="ru"), now=dt.datetime(2026, 12, 11, 6, tzinfo=dt.UTC))
    assert a["due_date"] == "2027-01-06"
    seen = service.read(world["actors"]["citizen"], world["url"], a["id"], now=dt.datetime(2026, 12, 11, 7, tzinfo=dt.UTC))
    assert [w.split(":")[0] for w in seen["due_date_rests_on"]] == ["transfers of days off in 2027"]
    assert sms(world, a["id"])[0].text.startswith(f"Komek: ваше обращение {a['id']} (двор) принято 11 декабря 2026 г.")


def test_a_replayed_key_answers_the_first_and_another_body_is_refused(world):
    body, key = place(), next(keys)
    first = file(world, body, key=key)
    again, replayed = service.file(world["actors"]["citizen"], world["url"], dict(body), key, now=MONDAY + DAY)
    assert replayed and again == first
    before = (count(world, CitizenRequest), count(world, Notification), count(world, RequestKey))
    with pytest.raises(FieldError) as e:
        service.file(world["actors"]["citizen"], world["url"], {**body, "text": "другое"}, key)
    assert e.value.field == "Idempotency-Key" and f"request {first['id']}" in e.value.problem
    assert (count(world, CitizenRequest), count(world, Notification), count(world, RequestKey)) == before
    # The same key is another account's own.
    other, replayed = service.file(world["actors"]["case"], world["url"], {**body, "iin": world["citizen"]}, key)
    assert not replayed and other["id"] != first["id"]


@pytest.mark.parametrize("change, field", [
    ({"category": "weather"}, "category"), ({"region_code": "99"}, "region_code"), ({"locality": " "}, "locality"),
    ({"locality": "ул."}, "locality"), ({"text": ""}, "text"), ({"phone": "+7 912 345 67 89"}, "phone"),
    ({"phone": None}, "phone"), ({"latitude": 53.2}, "longitude"), ({"latitude": 30.0, "longitude": 63.6}, "latitude"),
    ({"language": "de"}, "language"), ({"iin": "123"}, "iin")])
def test_bad_input_names_its_field_and_writes_nothing(world, change, field):
    who = "case" if field == "iin" else "citizen"
    before = (count(world, CitizenRequest), count(world, Notification), count(world, RequestMove))
    body = {k: v for k, v in place(**change).items() if v is not None}
    with pytest.raises(FieldError) as e:
        service.file(world["actors"][who], world["url"], body, next(keys))
    assert e.value.field == field
    assert (count(world, CitizenRequest), count(world, Notification), count(world, RequestMove)) == before


def test_who_may_file(world):
    with pytest.raises(Forbidden):
        service.file(world["actors"]["citizen"], world["url"], place(iin=world["neighbour"]), next(keys))
    with pytest.raises(Forbidden):      # a caseworker of Abai files no request of Kostanay
        service.file(world["actors"]["elsewhere"], world["url"], place(iin=world["citizen"]), next(keys))
    with pytest.raises(Forbidden):
        service.file(world["actors"]["analyst"], world["url"], place(), next(keys))
    a = file(world, place(iin=world["citizen"]), who="case")
    assert a["iin"] == world["citizen"] and row(world, a["id"]).filed_by == "case"


# -- repeats ------------------------------------------------------------------------------------

def test_the_same_place_written_otherwise_is_a_repeat_and_is_counted(world):
    street = uuid.uuid4().hex[:8]
    first = file(world, place(locality="Костанай", street=f"улица {street}", building="12 А"))
    second = file(world, place(locality="г. Костанай", street=f"ул. {street.upper()},", building="12а"), who="neighbour",
                  now=MONDAY + DAY)
    third = file(world, place(locality="Костанай қаласы", street=f"{street} көшесі", building="д. 12А"), now=MONDAY + 2 * DAY)
    assert second["repeats"] == third["repeats"] == first["id"]
    assert row(world, first["id"]).repeat_count == 2
    assert [n.template for n in sms(world, second["id"])] == ["request_repeat"]
    assert f"(өтініш {first['id']})" in sms(world, second["id"])[0].text
    # Another building, another category, another region: other problems.
    for other in (place(locality="Костанай", street=street, building="14"), place(category="roads", locality="Костанай",
                  street=street, building="12а"), place(region_code="35", locality="Костанай", street=street, building="12а")):
        assert file(world, other)["repeats"] is None
    assert row(world, first["id"]).repeat_count == 2
    # Each citizen's own term: the repeat filed a day later is due a working day later.
    assert (second["due_date"], third["due_date"]) == ("2026-11-24", "2026-11-25")


def test_coordinates_within_the_radius_are_the_same_place(world):
    # 0.0004 degrees of latitude is 44.5 m on the mean radius; 0.0005 is 55.6 m (the radius: 50 m).
    lat, lon = 53.2144, 63.6246
    first = file(world, place(latitude=lat, longitude=lon))
    near = file(world, place(latitude=lat + 0.0004, longitude=lon))
    far = file(world, place(latitude=lat - 0.0005, longitude=lon))
    no_point = file(world, place())
    assert (near["repeats"], far["repeats"], no_point["repeats"]) == (first["id"], None, None)


def test_a_repeat_within_the_window_reopens_a_resolution_and_after_it_is_a_new_problem(world):
    body = place()
    first = file(world, body)
    move(world, first["id"], "resolved")
    assert row(world, first["id"]).resolved_at is not None
    late = file(world, dict(body), now=MONDAY + 91 * DAY)          # 91 days after the resolution: a new problem
    assert late["repeats"] is None
    body2 = place()
    second = file(world, body2)
    move(world, second["id"], "resolved")
    move(world, second["id"], "closed", who="citizen", now=MONDAY + DAY)
    again = file(world, dict(body2), who="neighbour", now=MONDAY + 90 * DAY)   # the 90th day: the same problem
    r = row(world, second["id"])
    assert again["repeats"] == second["id"] and again["state"] == "in_progress"
    assert (r.state, r.reopened, r.resolved_at, r.repeat_count) == ("in_progress", 1, None, 1)
    assert [n.template for n in sms(world, second["id"])] == ["request_received", "request_resolved", "request_closed",
                                                              "request_reopened"]
    # Answered and closed, never resolved: not open, so a new request is a new problem.
    body3 = place()
    third = file(world, body3)
    move(world, third["id"], "answered", note="запланировано на весну")
    move(world, third["id"], "closed")
    assert file(world, dict(body3), now=MONDAY + DAY)["repeats"] is None


def test_a_repeat_follows_its_problem_and_a_problem_passes_on_when_its_first_citizen_withdraws(world):
    body = place()
    first = file(world, body)
    second = file(world, dict(body), who="neighbour")
    third = file(world, {**body, "iin": world["citizen"]}, who="case")
    move(world, first["id"], "in_progress")
    assert {row(world, i).state for i in (first["id"], second["id"], third["id"])} == {"in_progress"}
    move(world, third["id"], "answered", note="подрядчик назначен")      # acting on a repeat acts on its problem
    assert row(world, first["id"]).state == row(world, second["id"]).state == "answered"
    assert sms(world, second["id"])[-1].text.endswith("жауап берілді: подрядчик назначен")
    seen = service.read(world["actors"]["neighbour"], world["url"], second["id"])
    assert seen["allowed"] == ["closed", "withdrawn"] and seen["on_time"] is True
    service.move(world["actors"]["citizen"], world["url"], first["id"], "withdrawn", "не актуально")
    heir = row(world, second["id"])
    assert (heir.repeats_id, heir.repeat_count, row(world, third["id"]).repeats_id) == (None, 2, second["id"])
    assert (row(world, first["id"]).state, row(world, first["id"]).repeats_id) == ("withdrawn", second["id"])
    move(world, second["id"], "resolved")
    assert (row(world, second["id"]).state, row(world, third["id"]).state, row(world, first["id"]).state) == (
        "resolved", "resolved", "withdrawn")
    # The repeat's citizen says it did not hold: the problem is reopened, with every request that follows it.
    service.move(world["actors"]["citizen"], world["url"], third["id"], "in_progress", "свет снова не горит", now=MONDAY + 5 * DAY)
    assert (row(world, second["id"]).state, row(world, second["id"]).reopened, row(world, third["id"]).state) == (
        "in_progress", 1, "in_progress")


def test_filings_at_the_same_moment_start_one_problem(world):
    body, start = place(), threading.Barrier(6)
    answers = []

    def one(n: int) -> None:
        start.wait()
        answers.append(service.file(world["actors"]["citizen"], world["url"], dict(body), f"race-{body['street']}-{n}",
                                    now=MONDAY)[0])
    threads = [threading.Thread(target=one, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    first = min(a["id"] for a in answers)
    assert sorted(a["repeats"] or 0 for a in answers) == [0] + [first] * 5
    assert row(world, first).repeat_count == 5


# -- moves --------------------------------------------------------------------------------------

# Written out here, not read from requests.yaml: state -> role -> the states it may move to (the
# reopening within its window; the windows are tested below).
MOVES = {
    "received": {"caseworker": ["in_progress", "answered", "resolved", "rejected"], "citizen": ["withdrawn"]},
    "in_progress": {"caseworker": ["answered", "resolved", "rejected"], "citizen": ["withdrawn"]},
    "answered": {"caseworker": ["in_progress", "resolved", "closed"], "citizen": ["closed", "withdrawn"]},
    "resolved": {"caseworker": ["closed"], "citizen": ["closed", "in_progress"]},
    "closed": {"caseworker": [], "citizen": []},
    "rejected": {"caseworker": [], "citizen": []},
    "withdrawn": {"caseworker": [], "citizen": []},
}
TO_REACH = {"received": [], "in_progress": [("case", "in_progress")], "answered": [("case", "answered")],
            "resolved": [("case", "resolved")], "closed": [("case", "resolved"), ("case", "closed")],
            "rejected": [("case", "rejected")], "withdrawn": [("citizen", "withdrawn")]}
STATES = tuple(MOVES)


def in_state(world, state: str) -> int:
    rid = file(world, place())["id"]
    for who, to in TO_REACH[state]:
        move(world, rid, to, who=who)
    assert row(world, rid).state == state
    return rid


@pytest.mark.parametrize("state", STATES)
def test_every_move_allowed_and_refused(world, state):
    for role, who in (("caseworker", "case"), ("citizen", "citizen")):
        rid = in_state(world, state)
        for to in STATES:
            if to in MOVES[state][role]:
                continue
            before = (count(world, RequestMove), count(world, Notification))
            with pytest.raises(TransitionError) as e:
                move(world, rid, to, who=who, now=MONDAY + DAY, note="не так")
            assert e.value.allowed == MOVES[state][role], (state, role, to)
            assert (count(world, RequestMove), count(world, Notification)) == before and row(world, rid).state == state
        for to in MOVES[state][role]:
            rid = in_state(world, state)
            told = len(sms(world, rid))
            after = move(world, rid, to, who=who, now=MONDAY + DAY, note="ответ")
            assert after["state"] == to and row(world, rid).state == to
            assert len(sms(world, rid)) == told + 1 == count(world, RequestMove, RequestMove.request_id == rid)
            again = move(world, rid, to, who=who, now=MONDAY + DAY, note="ответ")     # the same move sent again: once
            assert again["state"] == to and len(sms(world, rid)) == told + 1


def test_a_citizen_reopens_a_resolution_within_thirty_days_only(world):
    rid = in_state(world, "resolved")
    with pytest.raises(TransitionError) as e:
        move(world, rid, "in_progress", who="citizen", now=MONDAY + 31 * DAY)
    assert e.value.allowed == ["closed"] and "within 30 days" in str(e.value)
    after = move(world, rid, "in_progress", who="citizen", now=MONDAY + 30 * DAY, note="не починили")
    assert (after["state"], after["solved"], after["reopened"]) == ("in_progress", False, 1)
    assert sms(world, rid)[-1].template == "request_reopened"
    assert "2026 ж. 2 желтоқсан" in sms(world, rid)[-2].text      # the resolution said until when: 2 Nov + 30 days


def test_a_move_states_why(world):
    rid = in_state(world, "received")
    for note in ("", "   ", "x" * 2001):
        with pytest.raises(FieldError) as e:
            move(world, rid, "in_progress", note=note)
        assert e.value.field == "note"


# -- reading ------------------------------------------------------------------------------------

def test_another_persons_request_is_forbidden_and_logged(world):
    rid = in_state(world, "received")
    for who in ("neighbour", "elsewhere", "analyst"):
        refused = count(world, AccessEntry, AccessEntry.actor == who, AccessEntry.allowed.is_(False))
        with pytest.raises(Forbidden):
            service.read(world["actors"][who], world["url"], rid)
        with pytest.raises(Forbidden):
            move(world, rid, "withdrawn", who=who)
        assert count(world, AccessEntry, AccessEntry.actor == who, AccessEntry.allowed.is_(False)) == refused + 2
    with pytest.raises(NotFound):
        service.read(world["actors"]["case"], world["url"], 10**9)
    reads = count(world, AccessEntry, AccessEntry.what == "request", AccessEntry.subject_iin == world["citizen"])
    seen = service.read(world["actors"]["case"], world["url"], rid, purpose="work the queue")
    assert seen["iin"] == world["citizen"] and seen["history"][0]["to"] == "received"
    assert count(world, AccessEntry, AccessEntry.what == "request", AccessEntry.subject_iin == world["citizen"]) == reads + 1


def test_the_queue_by_working_days_left_each_problem_once(world):
    # Ulytau (62). Seen on Monday 23 November 2026: filed 30 Oct, due 20 Nov: overdue by one; filed
    # 2 Nov, due 23 Nov: due today; 3 Nov, due 24 Nov: one day left; 10 Nov, due 1 Dec: six left.
    at = lambda d: dt.datetime.fromisoformat(d + "T05:00:00+00:00")       # noqa: E731
    ids = {d: file(world, place(region_code="62", locality="Жезказган"), now=at(d))["id"]
           for d in ("2026-11-10", "2026-11-03", "2026-10-30", "2026-11-02")}
    repeat = file(world, {**place(region_code="62", locality="Жезказган"), "street": row(world, ids["2026-11-03"]).street},
                  who="neighbour", now=at("2026-11-04"))
    answered = file(world, place(region_code="62", locality="Жезказган"), now=at("2026-10-30"))["id"]
    move(world, answered, "answered", who="queue", now=at("2026-11-05"))
    today = at("2026-11-23")
    queue = service.listing(world["actors"]["queue"], world["url"], now=today)
    assert [(i["id"], i["working_days_left"], i["flag"]) for i in queue["items"]] == [
        (ids["2026-10-30"], -1, "overdue"), (ids["2026-11-02"], 0, "nearly_due"), (ids["2026-11-03"], 1, "nearly_due"),
        (ids["2026-11-10"], 6, "in_time")]
    assert queue["total"] == 4 and queue["items"][2]["repeat_count"] == 1 and repeat["repeats"] == ids["2026-11-03"]
    page = service.listing(world["actors"]["queue"], world["url"], limit=3, now=today)
    rest = service.listing(world["actors"]["queue"], world["url"], cursor=page["next_cursor"], limit=3, now=today)
    assert [i["id"] for i in page["items"] + rest["items"]] == [i["id"] for i in queue["items"]] and rest["next_cursor"] is None
    mine = service.listing(world["actors"]["neighbour"], world["url"], now=today)
    assert mine["items"][0]["id"] == repeat["id"] and all(i["citizen"].endswith(world["neighbour"][-4:]) for i in mine["items"])
    with pytest.raises(FieldError):
        service.listing(world["actors"]["queue"], world["url"], cursor="nonsense")


# -- aggregates ---------------------------------------------------------------------------------

def test_the_aggregates_count_problems_repeats_and_answers_on_time_and_suppress_small_cells(world):
    # North Kazakhstan (59), roads, November 2026: three problems of 5, 4 and 3 requests. The first
    # resolved in time, the second answered after its due date, the third overdue unanswered on the
    # day counted: 12 requests, 3 problems, 9 repeats, 2 open, 1 resolved, 5 on time, 7 late.
    # Transport: 3 requests, a cell suppressed.
    later = MONDAY + 30 * DAY
    ids = []
    for size in (5, 4, 3):
        body = place(category="roads", region_code="59", locality="Петропавловск")
        ids.append([file(world, dict(body), who="citizen" if n % 2 else "neighbour")["id"] for n in range(size)])
    office = access.Actor(0, "case59", "caseworker", ("59",))
    service.move(office, world["url"], ids[0][0], "resolved", "отремонтировано", now=MONDAY + 3 * DAY)
    service.move(office, world["url"], ids[1][0], "answered", "в плане на 2027", now=later)
    for _ in range(3):
        file(world, place(category="transport", region_code="59", locality="Петропавловск"))
    stats = service.statistics(world["actors"]["analyst59"], world["url"], month="2026-11", now=later)
    cells = {c["category"]: c for c in stats["cells"]}
    assert set(cells) == {"roads", "transport"} and stats["regions"] == ["59"]
    assert {k: cells["roads"][k] for k in (*service.COUNTS, "on_time_share", "suppressed")} == {
        "requests": 12, "problems": 3, "repeats": 9, "open": 2, "resolved": 1, "reopened": 0, "on_time": 5, "late": 7,
        "on_time_share": 0.417, "suppressed": False}
    assert cells["transport"]["suppressed"] is True and cells["transport"]["requests"] is None
    assert cells["transport"]["on_time_share"] is None
    national = service.statistics(world["actors"]["analyst"], world["url"], now=later)
    assert {c["region_code"] for c in national["cells"]} >= {"39", "59"}
    with pytest.raises(Forbidden):
        service.statistics(world["actors"]["analyst59"], world["url"], region="39")
    with pytest.raises(Forbidden):
        service.statistics(world["actors"]["case"], world["url"])
    with pytest.raises(FieldError):
        service.statistics(world["actors"]["analyst"], world["url"], month="2026-13")


# -- over HTTP ----------------------------------------------------------------------------------

def test_over_http(world):
    c, h = world["client"], world["headers"]
    body, key = place(), {"Idempotency-Key": "http-1"}
    r = c.post("/api/v1/requests", json=body, headers={**h["citizen"], **key})
    assert r.status_code == 201 and r.headers["Location"] == f"/api/v1/requests/{r.json()['id']}"
    rid = r.json()["id"]
    again = c.post("/api/v1/requests", json=body, headers={**h["citizen"], **key})
    assert again.status_code == 201 and again.json() == r.json() and again.headers["Idempotent-Replayed"] == "true"
    other = c.post("/api/v1/requests", json={**body, "text": "иное"}, headers={**h["citizen"], **key})
    assert other.status_code == 422 and other.json()["detail"][0]["path"] == "Idempotency-Key"
    for bad, path in (({"category": "x"}, "category"), ({"latitude": 10}, "latitude"), ({"phone": "12"}, "phone"),
                      ({"extra": 1}, "extra")):
        got = c.post("/api/v1/requests", json={**body, **bad}, headers={**h["citizen"], "Idempotency-Key": "bad"})
        assert got.status_code == 422 and got.json()["detail"][0]["path"] == path, got.text
    refused = c.post(f"/api/v1/requests/{rid}/transitions", json={"to": "closed", "note": "?"}, headers=h["case"])
    assert refused.status_code == 409 and refused.json()["allowed"] == ["in_progress", "answered", "resolved", "rejected"]
    moved = c.post(f"/api/v1/requests/{rid}/transitions", json={"to": "in_progress", "note": "взято"}, headers=h["case"])
    assert moved.status_code == 200 and moved.json()["state"] == "in_progress"
    assert c.get(f"/api/v1/requests/{rid}", headers=h["neighbour"]).status_code == 403
    assert c.get(f"/api/v1/requests/{rid}", headers=h["citizen"]).json()["state"] == "in_progress"
    assert c.get("/api/v1/requests", headers=h["analyst"]).status_code == 403
    stats = c.get("/api/v1/requests/statistics", params={"month": "2026-11"}, headers=h["analyst"])
    assert stats.status_code == 200 and stats.json()["month"] == "2026-11"
    assert c.get("/api/v1/requests/statistics", params={"month": "11-2026"}, headers=h["analyst"]).status_code == 422
    assert c.get("/api/v1/requests/statistics", headers=h["citizen"]).status_code == 403
