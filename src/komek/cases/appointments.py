"""Reservable slots and the reservations on them, on a SQLAlchemy session of the caller's
transaction: hold, confirm, cancel, expire, and the settling of fees paid late.

A reservation is held, then booked (confirmed: at once for a free slot, when its fee is paid
for a slot with a fee), cancelled, or expired. At most one live (held or booked) reservation
takes a slot, which the database enforces (a partial unique index): two holds of one slot at
the same instant cannot both be written. A hold lapses at `hold_until`: from then on it no
longer takes the slot for any read, and the next hold of that slot, or the sweep (`expire`),
marks it expired in the history.

A fee paid while the hold is live books it in the same transaction as the payment. A fee paid
after the hold lapsed, or for a reservation cancelled meanwhile, is settled (`settle`): the
booking is honoured if the slot is still free and has not begun, otherwise the fee is refunded.
So a payment is never left paid without a booking or a refund, and a slot shown free has no
payment waiting on it that could still book it.

The person is told by SMS, in the transaction of the change, of a booking, a lapsed hold, a
cancellation and a refund, once per change (the notification's key is the history row's); a
reservation held without a phone is not told.
"""
from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from importlib.resources import files

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from komek.cases.notifications import notify
from komek.cases.payments import Callback, Provider
from komek.errors import Conflict, FieldError, NotFound
from komek.kz import phone as phones
from komek.kz import regions
from komek.kz.iin import mask
from komek.money import tenge
from komek.registry.models import LIVE, FeePayment, Reservation, ReservationEvent, Slot

MAX_DAYS = 92                        # the longest date range a listing covers
AHEAD = dt.timedelta(days=731)       # the furthest ahead a slot may be offered


@cache
def config() -> dict:
    return yaml.safe_load(files(__package__).joinpath("appointments.yaml").read_text("utf-8"))


def services() -> dict[str, dict]:
    return config()["services"]


def hold_time() -> dt.timedelta:
    return dt.timedelta(minutes=config()["hold"]["minutes"])


def clock() -> dt.timezone:
    """Kazakhstan's time: slots are listed by its calendar days and shown in it."""
    return dt.timezone(dt.timedelta(hours=config()["clock"]["utc_offset_hours"]))


