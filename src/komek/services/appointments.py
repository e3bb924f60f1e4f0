"""Appointments for people signed in: who may list, hold, confirm, cancel and read reservations,
each in one transaction, every read of a person's reservation (and every refusal) in the
access log; the provider's callback; and the sweep that expires holds and settles late fees.

Who may: any account signed in lists the free slots (which say nothing of who holds them); a
caseworker adds slots in the regions served and reads the reservations there (with the IIN,
logged per person); a citizen holds a slot for themselves and confirms, cancels and reads only
their own reservations. A citizen acting on another person's reservation is refused (403) and
the refusal logged with that person as its subject.

A hold may give a phone (any Kazakhstan form, kept in E.164) and the language of the messages: the
person is then told by SMS of the booking, a lapsed hold, a cancellation and a refund; without
one they are not told. A hold carries an idempotency key: the same key with the same body
(phone and language included) answers with the reservation the first request made, the same key with another body is refused (422). A request that fails
changes nothing: the transaction is rolled back whole.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from komek import access
from komek.cases import appointments as book
from komek.cases.payments import Provider
from komek.errors import Conflict, FieldError, Forbidden
from komek.kz import phone as phones
from komek.kz.catalogs import LANGUAGES
from komek.registry.db import require_current, session
from komek.registry.models import FeePayment, Reservation, Slot
from komek.services import handling

log = logging.getLogger("komek.appointments")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


# Slots -------------------------------------------------------------------------------------------

def free_slots(actor: access.Actor, url: str, service: str, region: str, first: dt.date, last: dt.date,
               now: dt.datetime | None = None) -> list[dict]:
    """The free slots of a service in a region on those days (any account signed in)."""
    with session(url) as s:
        return [book.slot_view(slot) for slot in book.free_slots(s, service, region, first, last, _now(now))]


def add_slot(actor: access.Actor, url: str, service: str, office: str, region: str, starts: dt.datetime, minutes: int,
             fee_tiyn: int | None, client: str | None = None, now: dt.datetime | None = None) -> tuple[dict, bool]:
    """A caseworker adds a slot in a region served: (the slot, whether it is new). The body is checked first."""
    book.check_slot(service, region, starts, minutes, _now(now))
    if actor.role != "caseworker" or region not in actor.regions:
        handling.refuse(url, actor, f"add a slot in region {region}",
                Forbidden(f"only a caseworker of region {region} adds its slots"), client=client)
    with session(url) as s:
        slot, made = book.add_slot(s, service, office, region, starts, minutes, fee_tiyn, actor.username, _now(now))
        return book.slot_view(slot), made


# Reservations ----------------------------------------------------------------------------------

def digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def hold(actor: access.Actor, url: str, provider: Provider, slot_id: int, key: str, client: str | None = None,
         now: dt.datetime | None = None, phone: str | None = None, language: str | None = None) -> tuple[dict, bool]:
    """A citizen holds a slot for themselves, told by SMS at `phone` in `language` (kk by default)
    when given: (the reservation, whether this request made it). A replay of the key answers with
    the reservation the key made."""
    if actor.role != "citizen" or not actor.iin:
        handling.refuse(url, actor, "hold a slot", Forbidden("only a citizen holds a slot, for themselves"), client=client)
    if not key or len(key) > 200:
        raise FieldError("Idempotency-Key", "required: 1 to 200 characters, the same for a retried request")
    given = {k: v for k, v in (("phone", phone), ("language", language)) if v is not None}
    if language is not None and language not in LANGUAGES:
        raise FieldError("language", f"one of {', '.join(LANGUAGES)}")
    to = None if phone is None else phones.normalize(phone)
    now, body = _now(now), digest({"slot_id": slot_id, **given})
    replay = _replay(url, actor, key, body, now)
    if replay:
        return replay, False
    try:
        with session(url, immediate=True) as s:
            r = book.hold(s, slot_id, actor.iin, key, body, provider, actor.username, now, to, language or "kk")
            return book.view(s, r, now), True
    except (IntegrityError, Conflict) as e:
        # Another hold was written first: of this key (a retry sent before the first was answered), or of the slot.
        replay = _replay(url, actor, key, body, now)
        if replay:
            return replay, False
        if isinstance(e, Conflict):
            raise
        raise Conflict(f"slot {slot_id} is taken") from None


def _replay(url: str, actor: access.Actor, key: str, body: str, now: dt.datetime) -> dict | None:
    with session(url) as s:
        r = book.by_key(s, actor.iin, key)
        if r is None:
            return None
        if r.request_hash != body:
            raise FieldError("Idempotency-Key", f"already used for another request (reservation {r.id}); "
                             "use a new key for a new request")
        return book.view(s, r, now)


def _own(url: str, actor: access.Actor, reservation_id: int, what: str, client: str | None) -> None:
    """Go on only for the citizen whose reservation it is; else refused and logged."""
    if actor.role != "citizen" or not actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"only the citizen whose reservation it is may {what.split()[0]} it"),
                client=client)
    with session(url) as s:
        r, _, _ = book.find(s, reservation_id)
        whose = r.person_iin
    if whose != actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"reservation {reservation_id} is another person's"), iin=whose, client=client)


def confirm(actor: access.Actor, url: str, reservation_id: int, client: str | None = None,
            now: dt.datetime | None = None) -> dict:
    _own(url, actor, reservation_id, f"confirm reservation {reservation_id}", client)
    now = _now(now)
    with session(url, immediate=True) as s:
        return book.view(s, book.confirm(s, reservation_id, actor.username, now), now)


def cancel(actor: access.Actor, url: str, provider: Provider, reservation_id: int, client: str | None = None,
           now: dt.datetime | None = None) -> dict:
    _own(url, actor, reservation_id, f"cancel reservation {reservation_id}", client)
    now = _now(now)
    with session(url, immediate=True) as s:
        return book.view(s, book.cancel(s, reservation_id, provider, actor.username, now), now)


def reservation(actor: access.Actor, url: str, reservation_id: int, purpose: str | None = None, client: str | None = None,
                now: dt.datetime | None = None) -> dict:
    """One reservation with its history: to the citizen whose it is, or a caseworker of its region."""
    what, now = f"reservation {reservation_id}", _now(now)
    with session(url) as s:
        r, slot, _ = book.find(s, reservation_id)
        whose, region = r.person_iin, slot.region_code
        seen = book.view(s, r, now, full_iin=actor.role == "caseworker", history=True)
    if actor.role == "citizen" and whose != actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"reservation {reservation_id} is another person's"), iin=whose, client=client)
    if actor.role == "caseworker" and region not in actor.regions:
        handling.refuse(url, actor, what, Forbidden(f"reservation {reservation_id} is in region {region}, not one this "
                                            "caseworker serves"), iin=whose, client=client)
    if actor.role not in ("citizen", "caseworker"):
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read reservations"), iin=whose, client=client)
    access.record(url, actor, what, iin=whose, purpose=purpose, source=client)
    return seen


def reservations(actor: access.Actor, url: str, region: str | None, first: dt.date, last: dt.date,
                 purpose: str | None = None, client: str | None = None, now: dt.datetime | None = None) -> list[dict]:
    """The reservations of slots on those days: a caseworker's of a region served (with IINs, one
    log entry per person), a citizen's own."""
    what, now = "reservations", _now(now)
    if actor.role == "caseworker":
        region = region or (actor.regions[0] if len(actor.regions) == 1 else None)
        if region is None:
            raise FieldError("region", "required: this caseworker serves several regions")
        if region not in actor.regions:
            handling.refuse(url, actor, f"reservations in region {region}",
                    Forbidden(f"region {region} is not one this caseworker serves"), client=client)
    elif actor.role != "citizen" or not actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read reservations"), client=client)
    start, end = book.day_span(first, last)
    with session(url) as s:
        q = select(Reservation).join(Slot, Slot.id == Reservation.slot_id).where(Slot.starts >= start, Slot.starts < end)
        q = q.where(Slot.region_code == region) if actor.role == "caseworker" else q.where(
            Reservation.person_iin == actor.iin)
        rows = list(s.scalars(q.order_by(Slot.starts, Reservation.id)))
        seen = [book.view(s, r, now, full_iin=actor.role == "caseworker") for r in rows]
        whose = sorted({r.person_iin for r in rows})
    access.record(url, actor, f"{what} in region {region}" if region else what, iins=whose or [None], purpose=purpose,
                  source=client)
    return seen


