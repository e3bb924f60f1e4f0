"""An administrator's pages: the accounts (role, regions, language, disabled or locked), adding one
(a password given, or drawn and shown once), changing an account's role, regions and language,
and disabling it. Who may is the service's (`services.accounts`), which logs every change."""
from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import FieldError
from komek.kz import regions
from komek.kz.catalogs import LANGUAGES, N_
from komek.services import accounts
from komek.web import session
from komek.web.pages import client, database, render

router = APIRouter(prefix="/admin")
# What the access wing refuses, said beside the field it concerns in the administrator's language.
REFUSED = {"username": N_("Give a username of 1 to 64 characters, not taken by another account."),
           "role": N_("Choose one of the roles."),
           "region": N_("Choose the regions served: a caseworker's or a supervisor's account needs at least one."),
           "iin": N_("A citizen's account needs the citizen's own IIN: 12 digits with a valid check digit."),
           "password": N_("A password has at least 12 characters; leave it empty to have one drawn."),
           "language": N_("Choose one of the languages.")}


def administrator(request: Request) -> access.Actor:
    """The signed-in administrator; anyone else is refused by the service, which logs it."""
    actor = session.actor(request)
    accounts.administrator(actor, database(request), f"the page {request.url.path}", client(request))
    return actor


def _form(request: Request, template: str, values: dict, errors: dict, status: int = 200, **more):
    return render(request, template, status=422 if errors else status, actor=administrator(request), values=values,
                  errors=errors, roles=access.ROLES, regions=sorted(regions()), languages_kept=LANGUAGES, **more)


@router.get("/accounts")
def listing(request: Request, done: str | None = None):
    actor = administrator(request)
    return render(request, "accounts.html", actor=actor, accounts=accounts.listing(actor, database(request), client(request)),
                  done=done)


@router.get("/accounts/new")
def new(request: Request):
    values = {"username": "", "role": "", "regions": (), "iin": "", "language": ""}
    return _form(request, "account_new.html", values, {})


@router.post("/accounts/new")
def add(request: Request, username: str = Form(""), role: str = Form(""), region: list[str] = Form([]),
        iin: str = Form(""), language: str = Form(""), password: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = administrator(request)
    values = {"username": username, "role": role, "regions": tuple(region), "iin": iin.strip(), "language": language}
    try:
        made, drawn = accounts.add(actor, database(request), username, role, tuple(region), values["iin"] or None,
                                   language or None, password or None, client(request))
    except FieldError as e:
        return _form(request, "account_new.html", values, {e.field: REFUSED.get(e.field, REFUSED["username"])})
    return render(request, "account_made.html", status=201, actor=actor, account=made, password=drawn)


@router.get("/accounts/{username}")
def one(request: Request, username: str):
    seen = accounts.one(administrator(request), database(request), username, client(request))
    values = {"role": seen["role"], "regions": seen["regions"], "iin": "", "language": seen["language"] or ""}
    return _form(request, "account.html", values, {}, account=seen)


@router.post("/accounts/{username}")
def change(request: Request, username: str, role: str = Form(""), region: list[str] = Form([]), iin: str = Form(""),
           language: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = administrator(request)
    values = {"role": role, "regions": tuple(region), "iin": iin.strip(), "language": language}
    try:
        accounts.change(actor, database(request), username, role, tuple(region), language or None, values["iin"] or None,
                        client(request))
    except FieldError as e:
        seen = accounts.one(actor, database(request), username, client(request))
        return _form(request, "account.html", values, {e.field: REFUSED.get(e.field, REFUSED["role"])}, account=seen)
    return RedirectResponse("/admin/accounts?done=changed", status_code=303)


@router.post("/accounts/{username}/disable")
def disable(request: Request, username: str, csrf: str = Form("")):
    session.check_csrf(request, csrf)
    accounts.disable(administrator(request), database(request), username, client(request))
    return RedirectResponse("/admin/accounts?done=disabled", status_code=303)
