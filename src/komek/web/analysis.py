"""An analyst's pages: aggregates only, every cell of fewer than ten suppressed by the services.
The statistics of a month (support by region and measure, targeting, levels by region, from the
latest runs; a part no run has computed says which run computes it), the monitoring of public
services with its alerts, and reforms: a reform document uploaded and run as a simulation job,
its progress followed in place, then what it does as bar charts with their numbers in tables."""
from __future__ import annotations

import json
from collections import defaultdict

import yaml
from babel.numbers import format_decimal
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from komek import access
from komek.errors import FieldError, Forbidden
from komek.kz import region_name
from komek.kz.catalogs import N_
from komek.kz.summary import CONTRIBUTIONS, MEASURES
from komek.scoring.index import LEVELS, NOT_KNOWN
from komek.services import jobs, monitoring
from komek.services.statistics import statistics
from komek.web import charts, i18n, session
from komek.web.citizen import _month
from komek.web.pages import client, database, language, render

router = APIRouter(prefix="/analysis")
ENDED = ("succeeded", "failed", "cancelled")
ASK = {"document": N_("Give a reform document: YAML with start and parameters, as docs/examples/reform-tsa-line.yaml."),
       "yaml": N_("This is not YAML a reform can be read from:"),
       "field": N_("The reform document is wrong at %(field)s:"),
       "month": N_("Give the month as year-month, for example 2026-10.")}
CHANGES = {"gain": N_("Gain"), "lose": N_("Lose"), "same": N_("No change")}
JOB_STATES = {"queued": N_("queued"), "running": N_("running"), "succeeded": N_("done"), "failed": N_("failed"),
              "cancelled": N_("cancelled")}


def analyst(request: Request) -> access.Actor:
    actor = session.actor(request)
    if actor.role != "analyst":
        raise Forbidden(f"these pages are an analyst's; a {actor.role} has other pages")
    return actor


def _names(request: Request) -> dict:
    """How the pages name a region, a measure and a job's state in the user's language."""
    lang = language(request)
    say = i18n.gettext(lang)
    return {"region_name": lambda code: region_name(code, lang), "measure_name": lambda m: say(MEASURES.get(m) or CONTRIBUTIONS.get(m, m)),
            "job_state": lambda s: say(JOB_STATES.get(s, s))}


@router.get("")
def start(request: Request):
    analyst(request)
    return RedirectResponse("/analysis/statistics", status_code=303)


@router.get("/statistics")
def stats(request: Request, month: str | None = None):
    actor, month = analyst(request), _month(month)
    seen = statistics(database(request), month, actor, client(request))
    levels = None
    if seen["levels"]:
        levels = defaultdict(dict)
        for row in seen["levels"]["rows"]:
            levels[row["region_code"]][row["level"]] = row
    return render(request, "statistics.html", actor=actor, month=month, stats=seen, levels=levels,
                  level_names=[*LEVELS, NOT_KNOWN], **_names(request))


@router.get("/monitoring")
def watch(request: Request, month: str | None = None):
    actor, month = analyst(request), _month(month)
    seen = monitoring.read(actor, database(request), month, client=client(request))
    return render(request, "monitoring.html", actor=actor, month=month, m=seen, **_names(request))


def _reforms(request: Request, actor: access.Actor, values: dict, errors: dict, status: int = 200):
    mine = jobs.mine(database(request), "simulation", actor, client(request), limit=20)
    return render(request, "reforms.html", status=status, actor=actor, values=values, errors=errors,
                  runs=[j for j in mine if j["params"].get("reform")], **_names(request))


@router.get("/reforms")
def reforms(request: Request):
    return _reforms(request, analyst(request), {"month": _month(None), "document": ""}, {})


def _document(text: str) -> tuple[object, str | None]:
    """The reform document read from YAML as the API would receive it in JSON (dates as text)."""
    try:
        read = yaml.safe_load(text)
    except yaml.YAMLError as e:
        return None, str(getattr(e, "problem", None) or e)
    return json.loads(json.dumps(read, default=str)), None


