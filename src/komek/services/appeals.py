"""Appeals to a supervisor against a decision on an application: filed by the applicant within the
term after the decision, reviewed by a supervisor of the application's region who is not the
person who made the decision, due in the review's working days and escalated when that passes,
told by SMS (komek.cases.appeals has the data; docs/cases.md, "Appeals").

- **Filing** is idempotent: the key replayed gets the first answer, the key with another body is
  refused, two filings with one key at the same moment file one appeal. One appeal per decision
  (a withdrawn one may be filed again within the term).
- **Outcomes**: upheld (the appeal granted: the decision changed in the appellant's favour),
  partly upheld (changed in part), rejected (the decision stands), withdrawn (by the appellant). A
  decision changed moves the application to approved on appeal (services.applications
  `change_on_appeal`): an approval's assignment ends the day before and a new one starts with the
  supervisor's amount; the appeal's explanation is kept beside the rules' in it.
- **Who may**: the applicant files, reads and withdraws their own; a supervisor of the region reads
  the queue and decides. Another person's appeal is forbidden and the refusal logged; every read
  is an access-log entry.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from komek import access
from komek.cases import appeals as data
from komek.cases import workflow
from komek.cases.deadlines import today as kz_today
from komek.cases.notifications import notify
from komek.errors import Conflict, FieldError, Forbidden, NotFound
from komek.kz import deadlines, phone
from komek.kz.calendar import calendar
from komek.kz.iin import mask
from komek.registry.db import session
from komek.registry.models import Appeal, AppealKey, AppealMove, Application, Assignment, Transition
from komek.services import handling, keys
from komek.services.applications import change_on_appeal
from komek.services.jobs import iso_utc

APPELLANTS = ("citizen",)
DECIDERS = (workflow.SUPERVISOR,)
LANGUAGES = ("kk", "ru", "en")
KOMEK = "komek"                         # who escalates
MAX_TEXT, MAX_PAGE = 4000, 200


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _replay(url: str, actor: access.Actor, key: str, digest: str) -> dict | None:
    with session(url) as s:
        return handling.replay(s.get(AppealKey, (actor.username, key)), digest, "appeal")


def _text(body: dict, name: str, required: bool = True) -> str | None:
    return handling.text(body, name, MAX_TEXT, required)


def _tenge(tiyn: int | None) -> str | None:
    return None if tiyn is None else str(Decimal(tiyn).scaleb(-2))


def _decision(s, a: Application) -> Transition:
    """The move that made the application's decision standing now."""
    return s.scalars(select(Transition).where(Transition.application_id == a.id, Transition.to_state == a.state)
                     .order_by(Transition.id.desc()).limit(1)).one()


# Filing ----------------------------------------------------------------------------------------

def file(actor: access.Actor, url: str, body: dict, key: str, client: str | None = None,
         now: dt.datetime | None = None) -> tuple[dict, bool]:
    """File an appeal (`body`: application_id, grounds, and phone and language for the SMS): the
    acknowledgement, and whether it is the first answer replayed."""
    what = "appeal filed"
    if actor.role not in APPELLANTS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not file appeals: the applicant does"), client)
    digest = keys.digest(body)
    if (first := _replay(url, actor, key, digest)) is not None:
        access.record(url, actor, what + " (replayed)", iin=actor.iin, source=client)
        return first, True
    app_id = body.get("application_id")
    if isinstance(app_id, bool) or not isinstance(app_id, int):
        raise FieldError("application_id", "the id of the application whose decision is appealed")
    grounds = _text(body, "grounds")
    language = body.get("language", "kk")
    if language not in LANGUAGES:
        raise FieldError("language", f"one of {', '.join(LANGUAGES)}")
    number = None if body.get("phone") is None else phone.normalize(body["phone"])
    with session(url) as s:
        a = s.get(Application, app_id)
        applicant = None if a is None else a.applicant_iin
    if a is None:
        raise NotFound(f"application {app_id}: no such application")
    if applicant != actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"application {app_id} is another person's: only its applicant appeals"),
                client, applicant)
    now = now or _now()
    day = kz_today(now)
    try:
        with session(url, immediate=True) as s:
            a = s.get(Application, app_id, with_for_update=True)
            if a.state not in data.DECISIONS:
                raise FieldError("application_id", f"application {app_id} is {a.state}: a decision "
                                 f"({', '.join(data.DECISIONS)}) is appealed")
            decision = _decision(s, a)
            decided = kz_today(decision.at)
            term = data.term(decided)
            if day > term.value:
                raise FieldError("application_id", f"the decision of {decided} could be appealed until {term.value} "
                                 f"({term.source})")
            if s.scalar(select(Appeal.id).where(Appeal.decision_id == decision.id, Appeal.state != "withdrawn")):
                raise Conflict(f"the decision on application {app_id} of {decided} is already appealed")
            due = calendar().due_date(day, deadlines.appeal(day).days)
            p = Appeal(application_id=a.id, decision_id=decision.id, appellant_iin=actor.iin, region_code=a.region_code,
                       phone=number, language=language, grounds=grounds, state="filed", filed=now, due_date=due)
            s.add(p)
            s.flush()
            _record(s, p, None, "filed", actor.username, actor.role, f"filed against the decision {a.state} of "
                    f"{decided}", now, "appeal_received", {"date": day, "due": due})
            answer = _ack(p, term.value)
            s.add(AppealKey(account=actor.username, key=key, body_sha256=digest, appeal_id=p.id,
                            response=json.dumps(answer), created=now))
            s.flush()
    except IntegrityError:          # the same key at the same moment: the filing that won answers
        if (first := _replay(url, actor, key, digest)) is None:
            raise
        return first, True
    access.record(url, actor, what, iin=actor.iin, source=client)
    return answer, False


