"""Publishing a day's plan: the step that turns a plan job's result into the day everyone follows.

A plan job stores each plan it makes; publishing one makes it *the* plan of its area and date:
each route goes to the phone registered for its truck (a device's ``vehicle``), the drivers'
sheets (PDF, GPX, KML) are made from it, and the public coverage map of the day is its map.
Publishing again (a better plan, a truck out) replaces the assignments and the day's plan; the
history of publications is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from basuracero.errors import InputError
from basuracero.fleet.day_records import Publication, published_plan, record_publication
from basuracero.fleet.store import Device, Store
from basuracero.geodata.streets import StreetGraph
from basuracero.maps.day import DayView, day_from_document, vehicle_names
from basuracero.maps.exports import route_gpx, route_kml
from basuracero.maps.i18n import get_lang
from basuracero.maps.sheets import sheet_html, sheet_pdf
from basuracero.planning.area import Area

SHEET_KINDS = {
    "pdf": "application/pdf",
    "gpx": "application/gpx+xml",
    "kml": "application/vnd.google-earth.kml+xml",
}


@dataclass(frozen=True)
class Published:
    """What publishing did: the plan, which phone got which route, which trucks have none."""

    plan_id: int
    area: str
    service_date: str
    assignments: dict[str, int]
    without_phone: list[str]
    publication: Publication
    sheets: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            "area": self.area,
            "date": self.service_date,
            "assignments": self.assignments,
            "without_phone": self.without_phone,
            "published_by": self.publication.published_by,
            "sheets": self.sheets,
            "coverage": f"/coverage/{self.plan_id}",
        }


def phones_by_truck(devices: list[Device], area: Area, default_area: str) -> dict[str, int]:
    """Truck id → the phone registered for it in this area (the newest one, if several);
    revoked phones are left out: a route sent to them would never be driven."""
    found: dict[str, int] = {}
    for device in sorted(devices, key=lambda d: d.id):
        home = device.area or default_area
        if device.vehicle and home == area.id and device.revoked_us is None:
            found[device.vehicle] = device.id
    return found


def publish_plan(
    store: Store, area: Area, plan_id: int, *, by: str, default_area: str
) -> Published:
    """Make ``plan_id`` the plan of its date in ``area`` and give each route to its truck's
    phone. Refused (InputError naming the field) for a plan of another area or none."""
    saved = store.plan(plan_id)
    if saved is None:
        raise InputError(f"no plan {plan_id}", field="plan_id")
    if (saved.get("area") or default_area) != area.id:
        raise InputError(
            f"plan {plan_id} is of area {saved.get('area')!r}, not {area.id!r}", field="plan_id"
        )
    routes = [str(r.get("vehicle_id")) for r in saved["plan"].get("routes", [])]
    phones = phones_by_truck(store.list_devices(), area, default_area)
    assignments = {truck: phones[truck] for truck in routes if truck in phones}
    store.assign(plan_id, assignments)
    publication = record_publication(
        store.engine, plan_id=plan_id, area=area.id, service_date=saved["date"], by=by
    )
    sheets = {
        truck: {kind: sheet_path(plan_id, truck, kind) for kind in SHEET_KINDS} for truck in routes
    }
    return Published(
        plan_id=plan_id,
        area=area.id,
        service_date=saved["date"],
        assignments=assignments,
        without_phone=[t for t in routes if t not in assignments],
        publication=publication,
        sheets=sheets,
    )


def current_plan_id(store: Store, area: Area, service_date: str) -> int | None:
    """The published plan of an area's date, or None when none was published."""
    found = published_plan(store.engine, area=area.id, service_date=service_date)
    return None if found is None else found.plan_id


def sheet_path(plan_id: int, truck: str, kind: str) -> str:
    return f"/planificar/hojas/{plan_id}/{truck}.{kind}"


def day_view(document: Mapping[str, Any], graph: StreetGraph, area: Area) -> DayView:
    """The stored plan joined with its streets, with the trucks' names from the fleet file."""
    zone = document.get("timezone") or area.timezone
    return day_from_document({**document, "timezone": zone}, graph, vehicle_names(area.fleet))


def route_file(
    day: DayView, truck: str, kind: str, *, lang: str = "es", base_url: str | None = None
) -> bytes:
    """One route's sheet as PDF, or its GPX or KML, for the driver's phone or the printer; with
    an absolute ``base_url`` (where ``gpx/TRUCK.gpx`` is served) the sheet prints its QR code."""
    if kind not in SHEET_KINDS:
        raise InputError(f"kind {kind!r}: one of {', '.join(SHEET_KINDS)}", field="kind")
    route = next((r for r in day.routes if r.vehicle_id == truck), None)
    if route is None:
        raise InputError(f"the plan has no route for truck {truck!r}", field="truck")
    words = get_lang(lang)
    if kind == "gpx":
        return route_gpx(day, route, words).encode()
    if kind == "kml":
        return route_kml(day, route, words).encode()
    return sheet_pdf(sheet_html(day, route, words, base_url))
