"""The social audit over HTTP, for auditors: findings page by page, one with its evidence, the
review, and the summary per check. Every read is logged (services.findings)."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from komek import access
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.audit.listing import Filters
from komek.services import findings as service

router = APIRouter(tags=["audit"])
REFUSED = {**UNAUTHORIZED, 403: {"description": "The role or region does not allow it (logged)"}}


class Review(BaseModel):
    """An auditor's decision on an open finding."""
    decision: Literal["confirm", "dismiss"]
    recovery: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2,
                                     description="Confirm: the amount to recover in tenge (0 if none)")
    reason: str | None = Field(None, max_length=2000, description="Dismiss: why the payment is in order")


def filters(check: str | None = Query(None, description="A check of checks.yaml, or anomaly"),
            region: str | None = Query(None, pattern=r"^\d{2}$", description="KATO region code of the payment"),
            state: Literal["open", "confirmed", "dismissed"] | None = Query(None),
            severity: Literal["high", "medium", "low", "info"] | None = Query(None),
            month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM of the payment"),
            lane: Literal["rule", "anomaly"] | None = Query(None),
            household: str | None = Query(None, max_length=64),
            iin: str | None = Query(None, pattern=r"^\d{12}$")) -> Filters:
    return Filters(check, region, state, severity, month, lane, household, iin)


@router.get("/findings", openapi_extra=PERSONAL, summary="Findings, most severe and largest at risk first, a page at a time", responses=REFUSED)
def get_findings(request: Request, chosen: Filters = Depends(filters),
                 cursor: str | None = Query(None, max_length=200, description="next_cursor of the previous page"),
                 limit: int = Query(50, ge=1, le=service.MAX_PAGE),
                 full_iin: bool = Query(False, description="Full IINs, for an auditor who must identify a person"),
                 purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
                 actor: access.Actor = Depends(current_actor)) -> dict:
    return service.findings_page(actor, request.app.state.settings.database, chosen, cursor, limit, full_iin, purpose,
                                 client(request))


@router.get("/findings/summary", summary="Per check: findings, amount at risk, shares open, confirmed and dismissed",
            responses=REFUSED)
def get_summary(request: Request, chosen: Filters = Depends(filters),
                actor: access.Actor = Depends(current_actor)) -> list[dict]:
    return service.check_summary(actor, request.app.state.settings.database, chosen, client(request))


@router.get("/findings/{finding_id}", openapi_extra=PERSONAL, summary="A finding with its evidence and review", responses={
    **REFUSED, 404: {"description": "No such finding among those the account covers"}})
def get_finding(request: Request, finding_id: str,
                purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
                actor: access.Actor = Depends(current_actor)) -> dict:
    return service.finding(actor, request.app.state.settings.database, finding_id, purpose, client(request))


@router.post("/findings/{finding_id}/review", openapi_extra=PERSONAL, summary="Confirm a finding with the amount, or dismiss it with the reason",
             responses={**REFUSED, 404: {"description": "No such finding among those the account covers"},
                        409: {"description": "The finding was already reviewed otherwise"}})
def post_review(request: Request, finding_id: str, body: Review, actor: access.Actor = Depends(current_actor)) -> dict:
    return service.review(actor, request.app.state.settings.database, finding_id, body.decision, body.recovery,
                          body.reason, client(request))
