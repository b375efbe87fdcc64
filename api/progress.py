"""Progress of a stored plan from the assigned trucks' GPS pings (public, read-only).

``?at=`` without an offset is the local time of the plan's area (what a supervisor in Lima
types); with an offset or ``Z`` it is what it says.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from basuracero.api.areas import area_of_plan
from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.api.progress_worker import build_in_worker, evaluate_in_worker
from basuracero.api.read_cache import (
    json_bytes,
    ping_mark,
    read_cache,
    refresh_s,
    stored_plan,
)
from basuracero.fleet.matching import Matcher, network_key
from basuracero.fleet.pings import PingError, parse_time
from basuracero.fleet.progress import (
    DEEP_M,
    NEAR_M,
    STATUSES,
    THROWN_M,
    UNSERVED_COLUMNS,
    StopPlace,
    local_moment,
    route_progress,
    unserved_rows,
)
from basuracero.fleet.store import Store
from basuracero.fleet.way_round import WayRound, way_round
from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import SnappedPoints, snap_points
from basuracero.geodata.streets import StreetGraph
from basuracero.planning.area import Area

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
    """Where each planned job lies on the streets (snapped as the planner did); a door-to-door
    street also gets its own line, its dead ends and its bypass, which its progress rule needs."""
    ids = [pid for pid, p in places.items() if p.get("kind") in ("stop", "street")]
    if not ids:
        return {}
    lonlat = np.array([[places[i]["lon"], places[i]["lat"]] for i in ids], dtype=float)
    snapped = snap_points(graph, PointSet(ids=ids, lonlat=lonlat), max_distance_m=200.0)
    found = places_from_snapped(graph, snapped)
    return {
        pid: street_place(graph, place, places[pid]) if places[pid].get("kind") == "street"
        else stop_place(graph, place)
        for pid, place in found.items()
    }  # fmt: skip


def stop_place(graph: StreetGraph, place: StopPlace) -> StopPlace:
    """A stop with the line of the street it is on, its dead ends, its bypass and the streets
    near it: how a truck could get to it between two fixes, and which fixes show it there."""
    dead = _graph_facts(graph)["dead"]
    ends = (int(graph.edge_u[place.edge]), int(graph.edge_v[place.edge]))
    line = graph.edge_geometry[place.edge]
    return replace(
        place,
        line=line,
        others=_streets_not_passing(graph, place, line),
        dead_end=(ends[0] in dead, ends[1] in dead),
        **dict(zip(("bypass_m", "bypass_s"), bypass(graph, place.edge), strict=True)),
    )


def street_place(graph: StreetGraph, place: StopPlace, entry: dict[str, Any]) -> StopPlace:
    """A street's place measured along the direction its plan.json ``line`` is drawn in."""
    street = replace(place, whole_street=True)
    raw = entry.get("line")
    if not isinstance(raw, list) or len(raw) < 2:
        return street  # an older plan.json: the matched path alone can serve it
    xy = graph.to_xy(np.asarray(raw, dtype=float))
    line = LineString(xy)
    if street.twin >= 0 and _starts_at(graph, street.twin, xy[0]) < _starts_at(
        graph, street.edge, xy[0]
    ):
        street = replace(street, edge=street.twin, twin=street.edge,
                         offset_m=street.length_m - street.offset_m)  # fmt: skip
    dead = _graph_facts(graph)["dead"]
    ends = (int(graph.edge_u[street.edge]), int(graph.edge_v[street.edge]))
    others = other_streets(graph, street.edge, line)
    return replace(
        street,
        line=line,
        way_round=_way_round(graph, street.edge, line),
        dead_end=(ends[0] in dead, ends[1] in dead),
        **dict(zip(("bypass_m", "bypass_s"), bypass(graph, street.edge), strict=True)),
        others=others,
        clear=clear_stretch(line, others),
    )


