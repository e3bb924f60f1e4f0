"""The pages application, mounted by `komek.api.create_app` at `/` beside `/api/v1`: the security
headers every page carries, the CSRF nonce cookie, the session renewed past half its lifetime, how a refusal is shown (a plain page in the
user's language, never a stack of JSON), and the pages' routers."""
from __future__ import annotations

from importlib.resources import files
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from komek.errors import Forbidden, NotFound
from komek.settings import Settings
from komek.web import admin, analysis, appointments, audit, casework, citizen, offers, office, petitions, signin, supervision
from komek.web.pages import render
from komek.web.session import NONCE, SESSION, CsrfRefused, SignedOut, cookie_options, renewal, signed_in

# No inline script or style anywhere: htmx and the style sheet are files of this site.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


def pages(config: Settings) -> FastAPI:
    web = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web.state.settings = config
    web.mount("/static", StaticFiles(directory=str(files("komek.web").joinpath("static"))), name="static")

    @web.middleware("http")
    async def guarded(request: Request, call_next):
        response = await call_next(request)
        response.headers.update(HEADERS)
        fresh = renewal(request)
        if fresh and not any(c.startswith(f"{SESSION}=") for c in response.headers.getlist("set-cookie")):
            signed_in(response, request, fresh)
        if NONCE not in request.cookies:
            from komek.web.session import nonce
            response.set_cookie(NONCE, nonce(request), **cookie_options(request))
        return response

    @web.exception_handler(SignedOut)
    async def signed_out(request: Request, e: SignedOut):
        back = request.url.path + (f"?{request.url.query}" if request.url.query and request.method == "GET" else "")
        return RedirectResponse(f"/signin?next={quote(back, safe='')}", status_code=303)

    @web.exception_handler(Forbidden)
    async def forbidden(request: Request, e: Forbidden):
        return render(request, "forbidden.html", status=403, reason=str(e))

    @web.exception_handler(CsrfRefused)
    async def csrf(request: Request, e: CsrfRefused):
        return render(request, "forbidden.html", status=403, reason=None, csrf_refused=True)

    @web.exception_handler(NotFound)
    async def not_found(request: Request, e: NotFound):
        return render(request, "not_found.html", status=404)

    @web.exception_handler(404)
    async def no_page(request: Request, e):
        return render(request, "not_found.html", status=404)

    web.include_router(signin.router)
    web.include_router(citizen.router)
    web.include_router(offers.router)
    web.include_router(appointments.router)
    web.include_router(casework.router)
    web.include_router(audit.router)
    web.include_router(petitions.router)
    web.include_router(office.router)
    web.include_router(supervision.router)
    web.include_router(analysis.router)
    web.include_router(admin.router)
    return web
