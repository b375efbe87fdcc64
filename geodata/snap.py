"""Snap points onto street edges (not nodes), remembering where along the edge they fall.

A stop in the middle of a block is served from that block: snapping to the nearest intersection
would make the truck drive to the corner and back. Points farther than a limit from any street are
reported, never moved silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from basuracero.geodata.sites import PointSet
from basuracero.geodata.streets import StreetGraph

DEFAULT_MAX_SNAP_M = 60.0


@dataclass(frozen=True)
class Unsnapped:
    """A point left out because no street is close enough; ``distance_m`` is to the nearest one."""

    id: str
    lon: float
    lat: float
    distance_m: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class SnappedPoints:
    """Points placed on directed edges of a :class:`StreetGraph`.

    ``edge[i]`` is an edge the point lies on and ``fraction[i]`` how far along it (0 at ``edge_u``,
    1 at ``edge_v``); on a two-way street the same place is ``1 - fraction[i]`` along
    ``graph.edge_reverse[edge[i]]``.
    """

    ids: list[str]
    lonlat: NDArray[np.float64]
    edge: NDArray[np.int64]
    fraction: NDArray[np.float64]
    distance_m: NDArray[np.float64]
    snapped_xy: NDArray[np.float64]
    unsnapped: list[Unsnapped]

    def __len__(self) -> int:
        return len(self.ids)

    def index(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self.ids)}


def snap_points(
    graph: StreetGraph, points: PointSet, max_distance_m: float = DEFAULT_MAX_SNAP_M
) -> SnappedPoints:
    """Snap every point to its nearest street edge within ``max_distance_m`` metres."""
    if max_distance_m <= 0:
        raise ValueError(f"max_distance_m must be > 0, got {max_distance_m}")
    tree, physical = _edge_tree(graph)
    xy = graph.to_xy(points.lonlat) if len(points) else np.empty((0, 2))
    geoms = shapely.points(xy)
    which, distance = tree.query_nearest(geoms, return_distance=True, all_matches=False)
    point_idx, tree_idx = which
    nearest = np.full(len(points), -1, dtype=np.int64)
    nearest_d = np.full(len(points), np.inf)
    nearest[point_idx] = physical[tree_idx]
    nearest_d[point_idx] = distance
    ok = nearest_d <= max_distance_m
    unsnapped = [
        Unsnapped(
            id=points.ids[i],
            lon=float(points.lonlat[i, 0]),
            lat=float(points.lonlat[i, 1]),
            distance_m=round(float(nearest_d[i]), 1),
            reason=f"more than {max_distance_m:g} m from any drivable street "
            f"(nearest at {nearest_d[i]:.0f} m)",
        )
        for i in np.flatnonzero(~ok)
    ]
    keep = np.flatnonzero(ok)
    edges = nearest[keep]
    lines = graph.edge_geometry[edges]
    along = shapely.line_locate_point(lines, geoms[keep])
    length = shapely.length(lines)
    fraction = np.clip(np.divide(along, length, out=np.zeros_like(along), where=length > 0), 0, 1)
    on_street = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    return SnappedPoints(
        ids=[points.ids[i] for i in keep],
        lonlat=points.lonlat[keep],
        edge=edges,
        fraction=fraction,
        distance_m=nearest_d[keep],
        snapped_xy=on_street.reshape(-1, 2),
        unsnapped=unsnapped,
    )


def _edge_tree(graph: StreetGraph) -> tuple[shapely.STRtree, NDArray[np.int64]]:
    """One geometry per physical street (a two-way pair is indexed once), built once per graph."""
    cached = graph._cache.get("edge_tree")
    if cached is None:
        physical = graph.physical_edges()
        cached = (shapely.STRtree(graph.edge_geometry[physical]), physical)
        graph._cache["edge_tree"] = cached
    return cached
