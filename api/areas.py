"""Service areas of this deployment: listed publicly, and the one thing devices, plans and
jobs belong to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from basuracero.api.errors import ApiError
from basuracero.planning.area import Area

router = APIRouter(tags=["areas"])


def areas_of(request: Request) -> dict[str, Area]:
    return request.app.state.areas


def area_or_422(request: Request, area_id: str | None, field: str = "area") -> Area:
    """The named area, or the deployment's default when none is named."""
    areas = areas_of(request)
    chosen = request.app.state.default_area if area_id is None else area_id
    area = areas.get(chosen)
    if area is None:
        raise ApiError(
            422, f"area {chosen!r} is not served here (areas: {', '.join(sorted(areas))})",
            field=field,
        )  # fmt: skip
    return area


def area_of_plan(request: Request, saved: dict[str, Any]) -> Area:
    """The area a stored plan belongs to (plans stored before areas existed: the default)."""
    areas = areas_of(request)
    area = areas.get(saved.get("area") or request.app.state.default_area)
    if area is None:
        raise ApiError(
            409, f"plan {saved['id']} belongs to area {saved.get('area')!r}, not served here",
            field="area",
        )  # fmt: skip
    return area


@router.get("/api/v1/areas")
def list_areas(request: Request) -> list[dict[str, Any]]:
    """Public: every service area of this deployment (the default one first)."""
    default = request.app.state.default_area
    return [
        {**area.summary(), "default": area.id == default}
        for area in sorted(areas_of(request).values(), key=lambda a: (a.id != default, a.id))
    ]
