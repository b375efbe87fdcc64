"""CARP solver: required edges become direction nodes of an asymmetric node-routing problem.

The classic reduction: a required edge {i, j} becomes two nodes, "serve i->j" and "serve j->i",
of which exactly one is visited (a mutually exclusive client group in PyVRP, a disjunction in
OR-Tools). The cost of going from node a to node b is the shortest path from the end of a to the
start of b plus b's service cost; back to the depot it is the shortest path home. A route's cost
in this matrix is therefore exactly its CARP cost (service + deadheading), and the matrix is
asymmetric. A loop edge (i == i) has one node.

PyVRP's iterated local search, which supports such groups, does most of the search; OR-Tools
(guided local search) stays the solver of record: it reads PyVRP's routes and continues with the
time left, and it solves alone when PyVRP is disabled or finds nothing. Every route is given its
best service directions for its order (an exact two-state dynamic programme), and the returned
solution is the cheapest candidate that passes the independent checker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from basuracero.routing.carp import CarpInstance
from basuracero.routing.carp_check import ShortestPaths, check_solution

Engine = Literal["auto", "pyvrp", "ortools"]


class CarpCheckError(RuntimeError):
    """No candidate passed the checker: a bug, reported with the violations found."""


@dataclass(frozen=True)
class CarpOptions:
    """Search settings. `pyvrp_share` is the part of the budget PyVRP gets under "auto";
    `pyvrp_iterations` and `ortools_solution_limit` make short runs reproducible in tests."""

    time_limit_s: float = 10.0
    seed: int = 0
    engine: Engine = "auto"
    pyvrp_share: float = 0.9
    pyvrp_iterations: int | None = None
    ortools_solution_limit: int | None = None


@dataclass
class CarpSolution:
    """Routes as (required edge index, from vertex, to vertex) in service order."""

    routes: list[list[tuple[int, int, int]]]
    cost: int
    engine: str
    stats: dict[str, float | int | str] = field(default_factory=dict)

    def pairs(self) -> list[list[list[int]]]:
        return [[[u, v] for _, u, v in route] for route in self.routes]

    def to_dict(self) -> dict:
        """The JSON contract: `{"cost": int, "routes": [[[u, v], ...], ...]}`."""
        return {"cost": self.cost, "routes": self.pairs()}


class Reduction:
    """Direction nodes and their cost matrix; node 0 is the depot."""

    def __init__(self, instance: CarpInstance) -> None:
        self.instance = instance
        dist = instance.distances
        self.edge = [-1]
        self.start = [instance.depot]
        self.end = [instance.depot]
        self.demand = [0]
        self.nodes_of: list[list[int]] = []
        for k, e in enumerate(instance.required):
            ends = [(e.u, e.v)] if e.u == e.v else [(e.u, e.v), (e.v, e.u)]
            self.nodes_of.append(list(range(len(self.edge), len(self.edge) + len(ends))))
            for a, b in ends:
                self.edge.append(k)
                self.start.append(a)
                self.end.append(b)
                self.demand.append(e.demand)
        service = np.array([0] + [instance.required[k].cost for k in self.edge[1:]], np.int64)
        sp = dist[np.ix_(self.end, self.start)].astype(np.int64)
        self.matrix = sp + service[None, :]
        np.fill_diagonal(self.matrix, 0)

    @property
    def size(self) -> int:
        return len(self.edge)

    def route_cost(self, nodes: list[int]) -> int:
        path = [0, *nodes, 0]
        return int(self.matrix[path[:-1], path[1:]].sum())

    def orient(self, nodes: list[int]) -> list[int]:
        """Same edges in the same order, each served in the direction that makes it cheapest."""
        if not nodes:
            return []
        best = {0: (0, [])}
        for node in nodes:
            nxt = {}
            for option in self.nodes_of[self.edge[node]]:
                prev, (cost, path) = min(
                    best.items(), key=lambda kv, o=option: kv[1][0] + self.matrix[kv[0], o]
                )
                nxt[option] = (cost + int(self.matrix[prev, option]), [*path, option])
            best = nxt
        _, (_, path) = min(best.items(), key=lambda kv: kv[1][0] + self.matrix[kv[0], 0])
        return path

    def solution(self, routes: list[list[int]], engine: str) -> CarpSolution:
        routes = [self.orient(r) for r in routes if r]
        cost = sum(self.route_cost(r) for r in routes)
        out = [[(self.edge[n], self.start[n], self.end[n]) for n in r] for r in routes]
        return CarpSolution(out, cost, engine)


def _node(red: Reduction, edge: int, start: int) -> int:
    """The direction node serving `edge` from vertex `start`."""
    return next(n for n in red.nodes_of[edge] if red.start[n] == start)


def _bins_needed(demands: list[int], capacity: int) -> int:
    """First-fit-decreasing bin count: enough vehicles for OR-Tools to find a feasible plan."""
    bins: list[int] = []
    for d in sorted(demands, reverse=True):
        for i, used in enumerate(bins):
            if used + d <= capacity:
                bins[i] += d
                break
        else:
            bins.append(d)
    return max(1, len(bins))


def _pyvrp_data(red: Reduction, fleet: int):
    """The reduction as PyVRP data: one mutually exclusive, required group per two-way edge."""
    import pyvrp

    inst = red.instance
    locations = [pyvrp.Location(0, 0) for _ in range(red.size)]
    groups, clients = [], []
    for nodes in red.nodes_of:
        group = None
        if len(nodes) > 1:
            group = len(groups)
            groups.append(pyvrp.ClientGroup([k - 1 for k in nodes]))
        for k in nodes:
            clients.append(
                pyvrp.Client(k, pickup=[red.demand[k]], required=group is None, group=group)
            )
    vehicles = pyvrp.VehicleType(num_available=fleet, capacity=[inst.capacity])
    zeros = np.zeros_like(red.matrix)
    return pyvrp.ProblemData(
        locations, clients, [pyvrp.Depot(0)], [vehicles], [red.matrix], [zeros], groups=groups
    )


def pyvrp_routes(
    red: Reduction,
    budget_s: float,
    seed: int,
    iterations: int | None,
    fleet: int | None = None,
    initial: list[list[int]] | None = None,
) -> list[list[int]]:
    """Routes as lists of direction nodes, or [] if PyVRP found no feasible solution.

    `fleet` caps the number of routes (default: one per required edge, i.e. unlimited);
    `initial` routes (direction nodes) continue an earlier search.
    """
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    fleet = fleet or len(red.instance.required)
    if initial and len(initial) > fleet:
        initial = None
    data = _pyvrp_data(red, fleet)
    criteria = [MaxRuntime(max(0.01, budget_s))]
    if iterations is not None:
        criteria.append(MaxIterations(iterations))
    start = pyvrp.Solution(data, [[k - 1 for k in r] for r in initial]) if initial else None
    result = pyvrp.solve(
        data,
        stop=MultipleCriteria(criteria),
        seed=seed,
        collect_stats=False,
        initial_solution=start,
    )
    if not result.best.is_feasible():
        return []
    return [
        [a.idx + 1 for a in route.schedule() if a.type == pyvrp.ActivityType.CLIENT]
        for route in result.best.routes()
    ]


def pyvrp_search(
    red: Reduction, budget_s: float, seed: int, iterations: int | None
) -> list[list[list[int]]]:
    """PyVRP in two legs; every feasible result, so the caller keeps the cheapest.

    With the fleet unlimited, PyVRP's penalty search rarely sheds a route when capacity is
    tight (gdb13: 7 routes at 544, while the optimum 536 needs 6). So if the first leg uses
    more routes than the capacity bound ceil(demand / Q), the second leg searches with one
    route fewer; otherwise it simply continues from the first leg's best solution.
    """
    began = time.perf_counter()
    first = pyvrp_routes(red, budget_s / 2, seed, iterations)
    found = [first] if first else []
    left = budget_s - (time.perf_counter() - began)
    inst = red.instance
    bound = max(1, -(-inst.total_demand // inst.capacity))
    if first and len(first) > bound:
        fewer = pyvrp_routes(red, left, seed + 1, iterations, fleet=len(first) - 1)
    else:
        fewer = pyvrp_routes(red, left, seed + 1, iterations, initial=first or None)
    if fewer:
        found.append(fewer)
    return found


def ortools_routes(
    red: Reduction, budget_s: float, seed_routes: list[list[int]], solution_limit: int | None
) -> list[list[int]]:
    """OR-Tools guided local search on the reduction, warm-started from `seed_routes` if any."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    inst = red.instance
    n_vehicles = _bins_needed([e.demand for e in inst.required], inst.capacity)
    n_vehicles = min(len(inst.required), max(n_vehicles + 2, len(seed_routes) + 1))
    manager = pywrapcp.RoutingIndexManager(red.size, n_vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(red.matrix.tolist()))
    load = routing.RegisterUnaryTransitVector(red.demand)
    routing.AddDimensionWithVehicleCapacity(load, 0, [inst.capacity] * n_vehicles, True, "load")
    for nodes in red.nodes_of:
        if len(nodes) > 1:  # no penalty: exactly one direction is served
            routing.AddDisjunction([manager.NodeToIndex(k) for k in nodes])
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(10, int(budget_s * 1000)))
    if solution_limit is not None:
        params.solution_limit = solution_limit
    routing.CloseModelWithParameters(params)
    start = None
    if seed_routes:
        start = routing.ReadAssignmentFromRoutes(seed_routes, True)
    if start is not None:
        found = routing.SolveFromAssignmentWithParameters(start, params)
    else:
        found = routing.SolveWithParameters(params)
    if found is None:
        return []
    routes = []
    for v in range(n_vehicles):
        index, route = routing.Start(v), []
        index = found.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = found.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return routes


