"""Taking a resident's report in: limits, checks, the street and plan it concerns, storage.

Shared by the Open311 endpoint and the report page, so both refuse the same things the same
way. Checks run cheapest first (rate limit, honeypot, fields, place, photo); the report is
committed before the caller answers. Failures are ``ReportRefused`` with the HTTP status and
the field at fault; each caller turns it into its own answer (Open311 errors, an HTML form).
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import shapely
from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from shapely.geometry.base import BaseGeometry

from basuracero.api.errors import ApiError
from basuracero.api.progress import compute, streets_for
from basuracero.fleet.report_photos import PhotoError, clean_photo
from basuracero.fleet.reports import OPEN_STATES, ReportStore, status_of
from basuracero.fleet.store import from_us, to_us
from basuracero.geodata.boundary import read_boundary
from basuracero.planning.area import Area
from basuracero.planning.report_services import (
    DEFAULT_REPORTS,
    DUMP,
    MISSED,
    ReportSettings,
    hash_key,
)
from basuracero.planning.reports import (
    StreetMatch,
    VisitProgress,
    nearest_street,
    plan_answer,
    served_after,
    served_note,
    street_named,
)

PER_HOUR = 5  # reports one address may make in an hour
HONEYPOT = "website"  # a field hidden from people: only robots fill it in
MAX_DESCRIPTION = 4000
REFRESH_DAYS = 7  # auto-closing looks at the plans of this many days after a report


class ReportRefused(Exception):
    """A report not taken: HTTP status, a message for people, the field at fault."""

    def __init__(
        self, status: int, message: str, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.retry_after = (
            status, message, field, retry_after,
        )  # fmt: skip


class ReportIn(BaseModel):
    """The fields of a report (Open311 ``POST /requests.json``); others are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    service_code: str = Field(..., min_length=1, max_length=64)
    lat: float | None = Field(None, ge=-90, le=90)
    long: float | None = Field(None, ge=-180, le=180)
    address_string: str | None = Field(None, max_length=300)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=40)
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    api_key: str | None = Field(None, max_length=200)
    jurisdiction_id: str | None = Field(None, max_length=64)
    website: str | None = Field(None, max_length=500)  # the honeypot

    @field_validator("lat", "long")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("not a finite number")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError("not an e-mail address")
        return value or None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


def parse_fields(raw: dict[str, Any]) -> ReportIn:
    """The report's fields, or ReportRefused(400) naming the first bad one."""
    if str(raw.get(HONEYPOT) or "").strip():
        raise ReportRefused(400, "website: this field must stay empty", HONEYPOT)
    try:
        fields = ReportIn.model_validate({k: v for k, v in raw.items() if k != "media"})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or None
        raise ReportRefused(400, f"{field}: {first.get('msg', 'invalid')}", field) from None
    return fields