# Payments and the sweep ------------------------------------------------------------------------

def callback(url: str, provider: Provider, body: bytes, signature: str | None, now: dt.datetime | None = None,
             settle_now: bool = True) -> dict:
    """The provider's callback, verified and applied once. A payment made for a hold that lapsed
    (or was cancelled) is settled at once after; if that fails it stays for the sweep."""
    sent, now = provider.callback(body, signature), _now(now)
    with session(url, immediate=True) as s:
        payment = book.record_callback(s, provider.name, sent, now)
        answer = {"reference": payment.reference, "state": payment.state}
        payment_id = payment.id
    if settle_now and answer["state"] == "paid":
        try:
            with session(url, immediate=True) as s:
                if book.settle(s, payment_id, provider, provider.name, now):
                    answer["state"] = s.get(FeePayment, payment_id).state
        except Exception:          # the payment is recorded; the sweep settles it
            log.exception("payment %s: not settled now; the sweep will", payment_id)
    return answer


def sweep(url: str, provider: Provider, now: dt.datetime | None = None) -> dict:
    """Expire the holds past their time and settle every payment made without a booking
    (honoured when its slot is free, else refunded), each payment in its own transaction."""
    require_current(url)
    now, done = _now(now), {"expired": 0, "honoured": 0, "refunded": 0, "failed": 0}
    with session(url, immediate=True) as s:
        done["expired"] = len(book.expire(s, now))
        due = book.unsettled(s)
    for payment_id in due:
        try:
            with session(url, immediate=True) as s:
                outcome = book.settle(s, payment_id, provider, "sweep", now)
        except Exception:
            log.exception("payment %s: not settled; the next sweep tries again", payment_id)
            outcome = "failed"
        if outcome:
            done[outcome] += 1
    return done
