"""Proactive offers (docs/cases.md, "Proactive offers"): when a newer extract shows an event that
creates an entitlement, the family is offered the measure by SMS and consents by replying.

- **Scan** (`scan`, `komek offers scan`, run after each `komek ingest`): the period is from the
  day after the previous extract's as_of (the `ingestions` table; none: the month before) to the
  latest's. Each event of cases/offers.yaml found in it is computed with the engine
  (`applications.eligibility`, the card's inputs); an entitled one makes one offer per event and
  measure (a unique key: the same event seen again, in the same extract or the next, makes none),
  with a random code unique among open offers, its SMS written in the same transaction. No phone
  known: the offer is made, not sent, and says why. Not entitled or not known: no offer, counted.
- **Replies** (`inbound`, the SMS gateway's signed callback): "ИӘ/ДА/YES code" consents, "ЖОҚ/НЕТ/NO
  code" declines. A consent assigns the benefit (an application filed by the rules and approved,
  with its assignment and the offer's explanation), records the consent and confirms by SMS. An
  unknown or expired code, another phone than the offer's, or a text not understood changes
  nothing: the inbound row says why and a line is logged, the phone masked. A message id seen
  before is applied once. A citizen may also answer online (`consent`, channel web).
- **Lapse** (`sweep`, `komek offers sweep`): an offer unanswered after its reply-by day lapses.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from komek import access
from komek.cases import deadlines
from komek.cases import offers as data
from komek.cases.notifications import notify
from komek.errors import Conflict, FieldError, Forbidden, NotFound, SignInError
from komek.kz import contract
from komek.kz import deadlines as terms
from komek.kz import phone as phones
from komek.kz.calendar import calendar
from komek.kz.standard import benefits, rules_version, standard
from komek.periods import month_end
from komek.registry import DatabaseSource, require_current
from komek.registry.db import engine, session
from komek.registry.models import Address, Consent, Contact, Disability, HouseholdMember, InboundMessage, Ingestion, Notification, Offer, Person
from komek.services import applications, handling

SIGNATURE = "X-Komek-Signature"     # the header the SMS gateway signs its inbound callbacks in
LANGUAGE = "kk"                     # no source gives a family's language: Kazakh, the state language
SCAN_BATCH = 20_000                 # households computed together for the low-income scan (no explanations)
MAX_PAGE = 200
log = logging.getLogger("komek.offers")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(when: dt.datetime | None) -> str | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return None if when is None else when.isoformat()


def _month(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _month_before(d: dt.date) -> dt.date:
    first = d.replace(day=1) - dt.timedelta(days=1)
    return first.replace(day=min(d.day, first.day))


def _in_force(start, end, on: dt.date):
    return (start <= on) & (end.is_(None) | (end > on))


# The period and the events -------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    latest: dt.date             # the latest extract's as_of
    previous: dt.date           # the previous one's, or the month before
    previous_from: str          # "ingestions" or "the month before"

    @property
    def month(self) -> str:
        """The last whole month before the latest as_of."""
        return _month(self.latest - dt.timedelta(days=1))


def period(url: str) -> Period:
    with engine(url).connect() as conn:
        dates = sorted(set(conn.scalars(select(Ingestion.as_of).where(Ingestion.status == "succeeded"))))
    if not dates:
        raise NotFound("no extract was loaded into the registry: run komek ingest first")
    if len(dates) > 1:
        return Period(dates[-1], dates[-2], "ingestions")
    return Period(dates[-1], _month_before(dates[-1]), "the month before")


@dataclass(frozen=True)
class Event:
    kind: str
    key: str                # kind:subject:date, the same whichever extract shows it
    date: dt.date
    household_id: str
    person: str | None      # the person the event is of (the child born, the person disabled)
    month: str              # the month the measure is computed for


def _member_of(conn, iins: list[str], on: dt.date) -> dict[str, str]:
    m = HouseholdMember
    rows = conn.execute(select(m.iin, m.household_id).where(m.iin.in_(iins), _in_force(m.from_date, m.to_date, on))
                        .order_by(m.iin, m.household_id)).all()
    return {iin: hid for iin, hid in rows}


def _births(conn, p: Period) -> list[Event]:
    m = HouseholdMember
    rows = conn.execute(select(Person.iin, Person.birth_date, m.household_id).join(m, m.iin == Person.iin).where(
        Person.birth_date > p.previous, Person.birth_date <= p.latest, Person.death_date.is_(None), m.role == "child",
        _in_force(m.from_date, m.to_date, p.latest))).all()
    return [Event("birth", f"birth:{iin}:{born}", born, hid, iin, _month(born)) for iin, born, hid in rows]


def _disabilities(conn, p: Period) -> list[Event]:
    rows = conn.execute(select(Disability.iin, Disability.valid_from).where(
        Disability.valid_from > p.previous, Disability.valid_from <= p.latest)).all()
    homes = _member_of(conn, [iin for iin, _ in rows], p.latest)
    return [Event("disability", f"disability:{iin}:{since}", since, homes[iin], iin, _month(since))
            for iin, since in rows if iin in homes]


def _children(conn, on: dt.date, hids: list[str] | None = None):
    """Household id -> (children under 18 living on `on`, the day the last of them joined)."""
    m, adult = HouseholdMember, on.replace(year=on.year - 18) if not (on.month == 2 and on.day == 29) else on.replace(
        year=on.year - 18, day=28)
    query = (select(m.household_id, func.count(), func.max(func.coalesce(m.from_date, Person.birth_date)))
             .join(Person, Person.iin == m.iin)
             .where(m.role == "child", _in_force(m.from_date, m.to_date, on), Person.birth_date > adult,
                    Person.birth_date <= on, Person.death_date.is_(None) | (Person.death_date > on))
             .group_by(m.household_id))
    if hids is not None:
        query = query.where(m.household_id.in_(hids))
    return {hid: (n, last) for hid, n, last in conn.execute(query)}


def _fourth_children(conn, p: Period) -> list[Event]:
    now = {h: v for h, v in _children(conn, p.latest).items() if v[0] >= 4}
    before = _children(conn, p.previous, sorted(now)) if now else {}
    return [Event("fourth_child", f"fourth_child:{hid}:{last}", last, hid, None, p.month)
            for hid, (_, last) in sorted(now.items()) if before.get(hid, (0, None))[0] < 4]


def _heads(conn, on: dt.date, hids: list[str] | None = None) -> dict[str, str]:
    m = HouseholdMember
    query = select(m.household_id, m.iin).where(m.role == "head", _in_force(m.from_date, m.to_date, on))
    if hids is not None:
        query = query.where(m.household_id.in_(hids))
    return dict(conn.execute(query.order_by(m.household_id, m.from_date)).all())


def _low_incomes(source: DatabaseSource, conn, p: Period) -> list[Event]:
    """Households eligible for TSA in the period's month and not in the month before."""
    month = p.month
    earlier = _month(month_end(month).replace(day=1) - dt.timedelta(days=1))
    heads = _heads(conn, month_end(month))
    hids, found = sorted(heads), []
    for i in range(0, len(hids), SCAN_BATCH):
        now = [h for h, yes in applications.entitled(source, month_end(month), hids[i:i + SCAN_BATCH], "tsa").items() if yes]
        if now:
            then = applications.entitled(source, month_end(earlier), now, "tsa")
            found += [h for h in now if then[h] is False]
    first = month_end(month).replace(day=1)
    return [Event("low_income", f"low_income:{h}:{first}", first, h, None, month) for h in found]


