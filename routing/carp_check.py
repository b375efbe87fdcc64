"""Independent checker for CARP solutions in the `{"cost", "routes": [[[u, v], ...], ...]}` form.

It shares nothing with the solver but the instance data: its own shortest paths (Floyd-Warshall,
not the solver's Dijkstra), its own matching of served pairs to required edges, its own cost.
A plan is only returned or written when this finds nothing, so a modelling slip in the reduction
shows up as a message rather than as a wrong number in a report.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from basuracero.routing.carp import CarpInstance

Route = Sequence[Sequence[int]]
DENSE_LIMIT = 800  # above this many vertices Floyd-Warshall (cubic) gives way to Dijkstra rows


def floyd_warshall(instance: CarpInstance) -> np.ndarray:
    """Shortest-path costs between vertices (index = vertex number), `inf` if unreachable."""
    n = instance.n_vertices + 1
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0)
    for e in (*instance.required, *instance.other):
        d[e.u, e.v] = d[e.v, e.u] = min(d[e.u, e.v], e.cost)
    for k in range(1, n):
        np.minimum(d, d[:, k : k + 1] + d[k : k + 1, :], out=d)
    return d


class ShortestPaths:
    """Deadheading costs for the checker, built once and shared by the checks of one instance.

    Floyd-Warshall on graphs of up to DENSE_LIMIT vertices; on larger (unseen) graphs, where a
    cubic pass would take longer than the search, a plain heap Dijkstra per source vertex asked.
    """

    def __init__(self, instance: CarpInstance) -> None:
        self.n = instance.n_vertices + 1
        self.full = floyd_warshall(instance) if instance.n_vertices <= DENSE_LIMIT else None
        self.adj: list[dict[int, int]] = [{} for _ in range(self.n)]
        for e in (*instance.required, *instance.other):
            for a, b in ((e.u, e.v), (e.v, e.u)):
                self.adj[a][b] = min(self.adj[a].get(b, e.cost), e.cost)
        self.rows: dict[int, list[float]] = {}

    def __call__(self, a: int, b: int) -> float:
        if self.full is not None:
            return float(self.full[a, b])
        if a not in self.rows:
            self.rows[a] = self._dijkstra(a)
        return self.rows[a][b]

    def _dijkstra(self, source: int) -> list[float]:
        dist = [float("inf")] * self.n
        dist[source] = 0.0
        heap = [(0.0, source)]
        while heap:
            d, a = heapq.heappop(heap)
            if d > dist[a]:
                continue
            for b, c in self.adj[a].items():
                if d + c < dist[b]:
                    dist[b] = d + c
                    heapq.heappush(heap, (d + c, b))
        return dist


def solution_cost(instance: CarpInstance, routes: Sequence[Route]) -> int:
    """Service plus deadheading cost, assuming every pair is a required edge (see `check`)."""
    problems: list[str] = []
    cost = _recompute(instance, routes, None, problems, ShortestPaths(instance))
    if problems:
        raise ValueError(problems[0])
    return cost


def check_solution(
    instance: CarpInstance,
    routes: Sequence[Route],
    cost: int | None = None,
    edge_ids: Sequence[Sequence[int]] | None = None,
    paths: ShortestPaths | None = None,
) -> list[str]:
    """Every violation found, as readable messages; an empty list means the solution is valid.

    `edge_ids` (same shape as `routes`) says which required edge each pair serves; it matters
    only with parallel required edges, which otherwise are matched in file order. `paths` may
    be shared between checks of the same instance.
    """
    problems: list[str] = []
    total = _recompute(instance, routes, edge_ids, problems, paths or ShortestPaths(instance))
    if cost is not None and not problems and total != cost:
        problems.append(f"cost {cost} claimed, recomputed {total}")
    return problems


def _recompute(
    instance: CarpInstance,
    routes: Sequence[Route],
    edge_ids: Sequence[Sequence[int]] | None,
    problems: list[str],
    dist: ShortestPaths,
) -> int:
    by_pair: dict[frozenset[int], list[int]] = defaultdict(list)
    for k, e in enumerate(instance.required):
        by_pair[frozenset((e.u, e.v))].append(k)
    served = [0] * len(instance.required)
    total = 0.0
    for r, route in enumerate(routes):
        where = instance.depot
        load = 0
        for pos, pair in enumerate(route):
            if len(pair) != 2 or not all(isinstance(x, int | np.integer) for x in pair):
                problems.append(f"route {r} step {pos}: {pair!r} is not a [u, v] pair")
                continue
            u, v = int(pair[0]), int(pair[1])
            k = _match(by_pair, served, u, v, edge_ids, r, pos, instance)
            if k is None:
                problems.append(f"route {r} step {pos}: ({u}, {v}) is not a required edge")
                continue
            served[k] += 1
            e = instance.required[k]
            load += e.demand
            total += dist(where, u) + e.cost
            where = v
        total += dist(where, instance.depot)
        if load > instance.capacity:
            problems.append(f"route {r}: load {load} exceeds capacity {instance.capacity}")
    for k, times in enumerate(served):
        if times != 1:
            e = instance.required[k]
            problems.append(f"required edge ({e.u}, {e.v}) served {times} times, expected once")
    if not np.isfinite(total):
        problems.append("a route deadheads between vertices that are not connected")
        return -1
    return round(total)


def _match(
    by_pair: dict[frozenset[int], list[int]],
    served: list[int],
    u: int,
    v: int,
    edge_ids: Sequence[Sequence[int]] | None,
    r: int,
    pos: int,
    instance: CarpInstance,
) -> int | None:
    """Index of the required edge this pair serves, or None if it serves none."""
    candidates = by_pair.get(frozenset((u, v)), [])
    if not candidates:
        return None
    if edge_ids is not None:
        k = int(edge_ids[r][pos])
        return k if k in candidates else None
    for k in candidates:
        if served[k] == 0:
            return k
    return candidates[0]