def _way_round(graph: StreetGraph, edge: int, line: LineString) -> WayRound:
    """Where a truck going round the street could be near it: over the streets within
    THROWN_M + DEEP_M of its line (a fix thrown THROWN_M from such a truck, within DEEP_M of
    the street)."""
    near = _graph_facts(graph)["tree"].query(line, predicate="dwithin", distance=THROWN_M + DEEP_M)
    return way_round(graph, edge, near)


def other_streets(graph: StreetGraph, edge: int, line: LineString) -> BaseGeometry:
    """The other streets (not this one either way) near its line (within DEEP_M + NEAR_M):
    cross streets at its corners, parallel streets; a fix near them is not surely on this
    street. A one-way street leaves out the carriageway beside it going the other way: the
    direction the fixes go tells them apart."""
    near = _graph_facts(graph)["tree"].query(line, predicate="dwithin", distance=DEEP_M + NEAR_M)
    twin = int(graph.edge_reverse[edge])
    found = [e for e in near.tolist() if e not in (edge, twin)]
    if twin < 0:
        found = [e for e in found if not _counter_carriageway(graph, edge, e)]
    geometries = [graph.edge_geometry[e] for e in found]
    return shapely.MultiLineString(geometries) if geometries else shapely.GeometryCollection()


def _streets_not_passing(graph: StreetGraph, place: StopPlace, line: LineString) -> BaseGeometry:
    """The other streets near a stop's street, less what of them passes within NEAR_M / 2 of
    the stop: a truck there passed the stop; one farther on them did not."""
    others = other_streets(graph, place.edge, line)
    if place.xy is None or others.is_empty:
        return others
    return shapely.difference(others, shapely.Point(place.xy).buffer(NEAR_M / 2))


def _counter_carriageway(graph: StreetGraph, edge: int, other: int) -> bool:
    """A one-way edge running against ``edge`` alongside it (a divided road's other half)."""
    if int(graph.edge_reverse[other]) >= 0:
        return False
    ways = []
    for e in (edge, other):
        coords = shapely.get_coordinates(graph.edge_geometry[e])
        chord = coords[-1] - coords[0]
        ways.append(chord / max(float(np.hypot(*chord)), 1e-9))
    return float(np.dot(ways[0], ways[1])) < -0.7


def clear_stretch(line: LineString, others: BaseGeometry) -> tuple[float, float]:
    """From-to metres along the street farther than NEAR_M from every other street (from > to
    when there is none: a short block, a carriageway beside another)."""
    offsets = np.append(np.arange(0.0, line.length, 1.0), line.length)
    if others.is_empty:
        return 0.0, float(line.length)
    clear = shapely.distance(shapely.line_interpolate_point(line, offsets), others) > NEAR_M
    where = np.flatnonzero(clear)
    if len(where) == 0:
        return float(line.length), 0.0
    return float(offsets[where[0]]), float(offsets[where[-1]])


def _starts_at(graph: StreetGraph, edge: int, xy: np.ndarray) -> float:
    start = shapely.get_coordinates(graph.edge_geometry[edge])[0]
    return float(np.hypot(*(start - xy)))


BYPASS_LIMIT_M = 1000.0  # a longer way round is as good as none for the progress rule
BYPASS_LIMIT_S = 300.0
_graph_cache: dict[str, dict[str, Any]] = {}
_graph_lock = threading.Lock()


def _graph_facts(graph: StreetGraph) -> dict[str, Any]:
    """Per street graph, computed once: its dead-end nodes, a search tree of its edges and the
    bypass lengths found so far."""
    key = network_key(graph)
    with _graph_lock:
        facts = _graph_cache.get(key)
        if facts is None:
            pairs = np.unique(
                np.sort(np.column_stack([graph.edge_u, graph.edge_v]), axis=1), axis=0
            )
            pairs = pairs[pairs[:, 0] != pairs[:, 1]]
            degree = np.bincount(pairs.ravel(), minlength=graph.n_nodes)
            facts = {
                "dead": frozenset(np.flatnonzero(degree <= 1).tolist()),
                "bypass": {},
                "tree": shapely.STRtree(graph.edge_geometry),
            }
            _graph_cache[key] = facts
        return facts


