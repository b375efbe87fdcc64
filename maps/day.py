"""A day's plan joined with its geography: the one input every map, sheet and export reads.

plan.json says who goes where and when; the scenario knows the streets. Joining them once (legs
along real streets, stop street names, nearest cross streets, demand per stream) keeps the maps,
the sheets and the GPX files telling exactly the same story.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from basuracero.geodata.matrix import LegStep
from basuracero.geodata.streets import StreetGraph
from basuracero.maps.directions import Instruction, directions
from basuracero.planning.scenario import Scenario
from basuracero.routing.plan import SERVICE_KINDS

ATTRIBUTION = "© OpenStreetMap contributors"


@dataclass(frozen=True)
class Place:
    """A stop, depot or disposal site where the plan puts it (snapped to its street)."""

    id: str
    kind: str  # stop, depot, landfill, transfer, recycling, compost
    lon: float
    lat: float
    name: str  # street name for a stop, site name otherwise
    cross_street: str = ""
    demand_kg: dict[str, int] = field(default_factory=dict)  # stream -> kg (stops only)
    edge: int = -1
    # A street served door to door: its line in the direction driven, where it ends, its task.
    line: tuple[tuple[float, float], ...] = ()
    to_street: str = ""
    task: str = ""
    length_m: int = 0

    @property
    def lonlat(self) -> tuple[float, float]:
        return (self.lon, self.lat)


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
            names = [str(self.graph.edge_name[e]) for e in self.touching[node]]
            others = [n for n in names if n and n != own]
            if others:
                return max(set(others), key=others.count)
        return ""


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
            places[pid] = _street_place(
                pid, info, scenario, cross, demand.get(pid, {}), lines[pid]
            )
            continue
        i = where.get(pid)
        edge = int(snapped.edge[i]) if i is not None else -1
        name = str(info.get("name") or "")
        kind = str(info.get("kind") or "stop")
        if kind == "stop" and not name and edge >= 0:
            name = str(graph.edge_name[edge])
        cross_name = ""
        if kind == "stop" and i is not None:
            cross_name = cross.at(edge, float(snapped.fraction[i]), name)
        places[pid] = Place(
            pid, kind, float(info["lon"]), float(info["lat"]), name, cross_name,
            demand.get(pid, {}), edge,
        )  # fmt: skip
    routes = [
        _route_view(r, places, scenario, (names or {}).get(r["vehicle_id"], ""))
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
    )


def _route_view(
    route: Mapping[str, Any], places: Mapping[str, Place], scenario: Scenario, name: str
) -> RouteView:
    graph = scenario.graph
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
        leg_view = None
        if previous is not None:
            leg = scenario.matrix.leg(previous, pid)
            leg_view = LegView(
                previous, pid, leg.distance_m, leg.duration_s, leg.lonlat(graph), leg.steps,
                directions(graph, leg.steps),
            )  # fmt: skip
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


def _street_place(
    pid: str, info: Mapping[str, Any], scenario: Scenario, cross: _CrossStreets,
    demand: dict[str, int], coords: list[list[float]],
) -> Place:
    """A door-to-door street: named after the street, from the cross street at its start to
    the one at its end, drawn along the direction the truck serves it (``coords``)."""
    direction = scenario.streets[pid]
    edge = direction.edge
    name = str(info.get("name") or scenario.graph.edge_name[edge])
    line = tuple((float(x), float(y)) for x, y in coords)
    return Place(
        pid, "street", float(info["lon"]), float(info["lat"]), name, cross.at(edge, 0.0, name),
        demand, edge, line, cross.at(edge, 1.0, name), direction.task.id, direction.length_m,
    )  # fmt: skip


def physical_edge(graph: StreetGraph, edge: int) -> int:
    """The same street segment whichever way it is driven (lower id of a two-way pair)."""
    twin = int(graph.edge_reverse[edge])
    return edge if twin < 0 else min(edge, twin)


def edge_lonlat(graph: StreetGraph, edges: np.ndarray | list[int]) -> list[list[list[float]]]:
    """``[lon, lat]`` lines of several edges at once (one projection call)."""
    import shapely

    geoms = graph.edge_geometry[np.asarray(edges, dtype=int)]
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) == 0:
        return []
    lonlat = graph.to_lonlat(coords).round(6)
    splits = np.flatnonzero(np.diff(index)) + 1
    return [part.tolist() for part in np.split(lonlat, splits)]
