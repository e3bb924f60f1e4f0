"""The citizen's offers, appointments and who has looked at their data, over plain HTTP: a
consent keeps one row with the channel web and the text the page showed, and a second submit
changes nothing; a lapsed offer says so and takes no answer; a slot taken meanwhile is said
plainly and nothing is stored; a hold is confirmed, moved and cancelled (each confirmed first),
a cancel freeing the slot; the caseworker's read of the household is in the citizen's log.
On SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from komek.cases import payments
from komek.cases.deadlines import today
from komek.registry.db import session
from komek.registry.models import AccessEntry, Application, Consent, Offer, Reservation
from komek.services import appointments
from komek.settings import Settings
from komek.web.i18n import money
from offers_world import BIRTH, neighbour, offer, slots
from web_world import build, signed_in, token

KEYS = re.compile(r'name="slot_id" value="(\d+)">\s*<input type="hidden" name="key" value="([^"]+)"')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory):
    with build(request.param, tmp_path_factory.mktemp("web-offers")) as made:
        url, region = made["url"], made["region"]
        made["offer"] = offer(url, made["citizen"], made["household"], region, today() + dt.timedelta(days=3))
        made["lapsed"] = offer(url, made["citizen"], made["household"], region, today() - dt.timedelta(days=1))
        made["neighbour"] = neighbour(url)
        made["theirs"] = offer(url, made["neighbour"].iin, made["other_household"], region, today() + dt.timedelta(days=3))
        made["slots"], made["day"] = slots(url, region, 6)
        yield made


def count(world, model, *where) -> int:
    with session(world["url"]) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def live(world, slot_id: int) -> int:
    return count(world, Reservation, Reservation.slot_id == slot_id, Reservation.state.in_(("held", "booked")))


def booking(world, client) -> tuple[str, dict[int, str]]:
    """The booking page of the world's slots: its CSRF token and each free slot's form key."""
    page = client.get("/my/appointments", params={"service": "mse_exam", "region": world["region"], "on": world["day"]})
    assert page.status_code == 200
    return token(page.text), {int(s): k for s, k in KEYS.findall(page.text)}


def test_a_consent_keeps_one_row_with_the_text_shown_and_a_second_submit_changes_nothing(world):
    citizen, oid = signed_in(world, "citizen", "ru"), world["offer"]
    page = citizen.get("/my/offers")
    amount = money(BIRTH, "ru")
    assert page.status_code == 200 and amount in page.text
    shown = re.search(rf'<p id="offer-{oid}-yes">([^<]+)</p>', page.text).group(1)
    assert shown.startswith("Я согласен") and amount in shown.replace("&nbsp;", "\xa0")
    applied = count(world, Application)
    answer = citizen.post(f"/my/offers/{oid}", data={"answer": "yes", "csrf": token(page.text)})
    assert answer.status_code == 303
    with session(world["url"]) as s:
        (c,) = s.scalars(select(Consent).where(Consent.offer_id == oid)).all()
        o = s.get(Offer, oid)
    assert (c.given, c.channel, c.account) == (True, "web", "citizen") and c.text_shown == shown.replace("&#39;", "'")
    assert o.state == "accepted" and o.application_id and count(world, Application) == applied + 1
    again = citizen.post(f"/my/offers/{oid}", data={"answer": "yes", "csrf": token(page.text)})
    assert again.status_code == 303
    refused = citizen.post(f"/my/offers/{oid}", data={"answer": "no", "csrf": token(page.text)})
    assert refused.status_code == 409 and "уже дан другой ответ" in refused.text
    assert count(world, Consent, Consent.offer_id == oid) == 1 and count(world, Application) == applied + 1
    done = citizen.get(f"/my/offers?answered={oid}").text
    assert "Вы дали согласие" in done and f'href="/my/applications/{o.application_id}"' in done


def test_a_lapsed_offer_says_so_and_takes_no_answer(world):
    citizen, oid = signed_in(world, "citizen", "en"), world["lapsed"]
    page = citizen.get("/my/offers").text
    part = page[page.index(f'id="offer-{oid}"'):]
    part = part[:part.index("</article>")]
    assert "it has lapsed" in part and "<form" not in part
    answer = citizen.post(f"/my/offers/{oid}", data={"answer": "yes", "csrf": token(page)})
    assert answer.status_code == 409 and "it has lapsed" in answer.text
    assert count(world, Consent, Consent.offer_id == oid) == 0


def test_another_persons_offer_is_refused_and_logged(world):
    citizen = signed_in(world, "citizen", "en")
    page = citizen.get("/my/offers").text
    assert f'id="offer-{world["theirs"]}"' not in page
    refused = citizen.post(f"/my/offers/{world['theirs']}", data={"answer": "yes", "csrf": token(page)})
    assert refused.status_code == 403
    assert count(world, Consent, Consent.offer_id == world["theirs"]) == 0
    assert count(world, AccessEntry, AccessEntry.actor == "citizen", AccessEntry.allowed.is_(False),
                 AccessEntry.subject_iin == world["neighbour"].iin) >= 1
    assert signed_in(world, "case").get("/my/offers").status_code == 403


def test_a_slot_taken_meanwhile_is_said_plainly_and_nothing_is_stored(world):
    citizen = signed_in(world, "citizen", "kk")
    csrf, keys = booking(world, citizen)
    taken = world["slots"][0]["id"]
    assert set(keys) >= {s["id"] for s in world["slots"]}
    appointments.hold(world["neighbour"], world["url"], payments.provider(Settings(database_url=world["url"])), taken, "first")
    before = count(world, Reservation)
    answer = citizen.post("/my/appointments", data={"slot_id": taken, "key": keys[taken], "csrf": csrf, "service": "mse_exam",
                                                    "region": world["region"], "on": world["day"]})
    assert answer.status_code == 409 and "жазылу жасалмады" in answer.text
    assert count(world, Reservation) == before
    assert count(world, Reservation, Reservation.person_iin == world["citizen"]) == 0
    assert f'name="slot_id" value="{taken}"' not in answer.text        # no longer among the free


def test_a_hold_is_confirmed_and_a_cancel_asked_first_frees_the_slot(world):
    citizen = signed_in(world, "citizen", "ru")
    csrf, keys = booking(world, citizen)
    sid = world["slots"][1]["id"]
    held = citizen.post("/my/appointments", data={"slot_id": sid, "key": keys[sid], "csrf": csrf})
    assert held.status_code == 303
    rid = int(re.search(r"/my/appointments/(\d+)\?held=1", held.headers["location"]).group(1))
    assert live(world, sid) == 1
    assert citizen.post(f"/my/appointments/{rid}/confirm", data={"csrf": csrf}).status_code == 303
    with session(world["url"]) as s:
        assert s.get(Reservation, rid).state == "booked"
    asked = citizen.post(f"/my/appointments/{rid}/cancel", data={"csrf": csrf})
    assert asked.status_code == 200 and "Подтвердите: отменить запись" in asked.text
    assert live(world, sid) == 1                                          # nothing yet
    done = citizen.post(f"/my/appointments/{rid}/cancel", data={"csrf": csrf, "confirm": "1"})
    assert done.status_code == 303 and live(world, sid) == 0
    with session(world["url"]) as s:
        assert s.get(Reservation, rid).state == "cancelled"
    assert sid in booking(world, citizen)[1]                              # free again


def test_a_move_is_confirmed_first_then_the_new_time_held_and_the_old_cancelled(world):
    citizen = signed_in(world, "citizen", "en")
    csrf, keys = booking(world, citizen)
    old, new = world["slots"][2]["id"], world["slots"][3]["id"]
    rid = int(re.search(r"/(\d+)\?", citizen.post("/my/appointments", data={"slot_id": old, "key": keys[old],
                                                                          "csrf": csrf}).headers["location"]).group(1))
    citizen.post(f"/my/appointments/{rid}/confirm", data={"csrf": csrf})
    form = {"slot_id": new, "key": keys[new], "csrf": csrf, "move": rid, "service": "mse_exam", "region": world["region"],
            "on": world["day"]}
    asked = citizen.post("/my/appointments", data=form)
    assert asked.status_code == 200 and "Confirm: move from" in asked.text
    assert (live(world, old), live(world, new)) == (1, 0)
    moved = citizen.post("/my/appointments", data={**form, "confirm": "1"})
    assert moved.status_code == 303 and "moved=1" in moved.headers["location"]
    assert (live(world, old), live(world, new)) == (0, 1)
    with session(world["url"]) as s:
        now = s.scalars(select(Reservation).where(Reservation.slot_id == new, Reservation.state == "booked")).one()
    assert now.person_iin == world["citizen"]


def test_the_access_page_lists_the_caseworkers_read_of_the_household(world):
    case = signed_in(world, "case")
    assert case.get(f"/casework/households/{world['household']}").status_code == 200
    reads = count(world, AccessEntry, AccessEntry.subject_iin == world["citizen"], AccessEntry.actor == "case",
                  AccessEntry.purpose == "a caseworker reads the household card")
    assert reads >= 1
    page = signed_in(world, "citizen", "kk").get("/my/access")
    assert page.status_code == 200
    rows = re.findall(r"<tr><td>[^<]+</td><td>case</td><td>([^<]+)</td>(?:(?!</tr>).)*a caseworker reads the household card", page.text, re.S)
    assert len(rows) == reads and set(rows) == {"Әлеуметтік қызметкер"}
    assert world["citizen"] not in page.text
    assert signed_in(world, "case").get("/my/access").status_code == 403
