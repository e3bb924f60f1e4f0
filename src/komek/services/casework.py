"""A simulated month of casework, for the demo and for trying the monitoring: citizens of the
registry apply for measures on the month's working days, the rules assess them each evening, and
each region's office works its queue at its own pace (two offices slower on purpose), asking for
information now and then; a few applicants withdraw. Everything goes through the services, as over
the API (filing with an idempotency key, the worker's assessment, the caseworkers' moves), so the
month leaves what a real one leaves: applications, their histories, assignments, the access log.

The paces are made up and labelled so wherever the month is shown; the rules' assessments and
the working-day deadlines are the platform's own."""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
from collections.abc import Callable

import numpy as np
from sqlalchemy import select

from komek import access
from komek.cases import deadlines
from komek.errors import FieldError, Forbidden, TransitionError
from komek.kz import contract, regions
from komek.kz import deadlines as terms
from komek.kz.calendar import calendar
from komek.periods import month_end, month_start
from komek.registry import DatabaseSource
from komek.registry.db import session
from komek.registry.models import Address, Application, HouseholdMember, Offer
from komek.services import appeals, applications, offers

# The measures applied for, and how often (illustrative).
APPLIED = {"tsa": 0.3, "housing_assistance": 0.3, "tsa_child_supplement": 0.05, "birth_benefit": 0.05,
           "large_family_benefit": 0.1, "disability_benefit": 0.1, "childcare_benefit": 0.1}
SLOW = 2                 # offices working slower than the deadline allows, to show the alerts
ASKED = 0.1              # share of applications for which information is asked
WITHDRAWN = 0.02
REPLIED = {"yes": 0.7, "no": 0.1}      # of offers sent, answered yes and no by SMS; the rest lapse
MISTAKEN = 0.05          # share of eligible applicants a caseworker refuses (the appeals find them)
APPEALED = {True: 0.6, False: 0.1}      # share of refusals appealed, of the eligible and the not
ELIGIBLE = 0.7           # share of applicants the rules find eligible


