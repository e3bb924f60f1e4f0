"""Appeals over HTTP: filed by the applicant with an idempotency key, listed (the appellant's own,
a supervisor's queue), read with the decision appealed and its history, and moved or decided.
Who may, the terms, the change of the decision, the SMS and the access log are the service's
(services.appeals)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from komek import access
from komek.api import idempotent
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.cases import appeals as data
from komek.services import appeals as service

router = APIRouter(tags=["appeals"])
REFUSED = {**UNAUTHORIZED, 403: {"description": "The role, the region or the person does not allow it, or the "
                                                "supervisor made the decision appealed (logged)"}}
ONE = {**REFUSED, 404: {"description": "No such appeal"}}
AppealId = Annotated[int, Path(ge=1, le=2**53, description="The appeal's id, as its filing gave it")]
Purpose = Query(None, max_length=500, description="Why it is read: kept in the access log")


class Filing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    application_id: int = Field(ge=1, le=2**53, description="The application whose decision (approved or rejected) is appealed")
    grounds: str = Field(min_length=1, max_length=service.MAX_TEXT, description="Why the decision is wrong, in the appellant's words")
    phone: str | None = Field(None, min_length=1, max_length=40, description="Told of the filing and the decision by SMS",
                              examples=["+7 701 234 56 78"])
    language: Literal[service.LANGUAGES] = Field("kk", description="Of the messages")


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal[data.STATES] = Field(description="in_review or decided (a supervisor), withdrawn (the appellant)")
    note: str = Field(min_length=1, max_length=service.MAX_TEXT, description="Why; for a decision, its explanation, kept "
                      "beside the original decision's")
    outcome: Literal[data.OUTCOMES] | None = Field(None, description="With `decided`: upheld (the appeal granted, the "
                                                   "decision changed in the appellant's favour), partly_upheld, rejected "
                                                   "(the decision stands)")
    amount_tiyn: int | None = Field(None, ge=1, le=2**53, description="A decision changed: the monthly amount in tiyn "
                                    "(by default the rules' amount)")
    basis: str | None = Field(None, min_length=1, max_length=service.MAX_TEXT, description="Required for an amount above "
                              "the rules' (or where they computed none): the act and the facts")


def _links(request: Request, appeal_id: int) -> dict:
    return {"self": str(request.app.url_path_for("get_appeal", appeal_id=str(appeal_id))),
            "transitions": str(request.app.url_path_for("move_appeal", appeal_id=str(appeal_id)))}


@router.post("/appeals", status_code=201, openapi_extra=PERSONAL,
             summary="Appeal a decision on one's own application to a supervisor of its region",
             responses={**REFUSED, 201: {"description": "Filed (or the first answer to this key, replayed)"},
                        404: {"description": "No such application"},
                        409: {"description": "The decision is already appealed"},
                        422: {"description": "The body is not valid, the appeal's term has passed, or the key was "
                                             "used with another body"}})
def file_appeal(request: Request, response: Response, body: Filing,
                key: str = idempotent.key("appeal"),
                actor: access.Actor = Depends(current_actor)) -> dict:
    answer, replayed = service.file(actor, request.app.state.settings.database, body.model_dump(exclude_none=True), key,
                                    client(request))
    return idempotent.filed(response, answer, replayed, _links(request, answer["id"]))


@router.get("/appeals", openapi_extra=PERSONAL, responses=REFUSED,
            summary="The appellant's own appeals, or a supervisor's queue by working days left (overdue first)")
def list_appeals(request: Request, limit: int = Query(50, ge=1, le=service.MAX_PAGE), purpose: str | None = Purpose,
                 actor: access.Actor = Depends(current_actor)) -> dict:
    return service.listing(actor, request.app.state.settings.database, limit, purpose, client(request))


@router.get("/appeals/{appeal_id}", name="get_appeal", openapi_extra=PERSONAL, responses=ONE,
            summary="An appeal: the grounds, the decision appealed and its reasons, the due date, the outcome and "
                    "its explanation, the moves allowed, its history")
def get_appeal(request: Request, appeal_id: AppealId, purpose: str | None = Purpose,
               actor: access.Actor = Depends(current_actor)) -> dict:
    return service.read(actor, request.app.state.settings.database, appeal_id, purpose, client(request))


@router.post("/appeals/{appeal_id}/transitions", name="move_appeal", openapi_extra=PERSONAL,
             summary="Take an appeal up, decide it with an outcome and explanation, or withdraw it",
             responses={**ONE, 409: {"description": "The move is not allowed (the moves that are), or the decision "
                                                    "appealed changed meanwhile"},
                        422: {"description": "A field is missing or not valid (the outcome, the amount, its basis)"}})
def move_appeal(request: Request, appeal_id: AppealId, body: Move, actor: access.Actor = Depends(current_actor)) -> dict:
    return service.move(actor, request.app.state.settings.database, appeal_id, body.model_dump(exclude_none=True),
                        client(request))
