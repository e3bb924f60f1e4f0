"""Applications for a support measure, for people signed in: filed by a citizen for themselves or
by a caseworker of the region on a citizen's behalf, assessed by the rules, decided, every move
recorded (komek.cases.workflow), every read of an application written to the access log.

- **Filing** is idempotent: the request carries a key; the key replayed gets the first answer,
  the key with another body is refused, and two requests with one key at the same moment file one
  application (the key's primary key). The answer is an acknowledgement: the application is
  written with its due date and queued, and nothing else is computed in the request.
- **Assessment** (`assess`, run by the worker in batches) reads the households from the registry
  database and computes the measure with the engine, as the household card does: eligible or not
  (None when the registry cannot tell: missing is unknown, never zero), the amount in whole tiyn,
  and the explanation (the summary sentence, the rule that failed and its article, every value
  used) with the rules version. An application the rules find eligible for a measure the rules
  decide is approved by them; every other goes to the queue of a caseworker of the household's
  region, and a refusal is always a person's.
- **The applicant is told** by SMS of every change they must hear of (received, information
  asked, granted, refused, withdrawn, a grant reopened), written in the change's transaction to
  the outbox (komek.cases.notifications.notify), keyed by the change so a retry writes one. An
  application filed without a phone is not told, and says so (`notified_by` null).
- **Corrections**: the applicant may say a registry fact the rules use is wrong (`CORRECTABLE`),
  with the right value and a comment; kept with the application as sent and shown to the
  caseworker as declared, to be checked against documents, never applied to the registry.
- **Who may**: a citizen files and reads their own applications, withdraws them and says the
  information asked for was given; a caseworker files on behalf of, reads and decides the
  applications of the regions served; another person's application is forbidden (and the refusal
  logged), an unknown id is not found.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from komek import access
from komek.cases import appeals, deadlines, decision, workflow
from komek.cases.notifications import notify
from komek.engine import Simulation
from komek.engine.explain import applied_exception, explain
from komek.engine.references import assumption_reason
from komek.errors import FieldError, Forbidden, NotFound
from komek.kz import catalogs, contract, phone, registry_inputs, summary
from komek.kz.calendar import Stop, calendar
from komek.kz.iin import mask
from komek.kz.standard import benefits, rules_version, standard
from komek.kz.standard.law import cites_article
from komek.money import tenge
from komek.periods import month_end, month_start
from komek.registry import DatabaseSource
from komek.registry.db import session
from komek.registry.models import Address, Application, Assignment, HouseholdMember, IdempotencyKey, Transition
from komek.services import handling, keys
from komek.services.sources import warnings_for

FILERS = ("citizen", "caseworker")      # who files, reads and moves applications
RULES = "komek rules"                   # who makes the moves the rules make
BATCH = 500                             # applications assessed in one transaction
MAX_PAGE = 200
log = logging.getLogger("komek.applications")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(when: dt.datetime | dt.date | None) -> str | None:
    """SQLite gives back naive datetimes; they were written in UTC."""
    if isinstance(when, dt.datetime) and when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return None if when is None else when.isoformat()


def _tenge(tiyn: int | None) -> str | None:
    return None if tiyn is None else str(Decimal(tiyn).scaleb(-2))


def _tell(s, a: Application, template: str, told: Transition, **values) -> None:
    """Tell the applicant of the change `told` by SMS, in its transaction, once however often it is
    retried; an application filed without a phone is not told."""
    if a.phone is None:
        return
    s.flush()                       # the transition's id names the notification
    notify(s, phone=a.phone, iin=a.applicant_iin, language=a.language, template=template, about=f"application:{a.id}",
           values={"application": str(a.id), "measure": a.measure, **values},
           key=f"application:{a.id}:transition:{told.id}")


def _contact(body: dict) -> tuple[str | None, str | None]:
    """The phone to tell the applicant on, in E.164, and the language of the messages; none without a phone."""
    language = body.get("language", "kk")
    if language not in catalogs.LANGUAGES:
        raise FieldError("language", f"one of {', '.join(catalogs.LANGUAGES)}")
    if body.get("phone") is None:
        return None, None
    return phone.normalize(body["phone"]), language


# Filing --------------------------------------------------------------------------------------

def _replay(s, actor: access.Actor, key: str, digest: str) -> dict | None:
    return handling.replay(s.get(IdempotencyKey, (actor.username, key)), digest, "application")


def _household(conn, iin: str, on: dt.date, wanted: str | None) -> tuple[str, str]:
    """(household_id, region_code) of the applicant's household on `on`: the region is its head's
    latest registration in force, as `registry_inputs.households_on` has it, in two indexed queries."""
    m, a = HouseholdMember, Address
    ids = sorted(conn.scalars(select(m.household_id).where(m.iin == iin, _in_force(m.from_date, m.to_date, on))))
    if wanted is not None:
        if wanted not in ids:
            raise FieldError("household_id", f"the applicant is not a member of household {wanted!r} on {on}")
        ids = [wanted]
    if not ids:
        raise FieldError("applicant_iin", f"not a member of a household on {on} in the registry")
    if len(ids) > 1:
        raise FieldError("household_id", f"the applicant is a member of {len(ids)} households on {on}: name the "
                         "one applied for")
    region = conn.scalar(select(a.region_code).join(m, m.iin == a.iin).where(
        m.household_id == ids[0], m.role == "head", _in_force(m.from_date, m.to_date, on),
        _in_force(a.registered_from, a.registered_to, on)).order_by(a.registered_from.desc()).limit(1))
    if region is None:
        raise FieldError("household_id", f"household {ids[0]} has no head registered in a region on {on}: no "
                         "caseworker can be named")
    return ids[0], region


def _in_force(start, end, on: dt.date):
    return (start <= on) & (end.is_(None) | (end > on))


def _number(low: float, high: float, whole: bool = False, decimals: int = 2):
    def check(value: str) -> str | None:
        try:
            n = Decimal(value.replace(" ", "").replace(",", "."))
        except ArithmeticError:
            n = None
        if n is None or not n.is_finite() or not low <= n <= high or n != round(n, 0 if whole else decimals):
            return (f"a whole number from {low:g} to {high:g}" if whole
                    else f"a number from {low:g} to {high:g}, at most {decimals} decimals")
        return None
    return check


def _one_of(codes):
    return lambda value: None if value in codes else f"one of {', '.join(codes)}"


# The registry's facts an applicant may say are wrong (as the apply page shows them), and what
# the right value must look like. Kept as declared: a caseworker checks them against documents.
CORRECTABLE = {
    "members": _number(1, 40, whole=True),
    "income": _number(0, 100_000_000),
    "disability": _one_of(("none", *contract().codes("disability", "group"))),
    "area_m2": _number(0, 10_000, decimals=1),
    "utilities": _number(0, 10_000_000),
}


def corrections(given) -> list[dict]:
    """The corrections of a filing, checked (each problem a FieldError naming `corrections.<fact>`),
    as they were sent."""
    if given is None:
        return []
    if not isinstance(given, list) or len(given) > len(CORRECTABLE):
        raise FieldError("corrections", f"a list of at most {len(CORRECTABLE)} corrections, one a fact")
    seen = set()
    for c in given:
        fact = c.get("fact") if isinstance(c, dict) else None
        if fact not in CORRECTABLE or fact in seen:
            raise FieldError("corrections", f"each correction names one fact, once: {', '.join(CORRECTABLE)}")
        seen.add(fact)
        if set(c) - {"fact", "registry", "value", "comment"}:
            raise FieldError(f"corrections.{fact}", "only fact, registry, value and comment")
        value, comment = c.get("value"), c.get("comment")
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            raise FieldError(f"corrections.{fact}", "the right value is needed (at most 200 characters)")
        if (problem := CORRECTABLE[fact](value.strip())) is not None:
            raise FieldError(f"corrections.{fact}", problem)
        if comment is not None and (not isinstance(comment, str) or len(comment) > 1000):
            raise FieldError(f"corrections.{fact}", "the comment is text of at most 1000 characters")
        if c.get("registry") is not None and (not isinstance(c["registry"], str) or len(c["registry"]) > 200):
            raise FieldError(f"corrections.{fact}", "what the registry showed is text of at most 200 characters")
    return given


def _ack(a: Application) -> dict:
    return {"id": a.id, "state": a.state, "measure": a.measure, "month": a.month, "household_id": a.household_id,
            "applicant": mask(a.applicant_iin), "region_code": a.region_code, "submitted": _iso(a.submitted),
            "due_date": _iso(a.due_date), "assessment": "pending", **_notified(a)}


def _notified(a: Application) -> dict:
    """How the applicant is told of changes: by SMS to the phone (masked), or not at all (none given)."""
    return {"notified_by": "sms" if a.phone else None, "phone": phone.mask(a.phone), "language": a.language}


def file(actor: access.Actor, source: DatabaseSource, body: dict, key: str, client: str | None = None,
         now: dt.datetime | None = None) -> tuple[dict, bool]:
    """File an application (`body`: measure, month, and applicant_iin for a caseworker; household_id
    when the applicant belongs to two; phone and language to be told by SMS): the acknowledgement,
    and whether it is the first answer replayed."""
    url, what = source.url, "application filed"
    if actor.role not in FILERS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not file applications"), client)
    digest, now = keys.digest(body), now or _now()
    # One transaction, one connection: the key looked up, the household found, the application, its
    # first move, its message, the key's answer and the access log's entry written, or none of them.
    # On SQLite it takes the write lock at once, since it reads before it writes.
    try:
        with session(url, immediate=True) as s:
            if (first := _replay(s, actor, key, digest)) is not None:
                access.record_in(s, actor, what + " (replayed)", iin=actor.iin if actor.role == "citizen" else
                                 body.get("applicant_iin"), household_id=first["household_id"], source=client)
                return first, True
            answer = _filed(s, actor, body, key, digest, client, now)
    except _Refused as no:
        handling.refuse(url, actor, what, no.error, client, no.iin, no.household_id)
    except IntegrityError:          # the same key at the same moment: the request that won answers
        with session(url) as s:
            if (first := _replay(s, actor, key, digest)) is None:
                raise
        return first, True
    return answer, False


class _Refused(Exception):
    """A filing refused to this person, to be logged once its transaction has rolled back."""
    def __init__(self, error: Forbidden, iin: str | None, household_id: str | None = None):
        super().__init__(str(error))
        self.error, self.iin, self.household_id = error, iin, household_id


def _filed(s, actor: access.Actor, body: dict, key: str, digest: str, client: str | None, now: dt.datetime) -> dict:
    """The application of `body` written in the session `s`: its acknowledgement."""
    what = "application filed"
    measure = body.get("measure")
    if measure not in benefits():
        raise FieldError("measure", f"not a support measure ({', '.join(benefits())})")
    on = month_end(body.get("month"))
    to, language = _contact(body)
    declared = corrections(body.get("corrections"))
    applicant = body.get("applicant_iin")
    if actor.role == "citizen":
        if applicant not in (None, actor.iin):
            raise _Refused(Forbidden("a citizen files applications for themselves only"), applicant)
        applicant = actor.iin
    elif applicant is None:
        raise FieldError("applicant_iin", "required: a caseworker files on a citizen's behalf")
    household_id, region = _household(s, applicant, on, body.get("household_id"))
    if actor.role == "caseworker" and region not in actor.regions:
        raise _Refused(Forbidden(f"the household is registered in region {region}, not one this caseworker serves"),
                       applicant, household_id)
    a = Application(applicant_iin=applicant, household_id=household_id, measure=measure, month=body["month"],
                    region_code=region, state="submitted", submitted=now,
                    due_date=deadlines.due(measure, deadlines.today(now)), stopped_days=0,
                    filed_by=actor.username, filed_by_role=actor.role, phone=to, language=language,
                    corrections=json.dumps(declared, ensure_ascii=False) if declared else None)
    s.add(a)
    s.flush()
    on_behalf = "" if actor.role == "citizen" else f" on behalf of {mask(applicant)}"
    filed = Transition(application_id=a.id, from_state=None, to_state="submitted", actor=actor.username,
                       role=actor.role, at=now, reason=f"filed{on_behalf}")
    s.add(filed)
    _tell(s, a, "application_received", filed, date=deadlines.today(now), due=a.due_date)
    answer = _ack(a)
    s.add(IdempotencyKey(account=actor.username, key=key, body_sha256=digest, application_id=a.id,
                         response=json.dumps(answer), created=now))
    access.record_in(s, actor, what, iin=applicant, household_id=household_id, source=client)
    s.flush()
    return answer


# Assessment ----------------------------------------------------------------------------------

def _failed(sim: Simulation, measure: str, index: int) -> dict:
    """The rule that gave the measure no amount on `index`, with its reference (the act and article)."""
    var = sim.variable(measure)
    gate = sim.variable(var.eligible) if var.eligible else None
    if gate is not None and not sim.calculate(gate.name)[index]:
        rule, label, reference = gate.name, gate.label, gate.reference
    elif (e := applied_exception(sim, var, index)) is not None:
        rule, label, reference = e.when, e.label, e.reference
    else:
        rule, label, reference = var.name, var.label, var.reference
    return {"rule": rule, "label": label, "reference": reference, "cites_article": cites_article(reference),
            "assumption": assumption_reason(reference)}


def _unknown(measure: str, reason: str) -> dict:
    return {"eligible": None, "amount_tiyn": None, "explanation": {
        "measure": measure, "label": standard().variables[measure].label, "not_computed": reason}}


@dataclass(frozen=True)
class Computed:
    """The rules run on some households of the registry: the simulation, what the registry's
    tables let it compute (`coverage`), each household's group and each person's group and IIN."""
    sim: Simulation
    coverage: registry_inputs.Coverage
    groups: dict[str, int]          # household id -> its group in the simulation
    group_of: np.ndarray            # person -> group
    iins: np.ndarray                # person -> IIN


def computed(source: DatabaseSource, on: dt.date, hids: list[str]) -> Computed:
    """The households `hids` read from the registry database and computed on `on`, with the inputs and engine of the card."""
    part = source.households(hids, registry_inputs.TABLES)
    tables = registry_inputs.tables_of(part)
    registry = registry_inputs.Registry(tables, pl.Series(hids), dates=[on])
    at = registry.household_positions(pl.Series(hids))
    prepared = registry.prepare(on, households=pl.Series(at[at >= 0]))
    p, h, group_of = prepared.engine()
    return Computed(Simulation(standard(), on, p, h, group_of), registry_inputs.coverage(tables),
                    {hid: g for g, hid in enumerate(prepared.household_ids.to_list())}, group_of,
                    np.asarray(prepared.iins.to_list(), dtype=object))


def entitled(source: DatabaseSource, on: dt.date, hids: list[str], measure: str) -> dict[str, bool | None]:
    """Whether the rules give each household of `hids` the household measure on `on`, computed
    together and without explanations (a scan of the whole registry): None where not known (a
    source the measure needs was not loaded, or the household is not living on `on`)."""
    c = computed(source, on, hids)
    if measure in c.coverage.not_computed:
        return dict.fromkeys(hids)
    amounts = c.sim.calculate(measure)
    return {h: bool(amounts[c.groups[h]] > 0) if h in c.groups else None for h in hids}


def eligibility(source: DatabaseSource, on: dt.date, asks: list[tuple[str, str, str]]) -> list[dict]:
    """For each (household_id, measure, applicant IIN), what the rules give on `on`: `eligible`
    (None: not known), `amount_tiyn` and the `explanation`; the households read and computed
    together, with the inputs and engine of the card."""
    c = computed(source, on, sorted({h for h, _, _ in asks}))
    sim, cover, groups, group_of, iins = c.sim, c.coverage, c.groups, c.group_of, c.iins
    warnings = warnings_for(source, on, sim.warnings)
    out = []
    for hid, measure, applicant in asks:
        if measure in cover.not_computed:
            out.append(_unknown(measure, cover.not_computed[measure]))
            continue
        if hid not in groups:
            out.append(_unknown(measure, f"household {hid} is not living on {on} in the registry"))
            continue
        g = groups[hid]
        members = np.flatnonzero(group_of == g)
        ids = [mask(i) for i in iins[members]]
        var = sim.variable(measure)
        index = g
        if var.entity.is_person:
            mine = members[iins[members] == applicant]
            if not len(mine):
                out.append(_unknown(measure, f"the applicant is not a living member of household {hid} on {on}"))
                continue
            index = int(mine[0])
        amount = float(sim.calculate(measure)[index])
        who = mask(applicant) if var.entity.is_person else None
        said = [s["text"] for s in summary.summary(sim, [measure], g, ids) if s["member"] in (who, None)]
        out.append({"eligible": amount > 0, "amount_tiyn": int(round(amount * 100)), "explanation": {
            "measure": measure, "label": var.label, "reference": var.reference, "member": who,
            "amount": _tenge(int(round(amount * 100))), "summary": said,
            "failed": None if amount > 0 else _failed(sim, measure, index),
            "assumption": cover.assumptions.get(measure), "warnings": warnings,
            "variables": explain(sim, [measure], g, ids)["variables"]}})
    return out


def _assessed(source: DatabaseSource, on: dt.date, asks: list[tuple[str, str, str]]) -> list[dict]:
    """`eligibility`, or for a batch that fails, each alone: one that fails alone goes to a person, unassessed."""
    try:
        return eligibility(source, on, asks)
    except Exception:
        if len(asks) == 1:
            log.exception("application of household %s could not be assessed", asks[0][0])
            return [_unknown(asks[0][1], "the rules could not be run on the registry's data: a caseworker decides")]
        return [r for ask in asks for r in _assessed(source, on, [ask])]


def assess(url: str, limit: int = BATCH, now: dt.datetime | None = None) -> int:
    """Assess up to `limit` applications not yet assessed, oldest first (the worker's step; on
    PostgreSQL two workers take different ones): how many were assessed."""
    with session(url) as s:
        pending = s.scalars(select(Application).where(Application.assessed.is_(None)).order_by(Application.id)
                            .limit(limit).with_for_update(skip_locked=True)).all()
        if not pending:
            return 0
        source, now, version = DatabaseSource(url, contract()), now or _now(), rules_version()
        by_month = defaultdict(list)
        for a in pending:
            by_month[a.month].append(a)
        for month, apps in by_month.items():
            found = _assessed(source, month_end(month), [(a.household_id, a.measure, a.applicant_iin) for a in apps])
            for a, r in zip(apps, found):
                a.assessed, a.rules_version, a.eligible, a.amount_tiyn = now, version, r["eligible"], r["amount_tiyn"]
                a.explanation = json.dumps(r["explanation"], ensure_ascii=False, default=str)
                if a.state == "submitted" and a.eligible and decision(a.measure)["decided_by"] == "rules":
                    _move(s, a, "approved", RULES, workflow.SYSTEM, "eligible by the rules: "
                          + " ".join(r["explanation"]["summary"]), now)
    return len(pending)


# Moves ---------------------------------------------------------------------------------------

def _move(s, a: Application, to: str, who: str, role: str, reason: str, now: dt.datetime,
          granted: tuple[int, dict] | None = None) -> None:
    """Move `a` to `to` (the workflow allows it): the clock stopped or started again, the
    assignment started or ended, the move recorded, the applicant told. `granted`: an approval
    on appeal, its monthly amount and the appeal's explanation."""
    today, was = deadlines.today(now), a.state
    if was == "needs_information" and a.clock_stopped is not None:     # the answer came: the clock runs again
        stops = [*_stops(s, [a.id]).get(a.id, []), Stop(a.clock_stopped, today)]
        a.due_date = deadlines.due(a.measure, deadlines.today(a.submitted), stops)
        a.stopped_days, a.clock_stopped = deadlines.stopped_days(stops), None
    if to == "needs_information":
        a.clock_stopped = today
    if was == "approved":
        for held in s.scalars(select(Assignment).where(Assignment.application_id == a.id, Assignment.ended.is_(None))):
            held.end_date, held.ended = max(held.start_date, today) - dt.timedelta(days=1), now
    if was in ("approved", "rejected") and to == "in_review":
        a.assessed = a.eligible = a.amount_tiyn = None      # reconsidered: assessed again on the registry as it is now
    if to == "approved":
        s.add(assigned := _assignment(s, a, today, now, granted))
    a.state = to
    s.add(moved := Transition(application_id=a.id, from_state=was, to_state=to, actor=who, role=role, at=now,
                              reason=reason))
    if to == "needs_information":
        _tell(s, a, "application_needs_information", moved, asked=reason)
    elif to == "approved":
        _tell(s, a, "application_granted", moved, amount=tenge(assigned.monthly_tiyn), start=assigned.start_date)
    elif to == "rejected":
        _tell(s, a, "application_refused", moved, appeal_by=appeals.term(today).value)
    elif to == "withdrawn":
        _tell(s, a, "application_withdrawn", moved)
    elif was == "approved":           # back in review: its assignment ended
        _tell(s, a, "application_reopened", moved)


