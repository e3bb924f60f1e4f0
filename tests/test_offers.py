"""Proactive offers: a birth planted in a newer extract makes one offer with the engine's amount
(38 MCI, worked by hand) and one SMS, however often it is scanned; "иә CODE" from the offer's phone
assigns the benefit with its explanation and records the consent; a wrong code, another phone, a
reply after the window (counted by hand across a weekend) and a message sent twice change nothing
more; a refusal declines; an unanswered offer lapses. On SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from komek import access
from komek.api import create_app
from komek.errors import Conflict, Forbidden, SignInError
from komek.kz import contract
from komek.kz import iin as iins
from komek.registry import DatabaseSource, db
from komek.registry.db import session
from komek.registry.models import Application, Assignment, Consent, InboundMessage, Notification, Offer
from komek.services import offers as service
from komek.services.extracts import generate_extract, ingest_extract
from komek.services.simulate import simulate
from komek.services.sources import source
from komek.settings import Settings
from komek.settings import settings as komek_settings

SECRET = "inbound-secret"
PASSWORD = "correct horse battery"
BORN = dt.date(2026, 11, 16)
THURSDAY = dt.datetime(2026, 12, 3, 5, tzinfo=dt.UTC)          # 10:00 in Kazakhstan
# 3 calendar days from Thursday 3 December: Sunday 6 December, not a working day: Monday 7 December.
REPLY_BY = dt.date(2026, 12, 7)
BIRTH_AMOUNT = Decimal(38 * 4325)                               # 38 MCI of 2026, a first to third child


def _contacts(folder, persons: pl.DataFrame, without: set[str]) -> None:
    adults = persons.filter(pl.col("birth_date") <= dt.date(2008, 1, 1), ~pl.col("iin").is_in(list(without)))
    pl.DataFrame({"iin": adults["iin"], "phone": [f"+7 701 {i:03d} {i % 100:02d} {i % 97:02d}" for i in range(adults.height)],
                  "since": [dt.date(2020, 1, 1)] * adults.height, "source_system": ["egov_mobile"] * adults.height}
                 ).write_parquet(folder / "contacts.parquet")


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """An extract of November, and the December one: the same, with a child born on 16 November to
    a household with fewer than three children and its head's phone known."""
    root = tmp_path_factory.mktemp("offers")
    first = root / "november"
    generate_extract(first, 80, 11, dt.date(2026, 11, 1), 2)
    persons = pl.read_parquet(first / "persons.parquet")
    members = pl.read_parquet(first / "households.parquet").filter(pl.col("to_date").is_null())
    kids = members.filter(pl.col("role") == "child").group_by("household_id").len()
    heads = members.filter(pl.col("role") == "head")
    small = heads.join(kids, on="household_id", how="left").filter(pl.col("len").fill_null(0) < 2).sort("household_id")
    hid, head = small["household_id"][0], small["iin"][0]
    no_phone_head = small["iin"][1]
    _contacts(first, persons, {no_phone_head})
    second = root / "december"
    shutil.copytree(first, second)
    manifest = json.loads((first / "manifest.json").read_text())
    (second / "manifest.json").write_text(json.dumps({**manifest, "extract_id": "december", "as_of": "2026-12-01"}))
    child = next(i for n in range(777, 900) if (i := iins.make(BORN, "F", n)))
    twin_home = small["household_id"][1]
    twin = next(i for n in range(777, 900) if (i := iins.make(BORN, "M", n)))
    row = persons.filter(pl.col("iin") == head)
    born = pl.concat([row.with_columns(iin=pl.lit(i), birth_date=pl.lit(BORN), sex=pl.lit(s), first_name=pl.lit("Айару"),
                                       death_date=pl.lit(None, dtype=row.schema["death_date"]))
                      for i, s in ((child, "F"), (twin, "M"))])
    pl.concat([persons, born]).write_parquet(second / "persons.parquet")
    every = pl.read_parquet(first / "households.parquet")
    new = pl.DataFrame({"household_id": [hid, twin_home], "iin": [child, twin], "role": ["child", "child"],
                        "from_date": [BORN, BORN], "to_date": [None, None]}, schema=every.schema)
    pl.concat([every, new]).write_parquet(second / "households.parquet")
    return {"first": first, "second": second, "household": hid, "head": head, "child": child,
            "no_phone_head": no_phone_head, "no_phone_home": twin_home}


@pytest.fixture
def world(database_url, extracts, tmp_path):
    url = database_url
    db.migrate(url)
    cfg = komek_settings(data_dir=tmp_path / "data", database_url=url)
    ingest_extract(extracts["first"], cfg)
    ingest_extract(extracts["second"], cfg)
    citizen = access.add(url, "mother", PASSWORD, "citizen", iin=extracts["head"])
    other = access.add(url, "other", PASSWORD, "citizen", iin=extracts["no_phone_head"])
    return {"url": url, **extracts, "citizen": citizen, "other": other, "tmp": tmp_path}


def count(url, model, *where) -> int:
    with session(url) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def births(url) -> dict[str, Offer]:
    with session(url) as s:
        return {o.household_id: o for o in s.scalars(select(Offer).where(Offer.event_kind == "birth"))}