def events(url: str, p: Period, source: DatabaseSource) -> list[Event]:
    with engine(url).connect() as conn:
        found = _births(conn, p) + _disabilities(conn, p) + _fourth_children(conn, p)
        if source.has("incomes"):
            found += _low_incomes(source, conn, p)
    return found


# Making offers -------------------------------------------------------------------------------

def _region(conn, iin: str, on: dt.date) -> str | None:
    a = Address
    return conn.scalar(select(a.region_code).where(a.iin == iin, _in_force(a.registered_from, a.registered_to, on))
                       .order_by(a.registered_from.desc()).limit(1))


def _phone(source: DatabaseSource, conn, iin: str) -> tuple[str | None, str | None]:
    """(the phone in E.164, None) or (None, why no SMS can be sent)."""
    if not source.has("contacts"):
        return None, "no phone is known: the contacts source (the mobile citizens database) was not loaded"
    number = conn.scalar(select(Contact.phone).where(Contact.iin == iin).order_by(Contact.since.desc()).limit(1))
    if number is None:
        return None, "no phone is known: the person has no number in the mobile citizens database"
    try:
        return phones.normalize(number), None
    except FieldError:
        return None, "no phone is known: the number in the mobile citizens database is not a Kazakhstan number"


def _ages(conn, iins: list[str], on: dt.date) -> dict[str, int]:
    born = dict(conn.execute(select(Person.iin, Person.birth_date).where(Person.iin.in_(iins))).all())
    return {i: on.year - b.year - ((on.month, on.day) < (b.month, b.day)) for i, b in born.items()}


