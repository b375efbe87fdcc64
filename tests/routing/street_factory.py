"""Small street graphs served door to door, turned into routing problems the way geodata does.

Each required street becomes one stop per allowed direction (a task); the travel from one
direction to the next is the shortest path from the end of the first street to the start of the
next, the first street's length is part of the distance out of it, and its collection time is
the stop's service time.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import floyd_warshall

from basuracero.routing.model import Depot, DisposalSite, Load, Problem, Stop, Vehicle

DRIVE_M_PER_S = 5  # deadheading speed
COLLECT_M_PER_S = 1  # crew walking beside the truck


@dataclass(frozen=True)
class Street:
    """A street between two graph nodes; `oneway` streets may only be served from u to v."""

    id: str
    u: int
    v: int
    length_m: int
    oneway: bool = False
    kg: int = 10


def shortest_metres(n_nodes: int, streets: Sequence[Street]) -> np.ndarray:
    dense = np.full((n_nodes, n_nodes), np.inf)
    np.fill_diagonal(dense, 0)
    for s in streets:
        dense[s.u, s.v] = min(dense[s.u, s.v], s.length_m)
        if not s.oneway:
            dense[s.v, s.u] = min(dense[s.v, s.u], s.length_m)
    return floyd_warshall(dense)


def street_problem(
    n_nodes: int,
    streets: Sequence[Street],
    required: Sequence[str],
    depot_node: int,
    vehicles: Sequence[Vehicle],
    site_node: int | None = None,
    site: DisposalSite | None = None,
) -> tuple[Problem, dict[str, tuple[int, int]]]:
    """The problem and, for each direction stop, the (from, to) nodes it drives."""
    sp = shortest_metres(n_nodes, streets)
    if not np.isfinite(sp).all():
        raise ValueError("street graph is not strongly connected")
    by_id = {s.id: s for s in streets}
    places = [depot_node] + ([site_node] if site is not None else [])
    stops: list[Stop] = []
    ends: dict[str, tuple[int, int]] = {}
    for sid in required:
        s = by_id[sid]
        for a, b in [(s.u, s.v)] + ([] if s.oneway else [(s.v, s.u)]):
            stop_id = f"{sid}:{a}-{b}"
            stops.append(Stop(stop_id, {"mixed": Load(kg=s.kg)},
                              service_s=s.length_m // COLLECT_M_PER_S, task=sid))
            ends[stop_id] = (a, b)
    arrive = places + [ends[s.id][0] for s in stops]
    leave = places + [ends[s.id][1] for s in stops]
    length = [0] * len(places) + [by_id[s.task].length_m for s in stops]
    distance = sp[np.ix_(leave, arrive)].astype(int) + np.array(length)[:, None]
    duration = np.ceil(sp[np.ix_(leave, arrive)] / DRIVE_M_PER_S).astype(int)
    np.fill_diagonal(distance, 0)
    np.fill_diagonal(duration, 0)
    problem = Problem([Depot("D")], [site] if site is not None else [], vehicles, stops,
                      duration, distance)
    return problem, ends


def best_single_tour_m(problem: Problem) -> int:
    """Shortest distance of one truck serving every task once (exhaustive, for tiny cases)."""
    loc = problem.location
    depot = loc[problem.depots[0].id]
    tasks = list(problem.tasks.values())
    best = None
    for order in itertools.permutations(range(len(tasks))):
        for choice in itertools.product(*(tasks[k] for k in order)):
            path = [depot, *(loc[c] for c in choice), depot]
            total = int(sum(problem.distance_m[a, b] for a, b in itertools.pairwise(path)))
            best = total if best is None else min(best, total)
    assert best is not None
    return best
