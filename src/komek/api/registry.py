"""The registry over HTTP, for people signed in: what the roles allow, every read logged."""
from __future__ import annotations

import datetime as dt
import time
from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from komek import access
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.kz import contract
from komek.periods import month_end
from komek.registry import DatabaseSource
from komek.services.households import history, household
from komek.services.persons import person, search

router = APIRouter(tags=["registry"])
MONTH = Query("2026-10", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, as of its last day")
PURPOSE = Query(None, max_length=500, description="Why it is read: kept in the access log")
REFUSED = {**UNAUTHORIZED, 403: {"description": "The role or region does not allow it (logged)"}}
FRESH = 60.0          # seconds a read of the registry's ingestions (which tables it has) is reused


def _source(request: Request) -> DatabaseSource:
    """The registry database, reopened when a minute has passed (a new ingestion may add tables)."""
    state = request.app.state
    cached = getattr(state, "registry", None)
    if cached is None or time.monotonic() - cached[1] > FRESH:
        state.registry = (DatabaseSource(state.settings.database, contract()), time.monotonic())
    return state.registry[0]


@router.get("/households/{household_id}", openapi_extra=PERSONAL, summary="A household's card: members, level and why, support with articles",
            responses={**UNAUTHORIZED, 403: {"description": "The role or region does not allow it (logged)"},
                       404: {"description": "No such household, or not the citizen's own"}})
def get_household(request: Request, household_id: str,
                  month: str = Query("2026-10", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, as of its last day"),
                  purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
                  lang: Literal["en", "kk", "ru"] = Query("en", description="Language of the summary sentences"),
                  actor: access.Actor = Depends(current_actor)) -> dict:
    return household(actor, _source(request), household_id, month_end(month), purpose, client(request), lang)


@router.get("/persons/{iin}", openapi_extra=PERSONAL, summary="A person: civil record, households, registrations, disability, payments, findings",
            responses={**UNAUTHORIZED, 403: {"description": "The role or region does not allow it (logged)"},
                       404: {"description": "No such person, or not the citizen's own"}})
def get_person(request: Request, iin: str = Path(pattern=r"^\d{12}$", description="The 12-digit IIN"),
               month: str = Query("2026-10", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: registrations on its last day"),
               purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
               actor: access.Actor = Depends(current_actor)) -> dict:
    return person(actor, _source(request), iin, month_end(month), purpose, client(request))


@router.get("/households/{household_id}/history", openapi_extra=PERSONAL, summary="A household over time: members, housing, payments, findings",
            responses={**REFUSED, 404: {"description": "No such household, or not the citizen's own"}})
def get_history(request: Request, household_id: str, month: str = MONTH, purpose: str | None = PURPOSE,
                actor: access.Actor = Depends(current_actor)) -> dict:
    return history(actor, _source(request), household_id, month_end(month), purpose, client(request))


@router.get("/persons", openapi_extra=PERSONAL, summary="Find a person by IIN, or by full name with the birth date (a caseworker's regions)",
            responses={**REFUSED, 422: {"description": "Neither an IIN nor a full name with the birth date"}})
def find_persons(request: Request, iin: str | None = Query(None, pattern=r"^\d{12}$"),
                 last_name: str | None = Query(None, min_length=1, max_length=100),
                 first_name: str | None = Query(None, min_length=1, max_length=100),
                 patronymic: str | None = Query(None, min_length=1, max_length=100),
                 birth_date: dt.date | None = Query(None), month: str = MONTH, purpose: str | None = PURPOSE,
                 actor: access.Actor = Depends(current_actor)) -> list[dict]:
    return search(actor, _source(request), month_end(month), iin, last_name, first_name, birth_date, patronymic, purpose,
                  client(request))
