"""Appointments over HTTP: free slots, a caseworker's slots and the reservations of a region, a
citizen's hold, confirmation and cancellation, and the payment provider's callback. Who may,
the access log and the transactions are the service's (services.appointments)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from komek import access
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.cases import appointments as book
from komek.cases import payments
from komek.money import to_tiyn
from komek.services import appointments as cases

router = APIRouter(tags=["appointments"])
Service = Literal[tuple(book.services())]
ReservationId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The reservation's id, as its hold gave it")]
REFUSED = {**UNAUTHORIZED, 403: {"description": "The role, the region or the person does not allow it (logged)"}}
ONE = {**REFUSED, 404: {"description": "No such reservation"},
       409: {"description": "Not possible as things stand: the hold lapsed, the fee is not paid, the appointment began"}}
REGION = Query(pattern=r"^\d{2}$", description="KATO region code")
FIRST = Query(alias="from", description="The first day, in Kazakhstan's time")
LAST = Query(alias="to", description="The last day (at most 92 days after the first)")
PURPOSE = Query(None, max_length=500, description="Why it is read: kept in the access log")


class NewSlot(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: Service
    office: str = Field(min_length=1, max_length=200, description="The office where it takes place", examples=["Almaty, Auezov district employment centre"])
    region: str = Field(pattern=r"^\d{2}$", description="KATO region code of the office", examples=["75"])
    starts: dt.datetime = Field(description="When it begins, with the offset", examples=["2026-12-01T10:00:00+05:00"])
    minutes: int = Field(30, ge=5, le=480)
    fee: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2, description="The fee in tenge; none when free")


class NewHold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slot_id: int = Field(ge=1, le=2**63 - 1)
    phone: str | None = Field(None, max_length=32, description="To be told by SMS of the booking, a lapsed hold, a "
                              "cancellation and a refund (any Kazakhstan form); none: not told", examples=["+7 701 234 56 78"])
    language: Literal["kk", "ru", "en"] | None = Field(None, description="The language of the messages (kk when not given)")


@router.get("/appointments/slots", summary="Free slots of a service in a region on a range of days", responses={
    **UNAUTHORIZED, 422: {"description": "An unknown service or region, or a range the wrong way round or too long"}})
def get_slots(request: Request, service: Service, region: str = REGION, first: dt.date = FIRST, last: dt.date = LAST,
              actor: access.Actor = Depends(current_actor)) -> list[dict]:
    """Any account signed in: the slots nobody holds, with no word of who holds the others."""
    return cases.free_slots(actor, request.app.state.settings.database, service, region, first, last)


@router.post("/appointments/slots", status_code=201, summary="A caseworker adds a slot in a region served", responses={
    **REFUSED, 200: {"description": "The same slot was there already (a retried request adds one)"},
    409: {"description": "That service at that office and time exists otherwise"}})
def post_slot(request: Request, response: Response, body: NewSlot, actor: access.Actor = Depends(current_actor)) -> dict:
    fee = None if body.fee is None else to_tiyn(body.fee)
    slot, made = cases.add_slot(actor, request.app.state.settings.database, body.service, body.office, body.region,
                                  body.starts, body.minutes, fee, client(request))
    if not made:
        response.status_code = 200
    return slot


@router.get("/appointments", openapi_extra=PERSONAL, summary="Reservations: a caseworker's region's, a citizen's own",
            responses={**REFUSED, 422: {"description": "No region for a caseworker of several, or a bad range"}})
def get_reservations(request: Request, first: dt.date = FIRST, last: dt.date = LAST,
                     region: str | None = Query(None, pattern=r"^\d{2}$", description="A caseworker: the region"),
                     purpose: str | None = PURPOSE, actor: access.Actor = Depends(current_actor)) -> list[dict]:
    return cases.reservations(actor, request.app.state.settings.database, region, first, last, purpose, client(request))


@router.post("/appointments", status_code=201, summary="A citizen holds a free slot (and, for a fee, a payment is created)",
             responses={**REFUSED, 200: {"description": "A replay of the Idempotency-Key: the reservation it made"},
                        404: {"description": "No such slot"}, 409: {"description": "The slot is taken or has begun"},
                        422: {"description": "An invalid body, or the key used before for another body"}})
def post_hold(request: Request, response: Response, body: NewHold,
              key: str = Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                description="One per intended hold: a retry with the same key is applied once"),
              actor: access.Actor = Depends(current_actor)) -> dict:
    cfg = request.app.state.settings
    held, made = cases.hold(actor, cfg.database, payments.provider(cfg), body.slot_id, key, client(request),
                            phone=body.phone, language=body.language)
    if not made:
        response.status_code = 200
    return held


@router.get("/appointments/{reservation_id}", openapi_extra=PERSONAL, summary="A reservation with its history", responses=ONE)
def get_reservation(request: Request, reservation_id: ReservationId, purpose: str | None = PURPOSE,
                    actor: access.Actor = Depends(current_actor)) -> dict:
    return cases.reservation(actor, request.app.state.settings.database, reservation_id, purpose, client(request))


@router.post("/appointments/{reservation_id}/confirm", summary="Book a held slot (its fee paid, if it has one)", responses=ONE)
def post_confirm(request: Request, reservation_id: ReservationId, actor: access.Actor = Depends(current_actor)) -> dict:
    return cases.confirm(actor, request.app.state.settings.database, reservation_id, client(request))


@router.post("/appointments/{reservation_id}/cancel", summary="Cancel a hold or a booking: the slot is freed, a paid fee refunded",
             responses=ONE)
def post_cancel(request: Request, reservation_id: ReservationId, actor: access.Actor = Depends(current_actor)) -> dict:
    cfg = request.app.state.settings
    return cases.cancel(actor, cfg.database, payments.provider(cfg), reservation_id, client(request))


CALLBACK_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["reference", "outcome", "amount_tiyn"], "properties": {
        "reference": {"type": "string", "description": "The payment's reference, as the hold gave it"},
        "outcome": {"type": "string", "enum": list(payments.OUTCOMES)},
        "amount_tiyn": {"type": "integer", "minimum": 1}}}}}}}


@router.post("/payments/sandbox/callback", openapi_extra=CALLBACK_BODY, summary="The sandbox provider: a payment made or failed",
             responses={401: {"description": "The signature is missing or wrong"}, 404: {"description": "No such payment"},
                        409: {"description": "A failure reported for a payment made"},
                        422: {"description": "A body that is not the callback, or another amount than the payment's"}})
async def post_sandbox_callback(request: Request, signature: str | None = Header(
        None, alias=payments.SIGNATURE, description="HMAC-SHA256 of the raw body under KOMEK_PAYMENT_SECRET, hex")) -> dict:
    """Signed by the provider, not by a person; applied once, so the provider may send it again."""
    cfg, body = request.app.state.settings, await request.body()
    return await run_in_threadpool(cases.callback, cfg.database, payments.provider(cfg), body, signature)