def solve_carp(instance: CarpInstance, options: CarpOptions | None = None) -> CarpSolution:
    """Best checked solution found within the time limit (measured from this call)."""
    opts = options or CarpOptions()
    began = time.perf_counter()
    red = Reduction(instance)
    candidates: list[CarpSolution] = []
    stats: dict[str, float | int | str] = {}
    seed_routes: list[list[int]] = []
    if opts.engine in ("auto", "pyvrp"):
        share = 1.0 if opts.engine == "pyvrp" else opts.pyvrp_share
        left = opts.time_limit_s - (time.perf_counter() - began)
        for routes in pyvrp_search(red, left * share, opts.seed, opts.pyvrp_iterations):
            candidates.append(red.solution(routes, "pyvrp"))
        if candidates:
            best = min(candidates, key=lambda s: s.cost)
            seed_routes = [[_node(red, k, u) for k, u, _ in r] for r in best.routes]
            stats["pyvrp_cost"] = best.cost
            stats["pyvrp_s"] = round(time.perf_counter() - began, 2)
    if opts.engine == "ortools" or (
        opts.engine == "auto"
        and (not seed_routes or opts.time_limit_s - (time.perf_counter() - began) > 0.2)
    ):
        left = max(0.5 if not seed_routes else 0.0, opts.time_limit_s - time.perf_counter() + began)
        routes = ortools_routes(red, left, seed_routes, opts.ortools_solution_limit)
        if routes:
            candidates.append(red.solution(routes, "ortools"))
            stats["ortools_cost"] = candidates[-1].cost
    if not candidates and opts.engine == "pyvrp":  # fallback: PyVRP found nothing feasible
        routes = ortools_routes(red, max(1.0, opts.time_limit_s / 2), [], None)
        if routes:
            candidates.append(red.solution(routes, "ortools"))
    return _best_checked(instance, candidates, stats, began)


def _best_checked(
    instance: CarpInstance,
    candidates: list[CarpSolution],
    stats: dict[str, float | int | str],
    began: float,
) -> CarpSolution:
    failures: list[str] = []
    paths = ShortestPaths(instance)
    for sol in sorted(candidates, key=lambda s: s.cost):
        ids = [[k for k, _, _ in r] for r in sol.routes]
        problems = check_solution(instance, sol.pairs(), sol.cost, edge_ids=ids, paths=paths)
        if not problems:
            sol.stats = {**stats, "elapsed_s": round(time.perf_counter() - began, 2)}
            return sol
        failures.append(f"{sol.engine}: {problems[0]}")
    raise CarpCheckError("no solution passed the checker: " + ("; ".join(failures) or "none"))
