"""Point-to-point matrices from a node-to-node matrix on the contraction hierarchy.

A point on a street is left through the end of its edge (or, on a two-way street, the end of the
opposite edge) and reached through the start of its edge (or its twin's). Its matrix entry is the
cheapest of the four combinations, or the direct drive when both points lie on one edge in the
right order. Pieces of edges use the same cumulative rounding as the point-insertion network, so
both methods give identical integers.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from basuracero.geodata import ch, shortest
from basuracero.geodata.snap import SnappedPoints
from basuracero.geodata.streets import StreetGraph

INF = np.int64(2**61)  # three of these still fit in an int64


def hierarchy(graph: StreetGraph) -> ch.Hierarchy:
    """The graph's contraction hierarchy, built once (about a second for a metro area)."""
    cached = graph._cache.get("hierarchy")
    if cached is None:
        from basuracero.geodata.matrix import edge_weights

        duration_ms, distance_dm = edge_weights(graph)
        cached = ch.build_hierarchy(
            graph.n_nodes,
            graph.edge_u.astype(np.int64),
            graph.edge_v.astype(np.int64),
            shortest.pack(duration_ms, distance_dm),
        )
        graph._cache["hierarchy"] = cached
    return cached


def _rint(total: NDArray[np.int64], fraction: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.rint(total * fraction).astype(np.int64)


def point_matrix(graph: StreetGraph, points: SnappedPoints) -> NDArray[np.int64]:
    """Packed keys between every pair of points (``INF`` where unreachable)."""
    from basuracero.geodata.matrix import edge_weights

    duration_ms, distance_dm = edge_weights(graph)
    n = len(points)
    edge = np.asarray(points.edge, dtype=np.int64)
    frac = np.asarray(points.fraction, dtype=float)
    twin = graph.edge_reverse[edge].astype(np.int64)
    has_twin = twin >= 0
    twin_edge = np.where(has_twin, twin, edge)  # placeholder where there is none
    twin_frac = 1.0 - frac

    def cost(e: NDArray[np.int64], a: NDArray[np.float64], b: NDArray[np.float64]):
        """Packed cost along edge ``e`` from fraction ``a`` to ``b`` (a ≤ b)."""
        dur = _rint(duration_ms[e], b) - _rint(duration_ms[e], a)
        dist = _rint(distance_dm[e], b) - _rint(distance_dm[e], a)
        return shortest.pack(dur, dist)

    one, zero = np.ones(n), np.zeros(n)
    exit_node = np.stack([graph.edge_v[edge], graph.edge_v[twin_edge]], axis=1).astype(np.int64)
    exit_cost = np.stack([cost(edge, frac, one), cost(twin_edge, twin_frac, one)], axis=1)
    entry_node = np.stack([graph.edge_u[edge], graph.edge_u[twin_edge]], axis=1).astype(np.int64)
    entry_cost = np.stack([cost(edge, zero, frac), cost(twin_edge, zero, twin_frac)], axis=1)
    exit_cost[~has_twin, 1] = INF
    entry_cost[~has_twin, 1] = INF

    sources, source_at = np.unique(exit_node, return_inverse=True)
    targets, target_at = np.unique(entry_node, return_inverse=True)
    between = ch.many_to_many(hierarchy(graph), sources, targets)
    between = np.minimum(between, INF)
    source_at = source_at.reshape(n, 2)
    target_at = target_at.reshape(n, 2)

    best = np.full((n, n), INF, dtype=np.int64)
    for i in range(2):
        rows = between[source_at[:, i]]
        for j in range(2):
            candidate = exit_cost[:, i, None] + rows[:, target_at[:, j]] + entry_cost[None, :, j]
            np.minimum(best, candidate, out=best)
    # Both points on one directed edge, the second further along: drive straight there.
    on_edge = [(edge, frac, np.ones(n, dtype=bool)), (twin_edge, twin_frac, has_twin)]
    for e_p, f_p, ok_p in on_edge:
        for e_q, f_q, ok_q in on_edge:
            same = (e_p[:, None] == e_q[None, :]) & ok_p[:, None] & ok_q[None, :]
            ahead = f_q[None, :] >= f_p[:, None]
            rows, cols = np.nonzero(same & ahead)
            if len(rows):
                direct = cost(e_p[rows], f_p[rows], f_q[cols])
                best[rows, cols] = np.minimum(best[rows, cols], direct)
    np.fill_diagonal(best, 0)
    return best
