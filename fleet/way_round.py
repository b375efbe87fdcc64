"""Where a truck going round a street could be, and when: the streets near it, point by point,
with the least time to each point from either end of the street and from it to either end,
without driving the street.

Progress asks it of a fix near a short block, between two fixes on either side of the block:
could that fix have been the truck on its way round, thrown towards the block by GPS noise?
Only if some point of the way round lies near the fix and the truck had time to get there from
one fix and on to the other. Without this, any fix in the middle of a run had to be taken for
possibly thrown, and blocks too short to hold a fix of their own stayed unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from basuracero.geodata.streets import StreetGraph

STEP_M = 3.0  # points this far apart along each street near
LIMIT_S = 300.0  # farther than this by road from an end is as good as unreachable


@dataclass(frozen=True)
class WayRound:
    """Points of the streets near a street (metric x, y), and per point the least seconds at
    the streets' own speeds from each of the street's ends (its line's start, its end) and to
    each end, without the street: inf when not within LIMIT_S."""

    xy: NDArray[np.float64]  # (n, 2)
    from_end: NDArray[np.float64]  # (2, n)
    to_end: NDArray[np.float64]  # (2, n)


def shortest_csr(graph: StreetGraph, keep: NDArray[np.bool_], costs: NDArray[np.float64]
                 ) -> csr_matrix:  # fmt: skip
    """The kept edges as a sparse matrix, the cheaper of parallel edges between two nodes (a
    sparse matrix built from pairs would add them up)."""
    u, v, w = graph.edge_u[keep], graph.edge_v[keep], np.maximum(costs[keep], 0.01)
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return csr_matrix((w[first], (u[first], v[first])), shape=(graph.n_nodes, graph.n_nodes))


def way_round(graph: StreetGraph, edge: int, near: NDArray[np.int64]) -> WayRound:
    """The way round ``edge`` (and its twin) over the ``near`` edges, from and to its two ends
    (``edge_u`` is its start)."""
    twin = int(graph.edge_reverse[edge])
    keep = np.ones(graph.n_edges, dtype=bool)
    keep[[edge, twin] if twin >= 0 else [edge]] = False
    matrix = shortest_csr(graph, keep, np.asarray(graph.edge_duration_s, dtype=float))
    ends = [int(graph.edge_u[edge]), int(graph.edge_v[edge])]
    from_nodes = dijkstra(matrix, indices=ends, limit=LIMIT_S)
    to_nodes = dijkstra(matrix.T.tocsr(), indices=ends, limit=LIMIT_S)
    near = np.asarray([e for e in near.tolist() if keep[e]], dtype=np.int64)
    if len(near) == 0:
        empty = np.empty((2, 0))
        return WayRound(np.empty((0, 2)), empty, empty)
    lengths = shapely.length(graph.edge_geometry[near])
    counts = np.maximum(np.ceil(lengths / STEP_M).astype(int), 1) + 1
    owner = np.repeat(np.arange(len(near)), counts)
    share = np.concatenate([np.linspace(0.0, 1.0, c) for c in counts])
    points = shapely.line_interpolate_point(graph.edge_geometry[near][owner], share,
                                            normalized=True)  # fmt: skip
    seconds = np.asarray(graph.edge_duration_s, dtype=float)[near][owner]
    u, v = graph.edge_u[near][owner], graph.edge_v[near][owner]
    return WayRound(
        shapely.get_coordinates(points),
        from_nodes[:, u] + share * seconds,
        (1.0 - share) * seconds + to_nodes[:, v],
    )