def change_on_appeal(s, a: Application, amount_tiyn: int, explanation: dict, who: str, reason: str,
                     now: dt.datetime) -> None:
    """The decision on `a` changed by a supervisor granting an appeal, in the caller's transaction:
    approved at `amount_tiyn` a month (an approval's assignment ends the day before and a new one
    starts today; a refusal's from the month applied for), the appeal's explanation kept beside
    the rules' in the new assignment."""
    workflow.check(a.state, "approved", workflow.SUPERVISOR, a.eligible)
    _move(s, a, "approved", who, workflow.SUPERVISOR, reason, now, (amount_tiyn, explanation))


def _assignment(s, a: Application, today: dt.date, now: dt.datetime,
                granted: tuple[int, dict] | None = None) -> Assignment:
    """What the approval assigns: from the month applied for (a decision changed: from today), for
    the measure's months or until changed; on appeal, the supervisor's amount and explanation."""
    earlier = s.scalar(select(Assignment.id).where(Assignment.application_id == a.id).limit(1))
    start = month_start(a.month)
    if earlier is not None:
        start = max(start, today)
    months = decision(a.measure)["months"]
    end = None
    if months:
        last = start.month - 1 + months - 1
        end = month_end(f"{start.year + last // 12:04d}-{last % 12 + 1:02d}")
    person = standard().variables[a.measure].entity.is_person
    explained = json.loads(a.explanation) if a.explanation else {}
    kept = {k: explained.get(k) for k in ("summary", "reference", "amount")}
    if granted is not None:
        kept["appeal"] = granted[1]
    return Assignment(application_id=a.id, measure=a.measure, iin=a.applicant_iin if person else None,
                      household_id=a.household_id, start_date=start, end_date=end,
                      monthly_tiyn=a.amount_tiyn if granted is None else granted[0],
                      explanation=json.dumps(kept, ensure_ascii=False), created=now)


