"""A citizen's pages: what my family is entitled to and why (the household card of my own
household, each amount with its article in plain words), applying for a measure (the registry's
data shown; filed once however often the form is sent), my applications with their state (a
decided one with the term of its appeal and the form; web.petitions files it), and who has
looked at my data (the access log of my IIN, as the service gives it)."""
from __future__ import annotations

import datetime as dt
import re
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import FieldError, Forbidden
from komek.kz import phone
from komek.kz.catalogs import N_
from komek.kz.standard import benefits
from komek.periods import month_end
from komek.services import access_log, appeals, applications, notices, whatif
from komek.services.households import household, situation
from komek.services.persons import person
from komek.web import session
from komek.web.pages import MONTH, client, language, render, source

router = APIRouter(prefix="/my")
MONTH_FORM = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# What the apply form says of a field the rules or the registry refuse, in the user's language.
REFUSED = {"measure": N_("Choose one of the support measures."),
           "month": N_("Give the month as year and month, for example 2026-10."),
           "phone": N_("Not a Kazakhstan phone number: write it as +7 7XX XXX XX XX."),
           "applicant_iin": N_("The registry has no household of yours in that month."),
           "household_id": N_("The registry lists you in more than one household in that month: ask a caseworker to file it."),
           "Idempotency-Key": N_("This form was already sent with other values: open the form again.")}
# What a correction's right value must be, said beside its field.
CORRECTION_REFUSED = {"members": N_("Give the number of members as a whole number from 1 to 40."),
                      "income": N_("Give the income as tenge, for example 85000 or 85000,50."),
                      "disability": N_("Choose a disability group, or none."),
                      "area_m2": N_("Give the area in square metres, for example 54,5."),
                      "utilities": N_("Give the costs as tenge, for example 12000 or 12000,50."),
                      "comment": N_("Give the right value: the comment alone does not say what is wrong.")}
# The what-if's levers in plain words (services.whatif.LEVERS).
LEVER_SAYS = {"head_wage": N_("If the head of the family earned %(to)s a month (now %(now)s)"),
              "children": N_("If the family had %(to)s children under 18 (now %(now)s)"),
              "area_m2": N_("If the home's living area were %(to)s m² (now %(now)s m²)"),
              "utilities": N_("If the home's utility costs were %(to)s a month (now %(now)s)")}


def citizen(request: Request) -> access.Actor:
    actor = session.actor(request)
    if actor.role != "citizen":
        raise Forbidden(f"these pages are a citizen's own; a {actor.role} has other pages")
    return actor


def _month(month: str | None) -> str:
    return month if month and MONTH_FORM.match(month) else MONTH


def _homes(record: dict, on: dt.date) -> list[str]:
    """The households the registry lists the person in on `on`."""
    return sorted({h["household_id"] for h in record["households"]
                   if h["from_date"] <= on.isoformat() and (h["to_date"] is None or h["to_date"] > on.isoformat())})


@router.get("/entitlements")
def entitlements(request: Request, month: str | None = None):
    actor, month = citizen(request), _month(month)
    on, src = month_end(month), source(request)
    record = person(actor, src, actor.iin, on, "a citizen reads their own record", client(request))
    homes = _homes(record, on)
    cards = [household(actor, src, hid, on, "a citizen reads their family's entitlements", client(request),
                       language(request)) for hid in homes]
    changes = [whatif.for_household(actor, src, hid, on, "a citizen reads what would change their entitlements",
                                    client(request)) for hid in homes]
    return render(request, "entitlements.html", actor=actor, month=month, cards=cards, changes=changes,
                  levers=LEVER_SAYS)


def _facts(actor: access.Actor, request: Request, homes: list[str], on: dt.date) -> dict | None:
    """The registry's facts the rules use, as the apply page shows them (a correction says one is
    wrong): one household's only, since a correction is of the household applied for."""
    if len(homes) != 1:
        return None
    s, _ = situation(actor, source(request), homes[0], on, "a citizen applies: their family's data shown", client(request))
    members, h = s.household.members, s.household.housing
    groups = sorted({m.disability_group for m in members if m.disability_group})
    return {"members": str(len(members)), "income": str(sum(sum(m.incomes.values()) for m in members)),
            "disability": ", ".join(groups) or "none", "area_m2": f"{h.area_m2:g}",
            "utilities": str(h.monthly_costs.utilities)}


def _apply_page(request: Request, actor: access.Actor, values: dict, errors: dict, status: int = 200):
    on = month_end(_month(values.get("month")))
    record = person(actor, source(request), actor.iin, on, "a citizen applies: their registry data shown", client(request))
    homes = _homes(record, on)
    return render(request, "apply.html", status=status, actor=actor, values=values, errors=errors, record=record,
                  homes=homes, measures=benefits(), facts_shown=_facts(actor, request, homes, on),
                  correctable=applications.CORRECTABLE, groups=("none", "1", "2", "3", "child"))


