"""Cierre del día: per route what was served, late and missed, a reason for each miss, the
misses carried into the next day's plan job, and the printable day report (PDF, es/en)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from basuracero.api.errors import ApiError
from basuracero.api.plan_jobs import PlanJobIn, create_plan_job
from basuracero.api.progress import compute, streets_for
from basuracero.console.auth import (
    ConsoleUser,
    PageRefused,
    PageUser,
    PlannerUser,
    area_for,
    csrf_checked,
)
from basuracero.console.day_map import job_label, plan_day_view
from basuracero.console.live import local_today, todays_plan_id
from basuracero.console.pages import environment, render, translate
from basuracero.fleet.day_close import NO_DATA, RouteClose, route_close
from basuracero.fleet.day_records import MISS_REASONS, reasons_of, set_miss_reason
from basuracero.fleet.progress import local_moment
from basuracero.fleet.store import Store
from basuracero.maps.i18n import get_lang
from basuracero.maps.sheets import sheet_pdf
from basuracero.planning.area import Area
from basuracero.transparency.records import DayNotOver, close_day, closed_day

router = APIRouter(include_in_schema=False)
CARRY_SEARCH_S = 10.0


def _store(request: Request) -> Store:
    return request.app.state.store


def day_close(request: Request, area: Area, day: dt.date) -> dict[str, Any] | None:
    """The close of an area's day: its plan (published, else newest) route by route."""
    store = _store(request)
    plan_id = todays_plan_id(store, area, day)
    if plan_id is None:
        return None
    saved = store.plan(plan_id)
    view = plan_day_view(store, area, plan_id)
    if saved is None or view is None:
        return None
    _context, reports = compute(request, plan_id, None)
    reasons = reasons_of(store.engine, plan_id)
    graph = streets_for(area.streets).graph
    routes: list[RouteClose] = []
    documents = {str(r.get("vehicle_id")): r for r in saved["plan"].get("routes", [])}
    start = local_moment(day, 0, area.tz)
    for report in reports:
        route = documents.get(report.vehicle_id, {})
        labels = {s.id: job_label(view, s.id) for s in report.stops
                  if s.status in ("missed", "unknown")}  # fmt: skip
        track = None
        device = saved["assignments"].get(report.vehicle_id)
        if device is not None:
            fixes = [f for f in store.pings(device, start, start + dt.timedelta(days=1),
                                            limit=200_000) if not f["flags"]]  # fmt: skip
            if fixes:
                xy = graph.to_xy(np.array([[f["lon"], f["lat"]] for f in fixes]))
                times = np.array([dt.datetime.fromisoformat(f["time"].replace("Z", "+00:00"))
                                  .timestamp() for f in fixes])  # fmt: skip
                track = (xy, times)
        routes.append(route_close(report, route, labels, track, reasons, area.tz))
    return {"plan_id": plan_id, "date": day, "routes": routes}


@router.get("/cierre", response_class=HTMLResponse)
def close_page(
    request: Request,
    user: PageUser,
    area: str | None = Query(None, max_length=64),
    date: dt.date | None = None,
) -> HTMLResponse:
    chosen = area_for(request, user, area)
    day = date or local_today(chosen)
    closing = day_close(request, chosen, day)
    kept = closed_day(_store(request), chosen.id, day)
    return render(
        request, "cierre.html", user=user, title=translate(request, "Day close"), area=chosen,
        day=day, closing=closing, reasons=MISS_REASONS, can_plan=user.can_plan(chosen.id),
        no_data=NO_DATA, next_day=day + dt.timedelta(days=1), kept=kept,
    )  # fmt: skip