def utc(when: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def state_of(r: Reservation, now: dt.datetime) -> str:
    """The state as it is now: a hold past its time is expired, marked so or not yet."""
    return "expired" if r.state == "held" and utc(r.hold_until) <= now else r.state


def refund_reason(why: str, language: str) -> str:
    """Why a fee is refunded (`cancelled`, `begun`, `taken`), in a language of the messages."""
    return config()["refunds"][why][language]


# Slots -------------------------------------------------------------------------------------------

def check_slot(service: str, region: str, starts: dt.datetime, minutes: int, now: dt.datetime) -> None:
    if service not in services():
        raise FieldError("service", f"unknown service {service!r} (one of: {', '.join(services())})")
    if region not in regions():
        raise FieldError("region", f"unknown region code {region!r}")
    if starts.tzinfo is None:
        raise FieldError("starts", "give the time with its offset (e.g. 2026-12-01T10:00:00+05:00)")
    try:
        at = utc(starts)
    except OverflowError:
        raise FieldError("starts", "not a time a slot can have") from None
    if at <= now:
        raise FieldError("starts", "the slot would begin in the past")
    if at > now + AHEAD:
        raise FieldError("starts", f"at most {AHEAD.days} days ahead")
    if not 5 <= minutes <= 480:
        raise FieldError("minutes", "from 5 to 480")


def add_slot(s: Session, service: str, office: str, region: str, starts: dt.datetime, minutes: int,
             fee_tiyn: int | None, by: str, now: dt.datetime) -> tuple[Slot, bool]:
    """A new slot, or the same one already there (a retried request makes one slot): (slot, made).
    Another slot of the service at that office and time is a conflict."""
    check_slot(service, region, starts, minutes, now)
    starts = utc(starts)
    there = s.scalar(select(Slot).where(Slot.service == service, Slot.office == office, Slot.starts == starts))
    if there is not None:
        if (there.region_code, there.minutes, there.fee_tiyn) != (region, minutes, fee_tiyn):
            raise Conflict(f"slot {there.id}: {service} at {office} at {starts.astimezone(clock()).isoformat()} "
                           "exists with another region, duration or fee")
        return there, False
    slot = Slot(service=service, office=office, region_code=region, starts=starts, minutes=minutes, fee_tiyn=fee_tiyn,
                capacity=1, created_by=by, created=now)
    s.add(slot)
    s.flush()
    return slot, True


def day_span(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From the first day's start to the last day's end, in Kazakhstan's time, as UTC."""
    if last < first:
        raise FieldError("to", "on or after `from`")
    if (last - first).days >= MAX_DAYS:
        raise FieldError("to", f"a listing covers at most {MAX_DAYS} days")
    try:
        start = dt.datetime.combine(first, dt.time(), clock())
        return start.astimezone(dt.UTC), (start + dt.timedelta(days=(last - first).days + 1)).astimezone(dt.UTC)
    except OverflowError:
        raise FieldError("from", "outside the calendar") from None


def free_slots(s: Session, service: str, region: str, first: dt.date, last: dt.date, now: dt.datetime) -> list[Slot]:
    """The slots of a service in a region on those days, not yet begun, that no live reservation takes."""
    if service not in services():
        raise FieldError("service", f"unknown service {service!r} (one of: {', '.join(services())})")
    start, end = day_span(first, last)
    taken = select(Reservation.id).where(Reservation.slot_id == Slot.id, (Reservation.state == "booked") | (
        (Reservation.state == "held") & (Reservation.hold_until > now)))
    return list(s.scalars(select(Slot).where(
        Slot.service == service, Slot.region_code == region, Slot.starts >= max(start, now), Slot.starts < end,
        ~taken.exists()).order_by(Slot.starts, Slot.id)))


def slot_view(slot: Slot) -> dict:
    return {"id": slot.id, "service": slot.service, "office": slot.office, "region": slot.region_code,
            "starts": utc(slot.starts).astimezone(clock()).isoformat(), "minutes": slot.minutes,
            "fee": None if slot.fee_tiyn is None else str(tenge(slot.fee_tiyn))}


# Reservations ----------------------------------------------------------------------------------

def _event(s: Session, r: Reservation, event: str, actor: str, now: dt.datetime, detail: str | None = None,
           tell: str | None = None, **values) -> None:
    """One row of the history; with `tell`, the person told of it by that template (the slot's time
    and place, and `values`), keyed by the row so a change is told once."""
    s.add(row := ReservationEvent(reservation_id=r.id, at=now, event=event, state=r.state, actor=actor, detail=detail))
    if tell is None or r.phone is None:
        return
    s.flush()
    if tell != "appointment_fee_refunded":
        slot = s.get(Slot, r.slot_id)
        values = {"when": utc(slot.starts), "place": slot.office, **values}
    notify(s, phone=r.phone, iin=r.person_iin, language=r.language, template=tell, about=f"appointment:{r.id}",
           values=values, key=f"appointment:{r.id}:{row.id}")


def expire(s: Session, now: dt.datetime, actor: str = "sweep", slot_id: int | None = None) -> list[int]:
    """Mark expired every hold past its time (of one slot, or all): the ids marked."""
    lapsed = select(Reservation).where(Reservation.state == "held", Reservation.hold_until <= now)
    if slot_id is not None:
        lapsed = lapsed.where(Reservation.slot_id == slot_id)
    marked = []
    for r in s.scalars(lapsed.order_by(Reservation.id).with_for_update()):
        r.state = "expired"
        _event(s, r, "expired", actor, now, f"the hold lapsed at {utc(r.hold_until).isoformat()}",
               "appointment_hold_expired")
        marked.append(r.id)
    s.flush()
    return marked


def find(s: Session, reservation_id: int, lock: bool = False) -> tuple[Reservation, Slot, FeePayment | None]:
    r = s.get(Reservation, reservation_id, with_for_update=lock)
    if r is None:
        raise NotFound(f"reservation {reservation_id}: no such reservation")
    payment = None if r.payment_id is None else s.get(FeePayment, r.payment_id, with_for_update=lock)
    return r, s.get(Slot, r.slot_id), payment


def by_key(s: Session, iin: str, key: str) -> Reservation | None:
    return s.scalar(select(Reservation).where(Reservation.person_iin == iin, Reservation.idempotency_key == key))


def hold(s: Session, slot_id: int, iin: str, key: str, digest: str, provider: Provider, actor: str,
         now: dt.datetime, phone: str | None = None, language: str | None = None) -> Reservation:
    """Hold a free slot for the person (told by SMS at `phone`, in E.164, when given); for a slot
    with a fee, the payment is created with the provider. A slot taken (held or booked) is a Conflict, and so is one already begun. The
    flush raises IntegrityError when another hold of the slot was written first."""
    slot = s.get(Slot, slot_id)
    if slot is None:
        raise NotFound(f"slot {slot_id}: no such slot")
    if utc(slot.starts) <= now:
        raise Conflict(f"slot {slot_id} has begun")
    expire(s, now, actor, slot_id)
    if s.scalar(select(Reservation.id).where(Reservation.slot_id == slot_id, Reservation.state.in_(LIVE))):
        raise Conflict(f"slot {slot_id} is taken")
    payment = None
    if slot.fee_tiyn is not None:
        made = provider.create(uuid.uuid4().hex, slot.fee_tiyn, f"{slot.service} at {slot.office}")
        payment = FeePayment(provider=provider.name, reference=made.reference, pay_url=made.pay_url,
                             amount_tiyn=slot.fee_tiyn, state="created", created=now)
        s.add(payment)
        s.flush()
    r = Reservation(slot_id=slot_id, person_iin=iin, state="held", held=now, hold_until=now + hold_time(),
                    idempotency_key=key, request_hash=digest, payment_id=payment.id if payment else None,
                    phone=phone, language=language if phone else None)
    s.add(r)
    s.flush()              # the partial unique index decides here
    _event(s, r, "held", actor, now, None if payment is None else f"fee {tenge(payment.amount_tiyn)} tenge: payment created")
    return r


def _book(s: Session, r: Reservation, event: str, actor: str, now: dt.datetime, detail: str | None = None) -> None:
    r.state = "booked"
    s.flush()
    _event(s, r, event, actor, now, detail, "appointment_booked")


def confirm(s: Session, reservation_id: int, actor: str, now: dt.datetime) -> Reservation:
    """Book a live hold: at once for a free slot, once its fee is paid for a slot with a fee.
    Confirming a booking again changes nothing."""
    r, _, payment = find(s, reservation_id, lock=True)
    if r.state == "booked":
        return r
    if state_of(r, now) != "held":
        raise Conflict(f"reservation {r.id} is {state_of(r, now)}: it cannot be confirmed")
    if payment is not None and payment.state != "paid":
        raise Conflict(f"reservation {r.id}: the fee of {tenge(payment.amount_tiyn)} tenge is not paid ({payment.state})")
    _book(s, r, "booked", actor, now)
    return r


def _refund(s: Session, r: Reservation, payment: FeePayment, provider: Provider, actor: str, now: dt.datetime,
            why: str) -> None:
    """Refund the fee; `why` is a reason of appointments.yaml (cancelled, begun, taken)."""
    # The refund key is the payment's: a refund retried after a failure is the same refund.
    payment.refund_reference = provider.refund(payment.reference, payment.amount_tiyn, f"refund:{payment.id}")
    payment.state, payment.refunded = "refunded", now
    _event(s, r, "refunded", actor, now, f"{tenge(payment.amount_tiyn)} tenge refunded: {refund_reason(why, 'en')}",
           "appointment_fee_refunded", amount=tenge(payment.amount_tiyn),
           reason=refund_reason(why, r.language or "en"))


def cancel(s: Session, reservation_id: int, provider: Provider, actor: str, now: dt.datetime) -> Reservation:
    """Cancel a hold or a booking not yet begun: the slot is free again and a paid fee refunded.
    Cancelling again changes nothing."""
    r, slot, payment = find(s, reservation_id, lock=True)
    if r.state == "cancelled":
        return r
    state = state_of(r, now)
    if state == "expired":
        raise Conflict(f"reservation {r.id} expired: there is nothing to cancel")
    if utc(slot.starts) <= now:
        raise Conflict(f"reservation {r.id}: the appointment began at {utc(slot.starts).astimezone(clock()).isoformat()}")
    r.state = "cancelled"
    s.flush()
    _event(s, r, "cancelled", actor, now, None, "appointment_cancelled")
    if payment is not None and payment.state == "paid":
        _refund(s, r, payment, provider, actor, now, "cancelled")
    return r


# Payments --------------------------------------------------------------------------------------

def _locked(s: Session, payment_id: int) -> tuple[Reservation, FeePayment]:
    """A payment and its reservation, locked in the order every change takes them (the
    reservation first), so two changes of one reservation wait for each other, never deadlock."""
    r = s.scalar(select(Reservation).where(Reservation.payment_id == payment_id).with_for_update())
    return r, s.get(FeePayment, payment_id, with_for_update=True)


def record_callback(s: Session, provider: str, sent: Callback, now: dt.datetime) -> FeePayment:
    """A provider's word on a payment, applied once: paid (a live hold is then booked) or failed.
    The same word again changes nothing; a failure after a payment is a Conflict."""
    payment_id = s.scalar(select(FeePayment.id).where(FeePayment.provider == provider, FeePayment.reference == sent.reference))
    if payment_id is None:
        raise NotFound(f"payment {sent.reference!r}: no such payment")
    r, payment = _locked(s, payment_id)
    if sent.amount_tiyn != payment.amount_tiyn:
        raise FieldError("amount_tiyn", f"{sent.amount_tiyn} tiyn, but the payment is for {payment.amount_tiyn}")
    if sent.outcome == "failed":
        if payment.state in ("paid", "refunded"):
            raise Conflict(f"payment {sent.reference!r} is {payment.state}: a failure cannot undo it")
        if payment.state == "created":
            payment.state = "failed"
            _event(s, r, "failed", provider, now, "the payment failed")
        return payment
    if payment.state in ("paid", "refunded"):
        return payment
    payment.state, payment.paid = "paid", now
    _event(s, r, "paid", provider, now, f"{tenge(payment.amount_tiyn)} tenge paid")
    if state_of(r, now) == "held":
        _book(s, r, "booked", provider, now, "booked on payment")
    return payment


def unsettled(s: Session) -> list[int]:
    """Payments made whose reservation is not booked: each to be honoured or refunded."""
    return list(s.scalars(select(FeePayment.id).join(Reservation, Reservation.payment_id == FeePayment.id).where(
        FeePayment.state == "paid", Reservation.state != "booked").order_by(FeePayment.id)))


def settle(s: Session, payment_id: int, provider: Provider, actor: str, now: dt.datetime) -> str | None:
    """A payment made without a booking: the booking honoured if its slot is still free and not
    begun, else the fee refunded. What was done (honoured, refunded), or None when nothing was due."""
    r, payment = _locked(s, payment_id)
    if payment.state != "paid" or r.state == "booked":
        return None
    slot = s.get(Slot, r.slot_id)
    if r.state != "cancelled" and utc(slot.starts) > now:
        expire(s, now, actor, slot.id)
        others = select(Reservation.id).where(Reservation.slot_id == slot.id, Reservation.id != r.id,
                                              Reservation.state.in_(LIVE))
        if s.scalar(others) is None:
            try:
                with s.begin_nested():
                    _book(s, r, "honoured", actor, now, "paid after the hold lapsed; the slot was still free")
                return "honoured"
            except IntegrityError:           # held by another meanwhile
                s.refresh(r)
    why = "cancelled" if r.state == "cancelled" else "begun" if utc(slot.starts) <= now else "taken"
    _refund(s, r, payment, provider, actor, now, why)
    return "refunded"


def view(s: Session, r: Reservation, now: dt.datetime, full_iin: bool = False, history: bool = False) -> dict:
    """A reservation as it stands: the state now, the slot, the person (IIN masked unless asked), the fee's payment."""
    slot = s.get(Slot, r.slot_id)
    payment = None if r.payment_id is None else s.get(FeePayment, r.payment_id)
    out = {"id": r.id, "state": state_of(r, now), "slot": slot_view(slot),
           "person": r.person_iin if full_iin else mask(r.person_iin),
           "held": utc(r.held).isoformat(), "hold_until": utc(r.hold_until).isoformat(),
           "notified_by": "sms" if r.phone else None, "phone": phones.mask(r.phone), "language": r.language,
           "payment": None if payment is None else {
               "provider": payment.provider, "reference": payment.reference, "amount": str(tenge(payment.amount_tiyn)),
               "state": payment.state, "pay_url": payment.pay_url,
               "paid": payment.paid and utc(payment.paid).isoformat(),
               "refunded": payment.refunded and utc(payment.refunded).isoformat()}}
    if history:
        out["history"] = [{"at": utc(e.at).isoformat(), "event": e.event, "state": e.state, "actor": e.actor,
                           "detail": e.detail} for e in s.scalars(select(ReservationEvent).where(
                               ReservationEvent.reservation_id == r.id).order_by(ReservationEvent.id))]
    return out
