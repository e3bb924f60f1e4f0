"""A citizen's appeals and general requests: appealing a decision on one's own application (the
grounds, within the term shown; filed once however often the form is sent), my appeals with their
state, due date and outcome, and my requests to an office (filed with a category, a place and the
text) with their state and due date. Who may and the terms are the services'."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek.errors import Conflict, FieldError
from komek.kz import regions
from komek.kz.catalogs import N_
from komek.services import appeals, requests
from komek.web import session
from komek.web.citizen import REFUSED, application_page, citizen
from komek.web.pages import client, database, language, render

router = APIRouter(prefix="/my")
ASK = {"grounds": N_("Say why the decision is wrong: the supervisor reads your grounds."),
       "application_id": N_("This decision can no longer be appealed: the term has passed or it is not a decision."),
       "category": N_("Choose what the request is about."),
       "region_code": N_("Choose the region of the place."),
       "locality": N_("Give the town or village."),
       "text": N_("Write the request: what is wrong and where."),
       "phone": REFUSED["phone"], "Idempotency-Key": REFUSED["Idempotency-Key"]}
FIELDS = ("category", "region_code", "locality", "street", "building", "text", "phone")


@router.post("/applications/{app_id}/appeal")
def appeal(request: Request, app_id: int, grounds: str = Form(""), key: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = citizen(request)
    values = {"grounds": grounds, "key": key or str(uuid.uuid4())}
    if not grounds.strip():
        return application_page(request, actor, app_id, 422, values=values, errors={"grounds": ASK["grounds"]})
    body = {"application_id": app_id, "grounds": grounds, "language": language(request)}
    try:
        answer, _ = appeals.file(actor, database(request), body, values["key"], client(request))
    except FieldError as e:
        return application_page(request, actor, app_id, 422, values=values,
                                errors={"grounds": ASK.get(e.field, e.problem)})
    except Conflict:        # appealed already (from another page): the application page links to it
        return RedirectResponse(f"/my/applications/{app_id}", status_code=303)
    return RedirectResponse(f"/my/appeals/{answer['id']}?filed=1", status_code=303)


@router.get("/appeals")
def my_appeals(request: Request):
    actor = citizen(request)
    listed = appeals.listing(actor, database(request), limit=appeals.MAX_PAGE, purpose="a citizen reads their own appeals",
                             client=client(request))
    return render(request, "appeals.html", actor=actor, items=listed["items"], total=listed["total"], queue=False)


@router.get("/appeals/{appeal_id}")
def my_appeal(request: Request, appeal_id: int, filed: int = 0):
    actor = citizen(request)
    seen = appeals.read(actor, database(request), appeal_id, "a citizen reads their own appeal", client(request))
    return render(request, "appeal.html", actor=actor, p=seen, filed=bool(filed), decide=False)


@router.get("/requests")
def my_requests(request: Request):
    actor = citizen(request)
    listed = requests.listing(actor, database(request), limit=requests.MAX_PAGE, purpose="a citizen reads their own requests",
                              client=client(request))
    return render(request, "requests.html", actor=actor, items=listed["items"], total=listed["total"], queue=False)


def _request_form(request: Request, actor, values: dict, errors: dict, status: int = 200):
    return render(request, "request_form.html", status=status, actor=actor, values=values, errors=errors,
                  categories=requests.data.categories(), regions=regions())


@router.get("/requests/new")
def new_request(request: Request):
    values = {name: "" for name in FIELDS} | {"key": str(uuid.uuid4())}
    return _request_form(request, citizen(request), values, {})


@router.post("/requests/new")
def file_request(request: Request, category: str = Form(""), region_code: str = Form(""), locality: str = Form(""),
                 street: str = Form(""), building: str = Form(""), text: str = Form(""), phone: str = Form(""),
                 key: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = citizen(request)
    values = {"category": category, "region_code": region_code, "locality": locality, "street": street,
              "building": building, "text": text, "phone": phone, "key": key or str(uuid.uuid4())}
    errors = {name: ASK[name] for name in ("category", "region_code", "locality", "text", "phone")
              if not values[name].strip()}
    if not errors:
        body = {name: values[name] for name in FIELDS if values[name].strip()} | {"language": language(request)}
        try:
            answer, _ = requests.file(actor, database(request), body, values["key"], client(request))
            return RedirectResponse(f"/my/requests/{answer['id']}?filed=1", status_code=303)
        except FieldError as e:         # the service's check, beside the field it names
            field = e.field if e.field in values else "text"
            errors[field] = ASK.get(e.field, e.problem)
    return _request_form(request, actor, values, errors, status=422)


@router.get("/requests/{rid}")
def my_request(request: Request, rid: int, filed: int = 0):
    actor = citizen(request)
    seen = requests.read(actor, database(request), rid, "a citizen reads their own request", client(request))
    return render(request, "request.html", actor=actor, r=seen, filed=bool(filed), work=False)