def bypass(graph: StreetGraph, edge: int) -> tuple[float, float]:
    """Shortest lawful way between a street's two ends without the street (either way for a
    two-way street), in metres and in seconds at the streets' own speeds (at most
    BYPASS_LIMIT_M / BYPASS_LIMIT_S): how far and how long a truck must go round it instead."""
    facts = _graph_facts(graph)
    found = facts["bypass"].get(edge)
    if found is not None:
        return found
    twin = int(graph.edge_reverse[edge])
    keep = np.ones(graph.n_edges, dtype=bool)
    keep[[edge, twin] if twin >= 0 else [edge]] = False
    u, v = graph.edge_u[keep], graph.edge_v[keep]
    start, end = int(graph.edge_u[edge]), int(graph.edge_v[edge])
    ways = [(start, end), (end, start)] if twin >= 0 else [(start, end)]
    found_m_s = []
    for weight, limit in (
        (graph.edge_length_m, BYPASS_LIMIT_M),
        (np.asarray(graph.edge_duration_s), BYPASS_LIMIT_S),
    ):
        costs = np.maximum(weight[keep], 0.01)
        matrix = csr_matrix((costs, (u, v)), shape=(graph.n_nodes, graph.n_nodes))
        best = min(float(dijkstra(matrix, indices=a, limit=limit)[b]) for a, b in ways)
        found_m_s.append(min(best, limit))
    found = (found_m_s[0], found_m_s[1])
    facts["bypass"][edge] = found
    if twin >= 0:
        facts["bypass"][twin] = found
    return found


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


def moment_at(at: str | None, tz: tzinfo, now: datetime) -> datetime:
    """``?at=``: ISO 8601 without an offset is local time in ``tz``, the plan's area; with an
    offset or ``Z``, or epoch seconds, it is what it says; None is ``now``."""
    if at is None:
        return now
    text = at.strip()
    if not text.lstrip("+-").replace(".", "", 1).isdigit():
        try:
            named = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            named = None  # parse_time says what is wrong with it
        if named is not None and named.tzinfo is None:
            text = named.replace(tzinfo=tz).isoformat()
    try:
        return parse_time(text, now + timedelta(days=3650), "at")
    except PingError as exc:
        raise ApiError(422, str(exc), field="at") from exc


@dataclass(frozen=True)
class Computed:
    """A plan's progress at a moment, as every public read of it shares it (read-only: the same
    objects go to every reader). ``key`` is what it was computed for (see api/read_cache.py)."""

    key: tuple[Any, ...]
    context: dict[str, Any]
    reports: list[Any]


def compute(request: Request, plan_id: int, at: str | None) -> tuple[dict[str, Any], list]:
    """The plan's context (plan, now, places, area) and per route its progress report; computed
    once per plan, moment and ping mark (``computed``), so callers must not change them. Always
    up to the last ping stored (a plan job carrying over today's misses must see them all)."""
    found = computed(request, plan_id, at, max_age_s=0.0)
    return found.context, found.reports