@router.post("/cierre/motivo", dependencies=[Depends(csrf_checked)])
def set_reason(
    request: Request,
    user: PlannerUser,
    plan_id: int = Form(..., ge=1, le=2**62),
    visit_id: str = Form(..., min_length=1, max_length=200),
    reason: str = Form(..., max_length=32),
) -> Response:
    """Store the manager's reason for one miss, then back to the close page."""
    saved = _store(request).plan(plan_id)
    if saved is None:
        raise ApiError(422, f"no plan {plan_id}", field="plan_id")
    area = _planned_area(request, user, saved)
    if reason not in MISS_REASONS:
        raise ApiError(422, f"reason {reason!r}: one of {', '.join(MISS_REASONS)}",
                       field="reason")  # fmt: skip
    visits = {v["id"] for r in saved["plan"].get("routes", []) for v in r.get("visits", [])}
    if visit_id not in visits:
        raise ApiError(422, f"plan {plan_id} has no visit {visit_id!r}", field="visit_id")
    set_miss_reason(_store(request).engine, plan_id=plan_id, visit_id=visit_id, reason=reason,
                    by=user.name)  # fmt: skip
    target = f"/cierre?area={area.id}&date={saved['date']}#miss-{visit_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/cierre/pasar-a-manana", dependencies=[Depends(csrf_checked)])
def carry_to_tomorrow(
    request: Request,
    user: PlannerUser,
    plan_id: int = Form(..., ge=1, le=2**62),
) -> Response:
    """Start the next day's plan job with this plan's misses required; then to Planificar."""
    saved = _store(request).plan(plan_id)
    if saved is None:
        raise ApiError(422, f"no plan {plan_id}", field="plan_id")
    area = _planned_area(request, user, saved)
    next_day = dt.date.fromisoformat(saved["date"]) + dt.timedelta(days=1)
    body = PlanJobIn(area=area.id, date=next_day, time_limit_s=CARRY_SEARCH_S,
                     carry_over_from=plan_id)  # fmt: skip
    try:
        create_plan_job(body, request)
    except ApiError as exc:
        raise PageRefused(exc.status, exc.message) from exc
    target = f"/planificar?area={area.id}&date={next_day.isoformat()}&traer={plan_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/cierre/cerrar", dependencies=[Depends(csrf_checked)])
def close_the_day(
    request: Request,
    user: PlannerUser,
    date: Annotated[dt.date, Form(description="the service day")],
    area: Annotated[str, Form(max_length=64)],
) -> Response:
    """Keep the day's figures from its stored facts (GPS, tickets, reports) for /transparencia
    and the open data; closing again changes them only when the facts changed."""
    chosen = area_for(request, user, area)
    if not user.can_plan(chosen.id):
        raise PageRefused(403, f"{user.name} cannot close days of {chosen.id}")
    try:
        close_day(_store(request), chosen, date, reason=f"cierre en la consola ({user.name})")
    except DayNotOver as exc:
        raise PageRefused(409, str(exc)) from exc
    return RedirectResponse(f"/cierre?area={chosen.id}&date={date.isoformat()}#closed",
                            status_code=303)  # fmt: skip


@router.get("/cierre/informe.pdf")
def close_report(
    request: Request,
    user: PageUser,
    area: str | None = Query(None, max_length=64),
    date: dt.date | None = None,
    lang: str = Query("es", pattern="^(es|en)$"),
) -> Response:
    """The printable day report (WeasyPrint, as the route sheets)."""
    chosen = area_for(request, user, area)
    day = date or local_today(chosen)
    closing = day_close(request, chosen, day)
    if closing is None:
        raise PageRefused(404, f"no plan for {chosen.id} on {day.isoformat()}")
    words = get_lang(lang)
    html = environment(lang).get_template("cierre_informe.html").render(
        area=chosen, day=day, closing=closing, fmt=words, lang=lang, no_data=NO_DATA,
        reasons={k: v[0 if lang == "es" else 1] for k, v in MISS_REASONS.items()},
        made=dt.datetime.now(dt.UTC).astimezone(chosen.tz).strftime("%Y-%m-%d %H:%M"),
    )  # fmt: skip
    name = f"cierre-{chosen.id}-{day.isoformat()}-{lang}.pdf"
    return Response(sheet_pdf(html), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip


def _planned_area(request: Request, user: ConsoleUser, saved: dict[str, Any]) -> Area:
    area = area_for(request, user, saved.get("area") or request.app.state.default_area,
                    page=False)  # fmt: skip
    if not user.can_plan(area.id):
        raise ApiError(403, f"user {user.name!r} may not close the day of {area.id!r}")
    return area
