"""A citizen's pages: what my family is entitled to and why (the household card of my own
household, each amount with its article in plain words), applying for a measure (the registry's
data shown; filed once however often the form is sent), my applications with their state (a
decided one with the term of its appeal and the form; web.petitions files it), and who has
looked at my data (the access log of my IIN, as the service gives it)."""
from __future__ import annotations

import datetime as dt
import re
import uuid

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import FieldError, Forbidden
from komek.kz import phone
from komek.kz.catalogs import N_
from komek.kz.standard import benefits
from komek.periods import month_end
from komek.services import access_log, appeals, applications
from komek.services.households import household
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
    cards = [household(actor, src, hid, on, "a citizen reads their family's entitlements", client(request),
                       language(request)) for hid in _homes(record, on)]
    return render(request, "entitlements.html", actor=actor, month=month, cards=cards)


def _apply_page(request: Request, actor: access.Actor, values: dict, errors: dict, status: int = 200):
    on = month_end(_month(values.get("month")))
    record = person(actor, source(request), actor.iin, on, "a citizen applies: their registry data shown", client(request))
    return render(request, "apply.html", status=status, actor=actor, values=values, errors=errors, record=record,
                  homes=_homes(record, on), measures=benefits())


@router.get("/apply")
def apply_page(request: Request, measure: str | None = None, month: str | None = None):
    actor = citizen(request)
    values = {"measure": measure or "", "month": _month(month), "phone": "", "key": str(uuid.uuid4())}
    return _apply_page(request, actor, values, {})


@router.post("/apply")
def apply(request: Request, measure: str = Form(""), month: str = Form(""), phone_number: str = Form("", alias="phone"),
          key: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = citizen(request)
    values = {"measure": measure, "month": month, "phone": phone_number, "key": key or str(uuid.uuid4())}
    errors = {}
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
        try:
            answer, _ = applications.file(actor, source(request), body, values["key"], client(request))
            return RedirectResponse(f"/my/applications/{answer['id']}?filed=1", status_code=303)
        except FieldError as e:          # the registry's answer: shown beside the field it concerns
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
                  **{"errors": {}, "values": {"key": str(uuid.uuid4()), "grounds": ""}, **values})


@router.get("/applications/{app_id}")
def one(request: Request, app_id: int, filed: int = 0):
    return application_page(request, citizen(request), app_id, filed=bool(filed))


@router.get("/access")
def looked(request: Request):
    actor = citizen(request)
    seen = access_log.mine(actor, request.app.state.settings.database, client(request))
    return render(request, "access.html", actor=actor, entries=seen)
