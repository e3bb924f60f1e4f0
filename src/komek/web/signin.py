"""Signing in and out, the language switch, and the start page of each role."""
from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import SignInError
from komek.kz.catalogs import LANGUAGES
from komek.services import accounts
from komek.web import i18n, session
from komek.web.pages import language, local, render

router = APIRouter()
HOMES = {"citizen": "/my/entitlements", "caseworker": "/casework/queue", "auditor": "/audit/findings",
         "supervisor": "/supervision/appeals", "analyst": "/analysis/statistics", "administrator": "/admin/accounts"}
YEAR = 365 * 24 * 3600


@router.get("/")
def home(request: Request):
    actor = session.actor(request)
    if actor.role in HOMES:
        return RedirectResponse(HOMES[actor.role], status_code=303)
    return render(request, "home.html", actor=actor)


@router.get("/signin")
def signin_page(request: Request, next: str | None = None):
    return render(request, "signin.html", next=local(next), username="", error=None)


@router.post("/signin")
def signin(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/"),
           csrf: str = Form("")):
    session.check_csrf(request, csrf)
    try:
        actor = access.authenticate(request.app.state.settings.database, username, password)
    except SignInError as e:
        locked = "too many" in str(e)
        return render(request, "signin.html", status=401, next=local(next), username=username,
                      error="locked" if locked else "wrong")
    answer = RedirectResponse(local(next), status_code=303)
    session.signed_in(answer, request, session.issue(request, actor))
    if actor.language:          # the account's language, kept on the sign-in page after signing out
        answer.set_cookie(i18n.COOKIE, actor.language, max_age=YEAR, **session.cookie_options(request))
    return answer


@router.post("/signout")
def signout(request: Request, csrf: str = Form("")):
    session.check_csrf(request, csrf)
    answer = RedirectResponse("/signin", status_code=303)
    answer.delete_cookie(session.SESSION, path="/")
    return answer


@router.get("/language/{lang}")
def switch(request: Request, lang: str, next: str | None = None):
    """The language of the pages from now on: the browser's cookie, and the account's when signed in."""
    chosen = lang if lang in LANGUAGES else language(request)
    actor = session.maybe(request)
    if actor is not None:
        accounts.choose_language(actor, request.app.state.settings.database, chosen)
    answer = RedirectResponse(local(next), status_code=303)
    answer.set_cookie(i18n.COOKIE, chosen, max_age=YEAR, **session.cookie_options(request))
    return answer
