"""Door-to-door service ("puerta a puerta"): streets to serve as routing tasks.

A truck ringing its bell serves a street segment by driving it, in a direction the street allows:
both on a two-way street, one on a one-way street. Each allowed direction becomes a task node;
the two directions of a street are alternatives (exactly one is served). Travel from one task to
another is the fastest path from the end of the first street to the start of the second, plus the
time and length of driving the first one while collecting. The matrix therefore fits the point
model of the routing package unchanged: only the "one of two" constraint is new.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from basuracero.geodata.demo_points import SERVED_CLASSES
from basuracero.geodata.matrix import Leg, MatrixError, TravelMatrix, travel_matrix
from basuracero.geodata.snap import SnappedPoints
from basuracero.geodata.streets import StreetGraph

COLLECTION_KMH = 6.0  # walking pace of the crew along the kerb, bags thrown in as the truck rolls


@dataclass(frozen=True)
class StreetTask:
    """One street segment to serve, and the directed edges it may be served along."""

    id: str
    street: str
    edges: tuple[int, ...]  # one (one-way) or two (two-way) directed edges
    length_m: float
    demand_kg: float


@dataclass
class ArcMatrix:
    """Integer matrices over ``places`` (depots, sites) then one node per task direction.

    ``direction_task[k]`` is the task of direction node k and ``direction_edge[k]`` its edge;
    ``service_s[k]`` the time to collect along it. Rows of a direction node start where its street
    ends (the street itself is included in the leg out of it).
    """

    ids: list[str]
    duration_s: NDArray[np.int64]
    distance_m: NDArray[np.int64]
    direction_task: NDArray[np.int64]
    direction_edge: NDArray[np.int64]
    service_s: NDArray[np.int64]
    n_places: int


def street_tasks(
    graph: StreetGraph,
    area: BaseGeometry | None = None,
    classes: frozenset[str] = SERVED_CLASSES,
    kg_per_m: float = 0.0,
    min_length_m: float = 5.0,
    each_side: frozenset[str] = frozenset(),
) -> list[StreetTask]:
    """Physical street segments of the served classes (inside ``area``, WGS84, if given).

    On a two-way street of an ``each_side`` class (a wide avenue the crew cannot cross with
    bags), each side is a task of its own, served in its own direction with half the waste.
    """
    once = graph.physical_edges()
    once = once[np.isin(graph.edge_highway[once], list(classes))]
    once = once[graph.edge_length_m[once] >= min_length_m]
    if area is not None and len(once):
        middle = shapely.line_interpolate_point(graph.edge_geometry[once], 0.5, normalized=True)
        lonlat = graph.to_lonlat(shapely.get_coordinates(middle))
        once = once[shapely.contains_xy(area, lonlat[:, 0], lonlat[:, 1])]
    tasks = []
    for n, edge in enumerate(once.tolist(), start=1):
        twin = int(graph.edge_reverse[edge])
        length = float(graph.edge_length_m[edge])
        street = str(graph.edge_name[edge])
        if twin >= 0 and str(graph.edge_highway[edge]) in each_side:
            for side, directed in (("a", edge), ("b", twin)):
                tasks.append(StreetTask(f"S{n:04d}{side}", street, (directed,), length,
                                        round(length * kg_per_m / 2, 1)))
            continue
        edges = (edge,) if twin < 0 else (edge, twin)
        tasks.append(StreetTask(f"S{n:04d}", street, edges, length, round(length * kg_per_m, 1)))
    return tasks


@dataclass(frozen=True)
class Direction:
    """One allowed way of serving a task: driving ``edge`` from its start to its end."""

    id: str
    task: StreetTask
    edge: int
    service_s: int
    length_m: int


@dataclass
class ServiceMatrix:
    """Travel between places and street directions, in the routing problem's order.

    A street direction is entered at the start of its street and left at its end, so the
    matrix of a door-to-door day is the point matrix read at different rows and columns; the
    street itself is in the distance out of it (``length_m``) and in the stop's service time.
    ``leg`` gives the streets driven between two visits, as ``TravelMatrix.leg`` does for points.
    """

    ids: list[str]
    duration_s: NDArray[np.int64]
    distance_m: NDArray[np.int64]
    points: TravelMatrix
    enter: dict[str, int]
    leave: dict[str, int]
    directions: dict[str, Direction]

    def leg(self, origin: str, destination: str) -> Leg:
        leg = self.points.leg(self.leave[origin], self.enter[destination])
        return replace(leg, origin=origin, destination=destination)


def direction_ids(task: StreetTask) -> list[str]:
    return [f"{task.id}:{k}" for k in range(len(task.edges))]


def service_matrix(
    graph: StreetGraph,
    places: SnappedPoints,
    tasks: list[StreetTask],
    collection_kmh: float = COLLECTION_KMH,
) -> ServiceMatrix:
    """Matrices over ``places`` then one node per allowed direction of each task."""
    directions = [
        Direction(did, task, edge, *_service(graph, edge, collection_kmh))
        for task in tasks
        for did, edge in zip(direction_ids(task), task.edges, strict=True)
    ]
    edges = np.array([d.edge for d in directions], dtype=np.int64)
    n_dir, n_places = len(directions), len(places)
    # Points: the places, then each direction's start (fraction 0) and end (fraction 1).
    points = SnappedPoints(
        ids=[*places.ids, *(f"{d.id}@start" for d in directions),
             *(f"{d.id}@end" for d in directions)],
        lonlat=np.zeros((n_places + 2 * n_dir, 2)),
        edge=np.concatenate([places.edge, edges, edges]).astype(np.int64),
        fraction=np.concatenate([places.fraction, np.zeros(n_dir), np.ones(n_dir)]),
        distance_m=np.zeros(n_places + 2 * n_dir),
        snapped_xy=np.vstack(
            [places.snapped_xy, _ends(graph, edges, 0.0), _ends(graph, edges, 1.0)]
        ).reshape(-1, 2),
        unsnapped=[],
    )
    try:
        matrix = travel_matrix(graph, points)
    except MatrixError:
        raise ValueError(
            "some streets cannot be reached from the depots and sites (or left towards them): "
            "the street graph is not strongly connected"
        ) from None
    enter = np.concatenate([np.arange(n_places), n_places + np.arange(n_dir)])
    leave = np.concatenate([np.arange(n_places), n_places + n_dir + np.arange(n_dir)])
    length = np.array([0] * n_places + [d.length_m for d in directions], dtype=np.int64)
    duration = matrix.duration_s[np.ix_(leave, enter)]
    distance = matrix.distance_m[np.ix_(leave, enter)] + length[:, None]
    np.fill_diagonal(duration, 0)
    np.fill_diagonal(distance, 0)
    ids = [*places.ids, *(d.id for d in directions)]
    return ServiceMatrix(
        ids, duration, distance, matrix,
        dict(zip(ids, enter.tolist(), strict=True)), dict(zip(ids, leave.tolist(), strict=True)),
        {d.id: d for d in directions},
    )  # fmt: skip


def arc_matrix(
    graph: StreetGraph,
    places: SnappedPoints,
    tasks: list[StreetTask],
    collection_kmh: float = COLLECTION_KMH,
) -> ArcMatrix:
    """Travel between places and task directions, each task's street driven at collection pace.

    The classic arc-routing form: the street's collection time is part of the travel out of it.
    """
    service = service_matrix(graph, places, tasks, collection_kmh)
    dirs = list(service.directions.values())
    n_places = len(places)
    service_s = np.array([d.service_s for d in dirs], dtype=np.int64)
    duration = service.duration_s.copy()
    duration[n_places:, :] += service_s[:, None]
    np.fill_diagonal(duration, 0)
    task_index = {task.id: t for t, task in enumerate(tasks)}
    return ArcMatrix(
        service.ids, duration, service.distance_m,
        np.array([task_index[d.task.id] for d in dirs], dtype=int),
        np.array([d.edge for d in dirs], dtype=np.int64), service_s, n_places,
    )  # fmt: skip


def _service(graph: StreetGraph, edge: int, collection_kmh: float) -> tuple[int, int]:
    """Seconds to collect along a street and its length, both rounded up."""
    length = float(graph.edge_length_m[edge])
    return math.ceil(length / (collection_kmh / 3.6)), math.ceil(length)


def middles_lonlat(graph: StreetGraph, edges: NDArray[np.int64]) -> NDArray[np.float64]:
    """WGS84 middle of each street: the same point whichever way the street is driven."""
    return graph.to_lonlat(_ends(graph, np.asarray(edges, dtype=np.int64), 0.5))


def _ends(graph: StreetGraph, edges: NDArray[np.int64], fraction: float) -> NDArray[np.float64]:
    points = shapely.line_interpolate_point(graph.edge_geometry[edges], fraction, normalized=True)
    return shapely.get_coordinates(points).reshape(-1, 2)
