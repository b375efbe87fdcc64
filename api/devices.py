"""Devices (phones, GPS units) and their pings: management is admin-only; positions are public."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from basuracero.api.areas import area_or_422
from basuracero.api.auth import require_admin
from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.fleet.pings import PingError, parse_time
from basuracero.fleet.store import Store

router = APIRouter(tags=["devices"])


class DeviceIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=200)
    vehicle: str | None = Field(None, max_length=200)
    area: str | None = Field(
        None, max_length=64, description="Service area (default: the deployment's)."
    )


class DeviceCreated(BaseModel):
    id: int
    name: str
    vehicle: str | None
    area: str | None
    token: str = Field(..., description="Shown once; store it in the phone's app.")


class DeviceOut(BaseModel):
    id: int
    name: str
    vehicle: str | None
    area: str | None = None


def _store(request: Request) -> Store:
    return request.app.state.store


@router.post(
    "/api/v1/devices",
    status_code=201,
    response_model=DeviceCreated,
    dependencies=[Depends(require_admin)],
)
def create_device(body: DeviceIn, request: Request) -> DeviceCreated:
    """Register a phone or GPS unit; the answer carries its token (shown only this once)."""
    area = area_or_422(request, body.area)
    device, token = _store(request).create_device(body.name.strip(), body.vehicle, area.id)
    return DeviceCreated(
        id=device.id, name=device.name, vehicle=device.vehicle, area=device.area, token=token
    )


@router.get(
    "/api/v1/devices", response_model=list[DeviceOut], dependencies=[Depends(require_admin)]
)
def list_devices(request: Request) -> list[DeviceOut]:
    return [DeviceOut(**d.__dict__) for d in _store(request).list_devices()]


@router.get("/api/v1/devices/{device_id}/pings", dependencies=[Depends(require_admin)])
def device_pings(
    device_id: RowId,
    request: Request,
    since: str | None = Query(None, description="Epoch seconds/ms or ISO 8601."),
    until: str | None = Query(None, description="Epoch seconds/ms or ISO 8601."),
    limit: int = Query(1000, ge=1, le=100_000),
) -> dict[str, Any]:
    """A device's pings in time order, each with an ISO 8601 ``time``, ``lat`` and ``lon``."""
    store = _store(request)
    if store.device(device_id) is None:
        raise ApiError(404, f"no device {device_id}", field="device_id")
    now = datetime.now(UTC)
    try:
        start = parse_time(since, now, "since") if since is not None else None
        end = parse_time(until, now, "until") if until is not None else None
    except PingError as exc:
        raise ApiError(422, str(exc), field=exc.field) from exc
    return {"pings": store.pings(device_id, start, end, limit)}


@router.get("/api/v1/positions")
def positions(request: Request) -> dict[str, Any]:
    """Public: the latest trustworthy position of every truck."""
    return {"positions": _store(request).latest_positions()}