def assign_offered(s, *, applicant_iin: str, household_id: str, measure: str, month: str, region_code: str,
                   amount_tiyn: int, explanation: str, version: str, reason: str, now: dt.datetime) -> Application:
    """A consented offer's benefit assigned in the caller's transaction: an application filed by
    the system, assessed by the rules with the offer's amount and explanation, approved, with its
    assignment. The explanation is the engine's, as `eligibility` gave it when the offer was made."""
    a = Application(applicant_iin=applicant_iin, household_id=household_id, measure=measure, month=month,
                    region_code=region_code, state="submitted", submitted=now,
                    due_date=deadlines.due(measure, deadlines.today(now)), stopped_days=0, filed_by=RULES,
                    filed_by_role=workflow.SYSTEM, assessed=now, rules_version=version, eligible=True,
                    amount_tiyn=amount_tiyn, explanation=explanation)
    s.add(a)
    s.flush()
    s.add(Transition(application_id=a.id, from_state=None, to_state="submitted", actor=RULES, role=workflow.SYSTEM,
                     at=now, reason=reason))
    _move(s, a, "approved", RULES, workflow.SYSTEM, reason, now)
    s.flush()
    return a


def _may(url: str, actor: access.Actor, a: Application | None, app_id: int, what: str, purpose: str | None,
         client: str | None) -> Application:
    """The application, if the actor may act on it: a citizen their own, a caseworker the regions
    served. Another's is forbidden (and logged); an unknown id is not found."""
    if actor.role not in FILERS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read or decide applications"), client)
    if a is None:
        raise NotFound(f"application {app_id}: no such application")
    if actor.role == "citizen" and a.applicant_iin != actor.iin:
        handling.refuse(url, actor, what, Forbidden(f"application {app_id} is another person's"), client, a.applicant_iin,
                a.household_id)
    if actor.role == "caseworker" and a.region_code not in actor.regions:
        handling.refuse(url, actor, what, Forbidden(f"application {app_id} is of region {a.region_code}, not one this caseworker "
                                            "serves"), client, a.applicant_iin, a.household_id)
    return a