def scan(url: str, now: dt.datetime | None = None) -> dict:
    """Find the events of the latest extract, compute each measure they may entitle to and make
    the offers: what was found, made, sent and not, seen before, not entitled and not known."""
    require_current(url)
    data.check(benefits())
    source, now, version = DatabaseSource(url, contract()), now or _now(), rules_version()
    p = period(url)
    found = events(url, p, source)
    today = deadlines.today(now)
    reply_by = calendar().due_in_calendar_days(today, terms.offer_reply(today).days)
    report = {"as_of": p.latest.isoformat(), "previous_as_of": p.previous.isoformat(), "previous_from": p.previous_from,
              "events": dict(Counter(e.kind for e in found)), "offers": 0, "sent": 0, "not_sent": 0, "seen_before": 0,
              "not_entitled": 0, "not_known": {}}
    with engine(url).connect() as conn:
        heads = _heads(conn, p.latest, sorted({e.household_id for e in found}))
        ages = _ages(conn, sorted({e.person for e in found if e.person}), p.latest)
        with session(url) as s:
            made = set(s.execute(select(Offer.event_key, Offer.measure).where(
                Offer.event_key.in_([e.key for e in found]))).all()) if found else set()
        wanted = []
        for e in found:
            # Who is asked: the person the event is of when an adult, else the household's head.
            asked = e.person if e.person and ages.get(e.person, 0) >= 18 else heads.get(e.household_id)
            for measure in data.events()[e.kind]["measures"]:
                if (e.key, measure) in made:
                    report["seen_before"] += 1
                    continue
                person = standard().variables[measure].entity.is_person
                if asked is None:
                    report["not_known"]["the household has no head living"] = report["not_known"].get(
                        "the household has no head living", 0) + 1
                    continue
                wanted.append((e, measure, asked, e.person if person else None))
        results = {}
        for month in sorted({e.month for e, *_ in wanted}):
            these = [w for w in wanted if w[0].month == month]
            for w, r in zip(these, applications.eligibility(source, month_end(month), [
                    (e.household_id, measure, beneficiary or asked) for e, measure, asked, beneficiary in these])):
                results[id(w)] = r
        for w in wanted:
            e, measure, asked, beneficiary = w
            r = results[id(w)]
            if r["eligible"] is None:
                why = r["explanation"].get("not_computed", "not known")
                report["not_known"][why] = report["not_known"].get(why, 0) + 1
                continue
            if not r["eligible"]:
                report["not_entitled"] += 1
                continue
            region = _region(conn, heads.get(e.household_id, asked), p.latest)
            if region is None:
                why = "the household's head has no registered address: no office can be named"
                report["not_known"][why] = report["not_known"].get(why, 0) + 1
                continue
            phone, why_not = _phone(source, conn, asked)
            state = _offer(url, e, measure, asked, beneficiary, region, r, version, p.latest, phone, why_not, reply_by,
                           now)
            report["offers" if state else "seen_before"] += 1
            if state:
                report[state] += 1
    return report


def _offer(url: str, e: Event, measure: str, asked: str, beneficiary: str | None, region: str, r: dict, version: str,
           as_of: dt.date, phone: str | None, why_not: str | None, reply_by: dt.date, now: dt.datetime) -> str | None:
    """One offer and its SMS in one transaction: its state, or None when it was made before."""
    try:
        with session(url, immediate=True) as s:
            if s.scalar(select(Offer.id).where(Offer.event_key == e.key, Offer.measure == measure)) is not None:
                return None
            taken = set(s.scalars(select(Offer.code).where(Offer.state.in_(data.OPEN))))
            o = Offer(event_kind=e.kind, event_key=e.key, event_date=e.date, iin=asked, beneficiary_iin=beneficiary,
                      household_id=e.household_id, region_code=region, measure=measure, month=e.month,
                      amount_tiyn=r["amount_tiyn"], explanation=json.dumps(r["explanation"], ensure_ascii=False, default=str),
                      rules_version=version, extract_as_of=as_of, code=data.new_code(taken), phone=phone,
                      language=LANGUAGE, state="sent" if phone else "not_sent", why_not_sent=why_not, created=now,
                      reply_by=reply_by)
            s.add(o)
            s.flush()
            if phone:
                notify(s, phone=phone, iin=asked, language=o.language, template="offer", about=f"offer:{o.id}",
                       values={"measure": measure, "reply": data.reply_text(o.code, o.language), "due": reply_by},
                       key=f"offer:{o.id}")
            return o.state
    except IntegrityError:          # another scan made it at the same moment
        return None


