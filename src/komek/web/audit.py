"""An auditor's pages: the findings a page at a time (filtered by check, region, severity and
state, the service's keyset cursor leading on), one finding with its evidence and its review
(confirmed with the amount to recover, or dismissed with the reason), and per check the share
dismissed. A finding is a signal for a person to look, never a sanction. Who may see which
findings is the service's (an auditor's regions; other roles refused, the refusal logged)."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from komek import access
from komek.audit import SEVERITY_ORDER, config
from komek.audit.listing import STATES, Filters
from komek.errors import FieldError, NotFound, ReviewError
from komek.kz import regions
from komek.kz.catalogs import N_
from komek.services import findings
from komek.web import session
from komek.web.pages import client, database, language, render

router = APIRouter(prefix="/audit")
PAGE = 50                       # findings a page; the cursor leads to the next
MOST = Decimal("999999999999.99")   # 14 digits with the tiyn, as the API's review takes
ASK = {"recovery": N_("Give the amount to recover in tenge, 0 or more, with at most two decimals, for example 12500.50."),
       "reason": N_("Say why the payment is in order: the reason is kept with the finding."),
       "decision": N_("Choose to confirm or to dismiss the finding."),
       "reviewed": N_("This finding has already been reviewed otherwise, so nothing was changed."),
       "filter": N_("Choose one of the values offered.")}
SEVERITIES = {"high": N_("High"), "medium": N_("Medium"), "low": N_("Low"), "info": N_("Information")}
REVIEW_STATES = {"open": N_("Open"), "confirmed": N_("Confirmed"), "dismissed": N_("Dismissed")}


def auditor(request: Request) -> access.Actor:
    """The one signed in. Whether they may read findings is the service's to say: it refuses every
    role but the auditor's and logs the refusal, as it does for the API."""
    return session.actor(request)


def checks() -> dict[str, str]:
    """Each check's title (checks.yaml, in English), the anomaly lane last."""
    known = config()
    return {**{c: v["title"] for c, v in known["checks"].items()}, "anomaly": known["anomalies"]["title"]}


def region_names(lang: str) -> dict[str, str]:
    return {c: r["name_ru"] if lang == "ru" else r["name"] for c, r in regions().items()}


def _options(actor: access.Actor, lang: str) -> dict:
    names = region_names(lang)
    return {"checks": checks(), "regions_offered": {c: names[c] for c in (actor.regions or names)},
            "severities": {s: SEVERITIES[s] for s in SEVERITY_ORDER}, "states": {s: REVIEW_STATES[s] for s in STATES}}


@router.get("/findings")
def listing(request: Request, check: str = "", region: str = "", severity: str = "", state: str = "",
            cursor: str | None = None):
    actor, lang = auditor(request), language(request)
    values = {"check": check, "region": region, "severity": severity, "state": state}
    chosen = Filters(check=check or None, region=region or None, state=state or None, severity=severity or None)
    errors, page, saved = {}, None, True
    try:
        page = findings.findings_page(actor, database(request), chosen, cursor, PAGE, purpose="the auditor's findings list",
                                      client=client(request))
    except FieldError as e:
        errors["cursor" if e.field == "cursor" else e.field] = ASK["filter"]
    except NotFound:            # no audit saved to this database yet
        saved = False
    asked = {k: v for k, v in values.items() if v}
    following = page and page["next_cursor"] and "?" + urlencode({**asked, "cursor": page["next_cursor"]})
    return render(request, "findings.html", status=422 if errors else 200, actor=actor, values=values, errors=errors,
                  page=page, saved=saved, following=following, first=("?" + urlencode(asked)) if cursor else None,
                  regions=region_names(lang), **_options(actor, lang))


def _finding(request: Request, actor: access.Actor, finding_id: str, status: int = 200, **values):
    seen = findings.finding(actor, database(request), finding_id, "an auditor reviews the finding", client(request))
    return render(request, "finding.html", status=status, actor=actor, f=seen, checks=checks(),
                  regions=region_names(language(request)), severities=SEVERITIES, review_states=REVIEW_STATES,
                  **{"errors": {}, "values": {}, **values})


@router.get("/findings/{finding_id}")
def finding(request: Request, finding_id: str, reviewed: int = 0):
    return _finding(request, auditor(request), finding_id, reviewed=bool(reviewed))


def amount(typed: str) -> Decimal | None:
    """Tenge as a person types it (spaces between thousands, a decimal comma), or None if it is not one."""
    text = typed.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value > MOST or value.as_tuple().exponent < -2:
        return None
    return value


@router.post("/findings/{finding_id}")
def review(request: Request, finding_id: str, decision: str = Form(""), recovery: str = Form(""),
           reason: str = Form(""), csrf: str = Form("")):
    session.check_csrf(request, csrf)
    actor = auditor(request)
    values, errors = {"decision": decision, "recovery": recovery, "reason": reason}, {}
    recovered = amount(recovery) if decision == "confirm" else None
    if decision not in ("confirm", "dismiss"):
        errors["decision"] = ASK["decision"]
    elif decision == "confirm" and recovered is None:
        errors["recovery"] = ASK["recovery"]
    elif decision == "dismiss" and not reason.strip():
        errors["reason"] = ASK["reason"]
    if not errors:
        try:
            findings.review(actor, database(request), finding_id, decision, recovered, reason.strip() or None,
                            client(request))
        except ReviewError:
            errors["decision"] = ASK["reviewed"]
        except FieldError as e:
            errors[e.field if e.field in ASK else "decision"] = ASK.get(e.field, ASK["decision"])
    if errors:
        return _finding(request, actor, finding_id, status=422, values=values, errors=errors)
    return RedirectResponse(f"/audit/findings/{finding_id}?reviewed=1", status_code=303)


@router.get("/summary")
def summary(request: Request):
    actor = auditor(request)
    try:
        rows = findings.check_summary(actor, database(request), Filters(), client(request))
    except NotFound:
        rows = None
    return render(request, "audit_summary.html", actor=actor, rows=rows, checks=checks())