def sms(url, body: dict, secret: str = SECRET, now=THURSDAY + dt.timedelta(hours=2)) -> dict:
    raw = json.dumps(body, ensure_ascii=False).encode()
    return service.inbound(url, secret, raw, service.sign(secret, raw), now=now)


def test_a_birth_makes_one_offer_and_one_sms_however_often_it_is_scanned(world):
    url = world["url"]
    report = service.scan(url, now=THURSDAY)
    assert (report["as_of"], report["previous_as_of"], report["previous_from"]) == ("2026-12-01", "2026-11-01", "ingestions")
    assert report["events"]["birth"] == 2
    found = births(url)
    o = found[world["household"]]
    assert (o.state, o.measure, o.month, o.iin, o.beneficiary_iin) == ("sent", "birth_benefit", "2026-11", world["head"], None)
    assert Decimal(o.amount_tiyn) / 100 == BIRTH_AMOUNT and o.reply_by == REPLY_BY
    assert o.event_key == f"birth:{world['child']}:{BORN}" and len(o.code) == 6 and o.code.isdigit()
    explained = json.loads(o.explanation)
    assert explained["measure"] == "birth_benefit" and explained["failed"] is None and explained["summary"]
    with session(url) as s:
        (note,) = s.scalars(select(Notification).where(Notification.about == f"offer:{o.id}")).all()
    assert note.key == f"offer:{o.id}" and note.phone == o.phone and f"ИӘ {o.code}" in note.text
    unsent = found[world["no_phone_home"]]
    assert unsent.state == "not_sent" and unsent.phone is None and "no phone is known" in unsent.why_not_sent
    assert count(url, Notification, Notification.about == f"offer:{unsent.id}") == 0
    offers, notes = count(url, Offer), count(url, Notification)
    again = service.scan(url, now=THURSDAY + dt.timedelta(hours=1))
    assert again["offers"] == 0 and again["seen_before"] >= 2
    ingest_extract(world["second"], komek_settings(data_dir=world["tmp"] / "data", database_url=url))   # loaded again
    service.scan(url, now=THURSDAY + dt.timedelta(hours=2))
    assert (count(url, Offer), count(url, Notification)) == (offers, notes)


def test_yes_with_the_code_assigns_the_benefit_and_records_the_consent(world):
    url = world["url"]
    service.scan(url, now=THURSDAY)
    o = births(url)[world["household"]]
    wrong = f"{(int(o.code) + 1) % 10**6:06d}"
    assert sms(url, {"from": o.phone, "text": f"да {wrong}", "message_id": "m1"})["outcome"] == "unknown_code"
    assert sms(url, {"from": "+7 777 000 00 00", "text": f"иә {o.code}", "message_id": "m2"})["outcome"] == "other_phone"
    assert sms(url, {"from": o.phone, "text": "hello", "message_id": "m3"})["outcome"] == "not_understood"
    assert count(url, Application) == 0 and births(url)[world["household"]].state == "sent"
    local = "8" + o.phone[2:]                                   # the same number written at home
    answer = sms(url, {"from": local, "text": f"  ИӘ {o.code} ", "message_id": "m4"})
    assert answer == {"message_id": "m4", "outcome": "accepted", "offer_id": o.id, "replayed": False}
    again = sms(url, {"from": local, "text": f"  ИӘ {o.code} ", "message_id": "m4"})
    assert again["replayed"] and again["outcome"] == "accepted"
    assert count(url, InboundMessage) == 4 and count(url, Consent) == 1 and count(url, Application) == 1
    with session(url) as s:
        o = s.get(Offer, o.id)
        a = s.get(Application, o.application_id)
        (g,) = s.scalars(select(Assignment).where(Assignment.application_id == a.id)).all()
        (c,) = s.scalars(select(Consent)).all()
        outcomes = dict(s.execute(select(InboundMessage.message_id, InboundMessage.outcome)).all())
        confirmed = s.scalars(select(Notification).where(Notification.key == f"offer:{o.id}:accepted")).all()
    assert o.state == "accepted" and a.state == "approved" and a.filed_by_role == "system" and a.eligible
    assert Decimal(g.monthly_tiyn) / 100 == BIRTH_AMOUNT and json.loads(g.explanation)["reference"]
    assert (c.given, c.channel, c.phone, c.reply) == (True, "sms", o.phone, f"  ИӘ {o.code} ")
    assert f"ИӘ {o.code}" in c.text_shown and "birth_benefit" in c.purpose
    assert outcomes == {"m1": "unknown_code", "m2": "other_phone", "m3": "not_understood", "m4": "accepted"}
    assert len(confirmed) == 1 and str(a.id) in confirmed[0].text
    assert sms(url, {"from": o.phone, "text": f"нет {o.code}", "message_id": "m5"})["outcome"] == "already_decided"
    with pytest.raises(SignInError):
        raw = b'{"from": "+77010000000", "text": "yes 123456", "message_id": "x"}'
        service.inbound(url, SECRET, raw, service.sign("another", raw))


