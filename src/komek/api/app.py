"""The API application: what every response carries, how errors are answered, and the system
routes (`/health`, `/ready`). Built from settings, so a test or a server makes its own."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import Match, Mount
from starlette.types import Scope

from komek import __version__
from komek.api import appeals, applications, appointments, audit, auth, jobs, monitoring, offers, registry, requests, rules
from komek.api.limits import BodyLimits
from komek.api.logs import mask_logs
from komek.errors import Conflict, FieldError, Forbidden, KomekError, NotFound, SignInError, SituationError, SourceError, TransitionError
from komek.kz.standard import rules_version, standard
from komek.registry.db import display, require_current, revisions
from komek.services.calc import problems
from komek.settings import Settings, settings
from komek.web import pages

PREFIX = "/api/v1"
PROBLEM = {"title": "Problem", "type": "object", "required": ["path", "message"], "properties": {
    "path": {"type": "string", "title": "Path", "description": "Where: a JSON path, a query parameter or a field"},
    "message": {"type": "string", "title": "Message", "description": "What is wrong with it"}}}


class Pages(Mount):
    """The web pages at `/`, for every path outside the API: a path under /api/v1 the API does not
    have stays the API's own 404 or 405, in JSON."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and (scope["path"] + "/").startswith(PREFIX + "/"):
            return Match.NONE, {}
        return super().matches(scope)


def create_app(config: Settings | None = None) -> FastAPI:
    config = config or settings()
    standard()                # the rules load and are checked before the first request
    mask_logs()
    app = FastAPI(title="Komek", version=__version__, openapi_url=f"{PREFIX}/openapi.json", docs_url=f"{PREFIX}/docs",
                  redoc_url=None, description="The unified standard of support measures, as an API: every amount "
                  "with its explanation to the article; the rules' parameters, variables and measures.")
    app.state.settings = config
    app.add_middleware(BodyLimits)       # inside `versions`, so a refusal carries the versions too

    @app.middleware("http")
    async def versions(request: Request, call_next):
        """Every response says which code and which parameters answered it."""
        response = await call_next(request)
        response.headers["Komek-Version"] = __version__
        response.headers["Komek-Rules-Version"] = rules_version()
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError):
        return JSONResponse({"detail": problems(list(e.errors()), skip=1)}, status_code=422)

    @app.exception_handler(SituationError)
    async def invalid_situation(request: Request, e: SituationError):
        return JSONResponse({"detail": e.problems or [{"path": "(situation)", "message": str(e)}]}, status_code=422)

    @app.exception_handler(FieldError)
    async def invalid_field(request: Request, e: FieldError):
        return JSONResponse({"detail": [{"path": e.field, "message": e.problem}]}, status_code=422)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, e: Conflict):
        return JSONResponse({"detail": str(e)}, status_code=409)

    @app.exception_handler(TransitionError)
    async def not_allowed(request: Request, e: TransitionError):
        return JSONResponse({"detail": str(e), "allowed": e.allowed}, status_code=409)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, e: NotFound):
        return JSONResponse({"detail": str(e)}, status_code=404)

    @app.exception_handler(SignInError)
    async def unauthorized(request: Request, e: SignInError):
        return JSONResponse({"detail": str(e)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, e: Forbidden):
        return JSONResponse({"detail": str(e)}, status_code=403)

    @app.exception_handler(KomekError)
    async def refused(request: Request, e: KomekError):
        return JSONResponse({"detail": str(e)}, status_code=400)

    @app.get(f"{PREFIX}/health", tags=["system"], summary="The server is up")
    def health() -> dict:
        return {"status": "ok", "version": __version__, "rules_version": rules_version()}

    @app.get(f"{PREFIX}/ready", tags=["system"], summary="The database is reachable and its schema current",
             responses={503: {"description": "Not ready: the database cannot be reached or its schema is behind"}})
    def ready():
        url = app.state.settings.database
        try:
            require_current(url)
            current, _ = revisions(url)
        except (SourceError, SQLAlchemyError) as e:
            return JSONResponse({"status": "not ready", "database": display(url), "reason": str(e)}, status_code=503)
        return {"status": "ready", "database": display(url), "schema": current}

    def document() -> dict:
        """The OpenAPI document, with the 422 body this API gives (each problem's path and message)."""
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema["components"]["schemas"]["ValidationError"] = PROBLEM
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document
    app.include_router(rules.router, prefix=PREFIX)
    app.include_router(auth.router, prefix=PREFIX)
    app.include_router(registry.router, prefix=PREFIX)
    app.include_router(audit.router, prefix=PREFIX)
    app.include_router(jobs.router, prefix=PREFIX)
    app.include_router(applications.router, prefix=PREFIX)
    app.include_router(appointments.router, prefix=PREFIX)
    app.include_router(requests.router, prefix=PREFIX)
    app.include_router(monitoring.router, prefix=PREFIX)
    app.include_router(appeals.router, prefix=PREFIX)
    app.include_router(offers.router, prefix=PREFIX)
    app.router.routes.append(Pages("/", app=pages(config)))     # the web pages (komek.web), after every API route
    return app
