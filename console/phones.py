"""**Camiones y celulares** (``/camiones?area=``): the area's trucks and the phones that report
their positions.

Everyone who may see the area sees its trucks (from its fleet file) and phones: last position
time on the area's clock and battery. Only an admin registers a phone, revokes it (a lost
phone: its token gets 401 at once, its pings stay) or gives it a new token; the token is shown
once, with the Traccar Client settings to type and a QR code of the server URL. The same store
functions serve ``/api/v1/devices`` for scripts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import segno
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from basuracero.api.ids import RowId
from basuracero.console.auth import (
    ConsoleUser,
    DataUser,
    PageRefused,
    PageUser,
    area_for,
    csrf_checked,
)
from basuracero.console.pages import language, render, translate
from basuracero.fleet.pings import parse_time
from basuracero.fleet.store import Device, Store, from_us
from basuracero.maps.i18n import get_lang
from basuracero.planning.area import Area
from basuracero.planning.day import read_fleet

router = APIRouter(include_in_schema=False)

# What the README recommends for drivers (measured against map matching): Traccar Client's
# settings as the app names them.
FREQUENCY_S = 5
DISTANCE_M = 0
ANGLE_DEG = 0


@dataclass(frozen=True)
class Truck:
    id: str
    capacity_kg: int
    shift: str  # "06:00–14:00"


@dataclass(frozen=True)
class Phone:
    id: int
    name: str
    vehicle: str | None
    active: bool
    revoked_at: str | None  # local time words, when revoked
    last_seen: str | None  # local time words of the newest fix, None: never
    last_seen_iso: str | None
    battery_pct: float | None


def _store(request: Request) -> Store:
    return request.app.state.store


def trucks_of(area: Area) -> list[Truck]:
    clock = get_lang("es").clock
    return [
        Truck(v.id, v.capacity_kg, f"{clock(v.shift_start_s)}–{clock(v.shift_end_s)}")
        for v in read_fleet(area.fleet)
    ]


def _in_area(request: Request, device: Device, area: Area) -> bool:
    return (device.area or request.app.state.default_area) == area.id


def phones_of(request: Request, area: Area, lang: str) -> list[Phone]:
    """The area's phones with their newest fix (on the area's clock) and battery."""
    store = _store(request)
    latest = {p["device_id"]: p for p in store.latest_positions()}
    words = get_lang(lang)
    now = datetime.now(UTC)
    phones = []
    for device in store.list_devices():
        if not _in_area(request, device, area):
            continue
        fix = latest.get(device.id)
        seen = None if fix is None else parse_time(fix["time"], now, "time")
        revoked = None
        if device.revoked_us is not None:
            revoked = words.when_served(from_us(device.revoked_us), now, tz=area.tz)
        phones.append(
            Phone(
                id=device.id,
                name=device.name,
                vehicle=device.vehicle,
                active=device.revoked_us is None,
                revoked_at=revoked,
                last_seen=None if seen is None else words.when_served(seen, now, tz=area.tz),
                last_seen_iso=None if fix is None else fix["time"],
                battery_pct=None if fix is None else fix["battery_pct"],
            )
        )
    return phones


@router.get("/camiones", response_class=HTMLResponse)
def trucks_page(
    request: Request,
    user: PageUser,
    area: str | None = Query(None, max_length=64),
) -> HTMLResponse:
    chosen = area_for(request, user, area)
    return _page(request, user, chosen)


def _page(
    request: Request,
    user: ConsoleUser,
    area: Area,
    *,
    issued: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    trucks = trucks_of(area)
    phones = phones_of(request, area, language(request))
    known = {t.id for t in trucks}
    return render(
        request,
        "phones.html",
        user=user,
        title=translate(request, "Trucks and phones"),
        area=area,
        trucks=trucks,
        phones=phones,
        phones_by_truck={t.id: [p for p in phones if p.vehicle == t.id] for t in trucks},
        other_phones=[p for p in phones if p.vehicle not in known],
        may_change=user.can_manage_devices(),
        issued=issued,
        status_code=status_code,
    )


def _admin(request: Request, user: ConsoleUser) -> None:
    if not user.can_manage_devices():
        raise PageRefused(403, translate(request, "Only an administrator can change phones."))


def _own_device(request: Request, device_id: int, area: Area) -> Device:
    device = _store(request).device(device_id)
    if device is None or not _in_area(request, device, area):
        raise PageRefused(404, translate(request, "No such phone in this area."))
    return device


@router.post(
    "/camiones/celulares", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)]
)
def register_phone(
    request: Request,
    user: PageUser,
    area: str = Form(..., max_length=64),
    vehicle: str = Form(..., max_length=200),
    name: str = Form("", max_length=200),
) -> HTMLResponse:
    """A new phone for a truck of the area; the page shows its token this once."""
    chosen = area_for(request, user, area)
    _admin(request, user)
    if vehicle not in {t.id for t in trucks_of(chosen)}:
        raise PageRefused(
            422, translate(request, "vehicle: not a truck of this area") + f" ({vehicle!r})"
        )
    label = name.strip() or translate(request, "Phone of {truck}").format(truck=vehicle)
    device, token = _store(request).create_device(label, vehicle, chosen.id)
    return _page(request, user, chosen, issued=_settings(request, device, token), status_code=201)


@router.post(
    "/camiones/celulares/{device_id}/token",
    response_class=HTMLResponse,
    dependencies=[Depends(csrf_checked)],
)
def new_token(
    device_id: RowId,
    request: Request,
    user: PageUser,
    area: str = Form(..., max_length=64),
) -> HTMLResponse:
    """A new token for the phone (the old one gets 401 at once), shown this once."""
    chosen = area_for(request, user, area)
    _admin(request, user)
    _own_device(request, device_id, chosen)
    found = _store(request).rotate_token(device_id)
    if found is None:
        raise PageRefused(404, translate(request, "No such phone in this area."))
    device, token = found
    return _page(request, user, chosen, issued=_settings(request, device, token))


@router.post("/camiones/celulares/{device_id}/revocar", dependencies=[Depends(csrf_checked)])
def revoke_phone(
    device_id: RowId,
    request: Request,
    user: PageUser,
    area: str = Form(..., max_length=64),
) -> Response:
    """Revoke a lost phone: its token gets 401 at once; its pings stay."""
    chosen = area_for(request, user, area)
    _admin(request, user)
    _own_device(request, device_id, chosen)
    _store(request).revoke_device(device_id)
    return RedirectResponse(f"/camiones?area={chosen.id}", status_code=303)


def _settings(request: Request, device: Device, token: str) -> dict[str, Any]:
    """What to type into Traccar Client, and the server URL as a QR code."""
    url = f"{str(request.base_url).rstrip('/')}/osmand/{token}"
    return {
        "device": device,
        "token": token,
        "server_url": url,
        "identifier": f"{device.vehicle or 'phone'}-{device.id}",
        "frequency_s": FREQUENCY_S,
        "distance_m": DISTANCE_M,
        "angle_deg": ANGLE_DEG,
        "qr_svg": segno.make(url, error="m").svg_inline(scale=6, border=2),
        "https": request.url.scheme == "https",
    }


@router.get("/console/api/camiones")
def phones_data(
    request: Request,
    user: DataUser,
    area: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    """The area's trucks and phones as JSON (the page's data; no tokens)."""
    chosen = area_for(request, user, area, page=False)
    return {
        "area": chosen.id,
        "trucks": [t.__dict__ for t in trucks_of(chosen)],
        "phones": [p.__dict__ for p in phones_of(request, chosen, language(request))],
    }
