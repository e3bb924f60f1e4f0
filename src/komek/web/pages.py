"""What every page shares: the template rendered in the user's language with the signed-in
actor, the CSRF token and the language switcher; the registry database; the month shown."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse

from komek.kz import contract
from komek.registry import DatabaseSource
from komek.web import i18n, session

MONTH = "2026-10"       # the month shown when none is asked for: the API's default (api/registry.py)
FRESH = 60.0            # seconds the registry's ingestions (which tables it has) are reused


def language(request: Request) -> str:
    """The signed-in account's language when it keeps one; else the cookie's, else the browser's."""
    actor = session.maybe(request)
    if actor is not None and actor.language:
        return actor.language
    return i18n.chosen(request.cookies.get(i18n.COOKIE), request.headers.get("accept-language"))


def render(request: Request, template: str, status: int = 200, **values) -> HTMLResponse:
    lang = language(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    page = i18n.environment(lang).get_template(template).render(
        request=request, actor=values.pop("actor", None) or session.maybe(request), csrf=session.csrf_token(request),
        here=here, **values)
    return HTMLResponse(page, status_code=status)


def database(request: Request) -> str:
    """The registry database's URL, as the services take it."""
    return request.app.state.settings.database


def source(request: Request) -> DatabaseSource:
    """The registry database, reopened when a minute has passed (a new ingestion may add tables)."""
    state = request.app.state
    cached = getattr(state, "registry", None)
    if cached is None or time.monotonic() - cached[1] > FRESH:
        state.registry = (DatabaseSource(state.settings.database, contract()), time.monotonic())
    return state.registry[0]


def client(request: Request) -> str | None:
    return request.client.host if request.client else None


def local(target: str | None, default: str = "/") -> str:
    """A path of this site to go back to (never another site's address)."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return default
    return target
