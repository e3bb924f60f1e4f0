"""A citizen's appointments: my reservations; booking (a service and a region chosen, the free
slots of the fortnight from a day shown, updated in place as the choice changes; a slot held,
then the booking confirmed); moving to another time (the new slot held first, so a time taken
meanwhile leaves the old one as it was) and cancelling, each confirmed on the page before it is
done. Who may is the service's (services.appointments), and so is a slot taken meanwhile."""
from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.cases import appointments as book
from komek.cases import payments
from komek.cases.deadlines import today
from komek.errors import Conflict, FieldError
from komek.kz import regions
from komek.kz.catalogs import N_
from komek.services import appointments as cases
from komek.web import session
from komek.web.citizen import citizen
from komek.web.pages import client, database, language, render

router = APIRouter(prefix="/my/appointments")
SHOWN = dt.timedelta(days=13)          # the free slots of a fortnight from the day chosen
ASK = {"service": N_("Choose one of the services."), "region": N_("Choose the region of the office."),
       "on": N_("Give the day as year-month-day, for example 2026-12-08."),
       "taken": N_("This time was taken meanwhile, or has begun: nothing was booked. Choose another time."),
       "key": N_("This form was already sent for another time: open the page again.")}
PAYMENTS = {"created": N_("not paid yet"), "paid": N_("paid"), "failed": N_("the payment failed"), "refunded": N_("refunded")}
STATES = {"held": N_("Held, not yet booked"), "booked": N_("Booked"), "cancelled": N_("Cancelled"), "expired": N_("Expired")}


def _named(entry: dict, lang: str) -> str:
    return entry.get(f"name_{lang}") or entry["name"]


def choices(lang: str) -> dict:
    """The services and regions, named in the page's language."""
    return {"services": {c: _named(s, lang) for c, s in book.services().items()},
            "regions": {c: _named(r, lang) for c, r in sorted(regions().items())}}


def _mine(request: Request, actor: access.Actor) -> list[dict]:
    first = today()
    return cases.reservations(actor, database(request), None, first, first + dt.timedelta(days=book.MAX_DAYS - 1),
                              "a citizen reads their own reservations", client(request))


def _free(request: Request, actor: access.Actor, values: dict, errors: dict) -> list[dict] | None:
    """The free slots asked for, or None until a service and a region are chosen."""
    if not values["service"] or not values["region"]:
        return None
    if values["service"] not in book.services():
        errors["service"] = ASK["service"]
    if values["region"] not in regions():
        errors["region"] = ASK["region"]
    try:
        first = dt.date.fromisoformat(values["on"])
        last = first + SHOWN
    except (ValueError, OverflowError):
        errors["on"] = ASK["on"]
    if errors:
        return None
    found = cases.free_slots(actor, database(request), values["service"], values["region"], first, last)
    return [{**slot, "key": str(uuid.uuid4())} for slot in found]


def _page(request: Request, actor: access.Actor, values: dict, errors: dict | None = None, status: int = 200, **more):
    errors = dict(errors or {})
    free = _free(request, actor, values, errors)
    moving = cases.reservation(actor, database(request), int(values["move"]), "a citizen moves their appointment",
                               client(request)) if values.get("move") else None
    return render(request, "appointments.html", status=422 if errors and status == 200 else status, actor=actor,
                  values=values, errors=errors, free=free, mine=[] if moving else _mine(request, actor), moving=moving,
                  states=STATES, **choices(language(request)), **more)


@router.get("")
def appointments(request: Request, service: str = "", region: str = "", on: str = "", move: int | None = None,
                 cancelled: int | None = None):
    actor = citizen(request)
    values = {"service": service, "region": region, "on": on or today().isoformat(), "move": move}
    return _page(request, actor, values, cancelled=cancelled)


@router.post("")
def hold(request: Request, slot_id: int = Form(...), key: str = Form(""), service: str = Form(""),
         region: str = Form(""), on: str = Form(""), move: int | None = Form(None), confirm: str = Form(""),
         csrf: str = Form("")):
    """Hold a slot; moving, the move is shown to confirm first, then the new slot held, the old cancelled."""
    session.check_csrf(request, csrf)
    actor, url = citizen(request), database(request)
    values = {"service": service, "region": region, "on": on or today().isoformat(), "move": move}
    provider = payments.provider(request.app.state.settings)
    if move and not confirm:
        slot = next((s for s in _free(request, actor, values, {}) or [] if s["id"] == slot_id), None)
        if slot is None:
            return _page(request, actor, values, {"slot": ASK["taken"]}, status=409)
        return _page(request, actor, values, to=slot | {"key": key})
    try:
        held, _ = cases.hold(actor, url, provider, slot_id, key, client(request))
    except Conflict:
        return _page(request, actor, values, {"slot": ASK["taken"]}, status=409)
    except FieldError:
        return _page(request, actor, values, {"slot": ASK["key"]}, status=422)
    if not move:
        return RedirectResponse(f"/my/appointments/{held['id']}?held=1", status_code=303)
    try:
        cases.cancel(actor, url, provider, move, client(request))
    except Conflict:                  # the old one began meanwhile: the new hold is let go, nothing moved
        cases.cancel(actor, url, provider, held["id"], client(request))
        return _page(request, actor, values, {"slot": ASK["taken"]}, status=409)
    if held["slot"]["fee"] is None:   # a free slot is booked at once, as the old time was
        cases.confirm(actor, url, held["id"], client(request))
    return RedirectResponse(f"/my/appointments/{held['id']}?moved=1", status_code=303)


def _one(request: Request, actor: access.Actor, reservation_id: int, status: int = 200, **more):
    seen = cases.reservation(actor, database(request), reservation_id, "a citizen reads their own reservation",
                             client(request))
    names = choices(language(request))
    return render(request, "reservation.html", status=status, actor=actor, r=seen, states=STATES, payments=PAYMENTS,
                  service=names["services"].get(seen["slot"]["service"]), region=names["regions"].get(seen["slot"]["region"]),
                  **{"problem": None, "confirming": False, **more})


@router.get("/{reservation_id}")
def reservation(request: Request, reservation_id: int, held: int = 0, moved: int = 0, booked: int = 0):
    return _one(request, citizen(request), reservation_id, held=held, moved=moved, booked=booked)


@router.post("/{reservation_id}/confirm")
def confirm(request: Request, reservation_id: int, csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = citizen(request)
    try:
        cases.confirm(actor, database(request), reservation_id, client(request))
    except Conflict as e:              # the hold lapsed, or the fee is not paid: said as the service says it
        return _one(request, actor, reservation_id, status=409, problem=str(e))
    return RedirectResponse(f"/my/appointments/{reservation_id}?booked=1", status_code=303)


@router.post("/{reservation_id}/cancel")
def cancel(request: Request, reservation_id: int, confirm: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = citizen(request)
    if not confirm:
        return _one(request, actor, reservation_id, confirming=True)
    try:
        cases.cancel(actor, database(request), payments.provider(request.app.state.settings), reservation_id, client(request))
    except Conflict as e:
        return _one(request, actor, reservation_id, status=409, problem=str(e))
    return RedirectResponse(f"/my/appointments?cancelled={reservation_id}", status_code=303)