# Answers ---------------------------------------------------------------------------------------

def _tenge(tiyn: int) -> Decimal:
    return Decimal(tiyn).scaleb(-2)


def _decide(s, o: Offer, given: bool, channel: str, reply: str, shown: str, now: dt.datetime,
            phone: str | None = None, account: str | None = None) -> None:
    """The answer applied in the caller's transaction: the consent recorded; consented, the
    benefit assigned; the family told by SMS when a phone is known."""
    s.add(Consent(offer_id=o.id, given=given, purpose=data.purpose(o.measure, o.month), text_shown=shown,
                  channel=channel, reply=reply, at=now, phone=phone, account=account))
    o.state, o.decided = ("accepted" if given else "declined"), now
    values = {"measure": o.measure}
    if given:
        a = applications.assign_offered(
            s, applicant_iin=o.beneficiary_iin or o.iin, household_id=o.household_id, measure=o.measure, month=o.month,
            region_code=o.region_code, amount_tiyn=o.amount_tiyn, explanation=o.explanation, version=o.rules_version,
            reason=f"consent to offer {o.id} by {channel}: " + " ".join(json.loads(o.explanation).get("summary", [])),
            now=now)
        o.application_id = a.id
        values |= {"amount": _tenge(o.amount_tiyn), "application": str(a.id)}
    to = phone or o.phone
    if to:
        notify(s, phone=to, iin=o.iin, language=o.language, template="offer_accepted" if given else "offer_declined",
               values=values, about=f"offer:{o.id}", key=f"offer:{o.id}:{o.state}")


def _shown(s, o: Offer) -> str:
    """The SMS text the family was sent (what they consented to)."""
    return s.scalar(select(Notification.text).where(Notification.key == f"offer:{o.id}")) or ""


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _message(body: bytes) -> tuple[str, str, str]:
    try:
        got = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FieldError("body", "a JSON object: from, text, message_id") from None
    if not isinstance(got, dict):
        raise FieldError("body", "a JSON object: from, text, message_id")
    for name, limit in (("from", 32), ("text", 1000), ("message_id", 200)):
        value = got.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise FieldError(name, f"required: a text of 1 to {limit} characters")
    return got["from"].strip(), got["text"], got["message_id"].strip()


def inbound(url: str, secret: str, body: bytes, signature: str | None, now: dt.datetime | None = None) -> dict:
    """An inbound SMS from the gateway, its signature checked: what it did (the same message id
    again: what it did the first time)."""
    if not signature or not hmac.compare_digest(sign(secret, body), signature):
        raise SignInError(f"the inbound message's {SIGNATURE} is missing or wrong")
    sender, text, message_id = _message(body)
    now = now or _now()
    try:
        number = phones.normalize(sender, "from")
    except FieldError:
        number = None
    try:
        with session(url, immediate=True) as s:
            first = s.scalar(select(InboundMessage).where(InboundMessage.message_id == message_id))
            if first is not None:
                return {"message_id": message_id, "outcome": first.outcome, "offer_id": first.offer_id, "replayed": True}
            outcome, offer = _apply(s, data.read(text), number, text, deadlines.today(now), now)
            s.add(InboundMessage(message_id=message_id, phone=number or sender[:32], text=text, received=now,
                                 outcome=outcome, offer_id=offer.id if offer else None))
            s.flush()
    except IntegrityError:          # the same message at the same moment: the first one applied it
        with session(url) as s:
            first = s.scalar(select(InboundMessage).where(InboundMessage.message_id == message_id))
        return {"message_id": message_id, "outcome": first.outcome, "offer_id": first.offer_id, "replayed": True}
    (log.info if outcome in ("accepted", "declined") else log.warning)(
        "inbound SMS %s from %s: %s%s", message_id, phones.mask(number or sender), outcome,
        f" (offer {offer.id})" if offer else "")
    return {"message_id": message_id, "outcome": outcome, "offer_id": offer.id if offer else None, "replayed": False}


def _apply(s, reply: data.Reply, number: str | None, text: str, today: dt.date, now: dt.datetime
           ) -> tuple[str, Offer | None]:
    if reply.code is None or reply.answer is None:
        return "not_understood", None
    o = s.scalar(select(Offer).where(Offer.code == reply.code, Offer.state.in_(data.OPEN)).with_for_update())
    if o is None:
        last = s.scalar(select(Offer).where(Offer.code == reply.code).order_by(Offer.id.desc()).limit(1))
        if last is None:
            return "unknown_code", None
        return ("expired" if last.state == "lapsed" else "already_decided"), last
    if number is None or number != o.phone:
        return "other_phone", o
    if today > o.reply_by:
        return "expired", o
    _decide(s, o, reply.answer == "yes", "sms", text, _shown(s, o), now, phone=number)
    return o.state, o


