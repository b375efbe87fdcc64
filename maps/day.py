"""A day's plan joined with its geography: the one input every map, sheet and export reads.

plan.json says who goes where and when; the scenario knows the streets. Joining them once (legs
along real streets, stop street names, nearest cross streets, demand per stream) keeps the maps,
the sheets and the GPX files telling exactly the same story. A plan stored long after it was
planned (the fleet service) is joined with the street graph alone: :func:`day_from_document`.
"""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import shapely

from basuracero.errors import InputError
from basuracero.geodata.matrix import LegStep, MatrixError, TravelMatrix
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import SnappedPoints, snap_points
from basuracero.geodata.streets import StreetGraph
from basuracero.maps.directions import Instruction, directions
from basuracero.planning.scenario import Scenario
from basuracero.routing.plan import SERVICE_KINDS

ATTRIBUTION = "© OpenStreetMap contributors"
UTC_ZONE = ZoneInfo("UTC")
RESNAP_M = 500.0  # a stored point is looked for this far from the streets (planned within 60 m)
STREET_MATCH_M = 2.0  # a stored street line is its edge when both ends are this close to it


class PlanDocumentError(InputError):
    """A plan.json whose content cannot be drawn (the message names the field)."""


def plan_timezone(document: Mapping[str, Any]) -> ZoneInfo:
    """The zone the plan's clock times (seconds after midnight) are in: its ``timezone`` key.

    The planning layer writes the service area's IANA name there. Plan files written before
    service areas had time zones carry none; their times are then read as **UTC**, on purpose:
    guessing a city would silently shift every time of a plan made elsewhere, while UTC is a
    fallback anyone can see and correct by adding ``"timezone"`` to the file.
    """
    name = document.get("timezone")
    if name is None:
        return UTC_ZONE
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise PlanDocumentError(
            f"timezone {name!r}: not an IANA time zone (e.g. America/Lima)", field="timezone"
        ) from None


@dataclass(frozen=True)
class Place:
    """A stop, depot or disposal site where the plan puts it (snapped to its street)."""

    id: str
    kind: str  # stop, depot, landfill, transfer, recycling, compost
    lon: float
    lat: float
    name: str  # street name for a stop, site name otherwise
    cross_street: str = ""  # a stop's nearest corner; a street's cross street where it starts
    demand_kg: dict[str, int] = field(default_factory=dict)  # stream -> kg (stops only)
    edge: int = -1
    # A street served door to door: its line in the direction driven, where it ends, its task.
    line: tuple[tuple[float, float], ...] = ()
    to_street: str = ""
    task: str = ""
    length_m: int = 0
    # A stop's block: the cross streets at the two ends of the street piece it stands on.
    block_ends: tuple[str, str] = ("", "")

    @property
    def lonlat(self) -> tuple[float, float]:
        return (self.lon, self.lat)

    @property
    def between(self) -> tuple[str, str]:
        """The cross streets that bound the place's block, as a neighbour names it ("entre A y
        B"): a door-to-door street's two ends, a stop's street piece's two ends."""
        return (self.cross_street, self.to_street) if self.kind == "street" else self.block_ends


@dataclass(frozen=True)
class LegView:
    """How the truck gets to a visit: its street path in ``[lon, lat]`` and the directions."""

    origin: str
    destination: str
    distance_m: int
    duration_s: int
    coords: list[list[float]]
    steps: tuple[LegStep, ...]
    instructions: list[Instruction]


@dataclass(frozen=True)
class VisitView:
    """One line of a route: ``number`` counts stops only (1, 2, ...), as the sheet prints them."""

    kind: str
    id: str
    arrival_s: int
    departure_s: int
    load_kg: int
    place: Place | None  # None for a break (it happens where the truck already is)
    number: int | None = None
    leg_in: LegView | None = None
    where: Place | None = None  # for a break: the place the truck waits at


@dataclass(frozen=True)
class RouteView:
    vehicle_id: str
    vehicle_name: str
    distance_m: int
    duration_s: int
    visits: list[VisitView]

    @property
    def stops(self) -> list[VisitView]:
        """The collecting visits, numbered on the sheet: point stops and streets."""
        return [v for v in self.visits if v.kind in SERVICE_KINDS]

    @property
    def streets(self) -> list[VisitView]:
        return [v for v in self.visits if v.kind == "street"]

    @property
    def collected_kg(self) -> int:
        return sum(sum(v.place.demand_kg.values()) for v in self.stops if v.place)

    @property
    def coords(self) -> list[list[float]]:
        """The whole day's street path, ``[lon, lat]``, joints not repeated."""
        line: list[list[float]] = []
        for visit in self.visits:
            parts = [visit.leg_in.coords] if visit.leg_in is not None else []
            if visit.kind == "street" and visit.place is not None:
                parts.append([list(p) for p in visit.place.line])
            for pts in parts:
                line.extend(pts[1:] if line and pts and line[-1] == pts[0] else pts)
        return line

    @property
    def shift(self) -> tuple[int, int]:
        return self.visits[0].departure_s, self.visits[-1].arrival_s


