"""Proactive offers over HTTP: the SMS gateway's inbound callback (signed, not a person's), and a
citizen's own offers and their answer online. Who may, the consent, the assignment and the access
log are the service's (services.offers)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from komek import access
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.services import offers as service

router = APIRouter(tags=["offers"])
REFUSED = {**UNAUTHORIZED, 403: {"description": "Not the citizen's own offer, or not a citizen (logged)"}}
OfferId = Annotated[int, Path(ge=1, le=2**53, description="The offer's id")]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Literal["yes", "no"] = Field(description="yes: consent to the assignment; no: decline")
    text_shown: str = Field(min_length=1, max_length=4000, description="The text the citizen was shown and answered: "
                            "kept with the consent")


INBOUND_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["from", "text", "message_id"], "properties": {
        "from": {"type": "string", "description": "The sender's number", "examples": ["+77012345678"]},
        "text": {"type": "string", "description": "The message as received", "examples": ["ИӘ 123456"]},
        "message_id": {"type": "string", "description": "The gateway's id of the message: sent again, applied once"}}}}}}}


@router.post("/offers/inbound", openapi_extra=INBOUND_BODY, summary="The SMS gateway: a message a family sent",
             responses={401: {"description": "The signature is missing or wrong"},
                        422: {"description": "A body that is not an inbound message"}})
async def post_inbound(request: Request, signature: str | None = Header(
        None, alias=service.SIGNATURE, description="HMAC-SHA256 of the raw body under KOMEK_SMS_INBOUND_SECRET, hex")) -> dict:
    """Signed by the gateway. Every message is logged with what it did (accepted, declined,
    unknown_code, expired, other_phone, already_decided, not_understood); only a consent or a
    refusal from the offer's phone before its reply-by day changes anything."""
    cfg, body = request.app.state.settings, await request.body()
    return await run_in_threadpool(service.inbound, cfg.database, cfg.sms_inbound_key(), body, signature)


@router.get("/offers", openapi_extra=PERSONAL, responses=REFUSED,
            summary="A citizen's own offers: the measure, amount, reply-by day, where each stands and, unsent, why")
def list_offers(request: Request, limit: int = Query(50, ge=1, le=service.MAX_PAGE),
                actor: access.Actor = Depends(current_actor)) -> dict:
    return service.listing(actor, request.app.state.settings.database, limit, client(request))


@router.post("/offers/{offer_id}/consent", openapi_extra=PERSONAL,
             summary="A citizen consents to (or declines) their own offer online",
             responses={**REFUSED, 404: {"description": "No such offer"},
                        409: {"description": "The offer was answered otherwise, or has lapsed"}})
def post_consent(request: Request, offer_id: OfferId, body: Answer, actor: access.Actor = Depends(current_actor)) -> dict:
    return service.consent(actor, request.app.state.settings.database, offer_id, body.answer, body.text_shown,
                           client(request))