def move(actor: access.Actor, url: str, app_id: int, to: str, reason: str, client: str | None = None,
         now: dt.datetime | None = None) -> dict:
    """Move an application to `to`, with the reason; the application as it then stands. The same
    move sent again by the same person is applied once; a move the workflow does not allow is refused
    with the moves allowed."""
    if not (reason or "").strip():
        raise FieldError("reason", "a move states why")
    reason, now = reason.strip(), now or _now()
    with session(url) as s:
        a = _may(url, actor, s.get(Application, app_id, with_for_update=True), app_id, "application move", None, client)
        last = s.scalars(select(Transition).where(Transition.application_id == app_id)
                         .order_by(Transition.id.desc()).limit(1)).one()
        if not (a.state == to and (last.to_state, last.actor, last.reason) == (to, actor.username, reason)):
            workflow.check(a.state, to, actor.role, a.eligible)
            _move(s, a, to, actor.username, actor.role, reason, now)
    return read(actor, url, app_id, None, client, now)


# Reading -------------------------------------------------------------------------------------

def _stops(s, app_ids: list[int]) -> dict[int, list[Stop]]:
    """The clock stops each application had, ended: from the day information was asked to the day it came."""
    out, since = defaultdict(list), {}
    for app_id, was, to, at in s.execute(select(Transition.application_id, Transition.from_state, Transition.to_state,
                                                Transition.at).where(Transition.application_id.in_(app_ids))
                                         .order_by(Transition.id)):
        if was == "needs_information" and app_id in since:
            out[app_id].append(Stop(since.pop(app_id), deadlines.today(at)))
        if to == "needs_information":
            since[app_id] = deadlines.today(at)
    return out