def _ack(p: Appeal, term: dt.date) -> dict:
    return {"id": p.id, "application_id": p.application_id, "state": p.state, "region_code": p.region_code,
            "filed": iso_utc(p.filed), "due_date": p.due_date.isoformat(), "appeal_term_until": term.isoformat()}


def _record(s, p: Appeal, was: str | None, to: str, who: str, role: str, note: str, now: dt.datetime,
            template: str | None = None, values: dict | None = None) -> None:
    """One change of `p` in its history and, when it tells the appellant and a phone was given, an SMS."""
    move = AppealMove(appeal_id=p.id, from_state=was, to_state=to, actor=who, role=role, at=now, note=note)
    s.add(move)
    s.flush()
    if template and p.phone:
        notify(s, phone=p.phone, iin=p.appellant_iin, language=p.language, template=template, about=f"appeal:{p.id}",
               values={"appeal": str(p.id), **values}, key=f"appeal:{p.id}:{move.id}")


def appealable(actor: access.Actor, url: str, app_id: int, now: dt.datetime | None = None) -> dict | None:
    """Whether the applicant may appeal the decision standing on their application: the decision,
    its day, the last day of the term and its source, and the appeal already filed against it (None
    when the application is not decided). Only its applicant asks; the read itself is the caller's."""
    with session(url) as s:
        a = s.get(Application, app_id)
        if a is None:
            raise NotFound(f"application {app_id}: no such application")
        if actor.role not in APPELLANTS or a.applicant_iin != actor.iin:
            handling.refuse(url, actor, "appeal term", Forbidden(f"application {app_id} is another person's: only its applicant "
                                                         "appeals"), None, a.applicant_iin)
        if a.state not in data.DECISIONS:
            return None
        decision = _decision(s, a)
        filed = s.scalar(select(Appeal.id).where(Appeal.decision_id == decision.id, Appeal.state != "withdrawn"))
    decided = kz_today(decision.at)
    term = data.term(decided)
    return {"decision": a.state, "decided": decided.isoformat(), "until": term.value.isoformat(), "source": term.source,
            "open": filed is None and kz_today(now) <= term.value, "appeal_id": filed}


# Changes ---------------------------------------------------------------------------------------

def _may(url: str, actor: access.Actor, p: Appeal | None, appeal_id: int, what: str, client: str | None) -> Appeal:
    """The appeal, if the actor may act on it: the appellant their own, a supervisor the regions served."""
    if actor.role not in (*APPELLANTS, *DECIDERS):
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read or decide appeals"), client)
    if p is None:
        raise NotFound(f"appeal {appeal_id}: no such appeal")
    if actor.role == "citizen" and p.appellant_iin != actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"appeal {appeal_id} is another person's"), client, p.appellant_iin)
    if actor.role in DECIDERS and p.region_code not in actor.regions:
        handling.refuse(url, actor, what, Forbidden(f"appeal {appeal_id} is of region {p.region_code}, not one this supervisor "
                                            "serves"), client, p.appellant_iin)
    return p


