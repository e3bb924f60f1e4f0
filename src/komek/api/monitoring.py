"""The monitoring of public services over HTTP, for an analyst: aggregates only (services.monitoring)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from komek import access
from komek.api.auth import UNAUTHORIZED, client, current_actor
from komek.services import monitoring as service

router = APIRouter(tags=["monitoring"])


@router.get("/monitoring", responses={**UNAUTHORIZED, 403: {"description": "Not an analyst, or not one of the analyst's regions (logged)"},
                                      422: {"description": "A month not begun, a region or measure not known"}},
            summary="Per measure, region and month: applications, decisions on time, working days to a decision, "
                    "open and overdue, requests, and the regions' on-time alerts")
def get_monitoring(request: Request, month: str = Query(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM"),
                   region: str | None = Query(None, pattern=r"^\d{2}$", description="A region's KATO code"),
                   measure: str | None = Query(None, max_length=64, description="One support measure"),
                   actor: access.Actor = Depends(current_actor)) -> dict:
    """As the month stood at its last day (or today while it runs: `complete` false). Cells of
    fewer than ten applications or decisions are suppressed with their figures; a figure of a cell
    with no decision is null."""
    return service.read(actor, request.app.state.settings.database, month, region, measure, client(request))
