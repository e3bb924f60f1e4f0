"""The registry over HTTP, for people signed in: what the roles allow, every read logged."""
from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Path, Query, Request

from komek import access
from komek.api.auth import UNAUTHORIZED, current_actor
from komek.kz import contract
from komek.periods import month_end
from komek.registry import DatabaseSource
from komek.services.households import household
from komek.services.persons import person

router = APIRouter(tags=["registry"])
FRESH = 60.0          # seconds a read of the registry's ingestions (which tables it has) is reused


def _source(request: Request) -> DatabaseSource:
    """The registry database, reopened when a minute has passed (a new ingestion may add tables)."""
    state = request.app.state
    cached = getattr(state, "registry", None)
    if cached is None or time.monotonic() - cached[1] > FRESH:
        state.registry = (DatabaseSource(state.settings.database, contract()), time.monotonic())
    return state.registry[0]


@router.get("/households/{household_id}", summary="A household's card: members, level and why, support with articles",
            responses={**UNAUTHORIZED, 403: {"description": "The role or region does not allow it (logged)"},
                       404: {"description": "No such household, or not the citizen's own"}})
def get_household(request: Request, household_id: str,
                  month: str = Query("2026-10", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, as of its last day"),
                  purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
                  actor: access.Actor = Depends(current_actor)) -> dict:
    client = request.client.host if request.client else None
    return household(actor, _source(request), household_id, month_end(month), purpose, client)


@router.get("/persons/{iin}", summary="A person: civil record, households, registrations, disability, payments, findings",
            responses={**UNAUTHORIZED, 403: {"description": "The role or region does not allow it (logged)"},
                       404: {"description": "No such person, or not the citizen's own"}})
def get_person(request: Request, iin: str = Path(pattern=r"^\d{12}$", description="The 12-digit IIN"),
               month: str = Query("2026-10", pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: registrations on its last day"),
               purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
               actor: access.Actor = Depends(current_actor)) -> dict:
    client = request.client.host if request.client else None
    return person(actor, _source(request), iin, month_end(month), purpose, client)