@dataclass
class DayView:
    """Everything needed to draw and print one service day."""

    date: date | None
    routes: list[RouteView]
    places: dict[str, Place]
    unassigned: list[dict[str, str]]
    graph: StreetGraph
    attribution: str = ATTRIBUTION
    document: dict[str, Any] = field(default_factory=dict)
    tz: ZoneInfo = UTC_ZONE  # the plan's time zone: see plan_timezone

    def route(self, vehicle_id: str) -> RouteView:
        return next(r for r in self.routes if r.vehicle_id == vehicle_id)


def vehicle_names(fleet_file: Path) -> dict[str, str]:
    """Human names of the trucks (``name`` in fleet.toml), keyed like the plan's vehicle ids."""
    config = tomllib.loads(fleet_file.read_text(encoding="utf-8"))
    defaults = config.get("defaults") or {}
    names: dict[str, str] = {}
    for n, table in enumerate(config.get("vehicle") or [], start=1):
        entry = {**defaults, **table}
        vid = str(entry.get("id") or f"V{n}")
        count = int(entry.get("count", 1))
        for k in range(count):
            names[f"{vid}-{k + 1}" if count > 1 else vid] = str(entry.get("name") or "")
    return names


class _CrossStreets:
    """Nearest cross street of a point on an edge: a differently named street at the nearer end."""

    def __init__(self, graph: StreetGraph) -> None:
        self.graph = graph
        touching: dict[int, list[int]] = defaultdict(list)
        for e, (u, v) in enumerate(zip(graph.edge_u.tolist(), graph.edge_v.tolist(), strict=True)):
            touching[u].append(e)
            touching[v].append(e)
        self.touching = touching

    def at(self, edge: int, fraction: float, own: str) -> str:
        u, v = int(self.graph.edge_u[edge]), int(self.graph.edge_v[edge])
        for node in (u, v) if fraction < 0.5 else (v, u):
            found = self.end(node, own)
            if found:
                return found
        return ""

    def end(self, node: int, own: str) -> str:
        """The street crossing ``own`` at ``node`` ("" at a dead end or a bend of one street)."""
        names = [str(self.graph.edge_name[e]) for e in self.touching[node]]
        others = [n for n in names if n and n != own]
        return max(sorted(set(others)), key=others.count) if others else ""

    def ends(self, edge: int, own: str) -> tuple[str, str]:
        """The cross streets at both ends of ``edge`` (each "" when there is none)."""
        u, v = int(self.graph.edge_u[edge]), int(self.graph.edge_v[edge])
        return self.end(u, own), self.end(v, own)


LegLookup = Callable[[str, str], "LegView | None"]


def build_day(
    document: Mapping[str, Any],
    scenario: Scenario,
    names: Mapping[str, str] | None = None,
) -> DayView:
    """Join a plan.json document with the scenario it was planned on."""
    graph = scenario.graph
    snapped = scenario.snapped
    where = {pid: i for i, pid in enumerate(snapped.ids)}
    demand = {
        s.id: {stream: int(load.kg) for stream, load in s.demand.items()}
        for s in scenario.problem.stops
    }
    cross = _CrossStreets(graph)
    places: dict[str, Place] = {}
    streets = [
        pid for pid, info in document.get("places", {}).items()
        if info.get("kind") == "street" and pid in scenario.streets
    ]  # fmt: skip
    # One projection for every street line, not one per street.
    lines = dict(zip(
        streets, edge_lonlat(graph, [scenario.streets[pid].edge for pid in streets]), strict=True
    )) if streets else {}  # fmt: skip
    for pid, info in document.get("places", {}).items():
        if pid in lines:
            way = scenario.streets[pid]
            places[pid] = _street_place(
                pid, info, graph, cross, demand.get(pid, {}),
                (way.edge, lines[pid], way.task.id, way.length_m),
            )  # fmt: skip
            continue
        i = where.get(pid)
        spot = (int(snapped.edge[i]), float(snapped.fraction[i])) if i is not None else None
        places[pid] = _point_place(pid, info, graph, cross, demand.get(pid, {}), spot)

    def leg(origin: str, destination: str) -> LegView:
        found = scenario.matrix.leg(origin, destination)
        return _leg_view(graph, origin, destination, found.steps, found.lonlat(graph),
                         (found.distance_m, found.duration_s))  # fmt: skip

    return _day_view(document, graph, places, leg, names)


