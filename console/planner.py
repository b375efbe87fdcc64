"""Planificar: choose an area and a date, leave trucks out, carry misses over, plan, publish.

The page starts a plan job (the same ``/api/v1/plan-jobs`` use case the API serves), follows it
every two seconds, shows its plan beside the one already published for the date, and
publishes it (:mod:`basuracero.planning.publish`): phones get their routes, the sheets and the
public map follow.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.api.plan_jobs import PlanJobIn, create_plan_job
from basuracero.console.auth import (
    ConsoleUser,
    DataUser,
    PageUser,
    PlannerUser,
    area_for,
    csrf_checked,
    visible_areas,
)
from basuracero.console.day_map import plan_day_view, route_features
from basuracero.console.pages import render
from basuracero.errors import InputError
from basuracero.fleet.job_store import JobStore
from basuracero.fleet.store import Store
from basuracero.planning.area import Area
from basuracero.planning.day import read_fleet
from basuracero.planning.plan_summary import compare, left_out, totals, truck_rows
from basuracero.planning.publish import (
    SHEET_KINDS,
    current_plan_id,
    publish_plan,
    route_file,
    sheet_path,
)

router = APIRouter(tags=["console"], include_in_schema=False)
QUICK_SEARCH_S = 10.0  # the page's default search time: a plan in seconds, improvable later


class StartPlan(BaseModel):
    area: str = Field(..., min_length=1, max_length=64)
    date: dt.date
    vehicles_out: list[str] = Field(default_factory=list, max_length=200)
    carry_over_from: int | None = Field(None, ge=1, le=2**62)
    time_limit_s: float = Field(QUICK_SEARCH_S, ge=0.5, le=600)


class PublishPlan(BaseModel):
    plan_id: int = Field(..., ge=1, le=2**62)


def _store(request: Request) -> Store:
    return request.app.state.store


def _jobs(request: Request) -> JobStore:
    return request.app.state.jobs


def _planner_area(request: Request, user: ConsoleUser, area_id: str) -> Area:
    area = area_for(request, user, area_id, page=False)
    if not user.can_plan(area.id):
        raise ApiError(403, f"user {user.name!r} may not plan area {area.id!r}", field="area")
    return area


@router.get("/planificar", response_class=HTMLResponse)
def plan_page(
    request: Request,
    user: PageUser,
    area: str | None = Query(None, max_length=64),
    date: dt.date | None = None,
) -> HTMLResponse:
    """The planning page of an area and date (default: tomorrow on the area's clock)."""
    chosen = area_for(request, user, area)
    day = date or chosen.tomorrow()
    store = _store(request)
    published = current_plan_id(store, chosen, day.isoformat())
    earlier = [p for p in store.list_plans(None, chosen.id) if p["date"] < day.isoformat()]
    sources = [
        {
            "id": p["id"],
            "date": p["date"],
            "published": current_plan_id(store, chosen, p["date"]) == p["id"],
        }
        for p in reversed(earlier[-30:])
    ]
    sources.sort(key=lambda p: not p["published"])  # newest first, published ones on top
    trucks = [{"id": v.id} for v in read_fleet(chosen.fleet)]
    jobs = [j.public() for j in _jobs(request).list(area=chosen.id, service_date=day.isoformat())][
        :5
    ]
    page = {
        "area": chosen.id,
        "date": day.isoformat(),
        "published": published,
        "can_plan": user.can_plan(chosen.id),
        "jobs": jobs,
    }
    return render(
        request,
        "planificar.html",
        user=user,
        title="Planificar",
        area=chosen,
        areas=visible_areas(request, user),
        day=day,
        trucks=trucks,
        sources=sources,
        published=published,
        page_data=page,
        can_plan=page["can_plan"],
        carry_from=request.query_params.get("traer"),
    )


@router.post("/planificar/trabajos", dependencies=[Depends(csrf_checked)])
def start_plan_job(body: StartPlan, request: Request, user: PlannerUser) -> Response:
    """Start (or find) the plan job for these inputs: the API's use case, in the user's name."""
    area = _planner_area(request, user, body.area)
    job_in = PlanJobIn(
        area=area.id,
        date=body.date,
        time_limit_s=body.time_limit_s,
        carry_over_from=body.carry_over_from,
        vehicles_out=body.vehicles_out,
    )
    return create_plan_job(job_in, request)


@router.get("/planificar/trabajos/{job_id}")
def plan_job_state(job_id: RowId, request: Request, user: DataUser) -> dict[str, Any]:
    """A job's status and progress; once done, its plan as the page shows it."""
    job = _jobs(request).get(job_id)
    if job is None:
        raise ApiError(404, f"no plan job {job_id}", field="job_id")
    area = area_for(request, user, job.area, page=False)
    answer = job.public()
    if job.error is not None:
        answer["error_text"] = job.error.get("message")
    if job.plan_id is not None:
        answer["result"] = plan_result(request, area, job.plan_id)
    return answer


def plan_result(request: Request, area: Area, plan_id: int) -> dict[str, Any]:
    """Per truck table, unassigned with Spanish reasons, comparison with the published plan."""
    store = _store(request)
    saved = store.plan(plan_id)
    if saved is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    document = saved["plan"]
    published = current_plan_id(store, area, saved["date"])
    comparison = None
    if published is not None and published != plan_id:
        old = store.plan_document(published)
        comparison = compare(document, old) if old is not None else None
    return {
        "plan_id": plan_id,
        "date": saved["date"],
        "trucks": [r.to_dict() for r in truck_rows(document)],
        "left_out": [x.to_dict() for x in left_out(document)],
        "totals": totals(document),
        "published": published,
        "is_published": published == plan_id,
        "comparison": comparison,
        "carry_over": document.get("carry_over"),
    }


@router.get("/planificar/planes/{plan_id}/mapa")
def plan_map_data(plan_id: RowId, request: Request, user: DataUser) -> dict[str, Any]:
    """The plan's routes for the page's map (paths, streets and stops with their names)."""
    saved = _store(request).plan(plan_id)
    if saved is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    area = area_for(request, user, saved.get("area") or request.app.state.default_area, page=False)
    day = plan_day_view(_store(request), area, plan_id)
    assert day is not None
    return {"plan_id": plan_id, "routes": route_features(day)}


@router.post("/planificar/publicar", dependencies=[Depends(csrf_checked)])
def publish(body: PublishPlan, request: Request, user: PlannerUser) -> dict[str, Any]:
    """Make the plan the day's: phones get their routes, sheets and the public map follow."""
    saved = _store(request).plan(body.plan_id)
    if saved is None:
        raise ApiError(422, f"no plan {body.plan_id}", field="plan_id")
    area = _planner_area(request, user, saved.get("area") or request.app.state.default_area)
    try:
        done = publish_plan(
            _store(request),
            area,
            body.plan_id,
            by=user.name,
            default_area=request.app.state.default_area,
        )
    except InputError as exc:
        raise ApiError(422, str(exc), field=exc.field) from exc
    return done.to_dict()


@router.get("/planificar/hojas/{plan_id}/{filename}")
def sheet_file(
    plan_id: RowId,
    filename: str,
    request: Request,
    user: DataUser,
    lang: str = Query("es", pattern="^(es|en)$"),
) -> Response:
    """A route's sheet (PDF), GPX or KML: ``{truck}.{pdf|gpx|kml}``."""
    truck, _, kind = filename.rpartition(".")
    if kind not in SHEET_KINDS or not truck:
        raise ApiError(404, f"no sheet {filename!r} (TRUCK.pdf, .gpx or .kml)", field="filename")
    saved = _store(request).plan(plan_id)
    if saved is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    area = area_for(request, user, saved.get("area") or request.app.state.default_area, page=False)
    day = plan_day_view(_store(request), area, plan_id)
    assert day is not None
    base_url = f"{str(request.base_url).rstrip('/')}/hojas/{plan_id}"  # the QR's GPX, public
    try:
        body = route_file(day, truck, kind, lang=lang, base_url=base_url)
    except InputError as exc:
        raise ApiError(404, str(exc), field=exc.field) from exc
    name = f"{saved['date']}-{truck}.{kind}"
    return Response(
        body,
        media_type=SHEET_KINDS[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/hojas/{plan_id}/gpx/{filename}")
def public_gpx(plan_id: RowId, filename: str, request: Request) -> Response:
    """A stored plan's route as GPX for the driver's phone, reached by the sheet's QR code with
    no login: the route is the plan's public street list, no position of anyone."""
    truck, _, kind = filename.rpartition(".")
    saved = _store(request).plan(plan_id)
    if kind != "gpx" or not truck or saved is None:
        raise ApiError(404, f"no route file {filename!r} in plan {plan_id}", field="filename")
    area = request.app.state.areas.get(saved.get("area") or request.app.state.default_area)
    day = None if area is None else plan_day_view(_store(request), area, plan_id)
    if day is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    try:
        body = route_file(day, truck, "gpx")
    except InputError as exc:
        raise ApiError(404, str(exc), field=exc.field) from exc
    name = f"{saved['date']}-{truck}.gpx"
    return Response(body, media_type=SHEET_KINDS["gpx"],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


__all__ = ["plan_result", "router", "sheet_path"]