class RateLimit:
    """Reports made per client address in a sliding window (per process)."""

    def __init__(self, limit: int = PER_HOUR, window_s: float = 3600.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._made: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            made = self._made.get(client, deque())
            while made and made[0] <= now - self.window_s:
                made.popleft()
            if len(made) < self.limit:
                return
            wait = max(1, math.ceil(made[0] + self.window_s - now))
        raise ReportRefused(
            429, f"demasiados reportes desde esta dirección; intente en {wait // 60 + 1} min",
            retry_after=wait,
        )  # fmt: skip

    def made(self, client: str) -> None:
        with self._lock:
            self._made.setdefault(client, deque()).append(time.monotonic())
            if len(self._made) > 50_000:  # forget the longest-known address
                del self._made[next(iter(self._made))]


def limiter(request: Request) -> RateLimit:
    state = request.app.state
    if getattr(state, "report_limit", None) is None:
        state.report_limit = RateLimit()
    return state.report_limit


def reports_store(request: Request) -> ReportStore:
    return ReportStore(request.app.state.store.engine)


def settings_of(area: Area) -> ReportSettings:
    return area.reports or DEFAULT_REPORTS


def area_for(request: Request, jurisdiction_id: str | None) -> Area:
    areas = request.app.state.areas
    chosen = jurisdiction_id or request.app.state.default_area
    area = areas.get(chosen)
    if area is None:
        raise ReportRefused(
            404, f"jurisdiction_id: {chosen!r} is not served here "
            f"(jurisdictions: {', '.join(sorted(areas))})", "jurisdiction_id",
        )  # fmt: skip
    return area


def check_key(area: Area, api_key: str | None) -> None:
    if not settings_of(area).key_allowed(api_key):
        raise ReportRefused(403, f"api_key: area {area.id!r} requires a valid api_key", "api_key")


@dataclass
class _Geography:
    boundary: BaseGeometry
    tree: shapely.STRtree
    inside: list[bool]  # per street-graph edge: its middle lies in the area


_geo: dict[str, _Geography] = {}
_geo_lock = threading.Lock()


def geography(area: Area) -> _Geography:
    """The area's boundary and a search tree of its streets, built once per process."""
    with _geo_lock:
        found = _geo.get(area.id)
        if found is None:
            where = area.door_to_door.where if area.door_to_door else None
            boundary = read_boundary(area.boundary, where)
            shapely.prepare(boundary)
            graph = streets_for(area.streets).graph
            middles = shapely.line_interpolate_point(graph.edge_geometry, 0.5, normalized=True)
            lonlat = graph.to_lonlat(shapely.get_coordinates(middles))
            inside = shapely.contains_xy(boundary, lonlat[:, 0], lonlat[:, 1]).tolist()
            found = _Geography(boundary, shapely.STRtree(graph.edge_geometry), inside)
            _geo[area.id] = found
        return found


def locate(area: Area, fields: ReportIn) -> tuple[float, float, StreetMatch | None]:
    """Where the report is (lon, lat) and the street it is on, or ReportRefused(400)."""
    graph = streets_for(area.streets).graph
    geo = geography(area)
    if fields.lat is not None or fields.long is not None:
        if fields.lat is None or fields.long is None:
            missing = "lat" if fields.lat is None else "long"
            raise ReportRefused(400, f"{missing}: lat and long go together", missing)
        if not geo.boundary.contains(shapely.Point(fields.long, fields.lat)):
            raise ReportRefused(
                400, f"lat/long: ({fields.lat}, {fields.long}) is outside the area "
                f"{area.name!r}", "lat",
            )  # fmt: skip
        match = nearest_street(graph, geo.tree, fields.long, fields.lat)
        return fields.long, fields.lat, match
    if fields.address_string:
        match = street_named(graph, fields.address_string, inside=geo.inside)
        if match is None:
            raise ReportRefused(
                400, f"address_string: no street of {area.name!r} is called "
                f"{fields.address_string!r}", "address_string",
            )  # fmt: skip
        return match.lon, match.lat, match
    raise ReportRefused(400, "lat/long: give lat and long, or address_string", "lat")


def local_date(area: Area, moment: datetime) -> date:
    return moment.astimezone(area.tz).date()


def plan_of_day(request: Request, area: Area, day: date) -> int | None:
    plans = request.app.state.store.list_plans(service_date=day.isoformat(), area=area.id)
    return plans[-1]["id"] if plans else None


def now_of(request: Request) -> datetime:
    """The service's clock (``app.state.report_clock`` when set: a replayed day)."""
    clock = getattr(request.app.state, "report_clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def progress_of_plan(request: Request, plan_id: int) -> dict[str, VisitProgress]:
    """Per visit of a stored plan, what its trucks' GPS shows now (``api.progress.compute``)."""
    try:
        _context, routes = compute(request, plan_id, now_of(request).isoformat())
    except ApiError:  # a plan without places: nothing can be told from it
        return {}
    return {
        stop.id: VisitProgress(stop.status, stop.served_at)
        for route in routes
        for stop in route.stops
    }


def take_report(request: Request, raw: dict[str, Any], media: bytes | None) -> dict[str, Any]:
    """Check and store one report; the stored row (committed), or ReportRefused."""
    client = request.client.host if request.client else "unknown"
    limit = limiter(request)
    limit.check(client)
    fields = parse_fields(raw)
    area = area_for(request, fields.jurisdiction_id)
    check_key(area, fields.api_key)
    settings = settings_of(area)
    service = settings.service(fields.service_code)
    if service is None:
        codes = ", ".join(s.code for s in settings.services)
        raise ReportRefused(
            400, f"service_code: {fields.service_code!r} is not a service here ({codes})",
            "service_code",
        )  # fmt: skip
    lon, lat, street = locate(area, fields)
    photo = None
    if media:
        if len(media) > settings.max_photo_mb * 1_000_000:
            raise ReportRefused(413, f"media: photo over {settings.max_photo_mb:g} MB", "media")
        try:
            photo = clean_photo(media)
        except PhotoError as exc:
            raise ReportRefused(400, str(exc), "media") from None
    now = now_of(request)
    day = local_date(area, now)
    row: dict[str, Any] = {
        "area": area.id, "service_code": service.code, "requested_us": to_us(now),
        "service_date": day.isoformat(), "lat": lat, "lon": lon,
        "address_string": fields.address_string,
        "street": street.name if street else None, "edge": street.edge if street else None,
        "description": fields.description or "", "email": fields.email, "phone": fields.phone,
        "first_name": fields.first_name, "last_name": fields.last_name,
        "api_key_sha256": hash_key(fields.api_key) if fields.api_key else None,
        "service_notice": "Reporte recibido: la municipalidad lo revisará.",
    }  # fmt: skip
    if service.kind == "missed":
        row |= missed_collection(request, area, lon, lat, street, day, now)
        if row["task"] is None and street is not None:  # not planned that day: its usual task
            from basuracero.api.report_plan import tasks_by_edge

            ref = tasks_by_edge(area).get(street.edge)
            row["task"] = ref.task if ref else None
    stored = reports_store(request).create(row, photo)
    limit.made(client)
    return stored


def missed_collection(
    request: Request, area: Area, lon: float, lat: float, street: StreetMatch | None,
    day: date, now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """What the plan of the day says of a missed collection, as report columns."""
    plan_id = plan_of_day(request, area, day)
    document = request.app.state.store.plan_document(plan_id) if plan_id else None
    answer = plan_answer(
        plan_id=plan_id, document=document,
        progress=progress_of_plan(request, plan_id) if plan_id else {},
        lon=lon, lat=lat, street=street.name if street else None,
        service_date=day, tz=area.tz, now=now,
    )  # fmt: skip
    values: dict[str, Any] = {
        "plan_id": answer.plan_id, "task": answer.task, "vehicle": answer.vehicle,
        "plan_answer": answer.text,
        "window_end_us": to_us(answer.window[1]) if answer.window else None,
        "served_us": to_us(answer.served_at) if answer.served_at else None,
    }  # fmt: skip
    if answer.notice:
        values["service_notice"] = answer.notice
    return values


def refresh(request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Close the open reports whose street (or dump) GPS shows served after they were made,
    with the time ("Atendido: hoy 10:14"); the rows as they are now."""
    pending = [  # only a street task or a dump can be seen served by GPS
        r for r in rows
        if r["state"] in OPEN_STATES and (r["task"] or r["service_code"] in (MISSED, DUMP))
    ]  # fmt: skip
    if not pending:
        return rows
    store = reports_store(request)
    now = now_of(request)
    changed: dict[int, dict[str, Any]] = {}
    by_area: dict[str, list[dict[str, Any]]] = {}
    for row in pending:
        by_area.setdefault(row["area"], []).append(row)
    for area_id, group in by_area.items():
        area = request.app.state.areas.get(area_id)
        if area is None:
            continue
        by_task, by_visit = _served(request, area, group, now)
        for row in group:
            moment = served_after(row, by_task, by_visit, from_us(row["requested_us"]))
            if moment is None:
                continue
            done = store.change(
                row["id"], expect_states=OPEN_STATES, now=now, state="resolved",
                served_us=to_us(moment), status_notes=served_note(moment, now, area.tz),
                closed_us=to_us(moment),
            )  # fmt: skip
            if done is not None:
                changed[row["id"]] = done
    return [changed.get(r["id"], r) for r in rows]


def _served(
    request: Request, area: Area, rows: list[dict[str, Any]], now: datetime
) -> tuple[dict[str, list[datetime]], dict[str, list[datetime]]]:
    """When each street task and each visit of the area's plans since the oldest report was
    served, by GPS."""
    first = min(date.fromisoformat(r["service_date"]) for r in rows)
    today = local_date(area, now)
    days = [d for d in range((today - first).days + 1)][:REFRESH_DAYS]
    by_task: dict[str, list[datetime]] = {}
    by_visit: dict[str, list[datetime]] = {}
    store = request.app.state.store
    for offset in days:
        day = date.fromordinal(first.toordinal() + offset)
        for plan in store.list_plans(service_date=day.isoformat(), area=area.id):
            document = store.plan_document(plan["id"]) or {}
            places = document.get("places") or {}
            for visit_id, state in progress_of_plan(request, plan["id"]).items():
                if state.served_at is None:
                    continue
                by_visit.setdefault(visit_id, []).append(state.served_at)
                task = places.get(visit_id, {}).get("task")
                if task:
                    by_task.setdefault(task, []).append(state.served_at)
    return by_task, by_visit


def public_status(row: dict[str, Any]) -> str:
    return status_of(row["state"])
