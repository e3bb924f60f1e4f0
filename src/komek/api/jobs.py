"""Batch jobs over HTTP: a simulation, a scoring or an audit run is submitted (202, its id and
links), run by a worker (`komek worker`), followed (state, progress, step) and, when it has
succeeded, read (its summary) and downloaded (each result as Parquet or CSV). The roles, the
suppression of small cells and the access log are the service's (services.jobs)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from komek import access
from komek.api.auth import PERSONAL, UNAUTHORIZED, client, current_actor
from komek.services import jobs
from komek.services.statistics import statistics

router = APIRouter(tags=["jobs"])
PATHS = {"simulation": "simulations", "score": "scores", "audit": "audits"}
MONTH = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: computed as of its last day", examples=["2026-10"])
REFUSED = {**UNAUTHORIZED, 403: {"description": "The role does not allow it (logged)"}}
SUBMIT = {**REFUSED, 422: {"description": "The settings are not valid (a reform: the field that is wrong); nothing is queued"}}
JobId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The job's id, as its submission gave it")]
READ = {**REFUSED, 404: {"description": "No such job of this kind, or no such result yet"}}


class SimulationRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = MONTH
    reform: dict | None = Field(None, description="A reform document: the YAML format of `komek simulate --reform` "
                                "as JSON (name, description, start, source, parameters)", examples=[{
                                    "name": "TSA line at 40%", "start": "2026-01-01",
                                    "parameters": {"tsa.poverty_line.median_share": 0.40}}])


class ScoreRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = MONTH


class AuditRun(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _links(request: Request, job: dict) -> dict:
    kind, job_id = job["kind"], str(job["id"])
    result = lambda name: str(request.app.url_path_for(f"get_{kind}_result", job_id=job_id, name=name))
    return {"self": str(request.app.url_path_for(f"get_{kind}", job_id=job_id)),
            "results": {name: {fmt: result(f"{name}.{fmt}") for fmt in jobs.FORMATS} for name in job["results"]}}


def _accepted(request: Request, response: Response, kind: str, params: dict, actor: access.Actor) -> dict:
    job = jobs.submit(request.app.state.settings.database, kind, params, actor, client(request))
    links = _links(request, job)
    response.headers["Location"] = links["self"]
    return {"id": job["id"], "kind": kind, "state": job["state"], "links": links}


@router.post("/simulations", status_code=202, responses=SUBMIT,
             summary="Start a simulation: every measure for every household of the registry for a month (with a reform: against it)")
def submit_simulation(request: Request, response: Response, body: SimulationRun,
                      actor: access.Actor = Depends(current_actor)) -> dict:
    """An analyst or an administrator. The results are budgets by region and measure (recipients
    and spending), cells of fewer than ten recipients suppressed."""
    return _accepted(request, response, "simulation", body.model_dump(exclude_none=True), actor)


@router.post("/scores", status_code=202, responses=SUBMIT,
             summary="Start a scoring run: the vulnerability level of every household of the registry for a month")
def submit_score(request: Request, response: Response, body: ScoreRun,
                 actor: access.Actor = Depends(current_actor)) -> dict:
    """An analyst. The results are households per level, by region and nationally, cells of fewer
    than ten households suppressed."""
    return _accepted(request, response, "score", body.model_dump(), actor)


@router.post("/audits", status_code=202, responses=SUBMIT,
             summary="Start an audit run: every check over every payment in the registry")
def submit_audit(request: Request, response: Response, body: AuditRun | None = None,
                 actor: access.Actor = Depends(current_actor)) -> dict:
    """A national auditor. The findings name people: they are saved for review and every download
    is logged, one entry per person."""
    return _accepted(request, response, "audit", body.model_dump() if body else {}, actor)


def _read(kind: str):
    def get_job(request: Request, job_id: JobId, actor: access.Actor = Depends(current_actor)) -> dict:
        job = jobs.status(request.app.state.settings.database, kind, job_id, actor, client(request))
        return {**job, "links": _links(request, job)}

    def get_result(request: Request, job_id: JobId, name: str, actor: access.Actor = Depends(current_actor)) -> FileResponse:
        path = jobs.result(request.app.state.settings.database, kind, job_id, name, actor, client(request))
        return FileResponse(path, media_type=jobs.FORMATS[path.suffix[1:]], filename=f"{kind}-{job_id}-{name}")

    def list_jobs(request: Request, limit: int = Query(50, ge=1, le=500, description="At most this many, newest first"),
                  actor: access.Actor = Depends(current_actor)) -> list[dict]:
        found = jobs.mine(request.app.state.settings.database, kind, actor, client(request), limit)
        return [{**job, "links": _links(request, job)} for job in found]

    def cancel_job(request: Request, job_id: JobId, actor: access.Actor = Depends(current_actor)) -> dict:
        job = jobs.cancel(request.app.state.settings.database, kind, job_id, actor, client(request))
        return {**job, "links": _links(request, job)}

    path = PATHS[kind]
    router.add_api_route(f"/{path}", list_jobs, methods=["GET"], responses=REFUSED, name=f"list_{kind}s",
                         summary=f"One's {kind} jobs, newest first (an administrator: everyone's)")
    router.add_api_route(f"/{path}/{{job_id}}/cancel", cancel_job, methods=["POST"], name=f"cancel_{kind}",
                         responses={**READ, 409: {"description": "The job has finished: nothing is changed"}},
                         summary=f"Cancel a queued or running {kind} job (its submitter or an administrator)")
    router.add_api_route(f"/{path}/{{job_id}}", get_job, methods=["GET"], responses=READ, name=f"get_{kind}",
                         summary=f"A {kind} job: state, progress, step, timestamps; when done, the summary and links to the results")
    router.add_api_route(f"/{path}/{{job_id}}/results/{{name}}", get_result, methods=["GET"], name=f"get_{kind}_result",
                         response_class=FileResponse, openapi_extra=PERSONAL if jobs.KINDS[kind].personal else None,
                         responses={**READ, 200: {"content": {t: {} for t in jobs.FORMATS.values()},
                                                                              "description": "The file"}},
                         summary=f"A result of a {kind} job as NAME.parquet or NAME.csv")


for _kind in PATHS:
    _read(_kind)


@router.get("/statistics", tags=["statistics"], responses={**REFUSED, 422: {"description": "Not a month"}},
            summary="The analyst's statistics of a month: support by region and measure, households per level by region")
def get_statistics(request: Request, month: str = Query(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM"),
                   actor: access.Actor = Depends(current_actor)) -> dict:
    """From the latest succeeded simulation (without a reform) and scoring run of the month;
    cells of fewer than ten suppressed. A part no run has computed is null, and `not_known` says
    which run computes it."""
    return statistics(request.app.state.settings.database, month, actor, client(request))
