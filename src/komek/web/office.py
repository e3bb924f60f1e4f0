"""The citizen requests of a caseworker's regions: the queue of problems waiting for their answer
(least working days left first, nearly due and overdue marked, each problem once with its
repeats counted), and one request with its history, answered or moved with a note the citizen is
sent. The moves allowed and who may make them are the service's."""
from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import FieldError, TransitionError
from komek.kz.catalogs import N_
from komek.services import requests
from komek.web import session
from komek.web.casework import caseworker
from komek.web.pages import client, database, render

router = APIRouter(prefix="/casework")
ASK = {"to": N_("Choose one of the moves allowed."),
       "note": N_("Write the answer or the reason: the citizen is sent it.")}


@router.get("/requests")
def queue(request: Request):
    actor = caseworker(request)
    listed = requests.listing(actor, database(request), limit=requests.MAX_PAGE, purpose="the caseworker's requests queue",
                              client=client(request))
    return render(request, "requests.html", actor=actor, items=listed["items"], total=listed["total"], queue=True)


def _request(request: Request, actor: access.Actor, rid: int, status: int = 200, **values):
    seen = requests.read(actor, database(request), rid, "a caseworker works the request", client(request))
    return render(request, "request.html", status=status, actor=actor, r=seen, work=True,
                  **{"errors": {}, "values": {}, **values})


@router.get("/requests/{rid}")
def one(request: Request, rid: int, moved: int = 0):
    return _request(request, caseworker(request), rid, moved=bool(moved))


@router.post("/requests/{rid}")
def work(request: Request, rid: int, to: str = Form(""), note: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = caseworker(request)
    values, errors = {"to": to, "note": note}, {}
    if not to:
        errors["to"] = ASK["to"]
    if not note.strip():
        errors["note"] = ASK["note"]
    if not errors:
        try:
            requests.move(actor, database(request), rid, to, note, client(request))
            return RedirectResponse(f"/casework/requests/{rid}?moved=1", status_code=303)
        except TransitionError:
            errors["to"] = ASK["to"]
        except FieldError:
            errors["note"] = ASK["note"]
    return _request(request, actor, rid, 422, values=values, errors=errors)