@router.get("/apply")
def apply_page(request: Request, measure: str | None = None, month: str | None = None):
    actor = citizen(request)
    values = {"measure": measure or "", "month": _month(month), "phone": "", "key": str(uuid.uuid4()), "fix": {}, "note": {}}
    return _apply_page(request, actor, values, {})


def _corrections(form, errors: dict) -> tuple[list[dict], dict, dict]:
    """The corrections the form declares (a right value typed, with its comment and what the
    registry showed), and the values typed to write back; a comment with no value is an error."""
    fix = {f: str(form.get(f"fix_{f}", "")) for f in applications.CORRECTABLE}
    note = {f: str(form.get(f"note_{f}", "")) for f in applications.CORRECTABLE}
    out = []
    for f in applications.CORRECTABLE:
        if fix[f].strip():
            c = {"fact": f, "value": fix[f]}
            out.append(c | ({"comment": note[f]} if note[f].strip() else {}))
        elif note[f].strip():
            errors[f"fix_{f}"] = CORRECTION_REFUSED["comment"]
    return out, fix, note


@router.post("/apply")
async def apply(request: Request):
    form = await request.form()
    session.check_csrf(request, str(form.get("csrf", "")))
    actor = citizen(request)
    measure, month, phone_number, key = (str(form.get(f, "")) for f in ("measure", "month", "phone", "key"))
    errors = {}
    declared, fix, note = _corrections(form, errors)
    values = {"measure": measure, "month": month, "phone": phone_number, "key": key or str(uuid.uuid4()),
              "fix": fix, "note": note}
    if measure not in benefits():
        errors["measure"] = REFUSED["measure"]
    if not MONTH_FORM.match(month):
        errors["month"] = REFUSED["month"]
    if phone_number.strip():
        try:
            phone.normalize(phone_number)
        except FieldError:
            errors["phone"] = REFUSED["phone"]
    if not errors:
        body = {"measure": measure, "month": month, "language": language(request)}
        if phone_number.strip():
            body["phone"] = phone_number
        if declared:           # each with what the registry has, as the page showed it
            on = month_end(month)
            record = person(actor, source(request), actor.iin, on, "a citizen applies: their corrections filed",
                            client(request))
            shown = _facts(actor, request, _homes(record, on), on) or {}
            body["corrections"] = [{"fact": c["fact"], **({"registry": shown[c["fact"]]} if c["fact"] in shown else {}),
                                    **c} for c in declared]
        try:
            answer, _ = applications.file(actor, source(request), body, values["key"], client(request))
            return RedirectResponse(f"/my/applications/{answer['id']}?filed=1", status_code=303)
        except FieldError as e:          # the registry's answer: shown beside the field it concerns
            if e.field.startswith("corrections.") and e.field[12:] in CORRECTION_REFUSED:
                errors[f"fix_{e.field[12:]}"] = CORRECTION_REFUSED[e.field[12:]]
                return _apply_page(request, actor, values, errors, status=422)
            errors[e.field if e.field in ("measure", "month", "phone") else "month"] = REFUSED.get(e.field, e.problem)
    return _apply_page(request, actor, values, errors, status=422)


@router.get("/applications")
def mine(request: Request):
    actor = citizen(request)
    listed = applications.listing(actor, request.app.state.settings.database, limit=applications.MAX_PAGE,
                                  purpose="a citizen reads their own applications", client=client(request))
    return render(request, "mine.html", actor=actor, items=listed["items"], total=listed["total"])


def application_page(request: Request, actor: access.Actor, app_id: int, status: int = 200, **values):
    """The citizen's application, with the term and the form of an appeal when its decision may be appealed."""
    url = request.app.state.settings.database
    seen = applications.read(actor, url, app_id, "a citizen reads their own application", client(request))
    return render(request, "application.html", status=status, actor=actor, a=seen, decide=False,
                  term=appeals.appealable(actor, url, app_id),
                  sent=notices.mine(actor, url, f"application:{app_id}", client(request)),
                  **{"errors": {}, "values": {"key": str(uuid.uuid4()), "grounds": ""}, **values})


@router.get("/applications/{app_id}")
def one(request: Request, app_id: int, filed: int = 0):
    return application_page(request, citizen(request), app_id, filed=bool(filed))


@router.get("/notifications")
def notifications(request: Request):
    actor = citizen(request)
    sent = notices.mine(actor, request.app.state.settings.database, client=client(request))
    return render(request, "notifications.html", actor=actor, sent=sent)


@router.get("/access")
def looked(request: Request):
    actor = citizen(request)
    seen = access_log.mine(actor, request.app.state.settings.database, client(request))
    return render(request, "access.html", actor=actor, entries=seen)