def _view(o: Offer) -> dict:
    explained = json.loads(o.explanation)
    return {"id": o.id, "event": o.event_kind, "event_date": o.event_date.isoformat(), "measure": o.measure,
            "label": standard().variables[o.measure].label, "month": o.month, "amount": str(_tenge(o.amount_tiyn)),
            "household_id": o.household_id, "state": o.state, "sent": o.state != "not_sent" and o.phone is not None,
            "phone": phones.mask(o.phone), "why_not_sent": o.why_not_sent, "reply_by": o.reply_by.isoformat(),
            "created": _iso(o.created), "decided": _iso(o.decided),
            "application_id": o.application_id, "summary": explained.get("summary"),
            "reference": explained.get("reference"), "rules_version": o.rules_version,
            "purpose": data.purpose(o.measure, o.month)}


def consent(actor: access.Actor, url: str, offer_id: int, answer: str, shown: str, client: str | None = None,
            now: dt.datetime | None = None) -> dict:
    """A citizen's answer to their own offer online (channel web), with the text they were shown.
    The same answer again is applied once; another answer to a decided offer is a conflict."""
    what = "offer consent"
    if actor.role != "citizen":
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not answer offers: the family does"), client)
    if answer not in ("yes", "no"):
        raise FieldError("answer", "yes or no")
    if not isinstance(shown, str) or not shown.strip():
        raise FieldError("text_shown", "the text the citizen was shown and answered")
    now = now or _now()
    with session(url) as s:
        o = s.get(Offer, offer_id)
    if o is None:
        raise NotFound(f"offer {offer_id}: no such offer")
    if o.iin != actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"offer {offer_id} is another person's"), client, o.iin, o.household_id)
    with session(url, immediate=True) as s:
        o = s.get(Offer, offer_id, with_for_update=True)
        wanted = "accepted" if answer == "yes" else "declined"
        if o.state not in data.OPEN:
            if o.state != wanted:
                raise Conflict(f"offer {offer_id} is {o.state} since {_iso(o.decided)}: it cannot be "
                               f"{wanted} now")
        elif deadlines.today(now) > o.reply_by:
            raise Conflict(f"offer {offer_id} could be answered until {o.reply_by}: it has lapsed")
        else:
            _decide(s, o, answer == "yes", "web", answer, shown.strip(), now, account=actor.username)
        view = _view(o)
    access.record(url, actor, what, iin=o.iin, household_id=o.household_id, source=client)
    return view


def listing(actor: access.Actor, url: str, limit: int = 50, client: str | None = None) -> dict:
    """A citizen's own offers, newest first, each with where it stands and, unsent, why."""
    what = "offers list"
    if actor.role != "citizen":
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read offers: the family does"), client)
    if not 1 <= limit <= MAX_PAGE:
        raise FieldError("limit", f"from 1 to {MAX_PAGE}")
    with session(url) as s:
        rows = s.scalars(select(Offer).where(Offer.iin == actor.iin).order_by(Offer.id.desc()).limit(limit)).all()
        items = [_view(o) for o in rows]
    access.record(url, actor, what, iin=actor.iin, source=client)
    return {"items": items}


def sweep(url: str, now: dt.datetime | None = None) -> int:
    """Lapse every open offer whose reply-by day has passed: how many lapsed."""
    now = now or _now()
    with session(url, immediate=True) as s:
        return s.execute(update(Offer).where(Offer.state.in_(data.OPEN), Offer.reply_by < deadlines.today(now))
                         .values(state="lapsed", decided=now)).rowcount


def inbound_log(url: str, limit: int = 50) -> list[dict]:
    """The latest inbound messages, phones masked (for an operator)."""
    with session(url) as s:
        rows = s.scalars(select(InboundMessage).order_by(InboundMessage.id.desc()).limit(limit)).all()
        return [{"message_id": r.message_id, "phone": phones.mask(r.phone), "received": _iso(r.received),
                 "outcome": r.outcome, "offer_id": r.offer_id} for r in rows]


__all__ = ["SIGNATURE", "Event", "Period", "consent", "events", "inbound", "inbound_log", "listing", "period",
           "scan", "sign", "sweep"]
