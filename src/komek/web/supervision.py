"""A supervisor's pages: the appeals queue of the regions served by time left (nearly due and
overdue marked), and deciding an appeal: the grounds beside the original decision and the rules'
explanation, the outcome chosen with its reasons, confirmed on a second page before it is made.
Who may decide is the service's: a supervisor who made the decision appealed is refused, and the
page says so plainly."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import Conflict, FieldError, Forbidden
from komek.kz.catalogs import N_
from komek.services import appeals
from komek.web import session
from komek.web.pages import client, database, render

router = APIRouter(prefix="/supervision")
ASK = {"outcome": N_("Choose the outcome."),
       "note": N_("Give the reasons: the appellant reads them with the outcome."),
       "amount_tiyn": N_("Give the monthly amount in tenge, for example 45000.00; more than the amount assigned now."),
       "basis": N_("An amount above the rules' (or where they computed none) states its basis: the act and the facts."),
       "changed": N_("The decision appealed was changed meanwhile: read the appeal again.")}


def supervisor(request: Request) -> access.Actor:
    actor = session.actor(request)
    if actor.role != "supervisor":
        raise Forbidden(f"these pages are a supervisor's; a {actor.role} has other pages")
    return actor


@router.get("/appeals")
def queue(request: Request):
    actor = supervisor(request)
    listed = appeals.listing(actor, database(request), limit=appeals.MAX_PAGE, purpose="the supervisor's appeals queue",
                             client=client(request))
    return render(request, "appeals.html", actor=actor, items=listed["items"], total=listed["total"], queue=True)


def _appeal(request: Request, actor: access.Actor, appeal_id: int, status: int = 200, **values):
    seen = appeals.read(actor, database(request), appeal_id, "a supervisor decides the appeal", client(request))
    return render(request, "appeal.html", status=status, actor=actor, p=seen, decide=True,
                  **{"errors": {}, "values": {}, **values})


@router.get("/appeals/{appeal_id}")
def appeal(request: Request, appeal_id: int, decided: int = 0):
    return _appeal(request, supervisor(request), appeal_id, decided=bool(decided))


def _tiyn(amount: str) -> int | None:
    """Tenge as typed (45000, 45 000,50) in tiyn; None when it is not an amount."""
    try:
        value = Decimal(amount.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        return None
    return int(value * 100) if value > 0 and value == value.quantize(Decimal("0.01")) else None


@router.post("/appeals/{appeal_id}")
def decide(request: Request, appeal_id: int, outcome: str = Form(""), note: str = Form(""), amount: str = Form(""),
           basis: str = Form(""), confirm: str = Form(""), csrf: str = Form("")):
    """First the outcome and its reasons are shown to confirm; confirmed, the appeal is decided."""
    session.check_csrf(request, csrf)
    actor = supervisor(request)
    values, errors = {"outcome": outcome, "note": note, "amount": amount, "basis": basis}, {}
    if outcome not in appeals.data.OUTCOMES:
        errors["outcome"] = ASK["outcome"]
    if not note.strip():
        errors["note"] = ASK["note"]
    tiyn = _tiyn(amount) if amount.strip() else None
    if amount.strip() and tiyn is None:
        errors["amount"] = ASK["amount_tiyn"]
    if errors or not confirm:
        return _appeal(request, actor, appeal_id, 422 if errors else 200, values=values, errors=errors,
                       confirming=not errors)
    body = {"to": "decided", "outcome": outcome, "note": note}
    if outcome in appeals.data.CHANGES:
        body |= {k: v for k, v in (("amount_tiyn", tiyn), ("basis", basis.strip() or None)) if v is not None}
    appeals.read(actor, database(request), appeal_id, "a supervisor decides the appeal", client(request))   # the region's refusal
    try:
        appeals.move(actor, database(request), appeal_id, body, client(request))
    except Forbidden:           # the region allowed on reading it, the refusal is of the decision's maker
        return _appeal(request, actor, appeal_id, 403, values=values, own=True)
    except FieldError as e:
        field = {"amount_tiyn": "amount"}.get(e.field, e.field)
        return _appeal(request, actor, appeal_id, 422, values=values,
                       errors={field if field in values else "note": ASK.get(e.field, ASK["note"])})
    except Conflict:            # a move no longer allowed, or the decision changed meanwhile
        return _appeal(request, actor, appeal_id, 409, values=values, errors={"outcome": ASK["changed"]})
    return RedirectResponse(f"/supervision/appeals/{appeal_id}?decided=1", status_code=303)
