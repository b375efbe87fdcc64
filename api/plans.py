"""Plans for a service date and which device drives which route."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from basuracero.api.areas import area_or_422
from basuracero.api.auth import require_admin
from basuracero.api.errors import ApiError
from basuracero.api.ids import DeviceRef, RowId
from basuracero.api.plan_document import PlanDocumentIn
from basuracero.api.read_cache import plain_json_bytes, read_cache, stored_plan
from basuracero.fleet.store import Store

router = APIRouter(tags=["plans"])


class PlanIn(BaseModel):
    date: dt.date = Field(..., description="Service date (YYYY-MM-DD) in the area's time zone.")
    area: str | None = Field(
        None, max_length=64, description="Service area (default: the deployment's)."
    )
    name: str | None = Field(None, max_length=200)
    plan: PlanDocumentIn = Field(..., description="A plan.json as `basuracero plan` writes it.")
    assignments: dict[str, DeviceRef] = Field(
        default_factory=dict, description="route id → device id."
    )


class PlanCreated(BaseModel):
    id: int


def _store(request: Request) -> Store:
    return request.app.state.store


def _route_id(route: dict[str, Any]) -> Any:
    """A plan.json route is named by its vehicle (``vehicle_id``); an explicit ``id`` wins."""
    return route.get("id") or route.get("vehicle_id")


def _route_ids(plan: dict[str, Any]) -> list[str]:
    routes = plan.get("routes")
    if not isinstance(routes, list):
        raise ApiError(422, "plan.routes must be a list", field="plan.routes")
    ids = []
    for i, route in enumerate(routes):
        if not isinstance(route, dict) or not isinstance(_route_id(route), str):
            raise ApiError(
                422, f"plan.routes[{i}] needs a text 'vehicle_id'", field=f"plan.routes.{i}"
            )
        ids.append(_route_id(route))
    return ids


def _check_assignments(store: Store, plan: dict[str, Any], mapping: dict[str, int]) -> None:
    known = set(_route_ids(plan))
    for route_id, device_id in mapping.items():
        if route_id not in known:
            raise ApiError(422, f"plan has no route {route_id!r}", field="assignments")
        if store.device(device_id) is None:
            raise ApiError(422, f"no device {device_id}", field=f"assignments.{route_id}")


def _check_own_fields(body: PlanIn, area: str) -> None:
    """A plan that says its own date or area must say the same as the request."""
    own = body.plan.date
    if own is not None and own != body.date.isoformat():
        raise ApiError(
            422, f"the plan is for {own}, the request says {body.date.isoformat()}", field="date"
        )
    if body.plan.area is not None and body.plan.area != area:
        raise ApiError(
            422, f"the plan is of area {body.plan.area!r}, the request says {area!r}", field="area"
        )


@router.post(
    "/api/v1/plans",
    status_code=201,
    response_model=PlanCreated,
    dependencies=[Depends(require_admin)],
)
def create_plan(body: PlanIn, request: Request) -> PlanCreated:
    store = _store(request)
    area = area_or_422(request, body.area or body.plan.area)
    document = body.plan.model_dump(exclude_unset=True)
    _check_own_fields(body, area.id)
    _check_assignments(store, document, body.assignments)
    plan_id = store.save_plan(body.date.isoformat(), document, body.name, area.id)
    store.assign(plan_id, body.assignments)
    return PlanCreated(id=plan_id)


@router.put("/api/v1/plans/{plan_id}/assignments", dependencies=[Depends(require_admin)])
def set_assignments(
    plan_id: RowId, mapping: dict[str, DeviceRef], request: Request
) -> dict[str, Any]:
    store = _store(request)
    saved = store.plan(plan_id)
    if saved is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    _check_assignments(store, saved["plan"], mapping)
    store.assign(plan_id, mapping)
    return {"id": plan_id, "assignments": mapping}


@router.get("/api/v1/plans")
def list_plans(
    request: Request,
    date: dt.date | None = None,
    area: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    """Public: plans, optionally of one service date and/or one area."""
    when = date.isoformat() if date else None
    return {"plans": _store(request).list_plans(when, area)}


@router.get("/api/v1/plans/{plan_id}", response_model=dict[str, Any])
def get_plan(plan_id: RowId, request: Request) -> Response:
    """Public: a plan with its route → device assignments."""
    saved = stored_plan(_store(request), plan_id)
    if saved is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    key = ("plan.json", plan_id, tuple(sorted(saved["assignments"].items())))
    body = read_cache(request).get(key, lambda: plain_json_bytes(saved))  # hundreds of kB
    return Response(body, media_type="application/json")