def test_a_reply_after_the_window_changes_nothing_and_the_offer_lapses(world):
    url = world["url"]
    service.scan(url, now=THURSDAY)
    o = births(url)[world["household"]]
    monday_night = dt.datetime(2026, 12, 7, 18, 30, tzinfo=dt.UTC)         # 23:30 Monday in Kazakhstan: still in time
    assert service.sweep(url, now=monday_night) == 0
    tuesday = dt.datetime(2026, 12, 7, 19, 30, tzinfo=dt.UTC)              # 00:30 Tuesday in Kazakhstan
    assert sms(url, {"from": o.phone, "text": f"yes {o.code}", "message_id": "late"}, now=tuesday)["outcome"] == "expired"
    assert count(url, Application) == 0 and count(url, Consent) == 0
    assert service.sweep(url, now=tuesday) == 2
    assert births(url)[world["household"]].state == "lapsed"
    assert sms(url, {"from": o.phone, "text": f"yes {o.code}", "message_id": "later"}, now=tuesday)["outcome"] == "expired"
    with pytest.raises(Conflict):
        service.consent(world["citizen"], url, o.id, "yes", "the offer as shown", now=tuesday)


def test_no_declines_and_the_citizen_answers_online(world):
    url = world["url"]
    service.scan(url, now=THURSDAY)
    found = births(url)
    o, unsent = found[world["household"]], found[world["no_phone_home"]]
    assert sms(url, {"from": o.phone, "text": f"Жоқ {o.code}", "message_id": "n1"})["outcome"] == "declined"
    assert births(url)[world["household"]].state == "declined" and count(url, Application) == 0
    with pytest.raises(Forbidden):
        service.consent(world["citizen"], url, unsent.id, "yes", "shown")
    view = service.consent(world["other"], url, unsent.id, "yes", "Бала тууына байланысты жәрдемақы: келісемін",
                           now=THURSDAY + dt.timedelta(hours=3))
    assert view["state"] == "accepted" and view["application_id"] and view["sent"] is False
    assert service.consent(world["other"], url, unsent.id, "yes", "again")["state"] == "accepted"     # applied once
    assert count(url, Consent, Consent.offer_id == unsent.id) == 1 and count(url, Application) == 1
    with session(url) as s:
        c = s.scalars(select(Consent).where(Consent.offer_id == unsent.id)).one()
    assert (c.channel, c.account, c.text_shown) == ("web", "other", "Бала тууына байланысты жәрдемақы: келісемін")
    mine = service.listing(world["other"], url)["items"]
    assert [i["id"] for i in mine] == [unsent.id] and "no phone is known" in mine[0]["why_not_sent"]


def test_the_inbound_route_checks_the_signature(world):
    url = world["url"]
    service.scan(url, now=THURSDAY)
    o = births(url)[world["household"]]
    client = TestClient(create_app(Settings(data_dir=world["tmp"], database_url=url, secret_key="k" * 40,
                                            sms_inbound_secret=SECRET)))
    raw = json.dumps({"from": o.phone, "text": f"ДА {o.code}", "message_id": "api-1"}).encode()
    assert client.post("/api/v1/offers/inbound", content=raw, headers={service.SIGNATURE: "0" * 64}).status_code == 401
    assert client.post("/api/v1/offers/inbound", content=b"[]", headers={
        service.SIGNATURE: service.sign(SECRET, b"[]")}).status_code == 422
    answer = client.post("/api/v1/offers/inbound", content=raw, headers={service.SIGNATURE: service.sign(SECRET, raw)})
    assert answer.status_code == 200 and answer.json()["outcome"] == "accepted"
    token = client.post("/api/v1/token", data={"username": "mother", "password": PASSWORD}).json()["access_token"]
    listed = client.get("/api/v1/offers", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert [(i["id"], i["state"]) for i in listed] == [(o.id, "accepted")]




def test_households_newly_below_the_line_are_those_the_national_simulation_finds(database_url, extract, tmp_path):
    """The scan's low-income events (one extract: October against September, whose TSA rests on
    another quarter's income) are the households the batch simulation of the extract gives TSA at
    the end of October and, living at the end of September, did not then."""
    db.migrate(database_url)
    ingest_extract(extract, komek_settings(data_dir=tmp_path / "data", database_url=database_url))
    registry = source(extract)

    def paid(on: dt.date) -> tuple[set, set]:
        households = simulate(registry, on).households
        return set(households.filter(pl.col("tsa") > 0)["household_id"]), set(households["household_id"])
    (october, _), (september, living) = paid(dt.date(2026, 10, 31)), paid(dt.date(2026, 9, 30))
    expected = sorted((october - september) & living)
    p = service.period(database_url)
    assert (p.month, p.previous_from) == ("2026-10", "the month before")
    found = [e for e in service.events(database_url, p, DatabaseSource(database_url, contract())) if e.kind == "low_income"]
    assert expected and sorted(e.household_id for e in found) == expected
    assert {(e.date, e.month, e.person) for e in found} == {(dt.date(2026, 10, 1), "2026-10", None)}