def _standing(a: Application, stops: list[Stop], today: dt.date):
    return deadlines.standing(a.measure, deadlines.today(a.submitted), a.due_date, stops, a.clock_stopped, today)


def _clock(a: Application, today: dt.date, stops: list[Stop]) -> dict:
    """The due date and, while the application is open, where it stands today."""
    st = _standing(a, stops, today) if a.state in workflow.OPEN else None
    return {"due_date": _iso(st.due if st else a.due_date), "working_days_left": st.left if st else None,
            "flag": st.state if st else None, "clock_stopped_since": _iso(a.clock_stopped),
            "stopped_working_days": a.stopped_days,
            "due_date_rests_on": deadlines.rests_on(deadlines.today(a.submitted), st.due if st else a.due_date)}


def _assessment(a: Application) -> dict | str:
    if a.assessed is None:
        return "pending"
    return {"assessed": _iso(a.assessed), "rules_version": a.rules_version, "eligible": a.eligible,
            "amount": _tenge(a.amount_tiyn), "explanation": json.loads(a.explanation)}


def read(actor: access.Actor, url: str, app_id: int, purpose: str | None = None, client: str | None = None,
         now: dt.datetime | None = None) -> dict:
    """One application: its state and clock, the assessment with its explanation, what the actor
    may do next, every move, and what it assigned."""
    with session(url) as s:
        a = _may(url, actor, s.get(Application, app_id), app_id, "application", purpose, client)
        moves = s.scalars(select(Transition).where(Transition.application_id == app_id).order_by(Transition.id)).all()
        assigned = s.scalars(select(Assignment).where(Assignment.application_id == app_id).order_by(Assignment.id)).all()
        stops = _stops(s, [app_id]).get(app_id, [])
    access.record(url, actor, "application", iin=a.applicant_iin, household_id=a.household_id, purpose=purpose,
                  source=client)
    return {"id": a.id, "applicant_iin": a.applicant_iin, "household_id": a.household_id, "measure": a.measure,
            "label": standard().variables[a.measure].label, "month": a.month, "region_code": a.region_code,
            "state": a.state, "submitted": _iso(a.submitted), **_clock(a, deadlines.today(now), stops),
            "filed_by": a.filed_by, "filed_by_role": a.filed_by_role, **_notified(a),
            "decided_by": decision(a.measure)["decided_by"],
            # Declared by the applicant, to be checked against documents: never applied to the registry.
            "corrections": json.loads(a.corrections) if a.corrections else [],
            "assessment": _assessment(a), "allowed": workflow.allowed(a.state, actor.role, a.eligible),
            "history": [{"from": m.from_state, "to": m.to_state, "by": m.actor, "role": m.role, "at": _iso(m.at),
                         "reason": m.reason} for m in moves],
            "assignments": [{"measure": g.measure, "iin": mask(g.iin), "household_id": g.household_id,
                             "start": _iso(g.start_date), "end": _iso(g.end_date), "monthly_amount": _tenge(g.monthly_tiyn),
                             "ended": _iso(g.ended), "explanation": json.loads(g.explanation)} for g in assigned]}


