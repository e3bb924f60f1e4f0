"""Appointments: a thousand concurrent holds of ten slots make exactly ten reservations; a hold
lapses; a fee paid late is honoured or refunded, never left paid; a cancellation frees the slot
and refunds; an idempotency key is applied once; a citizen acting on another's reservation is
refused and logged. Every test on SQLite and PostgreSQL, counts read back from the database."""
from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from komek import access
from komek.api import create_app
from komek.cases.notifications.relay import Policy, Relay
from komek.cases.payments import Sandbox
from komek.errors import Conflict, FieldError, Forbidden, SignInError
from komek.kz.iin import make
from komek.registry.db import engine, session
from komek.registry.models import AccessEntry, FeePayment, Notification, Reservation, ReservationEvent, Slot
from komek.services import appointments as service
from komek.settings import Settings

T0 = dt.datetime(2026, 12, 1, 4, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 12, 10)
SECRET = "sandbox secret for the tests"
PROVIDER = Sandbox(SECRET)
CASEWORKER = access.Actor(-1, "case", "caseworker", ("75",))
PASSWORD = "correct horse battery"


def citizen(n: int) -> access.Actor:
    iin = next(i for serial in range(n * 10, n * 10 + 10) if (i := make(dt.date(1980, 1, 1) + dt.timedelta(days=n % 9000), "F", serial)))
    return access.Actor(1000 + n, f"citizen-{n}", "citizen", (), iin)


def slot(url: str, hour: int, fee_tiyn: int | None = None, office: str = "Almaty employment centre No. 1") -> int:
    starts = dt.datetime.combine(DAY, dt.time(hour), dt.timezone(dt.timedelta(hours=5)))
    made, _ = service.add_slot(CASEWORKER, url, "employment_consultation", office, "75", starts, 30, fee_tiyn, now=T0)
    return made["id"]


def count(url: str, model, *where) -> int:
    with session(url) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def live(url: str) -> list[tuple[int, str]]:
    with session(url) as s:
        return [tuple(row) for row in s.execute(select(Reservation.slot_id, Reservation.person_iin).where(
            Reservation.state.in_(("held", "booked"))).order_by(Reservation.slot_id))]


def events(url: str, reservation_id: int) -> list[str]:
    with session(url) as s:
        return list(s.scalars(select(ReservationEvent.event).where(ReservationEvent.reservation_id == reservation_id)
                              .order_by(ReservationEvent.id)))


def pay(url: str, held: dict, now: dt.datetime, outcome: str = "paid", **kw) -> dict:
    body, signature = PROVIDER.pay(held["payment"]["reference"], int(held["payment"]["amount"].replace(".", "")), outcome)
    return service.callback(url, PROVIDER, body, signature, now=now, **kw)


# The race ---------------------------------------------------------------------------------------