def day_from_document(
    document: Mapping[str, Any],
    graph: StreetGraph,
    names: Mapping[str, str] | None = None,
) -> DayView:
    """A stored plan.json joined with the street graph alone: no scenario, no travel matrix.

    What the scenario gave :func:`build_day` is read back from the document: each point is
    snapped again (same function and graph as the planner, so the same street), each door-to-door
    street is the directed edge its stored ``line`` was drawn from, each stop's demand is the
    rise of the load it causes.

    Legs follow the streets, computed once, and only those the routes use: one per pair of
    consecutive visits, a shortest-path search from each leg's start on the graph with just those
    places inserted. Straight lines would be cheaper but wrong: the coverage map counts the
    streets driven between two stops as served, and the GPX track and the sheet's directions
    must follow real streets. The planner's n×n travel matrix is not needed either: a day of
    n visits drives n-1 legs, so a search from each leg's start (a fraction of a millisecond on
    a district's streets) gives them all without n² cells, in about the time drawing them takes.
    """
    raw = document.get("places")
    if not isinstance(raw, Mapping):
        raise PlanDocumentError("this plan has no 'places' (write it with basuracero plan)",
                                field="places")  # fmt: skip
    spots = _locate(graph, raw)
    demand = _demand_from_loads(document.get("routes", []))
    cross = _CrossStreets(graph)
    places: dict[str, Place] = {}
    for pid, info in raw.items():
        spot = spots.get(pid)
        if info.get("kind") == "street":
            edge = spot[0] if spot is not None else -1
            line = [list(p) for p in info.get("line") or ()]
            what = (edge, line, str(info.get("task") or ""), int(info.get("length_m") or 0))
            places[pid] = _street_place(pid, info, graph, cross, demand.get(pid, {}), what)
        else:
            places[pid] = _point_place(pid, info, graph, cross, demand.get(pid, {}), spot)
    legs = _legs_on_graph(graph, _consecutive(document.get("routes", [])), places, spots)
    return _day_view(document, graph, places, lambda a, b: legs.get((a, b)), names)


def _day_view(
    document: Mapping[str, Any],
    graph: StreetGraph,
    places: dict[str, Place],
    leg: LegLookup,
    names: Mapping[str, str] | None,
) -> DayView:
    routes = [
        _route_view(r, places, leg, (names or {}).get(r["vehicle_id"], ""))
        for r in document.get("routes", [])
    ]
    service_date = document.get("date")
    return DayView(
        date=date.fromisoformat(service_date) if service_date else None,
        routes=routes,
        places=places,
        unassigned=[dict(u) for u in document.get("unassigned", [])],
        graph=graph,
        attribution=str(document.get("attribution") or ATTRIBUTION),
        document=dict(document),
        tz=plan_timezone(document),
    )


def _route_view(
    route: Mapping[str, Any], places: Mapping[str, Place], leg: LegLookup, name: str
) -> RouteView:
    visits: list[VisitView] = []
    previous: str | None = None  # last place the truck was at (breaks do not move it)
    number = 0
    for raw in route["visits"]:
        kind = str(raw["kind"])
        load_kg = int(raw["load"]["kg"])
        if kind == "break":
            visits.append(
                VisitView(kind, str(raw["id"]), int(raw["arrival_s"]), int(raw["departure_s"]),
                          load_kg, None, where=places.get(previous or ""))
            )  # fmt: skip
            continue
        pid = str(raw["id"])
        leg_view = leg(previous, pid) if previous is not None else None
        if kind in SERVICE_KINDS:
            number += 1
        visits.append(
            VisitView(kind, pid, int(raw["arrival_s"]), int(raw["departure_s"]), load_kg,
                      places.get(pid), number if kind in SERVICE_KINDS else None, leg_view)
        )  # fmt: skip
        previous = pid
    return RouteView(
        str(route["vehicle_id"]), name, int(route["distance_m"]), int(route["duration_s"]), visits
    )


def _leg_view(
    graph: StreetGraph,
    origin: str,
    destination: str,
    steps: tuple[LegStep, ...],
    coords: list[list[float]],
    totals: tuple[int, int],
) -> LegView:
    return LegView(origin, destination, totals[0], totals[1], coords, steps,
                   directions(graph, steps))  # fmt: skip


