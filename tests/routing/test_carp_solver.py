"""CARP solver on hand-made graphs whose optimal cost is worked out by hand, and the checker."""

from __future__ import annotations

from typing import ClassVar

import pytest

from basuracero.routing import carp_check
from basuracero.routing.carp import CarpInstance, Edge
from basuracero.routing.carp_check import check_solution, floyd_warshall, solution_cost
from basuracero.routing.carp_solver import CarpOptions, Reduction, solve_carp

FAST = {"time_limit_s": 5.0, "seed": 1, "pyvrp_iterations": 200, "ortools_solution_limit": 50}
ENGINES = ["auto", "pyvrp", "ortools"]


def triangle(capacity: int) -> CarpInstance:
    """Edges 1-2 (1), 2-3 (2), 1-3 (3), all required with demand 1."""
    edges = [Edge(1, 2, 1, 1), Edge(2, 3, 2, 1), Edge(1, 3, 3, 1)]
    return CarpInstance("triangle", 3, capacity, 1, edges)


def solve(inst: CarpInstance, engine: str) -> int:
    sol = solve_carp(inst, CarpOptions(engine=engine, **FAST))  # type: ignore[arg-type]
    assert check_solution(inst, sol.pairs(), sol.cost) == []
    return sol.cost


@pytest.mark.parametrize("engine", ENGINES)
def test_triangle_one_vehicle_is_its_perimeter(engine: str) -> None:
    assert solve(triangle(capacity=10), engine) == 6


@pytest.mark.parametrize("engine", ENGINES)
def test_triangle_one_edge_per_trip(engine: str) -> None:
    # 1-2: 1 + back 1 = 2; 1-3: 3 + back 3 = 6; 2-3: 1 to 2, serve 2, back 3 = 6.
    assert solve(triangle(capacity=1), engine) == 14


@pytest.mark.parametrize("engine", ENGINES)
def test_square_deadheads_over_non_required_edges(engine: str) -> None:
    # Cycle 1-2-3-4-1 of unit edges plus a long chord; only 2-3 and 3-4 are required,
    # depot 1: 1->2 (dead 1), serve 2->3->4 (2), 4->1 (dead 1) = 4.
    req = [Edge(2, 3, 1, 1), Edge(3, 4, 1, 1)]
    other = [Edge(1, 2, 1), Edge(4, 1, 1), Edge(1, 3, 5)]
    inst = CarpInstance("square", 4, 5, 1, req, other)
    assert solve(inst, engine) == 4


@pytest.mark.parametrize("engine", ENGINES)
def test_star_around_depot_not_at_vertex_one(engine: str) -> None:
    # Depot 4 in the middle of three spokes of cost 2, 3, 4: each is driven there and back.
    req = [Edge(4, 1, 2, 1), Edge(4, 2, 3, 1), Edge(3, 4, 4, 1)]
    inst = CarpInstance("star", 4, 10, 4, req)
    assert solve(inst, engine) == 18


@pytest.mark.parametrize("engine", ENGINES)
def test_loop_edge_and_parallel_edges(engine: str) -> None:
    # Loop at 2 (cost 5) and two parallel required edges 1-2 (cost 1 and 4), capacity 2:
    # one route 1->2 (1), loop (5), 2->1 (4) = 10 carries demand 3 > 2, so two routes:
    # the loop with one of the parallel edges; best is 1->2 serve (4), loop (5), back (1) = 10
    # plus 1->2 serve (1), back over the cheap one (1) = 2: 12.
    req = [Edge(1, 2, 1, 1), Edge(2, 2, 5, 1), Edge(1, 2, 4, 1)]
    inst = CarpInstance("loops", 2, 2, 1, req)
    sol = solve_carp(inst, CarpOptions(engine=engine, **FAST))  # type: ignore[arg-type]
    ids = [[k for k, _, _ in r] for r in sol.routes]
    assert check_solution(inst, sol.pairs(), sol.cost, edge_ids=ids) == []
    assert sol.cost == 12


def test_reduction_cost_equals_checker_cost() -> None:
    inst = triangle(capacity=10)
    red = Reduction(inst)
    nodes = [red.nodes_of[0][0], red.nodes_of[1][1], red.nodes_of[2][1]]  # 1->2, 3->2, 3->1
    sol = red.solution([nodes], "test")
    assert sol.cost == solution_cost(inst, sol.pairs()) == 6  # orient() fixed the 3->2
    assert red.route_cost(nodes) == solution_cost(inst, [[[1, 2], [3, 2], [3, 1]]]) == 10


def test_floyd_warshall_matches_dijkstra() -> None:
    inst = CarpInstance(
        "square",
        4,
        5,
        1,
        [Edge(2, 3, 1, 1)],
        [Edge(1, 2, 1), Edge(4, 1, 1), Edge(1, 3, 5), Edge(3, 4, 1)],
    )
    assert (floyd_warshall(inst)[1:, 1:] == inst.distances[1:, 1:]).all()


def test_checker_dijkstra_rows_on_large_graphs(monkeypatch: pytest.MonkeyPatch) -> None:
    inst = triangle(capacity=2)
    routes = [[[1, 2], [2, 3]], [[1, 3]]]
    monkeypatch.setattr(carp_check, "DENSE_LIMIT", 1)
    paths = carp_check.ShortestPaths(inst)
    assert paths.full is None
    assert check_solution(inst, routes, 12, paths=paths) == []
    assert paths(3, 1) == 3 and sorted(paths.rows) == [1, 2, 3]


class TestChecker:
    inst = triangle(capacity=2)
    good: ClassVar = [[[1, 2], [2, 3]], [[1, 3]]]  # 1+2+dead 3 = 6; 3+dead 3 = 6

    def test_valid(self) -> None:
        assert check_solution(self.inst, self.good, 12) == []
        assert solution_cost(self.inst, self.good) == 12

    def test_missing_edge(self) -> None:
        problems = check_solution(self.inst, [[[1, 2], [2, 3]]])
        assert problems == ["required edge (1, 3) served 0 times, expected once"]

    def test_served_twice(self) -> None:
        problems = check_solution(self.inst, [[[1, 2], [2, 3]], [[3, 1]], [[2, 1]]])
        assert "required edge (1, 2) served 2 times, expected once" in problems

    def test_over_capacity(self) -> None:
        problems = check_solution(self.inst, [[[1, 2], [2, 3], [3, 1]]])
        assert problems == ["route 0: load 3 exceeds capacity 2"]

    def test_wrong_cost(self) -> None:
        assert check_solution(self.inst, self.good, 11) == ["cost 11 claimed, recomputed 12"]

    def test_not_a_required_edge(self) -> None:
        problems = check_solution(self.inst, [[[1, 2], [2, 3]], [[1, 3], [2, 2]]])
        assert problems == ["route 1 step 1: (2, 2) is not a required edge"]

    def test_malformed_pair(self) -> None:
        problems = check_solution(self.inst, [[[1, 2, 3]], *self.good])
        assert problems[0] == "route 0 step 0: [1, 2, 3] is not a [u, v] pair"
