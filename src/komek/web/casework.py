"""A caseworker's pages: the queue by time left (nearly due and overdue marked), a search by IIN
or full name with the birth date, a household's card, and deciding an application: the
explanation of the rules shown, the move chosen with its reason, confirmed on a second page
before it is made. Who may see and do what is the services' (a household of another region is
refused, and the refusal logged)."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import FieldError, Forbidden, TransitionError
from komek.kz import contract, registry_inputs
from komek.kz.catalogs import N_
from komek.periods import month_end
from komek.services import applications
from komek.services.households import household
from komek.services.persons import search as find
from komek.web import session
from komek.web.citizen import _month
from komek.web.pages import client, database, language, render, source

router = APIRouter(prefix="/casework")
QUEUE_PAGE = 50          # applications a page of the queue shows, the least time left first
IIN = re.compile(r"^\d{12}$")
ASK = {"iin": N_("An IIN is 12 digits."),
       "name": N_("Give an IIN, or the last name, the first name and the birth date together."),
       "birth_date": N_("Give the birth date as year-month-day, for example 1990-05-17."),
       "reason": N_("Say why: the reason is kept in the application's history."),
       "to": N_("Choose one of the moves allowed.")}


def caseworker(request: Request) -> access.Actor:
    actor = session.actor(request)
    if actor.role != "caseworker":
        raise Forbidden(f"these pages are a caseworker's; a {actor.role} has other pages")
    return actor


@router.get("/queue")
def queue(request: Request, cursor: str | None = None):
    actor = caseworker(request)
    try:
        listed = applications.listing(actor, database(request), cursor or None, QUEUE_PAGE, purpose="the caseworker's queue",
                                      client=client(request))
    except FieldError:          # a cursor from an old or altered link: the queue from its start
        return RedirectResponse("/casework/queue", status_code=303)
    following = f"?cursor={quote(listed['next_cursor'])}" if listed["next_cursor"] else None
    return render(request, "queue.html", actor=actor, items=listed["items"], total=listed["total"],
                  following=following, paged=bool(cursor))


@router.get("/search")
def search(request: Request, iin: str = "", last_name: str = "", first_name: str = "", patronymic: str = "",
           birth_date: str = "", month: str | None = None):
    actor = caseworker(request)
    values = {"iin": iin.strip(), "last_name": last_name.strip(), "first_name": first_name.strip(),
              "patronymic": patronymic.strip(), "birth_date": birth_date.strip()}
    errors, found, asked = {}, None, any(values.values())
    born = None
    if values["birth_date"]:
        try:
            born = dt.date.fromisoformat(values["birth_date"])
        except ValueError:
            errors["birth_date"] = ASK["birth_date"]
    if values["iin"] and not IIN.match(values["iin"]):
        errors["iin"] = ASK["iin"]
    elif asked and not values["iin"] and not (values["last_name"] and values["first_name"] and born):
        errors.setdefault("iin", ASK["name"])
    if asked and not errors:
        try:
            found = find(actor, source(request), month_end(_month(month)), values["iin"] or None,
                         values["last_name"] or None, values["first_name"] or None, born, values["patronymic"] or None,
                         "a caseworker's search", client(request))
        except FieldError:
            errors["iin"] = ASK["name"]
    return render(request, "search.html", status=422 if errors else 200, actor=actor, values=values, errors=errors,
                  found=found)


@router.get("/households/{household_id}")
def card(request: Request, household_id: str, month: str | None = None):
    actor, month = caseworker(request), _month(month)
    registry = source(request)
    seen = household(actor, registry, household_id, month_end(month), "a caseworker reads the household card",
                     client(request), language(request))
    # Where each kind of fact on the card comes from (the contract's source of each table the card
    # reads), and which of them this registry has not received.
    facts = [{"table": t, "source": contract().tables[t].source, "present": registry.has(t)} for t in registry_inputs.TABLES]
    return render(request, "household.html", actor=actor, card=seen, month=month, facts=facts)


def _application(request: Request, actor: access.Actor, app_id: int, **values):
    seen = applications.read(actor, database(request), app_id, "a caseworker decides the application", client(request))
    return render(request, "application.html", status=422 if values.get("errors") else 200, actor=actor, a=seen,
                  decide=True, **{"errors": {}, "values": {}, **values})


@router.get("/applications/{app_id}")
def application(request: Request, app_id: int, moved: int = 0):
    return _application(request, caseworker(request), app_id, moved=bool(moved))


@router.post("/applications/{app_id}")
def review(request: Request, app_id: int, to: str = Form(""), reason: str = Form(""), confirm: str = Form(""),
           csrf: str = Form("")):
    """First the move and its reason are shown with the explanation to confirm; confirmed, it is made."""
    session.check_csrf(request, csrf)
    actor = caseworker(request)
    values, errors = {"to": to, "reason": reason}, {}
    if not reason.strip():
        errors["reason"] = ASK["reason"]
    if not to:
        errors["to"] = ASK["to"]
    if errors or not confirm:
        return _application(request, actor, app_id, values=values, errors=errors, confirming=not errors)
    try:
        applications.move(actor, database(request), app_id, to, reason, client(request))
    except TransitionError:
        return _application(request, actor, app_id, values=values, errors={"to": ASK["to"]})
    return RedirectResponse(f"/casework/applications/{app_id}?moved=1", status_code=303)
