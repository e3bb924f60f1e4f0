"""Applications over HTTP: filed with an idempotency key, read with their history and explanation,
listed (a citizen's own, a caseworker's queue), and moved from state to state. Who may, the
deadlines and the access log are the service's (services.applications)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from komek import access
from komek.api import idempotent
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.api.registry import _source
from komek.cases.workflow import STATES
from komek.kz.standard import benefits
from komek.services import applications as service

router = APIRouter(tags=["applications"])
REFUSED = {**UNAUTHORIZED, 403: {"description": "The role, the region or the person does not allow it (logged)"}}
ONE = {**REFUSED, 404: {"description": "No such application"}}
AppId = Annotated[int, Path(ge=1, le=2**53, description="The application's id, as its filing gave it")]


class Filing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure: Literal[tuple(benefits())] = Field(description="The support measure applied for")
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: the month applied for", examples=["2026-10"])
    applicant_iin: str | None = Field(None, pattern=r"^\d{12}$", description="Whose application: a caseworker filing on "
                                      "a citizen's behalf gives it; a citizen's is their own")
    household_id: str | None = Field(None, min_length=1, max_length=64, description="The household applied for, when "
                                     "the applicant is a member of two")
    phone: str | None = Field(None, max_length=32, description="To be told by SMS of every change (any Kazakhstan "
                              "form); none: the applicant is not told by SMS", examples=["+7 701 234 56 78"])
    language: Literal["kk", "ru", "en"] | None = Field(None, description="The language of the messages (kk when not given)")
    corrections: list[Correction] | None = Field(None, max_length=len(service.CORRECTABLE), description="Registry "
                                                 "facts the applicant says are wrong: kept with the application, "
                                                 "shown to the caseworker to check against documents, never applied "
                                                 "to the registry")


class Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fact: Literal[tuple(service.CORRECTABLE)] = Field(description="The registry's fact said to be wrong")
    registry: str | None = Field(None, max_length=200, description="What the registry has, as it was shown")
    value: str = Field(min_length=1, max_length=200, description="The right value: members and money as numbers "
                       "(tenge), the area in m², a disability group (1, 2, 3, child) or none")
    comment: str | None = Field(None, max_length=1000, description="Why, or which document shows it")


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal[STATES] = Field(description="The state to move the application to")
    reason: str = Field(min_length=1, max_length=2000, description="Why: kept in the application's history")


def _links(request: Request, app_id: int) -> dict:
    return {"self": str(request.app.url_path_for("get_application", app_id=str(app_id))),
            "transitions": str(request.app.url_path_for("move_application", app_id=str(app_id)))}


@router.post("/applications", status_code=201, openapi_extra=PERSONAL,
             summary="Apply for a support measure (a citizen for themselves, a caseworker on a citizen's behalf)",
             responses={**REFUSED, 201: {"description": "Filed (or the first answer to this key, replayed): queued for "
                                                        "assessment by the rules"},
                        422: {"description": "The body is not valid, or the key was used with another body"}})
def file_application(request: Request, response: Response, body: Filing,
                     key: str = idempotent.key("application"),
                     actor: access.Actor = Depends(current_actor)) -> dict:
    answer, replayed = service.file(actor, _source(request), body.model_dump(exclude_none=True), key, client(request))
    return idempotent.filed(response, answer, replayed, _links(request, answer["id"]))


@router.get("/applications", openapi_extra=PERSONAL, responses=REFUSED,
            summary="A citizen's own applications, or a caseworker's queue by working days left")
def list_applications(request: Request,
                      cursor: str | None = Query(None, max_length=200, description="next_cursor of the previous page"),
                      limit: int = Query(50, ge=1, le=service.MAX_PAGE),
                      purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
                      actor: access.Actor = Depends(current_actor)) -> dict:
    return service.listing(actor, request.app.state.settings.database, cursor, limit, purpose, client(request))


@router.get("/applications/{app_id}", name="get_application", openapi_extra=PERSONAL, responses=ONE,
            summary="An application: state, deadline, the assessment and its explanation, the moves allowed, its history")
def get_application(request: Request, app_id: AppId,
                    purpose: str | None = Query(None, max_length=500, description="Why it is read: kept in the access log"),
                    actor: access.Actor = Depends(current_actor)) -> dict:
    return service.read(actor, request.app.state.settings.database, app_id, purpose, client(request))


@router.post("/applications/{app_id}/transitions", name="move_application", openapi_extra=PERSONAL,
             summary="Move an application to another state, with the reason",
             responses={**ONE, 409: {"description": "The move is not allowed: the moves that are"}})
def move_application(request: Request, app_id: AppId, body: Move, actor: access.Actor = Depends(current_actor)) -> dict:
    return service.move(actor, request.app.state.settings.database, app_id, body.to, body.reason, client(request))
