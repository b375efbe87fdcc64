"""Progress of a stored plan from the assigned trucks' GPS pings (public, read-only)."""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from basuracero.api.areas import area_of_plan
from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.fleet.matching import Matcher
from basuracero.fleet.pings import PingError, parse_time
from basuracero.fleet.progress import StopPlace, local_moment, missed_rows, route_progress
from basuracero.fleet.store import Store
from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import SnappedPoints, snap_points
from basuracero.geodata.streets import StreetGraph

router = APIRouter(tags=["progress"])


@dataclass
class Streets:
    """The street graph of the service area and its matcher, loaded once per process."""

    graph: StreetGraph
    matcher: Matcher


_streets: dict[str, Streets] = {}
_streets_lock = threading.Lock()


def streets_for(path: Path) -> Streets:
    key = str(path.resolve())
    with _streets_lock:
        found = _streets.get(key)
        if found is None:
            graph = load_streets(path)
            found = Streets(graph, Matcher(graph))
            _streets[key] = found
        return found


def stop_places(graph: StreetGraph, places: dict[str, Any]) -> dict[str, StopPlace]:
    """Where each planned stop lies on the streets (snapped as the planner did)."""
    ids = [pid for pid, p in places.items() if p.get("kind") in ("stop", "street")]
    if not ids:
        return {}
    lonlat = np.array([[places[i]["lon"], places[i]["lat"]] for i in ids], dtype=float)
    snapped = snap_points(graph, PointSet(ids=ids, lonlat=lonlat), max_distance_m=200.0)
    found = places_from_snapped(graph, snapped)
    return {
        pid: replace(place, whole_street=places[pid].get("kind") == "street")
        for pid, place in found.items()
    }


def places_from_snapped(graph: StreetGraph, snapped: SnappedPoints) -> dict[str, StopPlace]:
    """Snapped points as the progress logic wants them: edge, offset, twin, position."""
    lengths = shapely.length(graph.edge_geometry[snapped.edge])
    return {
        pid: StopPlace(
            int(e),
            float(f * length),
            float(length),
            int(graph.edge_reverse[e]),
            (float(xy[0]), float(xy[1])),
        )
        for pid, e, f, length, xy in zip(
            snapped.ids, snapped.edge, snapped.fraction, lengths, snapped.snapped_xy, strict=True
        )
    }


def compute(request: Request, plan_id: int, at: str | None) -> tuple[dict[str, Any], list]:
    store: Store = request.app.state.store
    saved = store.plan(plan_id)
    if saved is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    now = datetime.now(UTC)
    if at is not None:
        try:
            now = parse_time(at, now + timedelta(days=3650), "at")
        except PingError as exc:
            raise ApiError(422, str(exc), field="at") from exc
    document = saved["plan"]
    places = document.get("places")
    if not isinstance(places, dict):
        raise ApiError(
            409, "this plan has no 'places' (write it with basuracero plan)", field="plan.places"
        )
    service_date = date.fromisoformat(saved["date"])
    area = area_of_plan(request, saved)
    streets = streets_for(area.streets)
    where = stop_places(streets.graph, places)
    day_start = local_moment(service_date, 0, area.tz)
    reports = []
    for route in document.get("routes", []):
        vehicle = route.get("vehicle_id")
        device_id = saved["assignments"].get(vehicle)
        traversals, fixes, stamps = [], np.empty((0, 2)), np.empty(0)
        if device_id is not None:
            pings = [
                p
                for p in store.pings(
                    device_id, day_start, min(now, day_start + timedelta(days=1)), limit=200_000
                )
                if not p["flags"]
            ]
            if pings:
                lonlat = np.array([[p["lon"], p["lat"]] for p in pings], dtype=float)
                stamps = np.array(
                    [
                        datetime.fromisoformat(p["time"].replace("Z", "+00:00")).timestamp()
                        for p in pings
                    ]
                )
                traversals = streets.matcher.match(lonlat, stamps)
                fixes = streets.graph.to_xy(lonlat)
        reports.append(
            route_progress(
                route, service_date, where, traversals, now, device_id, fixes, stamps, tz=area.tz
            )
        )
    return {"plan": saved, "now": now, "places": places, "area": area}, reports


@router.get("/api/v1/plans/{plan_id}/progress")
def progress(
    plan_id: RowId,
    request: Request,
    at: str | None = Query(None, description="Evaluate at this time (ISO 8601); default now."),
) -> dict[str, Any]:
    """Public: per route, which stops were served (when), missed, or are pending (with ETA)."""
    context, reports = compute(request, plan_id, at)
    graph = streets_for(context["area"].streets).graph
    last: dict[str, datetime] = {}
    for report in reports:
        for edge, moment in report.edges_driven.items():
            name = str(graph.edge_name[edge]) or "(sin nombre)"
            if name not in last or moment > last[name]:
                last[name] = moment
    totals = {"served": 0, "missed": 0, "pending": 0}
    for report in reports:
        for key, value in report.counts().items():
            totals[key] += value
    routes = []
    for report in reports:
        body = report.to_dict()
        body["streets"] = street_coverage(report, context["places"])
        routes.append(body)
    return {
        "plan_id": plan_id,
        "date": context["plan"]["date"],
        "at": context["now"].isoformat().replace("+00:00", "Z"),
        "totals": totals,
        "routes": routes,
        "last_served_by_street": {
            k: v.isoformat().replace("+00:00", "Z") for k, v in sorted(last.items())
        },
    }


def street_coverage(report: Any, places: dict[str, Any]) -> list[dict[str, Any]]:
    """Per street of a route: its stops, how many were served, and whether it is covered."""
    streets: dict[str, list[int]] = {}
    for stop in report.stops:
        name = str(places.get(stop.id, {}).get("name") or "") or "(sin nombre)"
        counts = streets.setdefault(name, [0, 0])
        counts[0] += 1
        counts[1] += stop.status == "served"
    return [
        {"street": name, "stops": total, "served": served, "covered": served == total}
        for name, (total, served) in sorted(streets.items())
    ]


@router.get("/api/v1/plans/{plan_id}/missed.csv", response_class=Response)
def missed_csv(
    plan_id: RowId,
    request: Request,
    at: str | None = Query(None, description="Evaluate at this time (ISO 8601); default now."),
) -> Response:
    """Public: missed stops as a points file (id,lon,lat,...) to feed tomorrow's plan."""
    context, reports = compute(request, plan_id, at)
    rows = missed_rows(reports, context["places"])
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["id", "lon", "lat", "street", "missed_vehicle", "planned_at"]
    )
    writer.writeheader()
    writer.writerows(rows)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")
