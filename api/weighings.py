"""Weighbridge tickets in (admin): one ticket as JSON, or a day's tickets as a CSV file.

Each ticket is checked against its area's own files: the site must be a disposal site of
``sites.csv`` (not the depot), the vehicle a truck of ``fleet.toml``, the kg positive and the
time not in the future. A CSV is stored whole or not at all, and its errors name the row
(the file's line number) and the column.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from basuracero.api.areas import area_or_422
from basuracero.api.auth import require_admin
from basuracero.api.errors import ApiError
from basuracero.fleet.store import Store
from basuracero.fleet.weighings import DuplicateTicket, Weighing, add_weighings
from basuracero.geodata.sites import read_points
from basuracero.planning.area import Area
from basuracero.planning.day import read_fleet
from basuracero.transparency.records import refresh_tickets

router = APIRouter(tags=["weighings"])

MAX_NET_KG = 60_000  # heavier than any collection truck's load: a typing error, not a ticket
CLOCK_SLACK = timedelta(minutes=5)  # a weighbridge clock a little ahead of ours is no error
MAX_CSV_ROWS = 5_000
CSV_COLUMNS = ("site", "vehicle", "time", "net_kg", "ticket", "stream")


class WeighingFields(BaseModel):
    """What a ticket says, before it is checked against its area."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    site: str = Field(
        ..., min_length=1, max_length=200, description="Disposal site id (sites.csv)."
    )
    vehicle: str = Field(..., min_length=1, max_length=200, description="Truck id (fleet.toml).")
    time: datetime = Field(
        ..., description="When it was weighed (ISO 8601; without an offset, the area's time)."
    )
    net_kg: int = Field(..., gt=0, le=MAX_NET_KG, description="Net weight in kg (> 0).")
    ticket: str | None = Field(None, min_length=1, max_length=100, description="Ticket number.")
    stream: str | None = Field(
        None, max_length=64, description="Waste stream (default: the site's first stream)."
    )


class WeighingIn(WeighingFields):
    area: str | None = Field(None, max_length=64, description="Service area (default: the "
                             "deployment's).")  # fmt: skip


class WeighingsCreated(BaseModel):
    ids: list[int]


@dataclass(frozen=True)
class AreaCatalogue:
    """The disposal sites (id → streams) and trucks of an area, read from its files."""

    sites: dict[str, tuple[str, ...]]
    vehicles: frozenset[str]


def catalogue(area: Area) -> AreaCatalogue:
    """Read once per version of the files (keyed by their modification times)."""
    return _catalogue(area.sites, area.fleet, _mtime(area.sites), _mtime(area.fleet))


def _mtime(path: Path) -> int:
    return os.stat(path).st_mtime_ns


@cache
def _catalogue(sites_path: Path, fleet_path: Path, _a: int, _b: int) -> AreaCatalogue:
    points = read_points(sites_path)
    sites = {}
    for pid, attrs in zip(points.ids, points.attributes or [{}] * len(points), strict=True):
        if str(attrs.get("kind") or "").strip() == "depot":
            continue
        raw = str(attrs.get("streams") or "").replace("|", ";").replace(",", ";")
        sites[pid] = tuple(s.strip() for s in raw.split(";") if s.strip()) or ("mixed",)
    return AreaCatalogue(sites, frozenset(v.id for v in read_fleet(fleet_path)))


class TicketProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def checked(fields: WeighingFields, area: Area, now: datetime) -> Weighing:
    """A ticket checked against its area's sites, fleet and clock (TicketProblem otherwise)."""
    known = catalogue(area)
    streams = known.sites.get(fields.site)
    if streams is None:
        raise TicketProblem(
            "site", f"site {fields.site!r} is not a disposal site of area {area.id!r} "
            f"(sites: {', '.join(sorted(known.sites)) or 'none'})",
        )  # fmt: skip
    if fields.vehicle not in known.vehicles:
        raise TicketProblem(
            "vehicle", f"vehicle {fields.vehicle!r} is not a truck of area {area.id!r} "
            f"(trucks: {', '.join(sorted(known.vehicles))})",
        )  # fmt: skip
    stream = fields.stream or streams[0]
    if stream not in streams:
        raise TicketProblem(
            "stream", f"site {fields.site!r} takes {', '.join(streams)}, not {stream!r}"
        )
    moment = fields.time if fields.time.tzinfo else fields.time.replace(tzinfo=area.tz)
    if moment > now + CLOCK_SLACK:
        raise TicketProblem("time", f"time {fields.time.isoformat()} is in the future")
    return Weighing(
        area=area.id, site=fields.site, stream=stream, vehicle=fields.vehicle,
        time=moment.astimezone(UTC), net_kg=fields.net_kg, ticket=fields.ticket,
    )  # fmt: skip


