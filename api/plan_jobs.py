"""Plan jobs: a day's plan for an area, made in the background by a worker.

``POST /api/v1/plan-jobs`` checks every input (area, date, trucks, carry-over) before anything
is queued, and answers 202 with the job; asking again with the same inputs returns the same
job. ``GET /api/v1/plan-jobs/{id}`` follows it to ``done`` (with its ``plan_id``) or ``failed``
(with an error naming file, id and field).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from basuracero.api.areas import area_of_plan, area_or_422
from basuracero.api.auth import require_admin
from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.api.report_plan import with_reports
from basuracero.errors import InputError
from basuracero.fleet.job_store import JobConflict, JobStore
from basuracero.planning.carry_over import CarryOver, carried_from_rows
from basuracero.planning.job import MAX_TIME_LIMIT_S, PlanJobInputs, check_inputs

router = APIRouter(tags=["plan jobs"])


class PlanJobIn(BaseModel):
    area: str = Field(..., min_length=1, max_length=64, description="Service area id.")
    date: dt.date = Field(..., description="Service date (YYYY-MM-DD) in the area's time zone.")
    time_limit_s: float = Field(30.0, ge=0.5, le=MAX_TIME_LIMIT_S, description="Search time.")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="Same seed and inputs, same plan.")
    carry_over_from: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="Plan whose jobs not confirmed served (missed or unknown, as in its "
        "missed.csv) become required.",
    )
    vehicles_out: list[str] = Field(
        default_factory=list, max_length=200, description="Trucks not available that day."
    )
    reports: bool = Field(
        True,
        description="Serve the area's accepted, unresolved residents' reports (missed "
        "streets, dumps) too.",
    )


def _jobs(request: Request) -> JobStore:
    return request.app.state.jobs


@router.post("/api/v1/plan-jobs", status_code=202, dependencies=[Depends(require_admin)])
def create_plan_job(body: PlanJobIn, request: Request) -> JSONResponse:
    """Queue the day's plan of an area (202), or return the job already made for these inputs."""
    area = area_or_422(request, body.area)
    carry = _carry_over(request, body.carry_over_from, area.id)
    carry = with_reports(request, area, carry) if body.reports else carry
    inputs = PlanJobInputs(
        area=area.id, service_date=body.date, time_limit_s=body.time_limit_s, seed=body.seed,
        vehicles_out=tuple(body.vehicles_out), carry_over=carry,
    )  # fmt: skip
    try:
        check_inputs(inputs, request.app.state.areas)
    except InputError as exc:
        raise ApiError(422, str(exc), field=exc.field) from exc
    try:
        job, enqueue = _jobs(request).submit(
            key=inputs.key(area), area=area.id, service_date=body.date.isoformat(),
            inputs=inputs.to_dict(),
        )  # fmt: skip
    except JobConflict as exc:
        raise ApiError(
            409, f"a plan for {area.id} on {body.date} is already being made: job {exc.job.id} "
            f"({exc.job.status}); wait for it or ask for the same inputs",
            field="date",
        ) from exc  # fmt: skip
    if enqueue:
        request.app.state.job_queue.enqueue(job.id)
    return JSONResponse(job.public(), status_code=202 if enqueue else 200)


@router.get("/api/v1/plan-jobs/{job_id}")
def get_plan_job(job_id: RowId, request: Request) -> dict[str, Any]:
    """Public: a job's status, progress, best cost so far, and its plan or its error."""
    job = _jobs(request).get(job_id)
    if job is None:
        raise ApiError(404, f"no plan job {job_id}", field="job_id")
    return job.public()


@router.get("/api/v1/plan-jobs")
def list_plan_jobs(
    request: Request,
    area: str | None = Query(None, max_length=64),
    date: dt.date | None = None,
) -> dict[str, Any]:
    """Public: the latest jobs (200 at most), newest first, of an area and/or a date."""
    jobs = _jobs(request).list(area=area, service_date=date.isoformat() if date else None)
    return {"jobs": [j.public() for j in jobs]}


def _carry_over(request: Request, plan_id: int | None, area_id: str) -> CarryOver | None:
    """Every job of the earlier plan not confirmed served by GPS now (missed or unknown): the
    rows ``missed.csv`` lists (``fleet.progress.unserved_rows``), read by the same function as
    ``basuracero plan --carry-over missed.csv`` (``planning.carry_over.carried_from_rows``).
    An unknown job may have been served unseen; carrying it costs a pass, losing it a street."""
    if plan_id is None:
        return None
    from basuracero.api.progress import compute
    from basuracero.fleet.progress import unserved_rows

    saved = request.app.state.store.plan(plan_id)
    if saved is None:
        raise ApiError(422, f"no plan {plan_id}", field="carry_over_from")
    area = area_of_plan(request, saved)
    if area.id != area_id:
        raise ApiError(
            422, f"plan {plan_id} is of area {saved.get('area')!r}, not {area_id!r}",
            field="carry_over_from",
        )  # fmt: skip
    _context, reports = compute(request, plan_id, None)
    document = {**saved["plan"], "date": saved["date"]}
    rows = unserved_rows(reports, document, area.tz)
    try:
        return carried_from_rows(rows, source=f"plan {plan_id}", from_plan=plan_id)
    except InputError as exc:
        raise ApiError(422, str(exc), field="carry_over_from") from exc
