"""Devices (phones, GPS units) and their pings: management is admin-only.

The live map (``GET /api/v1/positions``) is public, so it shows trucks, not people: only a truck
assigned to a plan of today (in its area's time zone), only during its shift (first departure
less 30 min to last arrival plus 60 min), under the plan's vehicle name (never the device's
name, which may be its driver's), to 5 decimals (about a metre), without battery or altitude.
Outside its shift a truck is listed as "fuera de servicio" with no position: a phone carried home
at night is nobody's business. ``GET /api/v1/admin/positions`` shows the manager everything.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator

from basuracero.api.areas import area_or_422
from basuracero.api.auth import require_admin
from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.api.read_cache import json_bytes, read_cache, refresh_s
from basuracero.fleet.pings import PingError, clean_text, parse_time
from basuracero.fleet.store import Device, Store, iso
from basuracero.planning.area import Area

router = APIRouter(tags=["devices"])

SHIFT_EARLY = timedelta(minutes=30)
SHIFT_GRACE = timedelta(minutes=60)
PUBLIC_DECIMALS = 5
LIVE_MAP_MAX_AGE_S = 10.0  # the live map is cheap to compute: fresher than progress
IN_SERVICE = "en servicio"
OUT_OF_SERVICE = "fuera de servicio"


class DeviceIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=200)
    vehicle: str | None = Field(None, max_length=200)
    area: str | None = Field(
        None, max_length=64, description="Service area (default: the deployment's)."
    )

    @field_validator("name", "vehicle", "area")
    @classmethod
    def _storable(cls, value: str | None, info: Any) -> str | None:
        """Names are trimmed, and refused when blank, with a NUL or a lone surrogate."""
        try:
            return clean_text(info.field_name, value, 200, required=info.field_name == "name")
        except PingError as exc:
            raise ValueError(exc.reason) from None


class DeviceOut(BaseModel):
    id: int
    name: str
    vehicle: str | None
    area: str | None = None
    revoked_at: str | None = Field(None, description="When its token was revoked, if it was.")


class DeviceCreated(DeviceOut):
    token: str = Field(..., description="Shown once; store it in the phone's app.")


def _out(device: Device) -> DeviceOut:
    revoked = None if device.revoked_us is None else iso(device.revoked_us)
    return DeviceOut(
        id=device.id,
        name=device.name,
        vehicle=device.vehicle,
        area=device.area,
        revoked_at=revoked,
    )


def _store(request: Request) -> Store:
    return request.app.state.store


@router.post(
    "/api/v1/devices",
    status_code=201,
    response_model=DeviceCreated,
    operation_id="create_device",
    dependencies=[Depends(require_admin)],
)
def create_device(body: DeviceIn, request: Request) -> DeviceCreated:
    """Register a phone or GPS unit; the answer carries its token (shown only this once)."""
    area = area_or_422(request, body.area)
    device, token = _store(request).create_device(body.name, body.vehicle, area.id)
    return DeviceCreated(**_out(device).model_dump(), token=token)


@router.get(
    "/api/v1/devices",
    response_model=list[DeviceOut],
    operation_id="list_devices",
    dependencies=[Depends(require_admin)],
)
def list_devices(request: Request) -> list[DeviceOut]:
    return [_out(d) for d in _store(request).list_devices()]


@router.delete(
    "/api/v1/devices/{device_id}",
    response_model=DeviceOut,
    operation_id="revoke_device",
    dependencies=[Depends(require_admin)],
)
def revoke_device(device_id: RowId, request: Request) -> DeviceOut:
    """Revoke a device's token (a lost phone): it gets 401 at once, on every server process.

    The device and its pings stay; ``POST /api/v1/devices/{id}/token`` gives it a new token.
    """
    device = _store(request).revoke_device(device_id)
    if device is None:
        raise ApiError(404, f"no device {device_id}", field="device_id")
    return _out(device)


@router.post(
    "/api/v1/devices/{device_id}/token",
    response_model=DeviceCreated,
    operation_id="rotate_device_token",
    dependencies=[Depends(require_admin)],
)
def rotate_token(device_id: RowId, request: Request) -> DeviceCreated:
    """A new token for the device, shown once; the old one stops working at once."""
    found = _store(request).rotate_token(device_id)
    if found is None:
        raise ApiError(404, f"no device {device_id}", field="device_id")
    device, token = found
    return DeviceCreated(**_out(device).model_dump(), token=token)


@router.get(
    "/api/v1/devices/{device_id}/pings",
    operation_id="device_pings",
    dependencies=[Depends(require_admin)],
)
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


@router.get(
    "/api/v1/admin/positions",
    operation_id="admin_positions",
    dependencies=[Depends(require_admin)],
)
def admin_positions(request: Request) -> dict[str, Any]:
    """Admin: the latest trustworthy fix of every device, whatever the time, with its name,
    battery and altitude."""
    return {"positions": _store(request).latest_positions()}


@router.get("/api/v1/positions", operation_id="public_positions", response_model=dict[str, Any])
def positions(request: Request) -> Response:
    """Public: the trucks of today's plans, where they are during their shift (to 5 decimals),
    "fuera de servicio" without a position outside it (refreshed every few seconds)."""
    moment = clock()
    every = min(refresh_s(request), LIVE_MAP_MAX_AGE_S)  # one computation per period
    period = moment if every <= 0 else int(moment.timestamp() // every)
    body = read_cache(request).get(
        ("positions", period),
        lambda: json_bytes({"positions": public_positions(request, moment)}),
    )
    return Response(body, media_type="application/json")


def clock() -> datetime:
    """The clock of the live map (tests set it; the public cannot: no ``?at=`` for history)."""
    return datetime.now(UTC)


def public_positions(request: Request, moment: datetime) -> list[dict[str, Any]]:
    store = _store(request)
    areas: dict[str, Area] = request.app.state.areas
    default = request.app.state.default_area
    today = {area_id: moment.astimezone(area.tz).date() for area_id, area in areas.items()}
    trucks: dict[int, dict[str, Any]] = {}  # device → its truck in today's latest plan
    for saved in store.plans_with_assignments(d.isoformat() for d in set(today.values())):
        area_id = saved["area"] or default
        if area_id not in areas or today[area_id].isoformat() != saved["date"]:
            continue  # a plan of another day where its own area is
        document = store.plan_document(saved["id"]) or {}
        for route_id, device_id in saved["assignments"].items():
            route = _route(document, route_id)
            if route is not None:
                shift = shift_of(route, today[area_id], areas[area_id])
                vehicle = str(route.get("vehicle_id") or route_id)
                trucks[device_id] = {"vehicle": vehicle, "area": area_id,
                                     "plan_id": saved["id"], "shift": shift}  # fmt: skip
    return sorted(
        (_public_entry(store, device_id, truck, moment) for device_id, truck in trucks.items()),
        key=lambda e: (e["area"], e["vehicle"]),
    )


def _route(document: dict[str, Any], route_id: str) -> dict[str, Any] | None:
    """The plan.json route an assignment names (by ``id``, else ``vehicle_id``)."""
    for route in document.get("routes") or []:
        if isinstance(route, dict) and (route.get("id") or route.get("vehicle_id")) == route_id:
            return route
    return None


def shift_of(route: dict[str, Any], day: date, area: Area) -> tuple[datetime, datetime] | None:
    """When the truck may be shown: first departure less 30 min to last arrival plus 60 min,
    read as seconds after the area's local midnight of the plan's date."""
    departures, arrivals = [], []
    for visit in route.get("visits") or []:
        if isinstance(visit, dict):
            departures += [v for v in [visit.get("departure_s")] if _seconds(v)]
            arrivals += [v for v in [visit.get("arrival_s")] if _seconds(v)]
    if not departures or not arrivals:
        return None
    midnight = datetime.combine(day, time(0), tzinfo=area.tz)
    start = midnight + timedelta(seconds=min(departures)) - SHIFT_EARLY
    end = midnight + timedelta(seconds=max(arrivals)) + SHIFT_GRACE
    return start.astimezone(UTC), end.astimezone(UTC)


def _seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 4e5


def _public_entry(
    store: Store, device_id: int, truck: dict[str, Any], moment: datetime
) -> dict[str, Any]:
    entry = {"vehicle": truck["vehicle"], "area": truck["area"], "plan_id": truck["plan_id"],
             "status": OUT_OF_SERVICE, "time": None, "lat": None, "lon": None,
             "speed_mps": None, "heading_deg": None}  # fmt: skip
    shift = truck["shift"]
    if shift is None or not shift[0] <= moment <= shift[1]:
        return entry
    entry["status"] = IN_SERVICE
    fix = store.latest_fix(device_id, shift[0], moment)
    if fix is not None:
        entry.update(
            time=fix["time"],
            lat=round(fix["lat"], PUBLIC_DECIMALS),
            lon=round(fix["lon"], PUBLIC_DECIMALS),
            speed_mps=None if fix["speed_mps"] is None else round(fix["speed_mps"], 1),
            heading_deg=None if fix["heading_deg"] is None else round(fix["heading_deg"]),
        )
    return entry
