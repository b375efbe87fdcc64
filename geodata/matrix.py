"""Travel matrices between snapped points on the directed street graph, with their legs.

Each snapped point becomes a node inserted into the edge(s) it lies on (both directions of a two-way
street), so a stop in the middle of a one-way block is reached from the block's start and left
towards its end, exactly. Matrices are integer seconds and metres, rounded up so the duration matrix
keeps the triangle inequality the solver relies on.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import reverse_cuthill_mckee
from shapely.geometry import LineString
from shapely.ops import substring

from basuracero.errors import InputError
from basuracero.geodata import shortest
from basuracero.geodata.attach import INF, point_matrix
from basuracero.geodata.snap import SnappedPoints
from basuracero.geodata.streets import StreetGraph


class MatrixError(InputError):
    """A matrix cannot be built from these inputs."""


@dataclass(frozen=True)
class LegStep:
    """Part of one street edge driven by a leg: ``edge`` from ``start`` to ``end`` (fractions)."""

    edge: int
    start: float
    end: float


@dataclass(frozen=True)
class Leg:
    """The fastest way from one point to another: streets, geometry and totals."""

    origin: str
    destination: str
    duration_s: int
    distance_m: int
    steps: tuple[LegStep, ...]
    geometry: LineString  # in the graph's UTM CRS
    street_names: tuple[str, ...]  # consecutive repeats collapsed; "" for unnamed streets

    def lonlat(self, graph: StreetGraph) -> list[list[float]]:
        """``[[lon, lat], ...]`` for maps and GeoJSON."""
        coords = shapely.get_coordinates(self.geometry)
        if len(coords) == 0:
            return []
        return graph.to_lonlat(coords).round(7).tolist()


@dataclass
class TravelMatrix:
    """``duration_s[i, j]`` and ``distance_m[i, j]`` from ``ids[i]`` to ``ids[j]`` (int64)."""

    ids: list[str]
    duration_s: NDArray[np.int64]
    distance_m: NDArray[np.int64]
    graph: StreetGraph
    _points: SnappedPoints = field(repr=False)
    _net: _PointNetwork | None = field(default=None, repr=False)
    _trees: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=OrderedDict, repr=False
    )

    def leg(self, origin: int | str, destination: int | str) -> Leg:
        """Streets and geometry of the fastest path (recomputed on demand, cached per origin)."""
        i = self._position(origin)
        j = self._position(destination)
        if self._net is None:  # legs walk the network with the points inserted as nodes
            self._net = _point_network(self.graph, self._points)
        net = self._net
        source = net.point_node[i]
        tree = self._trees.get(i)
        if tree is None:
            tree = shortest.shortest_tree(net.indptr, net.head, net.weight, source)
            self._trees[i] = tree
            if len(self._trees) > 64:
                self._trees.popitem(last=False)
        self._trees.move_to_end(i)
        _, pred = tree
        steps: list[LegStep] = []
        node = net.point_node[j]
        while node != source:
            arc = pred[node]
            if arc < 0:
                raise MatrixError(f"no path from {self.ids[i]!r} to {self.ids[j]!r}")
            steps.append(
                LegStep(int(net.arc_edge[arc]), float(net.arc_start[arc]), float(net.arc_end[arc]))
            )
            node = net.tail[arc]
        steps.reverse()
        merged = _merge_steps(steps)
        return Leg(
            origin=self.ids[i],
            destination=self.ids[j],
            duration_s=int(self.duration_s[i, j]),
            distance_m=int(self.distance_m[i, j]),
            steps=tuple(merged),
            geometry=_leg_geometry(self.graph, merged),
            street_names=_street_names(self.graph, merged),
        )

    def _position(self, key: int | str) -> int:
        if isinstance(key, str):
            try:
                return self.ids.index(key)
            except ValueError:
                raise KeyError(f"unknown point id {key!r}") from None
        return int(key)

    def to_long_rows(self) -> list[dict[str, Any]]:
        n = len(self.ids)
        return [
            {
                "from": self.ids[i],
                "to": self.ids[j],
                "distance_m": int(self.distance_m[i, j]),
                "duration_s": int(self.duration_s[i, j]),
            }
            for i in range(n)
            for j in range(n)
        ]


@dataclass
class _PointNetwork:
    """The street graph with the points inserted as nodes, as CSR arrays ready for the kernels."""

    indptr: NDArray[np.int64]
    head: NDArray[np.int64]
    tail: NDArray[np.int64]
    weight: NDArray[np.int64]
    arc_edge: NDArray[np.int64]
    arc_start: NDArray[np.float64]
    arc_end: NDArray[np.float64]
    point_node: NDArray[np.int64]


def travel_matrix(graph: StreetGraph, points: SnappedPoints) -> TravelMatrix:
    """Fastest-path duration and its distance between every pair of snapped points.

    Computed on the graph's contraction hierarchy (built once per graph); the legs' streets are
    recovered on demand from the point-insertion network, which gives the same integers.
    """
    if len(points) == 0:
        raise MatrixError("no snapped points: nothing to measure")
    keys = point_matrix(graph, points)
    if (keys >= INF).any():
        raise MatrixError("some points cannot reach each other (graph not strongly connected)")
    duration_ms, distance_dm = shortest.unpack(keys)
    return TravelMatrix(
        ids=list(points.ids),
        duration_s=-(-duration_ms // 1000),  # ceil keeps the triangle inequality
        distance_m=-(-distance_dm // 10),
        graph=graph,
        _points=points,
    )


def edge_weights(graph: StreetGraph) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Integer (ms, dm) per edge; never zero so every edge costs something."""
    duration_ms = np.maximum(np.rint(graph.edge_duration_s * 1000.0), 1).astype(np.int64)
    distance_dm = np.maximum(np.rint(graph.edge_length_m * 10.0), 1).astype(np.int64)
    return duration_ms, distance_dm