@router.post("/reforms")
def run_reform(request: Request, month: str = Form(""), document: str = Form(""),
               upload: UploadFile | None = File(None), csrf: str = Form("")):
    """The uploaded file, else the text pasted, checked as POST /api/v1/simulations checks it: a
    document that is wrong queues nothing and is shown again, in the text field, with the error
    beside it."""
    session.check_csrf(request, csrf)
    actor = analyst(request)
    if upload is not None and upload.filename:
        document = upload.file.read().decode("utf-8", errors="replace")
    values, errors = {"month": month.strip(), "document": document}, {}
    say = i18n.gettext(language(request))
    reform, why = _document(document) if document.strip() else (None, None)
    if not document.strip() or (not why and reform is None):
        errors["document"] = {"text": say(ASK["document"])}
    elif why:
        errors["document"] = {"text": say(ASK["yaml"]), "detail": why}
    else:
        try:
            job = jobs.submit(database(request), "simulation", {"month": values["month"], "reform": reform}, actor,
                              client(request))
        except FieldError as e:
            if e.field == "month":
                errors["month"] = {"text": say(ASK["month"])}
            else:
                errors["document"] = {"text": say(ASK["field"]) % {"field": e.field}, "detail": e.problem}
        else:
            return RedirectResponse(f"/analysis/reforms/{job['id']}", status_code=303)
    return _reforms(request, actor, values, errors, status=422)


def _job(request: Request, actor: access.Actor, job_id: int) -> dict:
    return jobs.status(database(request), "simulation", job_id, actor, client(request))


def _result(request: Request, job: dict) -> dict | None:
    """The reform's charts: budget change by measure and by region, households that gain or lose,
    the change per person by income decile."""
    summary = (job.get("summary") or {}).get("reform")
    if job["state"] != "succeeded" or not summary:
        return None
    lang, names = language(request), _names(request)
    say = i18n.gettext(lang)
    tenge = lambda v: i18n.money(v, lang) if v is not None else say("suppressed (under 10)")   # noqa: E731
    count = lambda v: format_decimal(v, locale=lang) if v is not None else say("suppressed (under 10)")   # noqa: E731
    value = lambda v: float(v) if v is not None else None                                        # noqa: E731
    measures = [r for r in summary["comparison"] if r["spending_base"] is not None or r["spending_reform"] is not None]
    impact = summary["impact"]
    deciles = impact.get("deciles") or []
    return {
        "measures": charts.bars([(names["measure_name"](r["measure"]), value(r["change"]), tenge(r["change"]))
                                 for r in measures]),
        "regions": charts.bars([(names["region_name"](r["region_code"]), value(r["change"]), tenge(r["change"]))
                                for r in summary.get("regions", [])]),
        "households": charts.bars([(say(CHANGES[r["change"]]), value(r["households"]), count(r["households"]))
                                   for r in summary["households"]]),
        "deciles": charts.bars([(str(r["decile"]), value(r["change_per_person"]), tenge(r["change_per_person"]))
                                for r in deciles]),
        "comparison": measures, "by_region": summary.get("regions", []), "moved": summary["households"],
        "decile_rows": deciles, "impact": impact, "changes": {k: say(v) for k, v in CHANGES.items()}, "name": summary["name"], "start": summary["start"]}


def _progress(request: Request, job_id: int, template: str):
    actor = analyst(request)
    job = _job(request, actor, job_id)
    return render(request, template, actor=actor, job=job, ended=job["state"] in ENDED, result=_result(request, job),
                  **_names(request))


@router.get("/reforms/{job_id}")
def reform(request: Request, job_id: int):
    return _progress(request, job_id, "reform.html")


@router.get("/reforms/{job_id}/progress")
def progress(request: Request, job_id: int):
    """The part of the page that follows the job: polled every two seconds until the job has ended."""
    return _progress(request, job_id, "_reform_progress.html")