def computed(
    request: Request, plan_id: int, at: str | None, *, max_age_s: float | None = None
) -> Computed:
    """The progress of a plan from the result cache: 404/409 for what is wrong with the plan or
    ``at`` at once; else the stored result for (plan, assignments, moment, ping mark), or one
    computation in the read pool that concurrent readers share.

    Without ``at`` the moment is "now" to the minute, and the latest result is served for up to
    ``max_age_s`` (default: the ``public_refresh_s`` setting) without looking at the pings;
    after that a changed ping mark or minute makes the next read compute afresh. With ``at``
    the mark counts pings up to ``at`` only, so a historical read stays cached while the trucks
    go on pinging."""
    store: Store = request.app.state.store
    saved = stored_plan(store, plan_id)
    if saved is None:
        raise ApiError(404, f"no plan {plan_id}", field="plan_id")
    area = area_of_plan(request, saved)
    now = moment_at(at, area.tz, datetime.now(UTC))
    if not isinstance(saved["plan"].get("places"), dict):
        raise ApiError(
            409, "this plan has no 'places' (write it with basuracero plan)", field="plan.places"
        )
    day_start = local_moment(date.fromisoformat(saved["date"]), 0, area.tz)
    day_end = day_start + timedelta(days=1)
    assigned = tuple(sorted(saved["assignments"].items()))
    devices = [device for _, device in assigned]
    cache = read_cache(request)
    latest = ("progress-now", plan_id, assigned)
    if at is None:
        when: tuple[str, datetime] = ("now", now.replace(second=0, microsecond=0))
        found = cache.recent(latest, refresh_s(request) if max_age_s is None else max_age_s)
        if found is not None and found.key[3] == when:
            return found
        mark = ping_mark(store, devices, day_start, day_end)
    else:
        when = ("at", now)
        mark = ping_mark(store, devices, day_start, min(now, day_end))
    key = ("progress", plan_id, assigned, when, mark)
    processes = read_processes(request)

    def evaluate() -> Computed:
        if processes > 0:  # off the server's interpreter: the pings keep it
            return Computed(key, *evaluate_in_worker(store, saved, area, now, processes=processes))
        return Computed(key, *_evaluate(store, saved, area, now))

    found = cache.get(key, evaluate)
    if at is None:
        cache.remember(latest, found)
    return found


def _evaluate(
    store: Store, saved: dict[str, Any], area: Area, now: datetime
) -> tuple[dict[str, Any], list]:
    """Map-match each assigned truck's pings of the plan's day up to ``now`` and judge every
    job of its route: the expensive part, run in the read pool."""
    document = saved["plan"]
    places = document["places"]
    service_date = date.fromisoformat(saved["date"])
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


@router.get("/api/v1/plans/{plan_id}/progress", response_model=dict[str, Any])
def progress(
    plan_id: RowId,
    request: Request,
    at: str | None = Query(
        None,
        description="Evaluate at this time (ISO 8601; without an offset, the area's local "
        "time); default now (recomputed at most every few seconds, when pings arrived).",
    ),
) -> Response:
    """Public: per route, which jobs were served (when), missed, unknown (why) or are pending
    (with ETA)."""
    found = computed(request, plan_id, at)
    processes = read_processes(request)
    body = read_cache(request).get(
        ("progress.json", found.key),
        lambda: build_in_worker(progress_json, found, processes=processes),
    )
    return Response(body, media_type="application/json")


def read_processes(request: Request) -> int:
    """Worker processes for public reads (0: build them in the server's own threads)."""
    return int(getattr(request.app.state.settings, "public_read_processes", 0))


def progress_json(found: Computed) -> bytes:
    return json_bytes(progress_body(found))


def progress_body(found: Computed) -> dict[str, Any]:
    """The progress document: totals, per route its stops and streets, last pass per street."""
    context, reports = found.context, found.reports
    plan_id = context["plan"]["id"]
    graph = streets_for(context["area"].streets).graph
    last: dict[str, datetime] = {}
    for report in reports:
        for edge, moment in report.edges_driven.items():
            name = str(graph.edge_name[edge]) or "(sin nombre)"
            if name not in last or moment > last[name]:
                last[name] = moment
    totals = dict.fromkeys(STATUSES, 0)
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
    """Public: every job not confirmed served (missed or unknown) as a points file
    (id,lon,lat,... with its kind, task and waste) to carry into tomorrow's plan."""
    found = computed(request, plan_id, at)
    processes = read_processes(request)
    text = read_cache(request).get(
        ("missed.csv", found.key),
        lambda: build_in_worker(missed_text, found, processes=processes),
    )
    return Response(text, media_type="text/csv; charset=utf-8")


def missed_text(found: Computed) -> str:
    context, reports = found.context, found.reports
    saved = context["plan"]
    document = {**saved["plan"], "date": saved["date"]}
    rows = unserved_rows(reports, document, context["area"].tz)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(UNSERVED_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
