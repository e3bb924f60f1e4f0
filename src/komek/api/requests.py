"""Citizen requests over HTTP: filed with an idempotency key, listed (a citizen's own, a
caseworker's queue), read with their history, moved from state to state, and counted for an
analyst. Who may, the repeats, the deadlines, the SMS and the access log are the service's
(services.requests)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from komek import access
from komek.api import idempotent
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.cases import requests as data
from komek.kz import regions
from komek.services import requests as service

router = APIRouter(tags=["requests"])
REFUSED = {**UNAUTHORIZED, 403: {"description": "The role, the region or the person does not allow it (logged)"}}
ONE = {**REFUSED, 404: {"description": "No such request"}}
RequestId = Annotated[int, Path(ge=1, le=2**53, description="The request's id, as its filing gave it")]
Purpose = Query(None, max_length=500, description="Why it is read: kept in the access log")


class Filing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Literal[tuple(data.categories())] = Field(description="What it is about")
    region_code: Literal[tuple(regions())] = Field(description="The region's KATO code", examples=["39"])
    locality: str = Field(min_length=1, max_length=200, description="The town or village", examples=["Костанай"])
    street: str | None = Field(None, min_length=1, max_length=200, examples=["ул. Баймагамбетова"])
    building: str | None = Field(None, min_length=1, max_length=50, examples=["5"])
    latitude: float | None = Field(None, ge=data.LATITUDES[0], le=data.LATITUDES[1], description="Degrees north, with longitude")
    longitude: float | None = Field(None, ge=data.LONGITUDES[0], le=data.LONGITUDES[1], description="Degrees east, with latitude")
    text: str = Field(min_length=1, max_length=service.MAX_TEXT, description="The request in the citizen's words")
    phone: str = Field(min_length=1, max_length=40, description="Told of every change by SMS", examples=["+7 701 234 56 78"])
    language: Literal[service.LANGUAGES] = Field("kk", description="Of the messages")
    iin: str | None = Field(None, pattern=r"^\d{12}$", description="Whose request: a caseworker filing on a citizen's "
                            "behalf gives it; a citizen's is their own")


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal[data.STATES] = Field(description="The state to move the request to")
    note: str = Field(min_length=1, max_length=service.MAX_NOTE, description="The answer or the reason: kept in the "
                      "history, and sent to the citizen with an answer or a refusal")


def _links(request: Request, rid: int) -> dict:
    return {"self": str(request.app.url_path_for("get_request", rid=str(rid))),
            "transitions": str(request.app.url_path_for("move_request", rid=str(rid)))}


@router.post("/requests", status_code=201, openapi_extra=PERSONAL,
             summary="File a request (a citizen's own, or a caseworker on a citizen's behalf)",
             responses={**REFUSED, 201: {"description": "Filed (or the first answer to this key, replayed); linked to "
                                                        "the request it repeats, if any"},
                        422: {"description": "The body is not valid, or the key was used with another body"}})
def file_request(request: Request, response: Response, body: Filing,
                 key: str = idempotent.key("request"),
                 actor: access.Actor = Depends(current_actor)) -> dict:
    answer, replayed = service.file(actor, request.app.state.settings.database, body.model_dump(exclude_none=True), key,
                                    client(request))
    return idempotent.filed(response, answer, replayed, _links(request, answer["id"]))


@router.get("/requests", openapi_extra=PERSONAL, responses=REFUSED,
            summary="A citizen's own requests, or a caseworker's queue (each problem once) by working days left")
def list_requests(request: Request,
                  cursor: str | None = Query(None, max_length=200, description="next_cursor of the previous page"),
                  limit: int = Query(50, ge=1, le=service.MAX_PAGE), purpose: str | None = Purpose,
                  actor: access.Actor = Depends(current_actor)) -> dict:
    return service.listing(actor, request.app.state.settings.database, cursor, limit, purpose, client(request))


@router.get("/requests/statistics", responses={**REFUSED, 422: {"description": "A month or region not valid"}},
            summary="An analyst: requests, problems, repeats, open, resolved and on time per region, category and month")
def request_statistics(request: Request,
                       month: str | None = Query(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM of submission"),
                       region: str | None = Query(None, pattern=r"^\d{2}$", description="A region's KATO code"),
                       actor: access.Actor = Depends(current_actor)) -> dict:
    return service.statistics(actor, request.app.state.settings.database, month, region, client(request))


@router.get("/requests/{rid}", name="get_request", openapi_extra=PERSONAL, responses=ONE,
            summary="A request: the place and text, its state and due date, its problem's repeats, the moves allowed, its history")
def get_request(request: Request, rid: RequestId, purpose: str | None = Purpose,
                actor: access.Actor = Depends(current_actor)) -> dict:
    return service.read(actor, request.app.state.settings.database, rid, purpose, client(request))


@router.post("/requests/{rid}/transitions", name="move_request", openapi_extra=PERSONAL,
             summary="Move a request to another state, with the answer or the reason",
             responses={**ONE, 409: {"description": "The move is not allowed: the moves that are"}})
def move_request(request: Request, rid: RequestId, body: Move, actor: access.Actor = Depends(current_actor)) -> dict:
    return service.move(actor, request.app.state.settings.database, rid, body.to, body.note, client(request))