def _point_place(
    pid: str,
    info: Mapping[str, Any],
    graph: StreetGraph,
    cross: _CrossStreets,
    demand: dict[str, int],
    spot: tuple[int, float] | None,
) -> Place:
    """A stop, depot or site; a stop is named after its street and its nearest corner."""
    edge = spot[0] if spot is not None else -1
    name = str(info.get("name") or "")
    kind = str(info.get("kind") or "stop")
    if kind == "stop" and not name and edge >= 0:
        name = str(graph.edge_name[edge])
    on_street = kind == "stop" and spot is not None and edge >= 0
    cross_name = cross.at(edge, spot[1], name) if on_street and spot is not None else ""
    ends = cross.ends(edge, name) if on_street else ("", "")
    return Place(pid, kind, float(info["lon"]), float(info["lat"]), name, cross_name, demand, edge,
                 block_ends=ends)  # fmt: skip


def _street_place(
    pid: str,
    info: Mapping[str, Any],
    graph: StreetGraph,
    cross: _CrossStreets,
    demand: dict[str, int],
    what: tuple[int, list[list[float]], str, int],
) -> Place:
    """A door-to-door street: named after the street, from the cross street at its start to
    the one at its end, drawn along the direction the truck serves it.

    ``what`` is its edge (-1 when not on the graph), line, task and length in metres."""
    edge, coords, task, length_m = what
    name = str(info.get("name") or (graph.edge_name[edge] if edge >= 0 else ""))
    line = tuple((float(x), float(y)) for x, y in coords)
    start, end = (cross.at(edge, 0.0, name), cross.at(edge, 1.0, name)) if edge >= 0 else ("", "")
    return Place(
        pid, "street", float(info["lon"]), float(info["lat"]), name, start, demand, edge, line,
        end, task, length_m,
    )  # fmt: skip


def _locate(graph: StreetGraph, places: Mapping[str, Any]) -> dict[str, tuple[int, float]]:
    """Where each stored place lies on ``graph`` as (edge, fraction); a street at its start.

    Places the graph does not have (a point far from its streets, a street line that is none of
    its edges) are left out: they are drawn without legs rather than on a wrong street.
    """
    ids = list(places)
    if not ids:
        return {}
    lonlat = np.array([[places[p]["lon"], places[p]["lat"]] for p in ids], dtype=float)
    snapped = snap_points(graph, PointSet(ids=ids, lonlat=lonlat), max_distance_m=RESNAP_M)
    spots: dict[str, tuple[int, float]] = {}
    streets: list[str] = []
    for pid, edge, fraction in zip(
        snapped.ids, snapped.edge.tolist(), snapped.fraction.tolist(), strict=True
    ):
        if places[pid].get("kind") != "street":
            spots[pid] = (int(edge), float(fraction))
        elif len(places[pid].get("line") or ()) >= 2:
            streets.append(pid)
            spots[pid] = (int(edge), 0.0)
    if streets:
        near = np.array([spots[p][0] for p in streets], dtype=np.int64)
        found = _street_edges(graph, near, [places[p]["line"] for p in streets])
        for pid, edge in zip(streets, found.tolist(), strict=True):
            if edge < 0:
                del spots[pid]
            else:
                spots[pid] = (int(edge), 0.0)
    return spots


def _street_edges(graph: StreetGraph, near: np.ndarray, lines: list[Any]) -> np.ndarray:
    """The directed edge each stored line was drawn from, or -1: of the street its middle lies
    on (``near``) and that street's other direction, the one starting and ending where it does."""
    first = graph.to_xy(np.array([line[0] for line in lines], dtype=float))
    last = graph.to_xy(np.array([line[-1] for line in lines], dtype=float))
    twin = graph.edge_reverse[near].astype(np.int64)

    def gap(edges: np.ndarray) -> np.ndarray:
        geoms = graph.edge_geometry[edges]
        start = shapely.get_coordinates(shapely.get_point(geoms, 0))
        end = shapely.get_coordinates(shapely.get_point(geoms, -1))
        return np.maximum(np.hypot(*(start - first).T), np.hypot(*(end - last).T))

    own = gap(near)
    other = np.where(twin >= 0, gap(np.where(twin >= 0, twin, near)), np.inf)
    edge = np.where(other < own, twin, near)
    return np.where(np.minimum(own, other) <= STREET_MATCH_M, edge, -1)