def _store_all(request: Request, items: list[Weighing]) -> WeighingsCreated:
    store: Store = request.app.state.store
    try:
        ids = add_weighings(store, items)
    except DuplicateTicket as exc:
        raise ApiError(409, str(exc), field=exc.field) from None
    revise_closed_days(store, request.app.state.areas, items)
    return WeighingsCreated(ids=ids)


def revise_closed_days(store: Store, areas: dict[str, Area], items: list[Weighing]) -> None:
    """A ticket of a day already closed re-counts that day's tonnes, recording why."""
    days: dict[tuple[str, date], list[str]] = {}
    for item in items:
        local_day = item.time.astimezone(areas[item.area].tz).date()
        days.setdefault((item.area, local_day), []).append(item.ticket or f"{item.net_kg} kg")
    for (area_id, local_day), tickets in sorted(days.items()):
        reason = "ticket de balanza tardío: " + ", ".join(tickets)
        refresh_tickets(store, areas[area_id], local_day, reason=reason)


@router.post(
    "/api/v1/weighings",
    status_code=201,
    response_model=WeighingsCreated,
    dependencies=[Depends(require_admin)],
)
def create_weighing(body: WeighingIn, request: Request) -> WeighingsCreated:
    """Admin: one weighbridge ticket (net kg unloaded at a disposal site)."""
    area = area_or_422(request, body.area)
    try:
        item = checked(body, area, datetime.now(UTC))
    except TicketProblem as exc:
        raise ApiError(422, exc.message, field=exc.field) from None
    return _store_all(request, [item])


@router.post(
    "/api/v1/weighings.csv",
    status_code=201,
    response_model=WeighingsCreated,
    dependencies=[Depends(require_admin)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "Header site,vehicle,time,net_kg[,ticket][,stream]; one ticket a row.",
        }
    },
)
async def upload_weighings(
    request: Request,
    area: str | None = Query(None, max_length=64, description="Service area of every row."),
) -> WeighingsCreated:
    """Admin: a day's tickets as CSV, all stored or none; an error names the row and column."""
    chosen = area_or_422(request, area)
    try:
        text = (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(422, "the file is not UTF-8 text", field="body") from None
    now = datetime.now(UTC)
    items = [_row(row, line, chosen, now) for line, row in csv_rows(text)]
    if not items:
        raise ApiError(422, "the file has no ticket rows", field="body")
    return _store_all(request, items)


def csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, row) of a tickets CSV; header problems are 422 naming the column."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    for column in ("site", "vehicle", "time", "net_kg"):
        if column not in header:
            raise ApiError(422, f"the header has no {column!r} column", field=column)
    unknown = [h for h in header if h not in (*CSV_COLUMNS, "area")]
    if unknown:
        raise ApiError(422, f"unknown column {unknown[0]!r}", field=unknown[0])
    reader.fieldnames = header
    rows = []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_CSV_ROWS:
            raise ApiError(413, f"more than {MAX_CSV_ROWS} rows: send one day at a time")
        if None in row:
            raise ApiError(422, f"row {line}: more values than columns", field=f"rows[{line}]")
        rows.append((line, {k: (v if v and v.strip() else None) for k, v in row.items()}))
    return rows


def _row(row: dict[str, Any], line: int, area: Area, now: datetime) -> Weighing:
    given_area = row.pop("area", None)
    if given_area is not None and given_area.strip() != area.id:
        raise ApiError(
            422, f"row {line}: area {given_area!r} is not {area.id!r}", field=f"rows[{line}].area"
        )
    try:
        fields = WeighingFields.model_validate(row)
        return checked(fields, area, now)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "row"
        raise ApiError(
            422, f"row {line}: {name}: {first['msg']} (got {first.get('input')!r})",
            field=f"rows[{line}].{name}",
        ) from None  # fmt: skip
    except TicketProblem as exc:
        raise ApiError(
            422, f"row {line}: {exc.message}", field=f"rows[{line}].{exc.field}"
        ) from None