def _point_network(graph: StreetGraph, points: SnappedPoints) -> _PointNetwork:
    n_nodes = graph.n_nodes
    duration_ms, distance_dm = edge_weights(graph)
    # Points at exactly the same place share one node: they cost nothing to each other in either
    # order (two stops at one corner must not need a lap of the block).
    by_place = np.lexsort((points.fraction, points.edge))
    new_place = np.ones(len(points), dtype=bool)
    new_place[1:] = (np.diff(points.edge[by_place]) != 0) | (
        np.diff(points.fraction[by_place]) != 0
    )
    place_of = np.empty(len(points), dtype=np.int64)
    place_of[by_place] = np.cumsum(new_place) - 1
    places = by_place[new_place]  # one representative point per place, in along-edge order
    n_points = len(places)
    edge, fraction = points.edge[places].astype(np.int64), points.fraction[places]
    # Every (edge, position) where a place is: its own edge, and the twin of a two-way street.
    twin = graph.edge_reverse[edge]
    both = twin >= 0
    occ_edge = np.concatenate([edge, twin[both]]).astype(np.int64)
    occ_frac = np.concatenate([fraction, 1.0 - fraction[both]])
    occ_node = np.concatenate([np.arange(n_points), np.flatnonzero(both)]) + n_nodes
    # Places whose positions tie after rounding (1 - f) must meet in opposite orders on the two
    # directions of a street: the twin's tie-break reverses the forward order.
    forward_rank = np.arange(n_points)
    tiebreak = np.concatenate([forward_rank, -forward_rank[both]])
    order = np.lexsort((tiebreak, occ_frac, occ_edge))
    occ_edge, occ_frac, occ_node = occ_edge[order], occ_frac[order], occ_node[order]

    # Each occurrence starts a piece of its edge: from the previous occurrence (or the edge's
    # start) to it. Edges with points also get a last piece from their last point to the end.
    first = np.ones(len(occ_edge), dtype=bool)
    first[1:] = occ_edge[1:] != occ_edge[:-1]
    last = np.ones(len(occ_edge), dtype=bool)
    last[:-1] = occ_edge[:-1] != occ_edge[1:]
    prev_frac = np.where(first, 0.0, np.roll(occ_frac, 1))
    prev_node = np.where(first, graph.edge_u[occ_edge], np.roll(occ_node, 1))
    untouched = np.setdiff1d(np.arange(graph.n_edges), occ_edge)

    tail = np.concatenate([graph.edge_u[untouched], prev_node, occ_node[last]])
    head = np.concatenate([graph.edge_v[untouched], occ_node, graph.edge_v[occ_edge[last]]])
    arc_edge = np.concatenate([untouched, occ_edge, occ_edge[last]])
    arc_start = np.concatenate([np.zeros(len(untouched)), prev_frac, occ_frac[last]])
    arc_end = np.concatenate([np.ones(len(untouched)), occ_frac, np.ones(int(last.sum()))])
    # Cumulative rounding: the pieces of an edge add up exactly to the whole edge.
    dur = _piece(duration_ms[arc_edge], arc_start, arc_end)
    dist = _piece(distance_dm[arc_edge], arc_start, arc_end)

    total_nodes = n_nodes + n_points
    # Renumber nodes so that neighbours sit close in memory: the kernels run markedly faster.
    adjacency = csr_matrix(
        (np.ones(len(tail), dtype=np.int8), (tail, head)), shape=(total_nodes, total_nodes)
    )
    order_nodes = reverse_cuthill_mckee(adjacency, symmetric_mode=False)
    rank = np.empty(total_nodes, dtype=np.int64)
    rank[order_nodes] = np.arange(total_nodes)
    tail, head = rank[tail], rank[head]
    arcs = np.argsort(tail, kind="stable")
    indptr = np.zeros(total_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=total_nodes), out=indptr[1:])
    return _PointNetwork(
        indptr=indptr,
        head=head[arcs].astype(np.int64),
        tail=tail[arcs].astype(np.int64),
        weight=shortest.pack(dur[arcs], dist[arcs]),
        arc_edge=arc_edge[arcs].astype(np.int64),
        arc_start=arc_start[arcs],
        arc_end=arc_end[arcs],
        point_node=rank[place_of + n_nodes],
    )