def _amount(s, a: Application, body: dict) -> tuple[int, str | None]:
    """The monthly amount (tiyn) of a decision changed on appeal, and the basis of one above the rules'."""
    rules = a.amount_tiyn if a.eligible else None
    amount = body.get("amount_tiyn", rules)
    if amount is None:
        raise FieldError("amount_tiyn", "the rules computed no amount for this application: state the monthly amount "
                         "in tiyn and its basis")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise FieldError("amount_tiyn", "a whole number of tiyn above zero")
    basis = _text(body, "basis", required=False)
    if (rules is None or amount > rules) and basis is None:
        said = "computed none" if rules is None else f"computed {_tenge(rules)} tenge"
        raise FieldError("basis", f"the rules {said}: an amount above the rules' states its basis (the act, the facts)")
    if a.state == "approved":
        current = s.scalar(select(Assignment.monthly_tiyn).where(Assignment.application_id == a.id,
                                                                 Assignment.ended.is_(None)))
        if current is not None and amount <= current:
            raise FieldError("amount_tiyn", f"an appeal upheld changes the decision in the appellant's favour: more than "
                             f"the {_tenge(current)} tenge a month assigned (or the appeal is rejected)")
    return amount, basis


def move(actor: access.Actor, url: str, appeal_id: int, body: dict, client: str | None = None,
         now: dt.datetime | None = None) -> dict:
    """Move an appeal (`body`: to, note; to decided: outcome, and amount_tiyn and basis for a
    decision changed): the appeal as it then stands. The same move sent again by the same person is
    applied once; a move not allowed is refused with the moves that are."""
    to, note = body.get("to"), _text(body, "note")
    now = now or _now()
    with session(url) as s:
        p = _may(url, actor, s.get(Appeal, appeal_id), appeal_id, "appeal change", client)
        decider = s.get(Transition, p.decision_id).actor
    if to == "decided" and decider == actor.username:
        handling.refuse(url, actor, "appeal change", Forbidden(f"{actor.username} made the decision appealed: a second person, "
                                                       "another supervisor of the region, decides the appeal"),
                client, p.appellant_iin)
    with session(url, immediate=True) as s:
        p = s.get(Appeal, appeal_id, with_for_update=True)
        last = s.scalars(select(AppealMove).where(AppealMove.appeal_id == appeal_id).order_by(AppealMove.id.desc())
                         .limit(1)).one()
        said = f"{body.get('outcome')}: {note}" if to == "decided" else note      # as the history has it
        if not (p.state == to and (last.to_state, last.actor, last.note) == (to, actor.username, said)):
            data.check(p.state, to, actor.role)
            if to == "decided":
                _decide(s, p, actor, body, note, now)
            else:
                was, p.state = p.state, to
                if to == "withdrawn":
                    p.outcome, p.decided = "withdrawn", now
                    _record(s, p, was, to, actor.username, actor.role, note, now, "appeal_decided",
                            {"outcome": data.outcome_label("withdrawn", p.language)})
                else:
                    _record(s, p, was, to, actor.username, actor.role, note, now)
    return read(actor, url, appeal_id, None, client, now)


def _decide(s, p: Appeal, actor: access.Actor, body: dict, note: str, now: dt.datetime) -> None:
    outcome = body.get("outcome")
    if outcome not in data.OUTCOMES:
        raise FieldError("outcome", f"one of {', '.join(data.OUTCOMES)}")
    if outcome in data.CHANGES:
        a = s.get(Application, p.application_id, with_for_update=True)
        if a.state not in data.DECISIONS or _decision(s, a).id != p.decision_id:
            raise Conflict(f"the decision appealed on application {a.id} was changed meanwhile: it is {a.state}")
        p.amount_tiyn, p.basis = _amount(s, a, body)
        change_on_appeal(s, a, p.amount_tiyn, {
            "appeal": p.id, "outcome": outcome, "by": actor.username, "explanation": note, "basis": p.basis,
            "amount": _tenge(p.amount_tiyn)}, actor.username, f"appeal {p.id} {outcome.replace('_', ' ')}: {note}", now)
    was, p.state, p.outcome, p.decided, p.supervisor, p.explanation = p.state, "decided", outcome, now, actor.username, note
    _record(s, p, was, "decided", actor.username, actor.role, f"{outcome}: {note}", now, "appeal_decided",
            {"outcome": data.outcome_label(outcome, p.language)})


# The escalation --------------------------------------------------------------------------------

def sweep(url: str, now: dt.datetime | None = None) -> int:
    """Escalate every appeal past its due date undecided, once: flagged with when and to whom, and
    recorded in its history. How many were escalated."""
    now = now or _now()
    day = kz_today(now)
    to = data.escalation(day).value
    with session(url, immediate=True) as s:
        late = s.scalars(select(Appeal).where(Appeal.state.in_(data.OPEN), Appeal.due_date < day,
                                              Appeal.escalated.is_(None)).with_for_update()).all()
        for p in late:
            p.escalated, p.escalated_to = now, to
            overdue = -calendar().working_days_left(day, p.due_date)
            _record(s, p, p.state, p.state, KOMEK, data.SYSTEM, f"escalated to {to}: due {p.due_date}, {overdue} "
                    "working days overdue", now)
    return len(late)