def _demand_from_loads(routes: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """kg per stream each collecting visit took: its load after minus the load before it.

    plan.json keeps loads, not demands; loads are sums of whole kg, so the difference gives the
    planned demand back exactly (streams a stop had 0 kg of are left out).
    """
    demand: dict[str, dict[str, int]] = {}
    for route in routes:
        before: dict[str, int] = {}
        for visit in route.get("visits", []):
            streams = (visit.get("load") or {}).get("by_stream") or {}
            after = {str(s): int(v["kg"]) for s, v in streams.items()}
            if visit.get("kind") in SERVICE_KINDS:
                demand[str(visit["id"])] = {
                    s: kg - before.get(s, 0) for s, kg in after.items() if kg != before.get(s, 0)
                }
            before = after
    return demand


def _consecutive(routes: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(from, to) of every leg the routes drive: consecutive visits, breaks skipped."""
    pairs: list[tuple[str, str]] = []
    for route in routes:
        previous: str | None = None
        for visit in route.get("visits", []):
            if visit.get("kind") == "break":
                continue
            if previous is not None:
                pairs.append((previous, str(visit["id"])))
            previous = str(visit["id"])
    return pairs


def _legs_on_graph(
    graph: StreetGraph,
    pairs: list[tuple[str, str]],
    places: Mapping[str, Place],
    spots: Mapping[str, tuple[int, float]],
) -> dict[tuple[str, str], LegView]:
    """The fastest street path of each pair: from where the first place is left (a street's
    end) to where the second is entered (a street's start), as the planner's legs go."""
    enter = dict(spots)
    leave = {
        pid: (edge, 1.0) if places[pid].kind == "street" else (edge, fraction)
        for pid, (edge, fraction) in spots.items()
    }
    wanted = [(a, b) for a, b in dict.fromkeys(pairs) if a in leave and b in enter]
    if not wanted:
        return {}
    ends = list(dict.fromkeys([leave[a] for a, _ in wanted] + [enter[b] for _, b in wanted]))
    at = {end: i for i, end in enumerate(ends)}
    paths = _path_finder(graph, ends)
    length, seconds = graph.edge_length_m, graph.edge_duration_s
    legs: dict[tuple[str, str], LegView] = {}
    for a, b in sorted(wanted, key=lambda pair: at[leave[pair[0]]]):  # one search per start
        try:
            leg = paths.leg(at[leave[a]], at[enter[b]])
        except MatrixError:
            continue  # no way between them on this graph: drawn without a leg
        metres = sum(length[s.edge] * (s.end - s.start) for s in leg.steps)
        time_s = sum(seconds[s.edge] * (s.end - s.start) for s in leg.steps)
        legs[(a, b)] = _leg_view(graph, a, b, leg.steps, leg.lonlat(graph),
                                 (math.ceil(metres), math.ceil(time_s)))  # fmt: skip
    return legs


def _path_finder(graph: StreetGraph, ends: list[tuple[int, float]]) -> TravelMatrix:
    """Shortest paths between ``ends`` (edge, fraction) without their matrix.

    ``TravelMatrix.leg`` finds a leg's streets by a search from its start on the graph with the
    points inserted; it reads the matrix only for the leg's totals, so a broadcast 0 (no memory)
    stands in for the n×n cells and the totals are summed from the steps instead.
    """
    n = len(ends)
    points = SnappedPoints(
        ids=[str(i) for i in range(n)],
        lonlat=np.zeros((n, 2)),
        edge=np.array([e for e, _ in ends], dtype=np.int64),
        fraction=np.array([f for _, f in ends], dtype=float),
        distance_m=np.zeros(n),
        snapped_xy=np.zeros((n, 2)),  # unused by the path search
        unsnapped=[],
    )
    zero = np.broadcast_to(np.int64(0), (n, n))
    return TravelMatrix(points.ids, zero, zero, graph, _points=points)


def physical_edge(graph: StreetGraph, edge: int) -> int:
    """The same street segment whichever way it is driven (lower id of a two-way pair)."""
    twin = int(graph.edge_reverse[edge])
    return edge if twin < 0 else min(edge, twin)


def edge_lonlat(graph: StreetGraph, edges: np.ndarray | list[int]) -> list[list[list[float]]]:
    """``[lon, lat]`` lines of several edges at once (one projection call)."""
    geoms = graph.edge_geometry[np.asarray(edges, dtype=int)]
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return []
    lonlat = graph.to_lonlat(coords).round(6)
    splits = np.flatnonzero(np.diff(index)) + 1
    return [part.tolist() for part in np.split(lonlat, splits)]