def _item(a: Application, today: dt.date, stops: list[Stop]) -> dict:
    return {"id": a.id, "applicant": mask(a.applicant_iin), "household_id": a.household_id, "measure": a.measure,
            "month": a.month, "region_code": a.region_code, "state": a.state, "submitted": _iso(a.submitted),
            **_clock(a, today, stops), "eligible": a.eligible, "amount": _tenge(a.amount_tiyn), "assessed": a.assessed is not None}


def listing(actor: access.Actor, url: str, cursor: str | None = None, limit: int = 50, purpose: str | None = None,
            client: str | None = None, now: dt.datetime | None = None) -> dict:
    """A citizen: their own applications, newest first. A caseworker: the queue of the regions
    served, the open applications by working days left (overdue first), then by id; each flagged
    nearly due or overdue. A page at a time (`next_cursor`); each applicant on the page is a log entry."""
    what = "applications list" if actor.role == "citizen" else "applications queue"
    if actor.role not in FILERS:
        handling.refuse(url, actor, what, Forbidden(f"a {actor.role} does not read applications"), client)
    if not 1 <= limit <= MAX_PAGE:
        raise FieldError("limit", f"from 1 to {MAX_PAGE}")
    after, today = handling.cursor(cursor, int, int) if cursor else None, deadlines.today(now)
    with session(url) as s:
        if actor.role == "citizen":
            query = select(Application).where(Application.applicant_iin == actor.iin)
            total = len(s.scalars(query.with_only_columns(Application.id)).all())
            if after:
                query = query.where(Application.id < after[1])
            page = s.scalars(query.order_by(Application.id.desc()).limit(limit + 1)).all()
            ranked = [(0, a.id) for a in page]
        else:
            open_ = (Application.region_code.in_(actor.regions)) & (Application.state.in_(workflow.OPEN))
            clocks = s.execute(select(Application.id, Application.due_date, Application.clock_stopped).where(open_)).all()
            stopped = {i for i, _, since in clocks if since is not None}
            waiting = {a.id: a for a in s.scalars(select(Application).where(Application.id.in_(stopped)))} if stopped else {}
            stops = _stops(s, list(stopped)) if stopped else {}
            order = sorted((_standing(waiting[i], stops.get(i, []), today).left if i in waiting
                            else calendar().working_days_left(today, due), i) for i, due, _ in clocks)
            total = len(order)
            ranked = [r for r in order if after is None or r > after][:limit + 1]
            rows = {a.id: a for a in s.scalars(select(Application).where(Application.id.in_([i for _, i in ranked])))}
            page = [rows[i] for _, i in ranked]
        shown = page[:limit]
        stops = _stops(s, [a.id for a in shown if a.clock_stopped is not None])
        items = [_item(a, today, stops.get(a.id, [])) for a in shown]
    access.record(url, actor, what, iins=sorted({a.applicant_iin for a in shown}) or [None], purpose=purpose, source=client)
    return {"items": items, "total": total, "next_cursor": handling.token(ranked[limit - 1]) if len(page) > limit else None}