# Reading ---------------------------------------------------------------------------------------

def _clock(p: Appeal, today: dt.date) -> dict:
    st = calendar().standing(today, p.due_date, deadlines.nearly_due(today).days) if p.state in data.OPEN else None
    return {"due_date": p.due_date.isoformat(), "working_days_left": st.left if st else None,
            "flag": st.state if st else None,
            "due_date_rests_on": [r.what for r in calendar().rests_on(kz_today(p.filed), p.due_date)],
            "escalated": iso_utc(p.escalated), "escalated_to": p.escalated_to}


def _outcome(p: Appeal) -> dict:
    return {"outcome": p.outcome, "outcome_label": data.outcome_label(p.outcome, "en") if p.outcome else None,
            "decided": iso_utc(p.decided), "supervisor": p.supervisor, "explanation": p.explanation,
            "amount": _tenge(p.amount_tiyn), "amount_tiyn": p.amount_tiyn, "basis": p.basis}


def read(actor: access.Actor, url: str, appeal_id: int, purpose: str | None = None, client: str | None = None,
         now: dt.datetime | None = None) -> dict:
    """One appeal: the grounds, the decision appealed with its reason and the rules' explanation,
    the state and clock, the outcome with the supervisor's explanation, the moves allowed, every change."""
    with session(url) as s:
        p = _may(url, actor, s.get(Appeal, appeal_id), appeal_id, "appeal", client)
        d, a = s.get(Transition, p.decision_id), s.get(Application, p.application_id)
        history = s.scalars(select(AppealMove).where(AppealMove.appeal_id == appeal_id).order_by(AppealMove.id)).all()
    access.record(url, actor, "appeal", iin=p.appellant_iin, purpose=purpose, source=client)
    explained = json.loads(a.explanation) if a.explanation else None
    return {"id": p.id, "application_id": p.application_id, "appellant_iin": p.appellant_iin,
            "region_code": p.region_code, "phone": p.phone, "language": p.language, "grounds": p.grounds,
            "state": p.state, "filed": iso_utc(p.filed), **_clock(p, kz_today(now)), **_outcome(p),
            "decision": {"state": d.to_state, "by": d.actor, "role": d.role, "at": iso_utc(d.at), "reason": d.reason,
                         "rules_amount": _tenge(a.amount_tiyn), "rules_explanation": explained},
            "application_state": a.state, "allowed": data.allowed(p.state, actor.role),
            "history": [{"from": m.from_state, "to": m.to_state, "by": m.actor, "role": m.role, "at": iso_utc(m.at),
                         "note": m.note} for m in history]}


def listing(actor: access.Actor, url: str, limit: int = 50, purpose: str | None = None, client: str | None = None,
            now: dt.datetime | None = None) -> dict:
    """The appellant: their own appeals, newest first. A supervisor: the queue of the regions served,
    the open appeals by working days left (overdue first), then by id. Each appellant shown is a log entry."""
    what = "appeals list" if actor.role == "citizen" else "appeals queue"
    if actor.role not in (*APPELLANTS, *DECIDERS):
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read appeals"), client)
    if not 1 <= limit <= MAX_PAGE:
        raise FieldError("limit", f"from 1 to {MAX_PAGE}")
    today = kz_today(now)
    with session(url) as s:
        if actor.role == "citizen":
            order = [(-i, i) for i in s.scalars(select(Appeal.id).where(Appeal.appellant_iin == actor.iin))]
        else:
            open_ = s.execute(select(Appeal.id, Appeal.due_date).where(Appeal.region_code.in_(actor.regions),
                                                                       Appeal.state.in_(data.OPEN))).all()
            order = [(st.left, i) for i, st in calendar().queue(open_, today, deadlines.nearly_due(today).days)]
        order.sort()
        wanted = [i for _, i in order[:limit]]
        rows = {p.id: p for p in s.scalars(select(Appeal).where(Appeal.id.in_(wanted)))}
        shown = [rows[i] for i in wanted]
    items = [{"id": p.id, "application_id": p.application_id, "appellant": mask(p.appellant_iin),
              "region_code": p.region_code, "state": p.state, "filed": iso_utc(p.filed), **_clock(p, today),
              "outcome": p.outcome} for p in shown]
    access.record(url, actor, what, iins=sorted({p.appellant_iin for p in shown}) or [None], purpose=purpose,
                  source=client)
    return {"items": items, "total": len(order)}