def _heads(url: str, on: dt.date, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """`n` (household, head's IIN) of households living on `on` with a head registered in a region (a random draw)."""
    m, a = HouseholdMember, Address
    live = lambda start, end: (start <= on) & (end.is_(None) | (end > on))
    with session(url) as s:
        heads = sorted(set(s.execute(select(m.household_id, m.iin).join(a, a.iin == m.iin).where(
            m.role == "head", live(m.from_date, m.to_date), live(a.registered_from, a.registered_to))).all()))
    return [heads[i] for i in sorted(rng.choice(len(heads), size=min(n, len(heads)), replace=False))]


def _applicants(source: DatabaseSource, on: dt.date, n: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """About `n` (IIN, measure): mostly people the rules find eligible, as those who apply usually
    are (ELIGIBLE of them; a person's measure applied for by the member it pays, a household's by
    its head), the rest heads applying for what the rules do not give them."""
    heads = dict(_heads(source.url, on, 3 * n, rng))
    c = applications.computed(source, on, sorted(heads))
    hid_of = {g: hid for hid, g in c.groups.items()}
    yes, no = {m: [] for m in APPLIED}, {m: [] for m in APPLIED}
    for m in APPLIED:
        if m in c.coverage.not_computed:
            continue
        amounts = c.sim.calculate(m)
        if c.sim.variable(m).entity.is_person:
            yes[m] = [c.iins[i] for i in np.flatnonzero(amounts > 0)]
        else:
            yes[m] = [heads[hid_of[g]] for g in np.flatnonzero(amounts > 0)]
        no[m] = [heads[hid_of[g]] for g in range(len(hid_of)) if not (c.sim.variable(m).entity.is_person or amounts[g] > 0)]
    weights = np.array(list(APPLIED.values())) / sum(APPLIED.values())
    chosen, seen = [], set()
    for _ in range(20 * n):
        if len(chosen) >= n:
            break
        m = list(APPLIED)[rng.choice(len(APPLIED), p=weights)]
        pool = yes[m] if rng.random() < ELIGIBLE else no[m]
        if pool and (pick := pool[rng.integers(len(pool))]) not in seen:
            seen.add(pick)
            chosen.append((pick, m))
    return chosen


def _eligible(url: str, app_id: int) -> bool:
    with session(url) as s:
        return bool(s.get(Application, app_id).eligible)


def _applicant(url: str, app_id: int) -> access.Actor:
    with session(url) as s:
        iin = s.get(Application, app_id).applicant_iin
    return access.Actor(0, f"simulated citizen {iin[-4:]}", "citizen", iin=iin)


def _at(day: dt.date, hour: float) -> dt.datetime:
    return (dt.datetime.combine(day, dt.time(), deadlines.KAZAKHSTAN) + dt.timedelta(hours=hour)).astimezone(dt.UTC)


def simulate_month(url: str, month: str, n: int, seed: int = 1, progress: Callable | None = None) -> dict:
    """File about `n` applications in `month` and work them until the month's last day: what was
    done (filed, assessed, moves, the slow offices) and the instant the month ended."""
    rng, cal = np.random.default_rng(seed), calendar()
    first, last = month_start(month), month_end(month)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    working = [d for d in days if cal.is_working_day(d)]
    slow = sorted(rng.choice(sorted(regions()), size=SLOW, replace=False).tolist())
    heap, seq, source, planned = [], itertools.count(), DatabaseSource(url, contract()), set()
    push = lambda when, *what: heapq.heappush(heap, (when, next(seq), what))
    for i, (iin, measure) in enumerate(_applicants(source, last, n, rng)):
        push(_at(working[rng.integers(len(working))], 9 + 9 * rng.random()), "file", iin, measure, i)
    for d in working:
        push(_at(d, 20), "assess")
    end = _at(last + dt.timedelta(days=1), 0)
    done = {"filed": 0, "refused": 0, "assessed": 0, "moves": 0, "appeals": 0, "appeals_decided": 0}
    total = len(heap)
    while heap and heap[0][0] < end:
        when, _, what = heapq.heappop(heap)
        if what[0] == "file":
            _, iin, measure, i = what
            citizen = access.Actor(0, f"simulated citizen {i}", "citizen", iin=iin)
            try:
                ack, _ = applications.file(citizen, source, {"measure": measure, "month": month}, f"sim-{seed}-{i}", now=when)
            except (FieldError, Forbidden):      # a head the rules cannot place (two households, no region): not filed
                done["refused"] += 1
                continue
            done["filed"] += 1
            if rng.random() < WITHDRAWN:
                push(when + dt.timedelta(days=int(rng.integers(1, 4))), "move", ack["id"], "withdrawn", citizen,
                     "the applicant no longer needs it")
        elif what[0] == "assess":
            while (k := applications.assess(url, now=when)):
                done["assessed"] += k
            for plan in _plans(url, when, slow, rng, planned):
                push(*plan)
        elif what[0] == "move":
            _, app_id, to, actor, why = what
            try:
                applications.move(actor, url, app_id, to, why, now=when)
                done["moves"] += 1
            except TransitionError:      # the plan was overtaken (withdrawn first): nothing to do
                continue
            if to == "rejected" and rng.random() < APPEALED[eligible := _eligible(url, app_id)]:
                applicant = _applicant(url, app_id)
                push(_at(cal.due_date(deadlines.today(when), int(rng.integers(1, 6))), 9 + 9 * rng.random()),
                     "appeal", app_id, applicant, eligible)
        elif what[0] == "appeal":
            _, app_id, applicant, eligible = what
            ack, _ = appeals.file(applicant, url, {"application_id": app_id, "grounds": "the refusal is contested"},
                                  f"sim-appeal-{seed}-{app_id}", now=when)
            done["appeals"] += 1
            region = ack["region_code"]
            supervisor = access.Actor(0, f"simulated supervisor {region}", "supervisor", (region,))
            upheld = eligible           # the supervisor finds what the rules found: a refusal of the eligible is changed
            decided = _at(cal.due_date(deadlines.today(when), int(rng.integers(1, 7 if region in slow else 5))), 15)
            push(decided, "decide", ack["id"], supervisor, upheld)
        else:
            _, appeal_id, supervisor, upheld = what
            body = {"to": "decided", "outcome": "upheld" if upheld else "rejected",     # upheld: at the rules' amount
                    "note": "the rules find the applicant eligible" if upheld else "the refusal stands"}
            appeals.move(supervisor, url, appeal_id, body, now=when)
            done["appeals_decided"] += 1
        if progress:
            progress("casework: a month of applications", total - len(heap), total)
    done["offers"] = _offers(url, _at(working[len(working) // 2], 11), rng)
    offers.sweep(url, end)
    return {**done, "slow_offices": slow, "ended": end, "paces": "simulated"}


def _offers(url: str, when: dt.datetime, rng: np.random.Generator) -> dict:
    """The proactive offers of the registry's events, made mid-month, and the SMS replies of the
    people told (through the gateway's signed inbound route, as a provider sends them)."""
    made = offers.scan(url, now=when)
    secret = "simulated gateway"
    with session(url) as s:
        sent = s.execute(select(Offer.id, Offer.phone, Offer.code, Offer.language).where(Offer.state == "sent")
                         .order_by(Offer.id)).all()
    for offer_id, phone, code, language in sent:
        draw = rng.random()
        if draw >= REPLIED["yes"] + REPLIED["no"]:
            continue                # no reply: it lapses when its three days are over
        word = {"kk": ("иә", "жоқ"), "ru": ("да", "нет")}.get(language, ("yes", "no"))[draw >= REPLIED["yes"]]
        body = json.dumps({"from": phone, "text": f"{word} {code}", "message_id": f"sim-{offer_id}"}).encode()
        offers.inbound(url, secret, body, offers.sign(secret, body),
                       now=when + dt.timedelta(hours=int(rng.integers(1, 60))))
    return {k: made[k] for k in ("offers", "sent", "not_sent")}


def _plans(url: str, now: dt.datetime, slow: list[str], rng: np.random.Generator, planned: set[int]):
    """The moves a region's office will make on the applications assessed and waiting for a person
    (`planned`: those it has already planned)."""
    cal, a = calendar(), Application
    with session(url) as s:
        waiting = s.execute(select(a.id, a.measure, a.region_code, a.eligible, a.applicant_iin)
                            .where(a.state == "submitted", a.assessed.is_not(None)).order_by(a.id)).all()
    day = deadlines.today(now)
    step = lambda k: _at(cal.due_date(day, max(1, k)), 9 + 8 * rng.random())      # k working days after today
    for app_id, measure, region, eligible, iin in waiting:
        if app_id in planned:
            continue
        planned.add(app_id)
        worker = access.Actor(0, f"simulated caseworker {region}", "caseworker", (region,))
        term = terms.decision(measure, deadlines.today(now)).days
        pace = rng.uniform(0.5, 1.4) if region in slow else rng.uniform(0.1, 0.85)
        start = max(1, int(term * pace * 0.3))
        yield step(start), "move", app_id, "in_review", worker, "taken up"
        decided = max(start + 1, round(term * pace))
        if eligible is None or rng.random() < ASKED:
            asked, gap = start, int(rng.integers(1, 5))
            yield step(asked) + dt.timedelta(minutes=30), "move", app_id, "needs_information", worker, \
                "a document of the household's income is asked"
            if eligible is None:        # the registry cannot tell: the decision waits for the documents
                continue
            yield step(asked + gap), "move", app_id, "in_review", \
                access.Actor(0, "simulated citizen", "citizen", iin=iin), "the document was given"
            decided += gap
        if eligible and rng.random() >= MISTAKEN:
            to, why = "approved", "eligible as assessed"
        elif eligible:
            to, why = "rejected", "the income documents were judged insufficient"
        else:
            to, why = "rejected", "not eligible: the rule that failed is in the assessment"
        yield step(decided) + dt.timedelta(hours=1), "move", app_id, to, worker, why