def _piece(total: NDArray[np.int64], start: NDArray[np.float64], end: NDArray[np.float64]):
    return np.rint(total * end).astype(np.int64) - np.rint(total * start).astype(np.int64)


def _merge_steps(steps: list[LegStep]) -> list[LegStep]:
    """Join the pieces of one edge that point-nodes split, and drop empty ones."""
    merged: list[LegStep] = []
    for step in steps:
        if merged and merged[-1].edge == step.edge and merged[-1].end == step.start:
            merged[-1] = LegStep(step.edge, merged[-1].start, step.end)
        else:
            merged.append(step)
    return [s for s in merged if s.end > s.start]


def _leg_geometry(graph: StreetGraph, steps: list[LegStep]) -> LineString:
    coords: list[tuple[float, float]] = []
    for step in steps:
        line = graph.edge_geometry[step.edge]
        part = substring(line, step.start, step.end, normalized=True)
        xy = shapely.get_coordinates(part).tolist()
        if coords and xy and coords[-1] == tuple(xy[0]):
            xy = xy[1:]
        coords.extend(tuple(c) for c in xy)
    if len(coords) == 1:
        coords.append(coords[0])
    return LineString(coords) if coords else LineString()


def _street_names(graph: StreetGraph, steps: list[LegStep]) -> tuple[str, ...]:
    names: list[str] = []
    for step in steps:
        name = str(graph.edge_name[step.edge])
        if not names or names[-1] != name:
            names.append(name)
    return tuple(names)