def test_a_thousand_concurrent_holds_of_ten_slots_make_ten_reservations(registry_url):
    slots = [slot(registry_url, 9 + i // 2, office=f"office {i % 2}") for i in range(10)]
    people = [citizen(n) for n in range(1000)]
    start, outcomes, lock = threading.Barrier(1000), Counter(), threading.Lock()

    def attempt(n: int) -> None:
        start.wait()
        try:
            service.hold(people[n], registry_url, PROVIDER, slots[n % 10], f"key-{n}", now=T0)
            outcome = "held"
        except Conflict:
            outcome = "taken"
        except Exception as e:       # anything else is a failure of the test
            outcome = f"{type(e).__name__}: {e}"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(1000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == {"held": 10, "taken": 990}
    held = live(registry_url)
    assert [s for s, _ in held] == sorted(slots)               # one each, counted in the database
    assert count(registry_url, Reservation) == 10
    assert count(registry_url, ReservationEvent) == 10
    # Each winner is one of the people who tried that slot.
    tried = {p.iin: slots[n % 10] for n, p in enumerate(people)}
    assert all(tried[iin] == s for s, iin in held)


def test_one_key_sent_many_times_at_once_makes_one_reservation(registry_url):
    sid, a = slot(registry_url, 9), citizen(1)
    start, answers, lock = threading.Barrier(20), [], threading.Lock()

    def attempt() -> None:
        start.wait()
        got = service.hold(a, registry_url, PROVIDER, sid, "once", now=T0)
        with lock:
            answers.append((got[0]["id"], got[1]))

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 20 and len({rid for rid, _ in answers}) == 1
    assert sum(made for _, made in answers) == 1
    assert count(registry_url, Reservation) == 1


def test_the_database_itself_refuses_a_second_live_reservation(registry_url):
    sid = slot(registry_url, 9)
    row = ("INSERT INTO reservations (slot_id, person_iin, state, held, hold_until, idempotency_key, request_hash) "
           "VALUES (:slot, :iin, :state, :t, :t, :key, 'x')")
    with engine(registry_url).begin() as conn:
        for n, state in enumerate(("cancelled", "expired", "held")):
            conn.execute(text(row), {"slot": sid, "iin": citizen(n).iin, "state": state, "t": T0, "key": "k"})
    for state in ("held", "booked"):
        with pytest.raises(IntegrityError), engine(registry_url).begin() as conn:
            conn.execute(text(row), {"slot": sid, "iin": citizen(9).iin, "state": state, "t": T0, "key": "k"})
    assert count(registry_url, Reservation) == 3


# Holds ------------------------------------------------------------------------------------------

def test_a_hold_lapses_and_no_longer_takes_the_slot(registry_url):
    sid, other = slot(registry_url, 9), slot(registry_url, 10)
    a, b = citizen(1), citizen(2)
    first, _ = service.hold(a, registry_url, PROVIDER, sid, "a-1", now=T0)
    assert first["state"] == "held" and first["hold_until"] == (T0 + dt.timedelta(minutes=15)).isoformat()
    listed = lambda now: [s["id"] for s in service.free_slots(b, registry_url, "employment_consultation", "75", DAY, DAY, now)]  # noqa: E731
    assert listed(T0 + dt.timedelta(minutes=14)) == [other]
    with pytest.raises(Conflict, match="taken"):
        service.hold(b, registry_url, PROVIDER, sid, "b-1", now=T0 + dt.timedelta(minutes=14))
    later = T0 + dt.timedelta(minutes=15)
    assert listed(later) == [sid, other]                        # read as expired before any sweep
    assert service.reservation(a, registry_url, first["id"], now=later)["state"] == "expired"
    with pytest.raises(Conflict, match="expired"):
        service.confirm(a, registry_url, first["id"], now=later)
    second, _ = service.hold(b, registry_url, PROVIDER, sid, "b-2", now=later)   # marks the lapsed hold on the way
    assert events(registry_url, first["id"]) == ["held", "expired"]
    assert live(registry_url) == [(sid, b.iin)]
    assert service.confirm(b, registry_url, second["id"], now=later)["state"] == "booked"
    assert listed(later) == [other]


def test_the_sweep_expires_lapsed_holds_only(registry_url):
    sids = [slot(registry_url, h) for h in (9, 10, 11)]
    for n, (sid, at) in enumerate(zip(sids, (T0, T0, T0 + dt.timedelta(minutes=10)))):
        service.hold(citizen(n), registry_url, PROVIDER, sid, f"k{n}", now=at)
    assert service.sweep(registry_url, PROVIDER, now=T0 + dt.timedelta(minutes=20))["expired"] == 2
    assert count(registry_url, Reservation, Reservation.state == "expired") == 2
    assert live(registry_url) == [(sids[2], citizen(2).iin)]
    assert service.sweep(registry_url, PROVIDER, now=T0 + dt.timedelta(minutes=20))["expired"] == 0


def test_an_idempotency_key_is_applied_once(registry_url):
    sid, other = slot(registry_url, 9), slot(registry_url, 10)
    a = citizen(1)
    first, made = service.hold(a, registry_url, PROVIDER, sid, "same", now=T0)
    again, made_again = service.hold(a, registry_url, PROVIDER, sid, "same", now=T0 + dt.timedelta(seconds=5))
    assert (made, made_again) == (True, False) and again["id"] == first["id"]
    with pytest.raises(FieldError) as refused:
        service.hold(a, registry_url, PROVIDER, other, "same", now=T0)
    assert refused.value.field == "Idempotency-Key"
    assert count(registry_url, Reservation) == 1
    # Another person's same key is their own.
    assert service.hold(citizen(2), registry_url, PROVIDER, other, "same", now=T0)[1] is True


# Fees -------------------------------------------------------------------------------------------

def test_a_fee_is_paid_through_the_provider_then_booked(registry_url):
    sid = slot(registry_url, 9, fee_tiyn=150050)
    a = citizen(1)
    held, _ = service.hold(a, registry_url, PROVIDER, sid, "k", now=T0)
    assert held["payment"]["amount"] == "1500.50" and held["payment"]["state"] == "created"
    assert held["slot"]["fee"] == "1500.50"
    with pytest.raises(Conflict, match="not paid"):
        service.confirm(a, registry_url, held["id"], now=T0)
    body, signature = PROVIDER.pay(held["payment"]["reference"], 150050)
    with pytest.raises(SignInError):
        service.callback(registry_url, PROVIDER, body, "0" * 64, now=T0)
    with pytest.raises(SignInError):
        service.callback(registry_url, Sandbox("another secret"), body, signature, now=T0)
    with pytest.raises(FieldError, match="amount_tiyn"):
        service.callback(registry_url, PROVIDER, *PROVIDER.pay(held["payment"]["reference"], 150049), now=T0)
    for _ in range(3):                                  # the provider may say it again: applied once
        assert service.callback(registry_url, PROVIDER, body, signature, now=T0 + dt.timedelta(minutes=2)) == {
            "reference": held["payment"]["reference"], "state": "paid"}
    assert events(registry_url, held["id"]) == ["held", "paid", "booked"]
    assert service.confirm(a, registry_url, held["id"], now=T0)["state"] == "booked"      # nothing more to do
    with pytest.raises(Conflict):
        pay(registry_url, held, T0, outcome="failed")
    with session(registry_url) as s:
        assert s.scalar(select(FeePayment.amount_tiyn)) == 150050


def test_a_fee_paid_after_the_hold_lapsed_is_honoured_when_the_slot_is_free(registry_url):
    sid = slot(registry_url, 9, fee_tiyn=100000)
    a = citizen(1)
    held, _ = service.hold(a, registry_url, PROVIDER, sid, "k", now=T0)
    late = T0 + dt.timedelta(minutes=30)
    # The callback is recorded, and the process stops before settling it: the sweep does.
    assert pay(registry_url, held, late, settle_now=False)["state"] == "paid"
    assert count(registry_url, Reservation, Reservation.state == "booked") == 0
    assert service.sweep(registry_url, PROVIDER, now=late) == {"expired": 1, "honoured": 1, "refunded": 0, "failed": 0}
    assert live(registry_url) == [(sid, a.iin)]
    assert events(registry_url, held["id"]) == ["held", "paid", "expired", "honoured"]
    assert service.sweep(registry_url, PROVIDER, now=late) == {"expired": 0, "honoured": 0, "refunded": 0, "failed": 0}


def test_a_fee_paid_after_the_slot_went_to_another_is_refunded(registry_url):
    sid = slot(registry_url, 9, fee_tiyn=100000)
    a, b = citizen(1), citizen(2)
    first, _ = service.hold(a, registry_url, PROVIDER, sid, "k", now=T0)
    late = T0 + dt.timedelta(minutes=20)
    second, _ = service.hold(b, registry_url, PROVIDER, sid, "k", now=late)
    pay(registry_url, second, late)
    assert pay(registry_url, first, late + dt.timedelta(minutes=1), settle_now=False)["state"] == "paid"
    assert service.sweep(registry_url, PROVIDER, now=late + dt.timedelta(minutes=2))["refunded"] == 1
    seen = service.reservation(a, registry_url, first["id"], now=late)
    assert seen["state"] == "expired" and seen["payment"]["state"] == "refunded"
    assert events(registry_url, first["id"]) == ["held", "expired", "paid", "refunded"]
    assert live(registry_url) == [(sid, b.iin)]
    # A late payment settled at once by its callback: refunded in the same answer.
    third_slot = slot(registry_url, 10, fee_tiyn=5000)
    c, d = citizen(3), citizen(4)
    lapsed, _ = service.hold(c, registry_url, PROVIDER, third_slot, "k", now=T0)
    service.hold(d, registry_url, PROVIDER, third_slot, "k", now=late)
    assert pay(registry_url, lapsed, late)["state"] == "refunded"


def test_never_paid_without_a_booking_or_a_refund(registry_url):
    """Whatever order holds, lapses, payments and cancellations come in, after the sweep every
    payment made is for a booking or refunded (counted with SQL of its own)."""
    sids = [slot(registry_url, 9 + i, fee_tiyn=2500 * (i + 1)) for i in range(6)]
    people = [citizen(n) for n in range(12)]
    at = lambda m: T0 + dt.timedelta(minutes=m)  # noqa: E731
    h = [service.hold(people[i], registry_url, PROVIDER, sids[i], "k", now=at(0))[0] for i in range(6)]
    pay(registry_url, h[0], at(1))                                    # on time: booked
    pay(registry_url, h[1], at(20), settle_now=False)                 # late, slot free: honoured
    later = service.hold(people[6], registry_url, PROVIDER, sids[2], "k", now=at(16))[0]
    pay(registry_url, h[2], at(20), settle_now=False)                 # late, slot retaken: refunded
    pay(registry_url, later, at(17))
    service.cancel(people[3], registry_url, PROVIDER, h[3]["id"], now=at(2))
    pay(registry_url, h[3], at(3), settle_now=False)                  # after a cancellation: refunded
    pay(registry_url, h[4], at(30), outcome="failed")                 # failed: nothing to settle
    service.sweep(registry_url, PROVIDER, now=at(40))
    with engine(registry_url).connect() as conn:
        stranded = conn.execute(text(
            "SELECT count(*) FROM fee_payments p JOIN reservations r ON r.payment_id = p.id "
            "WHERE p.state = 'paid' AND r.state <> 'booked'")).scalar()
        by_state = dict(conn.execute(text("SELECT state, count(*) FROM fee_payments GROUP BY state")).all())
    assert stranded == 0
    assert by_state == {"paid": 3, "refunded": 2, "failed": 1, "created": 1}


def test_cancelling_frees_the_slot_and_refunds_the_fee(registry_url):
    sid = slot(registry_url, 9, fee_tiyn=300000)
    a, b = citizen(1), citizen(2)
    held, _ = service.hold(a, registry_url, PROVIDER, sid, "k", now=T0)
    pay(registry_url, held, T0 + dt.timedelta(minutes=1))
    for _ in range(2):                                   # cancelled again: applied once
        gone = service.cancel(a, registry_url, PROVIDER, held["id"], now=T0 + dt.timedelta(minutes=5))
        assert gone["state"] == "cancelled" and gone["payment"]["state"] == "refunded"
    assert events(registry_url, held["id"]) == ["held", "paid", "booked", "cancelled", "refunded"]
    with session(registry_url) as s:
        payment_id, refund = s.execute(select(FeePayment.id, FeePayment.refund_reference)).one()
    assert refund == PROVIDER.refund(held["payment"]["reference"], 300000, f"refund:{payment_id}")
    free = service.free_slots(b, registry_url, "employment_consultation", "75", DAY, DAY, T0 + dt.timedelta(minutes=6))
    assert [s["id"] for s in free] == [sid]
    assert service.hold(b, registry_url, PROVIDER, sid, "k", now=T0 + dt.timedelta(minutes=6))[1]


@dataclass(frozen=True)
class Unreachable(Sandbox):
    """A provider that cannot refund (its service is down)."""

    def refund(self, reference: str, amount_tiyn: int, refund_key: str) -> str:
        raise ConnectionError("provider unreachable")


def test_a_cancellation_that_cannot_refund_changes_nothing(registry_url):
    sid = slot(registry_url, 9, fee_tiyn=300000)
    a = citizen(1)
    held, _ = service.hold(a, registry_url, PROVIDER, sid, "k", now=T0)
    pay(registry_url, held, T0 + dt.timedelta(minutes=1))
    with pytest.raises(ConnectionError):
        service.cancel(a, registry_url, Unreachable(SECRET), held["id"], now=T0 + dt.timedelta(minutes=5))
    seen = service.reservation(a, registry_url, held["id"], now=T0)
    assert (seen["state"], seen["payment"]["state"]) == ("booked", "paid")
    assert events(registry_url, held["id"]) == ["held", "paid", "booked"]


# Over HTTP: roles, the log, bad input -----------------------------------------------------------

def test_over_http(registry_url, tmp_path):
    cfg = Settings(data_dir=tmp_path, database_url=registry_url, secret_key="k" * 40, payment_secret=SECRET)
    client = TestClient(create_app(cfg))
    a, b = citizen(1), citizen(2)
    access.add(registry_url, "aigul", PASSWORD, "citizen", iin=a.iin)
    access.add(registry_url, "bolat", PASSWORD, "citizen", iin=b.iin)
    access.add(registry_url, "case", PASSWORD, "caseworker", ("75",))
    access.add(registry_url, "case-71", PASSWORD, "caseworker", ("71",))
    h = {u: {"Authorization": "Bearer " + client.post("/api/v1/token", data={"username": u, "password": PASSWORD}).json()
             ["access_token"]} for u in ("aigul", "bolat", "case", "case-71")}
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0).astimezone(
        dt.timezone(dt.timedelta(hours=5)))
    body = {"service": "mse_exam", "office": "Almaty MSE department", "region": "75", "starts": starts.isoformat(), "fee": "2500.00"}

    r = client.post("/api/v1/appointments/slots", json=body, headers=h["case"])
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert client.post("/api/v1/appointments/slots", json=body, headers=h["case"]).status_code == 200    # applied once
    assert client.post("/api/v1/appointments/slots", json={**body, "fee": "2600.00"}, headers=h["case"]).status_code == 409
    assert client.post("/api/v1/appointments/slots", json={**body, "region": "71"}, headers=h["case"]).status_code == 403
    assert client.post("/api/v1/appointments/slots", json=body, headers=h["aigul"]).status_code == 403
    for bad, field in (({**body, "fee": "0"}, "fee"), ({**body, "fee": "1.005"}, "fee"), ({**body, "service": "x"}, "service"),
                       ({**body, "starts": "2026-12-20T10:00:00"}, "starts"), ({**body, "region": "99"}, "region"),
                       ({k: v for k, v in body.items() if k != "office"}, "office")):
        r = client.post("/api/v1/appointments/slots", json=bad, headers=h["case"])
        assert r.status_code == 422 and r.json()["detail"][0]["path"] == field, (bad, r.text)
    assert count(registry_url, Slot) == 1

    day = starts.date().isoformat()
    listing = client.get(f"/api/v1/appointments/slots?service=mse_exam&region=75&from={day}&to={day}", headers=h["bolat"])
    assert listing.status_code == 200 and [s["id"] for s in listing.json()] == [sid]
    assert "person" not in listing.json()[0]
    assert client.get(f"/api/v1/appointments/slots?service=mse_exam&region=75&from={day}&to=2020-01-01",
                      headers=h["bolat"]).json()["detail"][0]["path"] == "to"

    hold = lambda key, slot_id, who="aigul": client.post("/api/v1/appointments", json={"slot_id": slot_id},  # noqa: E731
                                                         headers={**h[who], "Idempotency-Key": key})
    r = hold("first", sid)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert r.json()["person"] == "********" + a.iin[-4:]
    assert (hold("first", sid).status_code, hold("first", sid).json()["id"]) == (200, rid)
    assert hold("first", sid + 1).json()["detail"][0]["path"] == "Idempotency-Key"
    assert hold("other", sid, "bolat").status_code == 409
    assert client.post("/api/v1/appointments", json={"slot_id": sid}, headers=h["aigul"]).json()["detail"][0]["path"] == "Idempotency-Key"
    assert client.post("/api/v1/appointments", json={"slot": sid}, headers={**h["aigul"], "Idempotency-Key": "x"}).status_code == 422
    assert count(registry_url, Reservation) == 1

    # Another citizen: refused, and the refusal logged with the person whose reservation it is.
    for method, path in (("GET", f"/api/v1/appointments/{rid}"), ("POST", f"/api/v1/appointments/{rid}/confirm"),
                         ("POST", f"/api/v1/appointments/{rid}/cancel")):
        assert client.request(method, path, headers=h["bolat"]).status_code == 403
        assert client.request(method, path, headers=h["case-71"]).status_code == 403
    with session(registry_url) as s:
        refused = list(s.execute(select(AccessEntry.actor, AccessEntry.subject_iin).where(AccessEntry.allowed.is_(False))))
    assert refused.count(("bolat", a.iin)) == 3 and ("case-71", a.iin) in refused
    assert count(registry_url, Reservation, Reservation.state == "held") == 1       # nothing changed

    assert client.post(f"/api/v1/appointments/{rid}/confirm", headers=h["aigul"]).status_code == 409    # not paid
    reference = client.get(f"/api/v1/appointments/{rid}", headers=h["aigul"]).json()["payment"]["reference"]
    callback, signature = PROVIDER.pay(reference, 250000)
    assert client.post("/api/v1/payments/sandbox/callback", content=callback).status_code == 401
    r = client.post("/api/v1/payments/sandbox/callback", content=callback, headers={"X-Sandbox-Signature": signature})
    assert r.json() == {"reference": reference, "state": "paid"}
    mine = client.get(f"/api/v1/appointments/{rid}", headers=h["aigul"]).json()
    assert mine["state"] == "booked" and [e["event"] for e in mine["history"]] == ["held", "paid", "booked"]
    seen = client.get(f"/api/v1/appointments?from={day}&to={day}", headers=h["case"]).json()
    assert [(x["id"], x["person"], x["state"]) for x in seen] == [(rid, a.iin, "booked")]
    assert client.get(f"/api/v1/appointments?from={day}&to={day}&region=71", headers=h["case"]).status_code == 403
    assert [x["id"] for x in client.get(f"/api/v1/appointments?from={day}&to={day}", headers=h["bolat"]).json()] == []
    # The citizen sees the caseworker's read in their own access log.
    log = client.get("/api/v1/me/access-log", headers=h["aigul"]).json()
    assert {"case", "bolat", "case-71"} <= {e["who"] for e in log}
    cancelled = client.post(f"/api/v1/appointments/{rid}/cancel", headers=h["aigul"]).json()
    assert (cancelled["state"], cancelled["payment"]["state"]) == ("cancelled", "refunded")


def test_a_citizen_acting_on_another_persons_reservation_is_refused(registry_url):
    sid = slot(registry_url, 9)
    a, b = citizen(1), citizen(2)
    held, _ = service.hold(a, registry_url, PROVIDER, sid, "k", now=T0)
    for act in (lambda: service.confirm(b, registry_url, held["id"], now=T0),
                lambda: service.cancel(b, registry_url, PROVIDER, held["id"], now=T0),
                lambda: service.reservation(b, registry_url, held["id"], now=T0)):
        with pytest.raises(Forbidden):
            act()
    with session(registry_url) as s:
        logged = list(s.execute(select(AccessEntry.actor, AccessEntry.subject_iin, AccessEntry.allowed)))
    assert logged == [(b.username, a.iin, False)] * 3
    assert events(registry_url, held["id"]) == ["held"]


def test_the_sweep_from_the_command_line(registry_url, tmp_path):
    from typer.testing import CliRunner

    from komek.cli import app
    sid = slot(registry_url, 9)
    service.hold(citizen(1), registry_url, PROVIDER, sid, "k", now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    done = CliRunner().invoke(app, ["appointments", "sweep", "--database", registry_url, "--data-dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert "1 expired, 0 honoured, 0 refunded, 0 failed" in done.output
    assert count(registry_url, Reservation, Reservation.state == "expired") == 1


# Telling the person -----------------------------------------------------------------------------

def told(url: str) -> list[Notification]:
    with session(url) as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def test_each_change_is_told_once_and_the_relay_sends_each(registry_url, tmp_path):
    """Booked then cancelled (in Russian), booked on payment then cancelled and refunded (Kazakh,
    the default), a hold lapsed in the sweep (English), a hold without a phone (not told); a
    confirmation, a cancellation or a sweep sent again writes nothing. The relay then sends every
    row through the file sink: as many lines as rows, each delivery id once."""
    url, me = registry_url, citizen(1)
    free, fee, lapsing, quiet = slot(url, 9), slot(url, 10, fee_tiyn=150050), slot(url, 11), slot(url, 12)
    one, _ = service.hold(me, url, PROVIDER, free, "k1", now=T0, phone="+7 (701) 111-22-33", language="ru")
    assert (one["notified_by"], one["phone"], one["language"]) == ("sms", "+7********33", "ru")
    assert service.hold(me, url, PROVIDER, free, "k1", now=T0, phone="+7 (701) 111-22-33", language="ru")[1] is False
    with pytest.raises(FieldError, match="Idempotency-Key"):           # the key with another phone
        service.hold(me, url, PROVIDER, free, "k1", now=T0, phone="+7 701 111 22 34", language="ru")
    with pytest.raises(FieldError, match="phone"):
        service.hold(me, url, PROVIDER, quiet, "k0", now=T0, phone="+7 901 111 22 33")
    assert told(url) == [] and count(url, Reservation) == 1         # holding tells nothing; a bad phone writes nothing
    for _ in range(2):
        service.confirm(me, url, one["id"], now=T0)
    for _ in range(2):
        service.cancel(me, url, PROVIDER, one["id"], now=T0)
    two, _ = service.hold(me, url, PROVIDER, fee, "k2", now=T0, phone="87011112233")
    pay(url, two, T0)
    pay(url, two, T0)                                                  # the provider's word again
    service.cancel(me, url, PROVIDER, two["id"], now=T0)
    three, _ = service.hold(me, url, PROVIDER, lapsing, "k3", now=T0, phone="701 111 2233", language="en")
    four, _ = service.hold(me, url, PROVIDER, quiet, "k4", now=T0)
    assert four["notified_by"] is None and four["phone"] is None
    later = T0 + dt.timedelta(minutes=20)
    assert service.sweep(url, PROVIDER, now=later)["expired"] == 2 and service.sweep(url, PROVIDER, now=later)["expired"] == 0
    rows = told(url)
    assert [(n.about, n.template, n.language) for n in rows] == [
        (f"appointment:{one['id']}", "appointment_booked", "ru"), (f"appointment:{one['id']}", "appointment_cancelled", "ru"),
        (f"appointment:{two['id']}", "appointment_booked", "kk"), (f"appointment:{two['id']}", "appointment_cancelled", "kk"),
        (f"appointment:{two['id']}", "appointment_fee_refunded", "kk"),
        (f"appointment:{three['id']}", "appointment_hold_expired", "en")]
    assert {(n.phone, n.iin) for n in rows} == {("+77011112233", me.iin)}
    assert rows[0].text == "Komek: вы записаны на приём: 10 декабря 2026 г., 09:00, Almaty employment centre No. 1."
    assert rows[4].text == "Komek: 1 500,50 теңге төлем қайтарылды: жазылу жойылды."
    assert rows[5].text == ("Komek: the time you held (December 10, 2026, 11:00 AM, Almaty employment centre No. 1) "
                            "was not confirmed in time and is released.")
    relay = Relay(Settings(database_url=url, data_dir=tmp_path / "data"), policy=Policy(3, 0.2, 5.0, 30.0))
    while relay.step():
        pass
    sink = tmp_path / "data" / "notifications" / "sent.jsonl"
    lines = [json.loads(line) for line in sink.read_text("utf-8").splitlines()]
    with session(url) as s:
        sent = dict(s.execute(select(Notification.delivery_id, Notification.state)).all())
    assert len(lines) == len(rows) == 6 and {line["delivery_id"] for line in lines} == set(sent)
    assert set(sent.values()) == {"delivered"}
