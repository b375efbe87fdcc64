"""Door-to-door service ("puerta a puerta"): streets to serve as routing tasks.

A truck ringing its bell serves a street segment by driving it, in a direction the street allows:
both on a two-way street, one on a one-way street. Each allowed direction becomes a task node;
the two directions of a street are alternatives (exactly one is served). Travel from one task to
another is the fastest path from the end of the first street to the start of the second, plus the
time and length of driving the first one while collecting. The matrix therefore fits the point
model of the routing package unchanged: only the "one of two" constraint is new.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geodata import shortest
from geodata.attach import INF, point_matrix
from geodata.demo_points import SERVED_CLASSES
from geodata.snap import SnappedPoints
from geodata.streets import StreetGraph

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
) -> list[StreetTask]:
    """Physical street segments of the served classes (inside ``area``, WGS84, if given)."""
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
        tasks.append(
            StreetTask(
                id=f"S{n:04d}",
                street=str(graph.edge_name[edge]),
                edges=(edge,) if twin < 0 else (edge, twin),
                length_m=length,
                demand_kg=round(length * kg_per_m, 1),
            )
        )
    return tasks


def arc_matrix(
    graph: StreetGraph,
    places: SnappedPoints,
    tasks: list[StreetTask],
    collection_kmh: float = COLLECTION_KMH,
) -> ArcMatrix:
    """Travel between places and task directions, each task's street driven at collection pace."""
    direction_task = np.array([t for t, task in enumerate(tasks) for _ in task.edges], dtype=int)
    direction_edge = np.array([e for task in tasks for e in task.edges], dtype=np.int64)
    n_dir, n_places = len(direction_edge), len(places)
    # Points: the places, then each direction's start (fraction 0) and end (fraction 1).
    edge = np.concatenate([places.edge, direction_edge, direction_edge]).astype(np.int64)
    fraction = np.concatenate([places.fraction, np.zeros(n_dir), np.ones(n_dir)])
    xy = np.vstack(
        [places.snapped_xy, _ends(graph, direction_edge, 0.0), _ends(graph, direction_edge, 1.0)]
    ).reshape(-1, 2)
    points = SnappedPoints(
        ids=[*places.ids, *(f"s{k}" for k in range(n_dir)), *(f"e{k}" for k in range(n_dir))],
        lonlat=np.zeros((len(edge), 2)),
        edge=edge,
        fraction=fraction,
        distance_m=np.zeros(len(edge)),
        snapped_xy=xy,
        unsnapped=[],
    )
    keys = point_matrix(graph, points)
    if (keys >= INF).any():
        raise ValueError("some streets cannot be reached from the places")
    duration_ms, distance_dm = shortest.unpack(keys)
    starts = np.arange(n_places, n_places + n_dir)
    ends = starts + n_dir
    arrive = np.concatenate([np.arange(n_places), starts])  # where a node is entered
    leave = np.concatenate([np.arange(n_places), ends])  # where a node is left
    service_s = np.ceil(graph.edge_length_m[direction_edge] / (collection_kmh / 3.6)).astype(int)
    length_m = np.ceil(graph.edge_length_m[direction_edge]).astype(int)
    duration = -(-duration_ms[np.ix_(leave, arrive)] // 1000)
    distance = -(-distance_dm[np.ix_(leave, arrive)] // 10)
    duration[n_places:, :] += service_s[:, None]  # the street itself, driven while collecting
    distance[n_places:, :] += length_m[:, None]
    np.fill_diagonal(duration, 0)
    np.fill_diagonal(distance, 0)
    ids = [*places.ids, *(f"{tasks[t].id}:{k}" for k, t in enumerate(direction_task))]
    return ArcMatrix(ids, duration, distance, direction_task, direction_edge, service_s, n_places)


def _ends(graph: StreetGraph, edges: NDArray[np.int64], fraction: float) -> NDArray[np.float64]:
    points = shapely.line_interpolate_point(graph.edge_geometry[edges], fraction, normalized=True)
    return shapely.get_coordinates(points).reshape(-1, 2)
