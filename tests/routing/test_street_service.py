"""Door-to-door street service in the routing model: each street once, in a direction it allows."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from street_factory import Street, best_single_tour_m, shortest_metres, street_problem

from basuracero.routing.check import check_plan
from basuracero.routing.model import DisposalSite, Load, Problem, ProblemError, TimeWindow, Vehicle
from basuracero.routing.plan import Plan, Unassigned
from basuracero.routing.schedule import schedule_route
from basuracero.routing.screen import UNREACHABLE
from basuracero.routing.solver import SolveOptions, solve

HOUR = 3600
TRUCK = Vehicle("T", capacity_kg=10_000, start_depot="D", cost_per_km=1.0)
OPTIONS = SolveOptions(time_limit_s=5, seed=1, pyvrp_iterations=300, solution_limit=200)

# A block of four streets around nodes 0-1-2-3, the depot at node 0.
SQUARE = [
    Street("north", 0, 1, 100),
    Street("east", 1, 2, 80),
    Street("south", 2, 3, 100),
    Street("west", 3, 0, 80),
]


def served(plan: Plan) -> dict[str, str]:
    """Task -> the direction stop that served it."""
    return {v.task: v.id for r in plan.routes for v in r.visits if v.kind == "street"}


def test_a_block_is_served_around_without_deadheading() -> None:
    problem, ends = street_problem(4, SQUARE, [s.id for s in SQUARE], 0, [TRUCK])
    plan = solve(problem, OPTIONS)
    assert check_plan(problem, plan) == []
    assert plan.distance_m == 360  # the perimeter: every street driven once, while serving
    route = plan.routes[0]
    directions = [ends[v.id] for v in route.visits if v.kind == "street"]
    assert len(directions) == 4
    for (_, b), (a, _) in itertools.pairwise(directions):
        assert b == a  # each street starts where the previous one ended


def test_one_way_streets_are_served_only_the_way_they_run() -> None:
    streets = [replace(s, oneway=True) for s in SQUARE] + [Street("diag", 0, 2, 130)]
    problem, ends = street_problem(4, streets, ["north", "south"], 0, [TRUCK])
    assert all(len(problem.tasks[t]) == 1 for t in ("north", "south"))
    plan = solve(problem, OPTIONS)
    assert check_plan(problem, plan) == []
    assert {ends[d] for d in served(plan).values()} == {(0, 1), (2, 3)}
    # north 0->1, deadhead 1->2 (80), south 2->3, deadhead 3->0 (80)
    assert plan.distance_m == 360


def test_small_graph_matches_the_exhaustive_optimum() -> None:
    streets = [*SQUARE, Street("spur", 2, 4, 50), Street("diag", 1, 3, 128)]
    required = ["north", "spur", "south", "diag"]
    problem, _ = street_problem(5, streets, required, 0, [TRUCK])
    plan = solve(problem, OPTIONS)
    assert check_plan(problem, plan) == []
    assert plan.distance_m == best_single_tour_m(problem)
    assert set(served(plan)) == set(required)


def test_a_full_truck_unloads_between_streets() -> None:
    truck = replace(TRUCK, capacity_kg=25)
    site = DisposalSite("L", unload_s=300)
    streets = [replace(s, kg=12) for s in SQUARE]
    problem, _ = street_problem(4, streets, [s.id for s in streets], 0, [truck], 2, site)
    plan = solve(problem, OPTIONS)
    assert check_plan(problem, plan) == []
    kinds = [v.kind for v in plan.routes[0].visits]
    assert kinds.count("street") == 4
    assert kinds.count("unload") == 2  # two streets per trip, then the last unload
    assert max(v.load_kg for v in plan.routes[0].visits) <= 25


def test_a_direction_out_of_reach_leaves_the_other_one() -> None:
    problem, ends = street_problem(4, SQUARE, ["north"], 0, [TRUCK])
    late = TimeWindow(30 * HOUR, 31 * HOUR)  # after the shift ends
    stops = [replace(s, time_windows=(late,)) if ends[s.id] == (0, 1) else s
             for s in problem.stops]
    problem = Problem(problem.depots, problem.sites, problem.vehicles, stops,
                      problem.duration_s, problem.distance_m)
    plan = solve(problem, OPTIONS)
    assert check_plan(problem, plan) == []
    assert ends[served(plan)["north"]] == (1, 0)


def test_a_street_no_truck_can_reach_is_unassigned_under_its_own_id() -> None:
    problem, _ = street_problem(4, SQUARE, ["north", "east"], 0, [TRUCK])
    late = (TimeWindow(30 * HOUR, 31 * HOUR),)
    stops = [replace(s, time_windows=late) if s.task == "north" else s for s in problem.stops]
    problem = Problem(problem.depots, problem.sites, problem.vehicles, stops,
                      problem.duration_s, problem.distance_m)
    plan = solve(problem, OPTIONS)
    assert check_plan(problem, plan) == []
    assert plan.unassigned == (Unassigned("north", UNREACHABLE),)
    assert set(served(plan)) == {"east"}


def test_checker_refuses_a_street_served_twice_or_a_direction_reported() -> None:
    problem, _ = street_problem(4, SQUARE, ["north", "east"], 0, [TRUCK])
    plan = solve(problem, OPTIONS)
    route = plan.routes[0]
    north = list(problem.tasks["north"])
    # Both directions of "north" on one route.
    both = schedule_route(problem, TRUCK, [("stop", north[0]), ("stop", north[1]),
                                           ("stop", problem.tasks["east"][0])])
    assert both is not None
    problems = check_plan(problem, Plan((both,)))
    assert any("street 'north': served twice" in p for p in problems)
    # A direction listed as unassigned instead of its task.
    partial = Plan((route,), (Unassigned(north[0], "x"),))
    assert any("one direction of task 'north'" in p for p in check_plan(problem, partial))
    # A street visit written as a plain stop.
    visits = tuple(replace(v, kind="stop", task=None) if v.kind == "street" else v
                   for v in route.visits)
    relabelled = Plan((replace(route, visits=visits),))
    assert any("does not match the problem" in p for p in check_plan(problem, relabelled))


def test_alternatives_must_describe_the_same_job() -> None:
    problem, _ = street_problem(4, SQUARE, ["north"], 0, [TRUCK])
    a, b = problem.stops
    with pytest.raises(ProblemError, match=r"demand = .*kg=99.* differs from .*kg=10"):
        Problem(problem.depots, problem.sites, problem.vehicles,
                [a, replace(b, demand={"mixed": Load(kg=99)})],
                problem.duration_s, problem.distance_m)
    with pytest.raises(ProblemError, match="task 'D' is already the id of a depot"):
        Problem(problem.depots, problem.sites, problem.vehicles,
                [replace(a, task="D"), replace(b, task="D")],
                problem.duration_s, problem.distance_m)


def test_warm_start_may_name_a_street_by_its_task() -> None:
    problem, _ = street_problem(4, SQUARE, [s.id for s in SQUARE], 0, [TRUCK])
    options = replace(OPTIONS, pyvrp_share=0.0,
                      initial_routes={"T": ["north", "east", "south", "west", "north"]})
    plan = solve(problem, options)
    assert check_plan(problem, plan) == []
    assert len(served(plan)) == 4


@st.composite
def street_graphs(draw: st.DrawFn) -> tuple[int, list[Street], list[str]]:
    """A ring (so every node reaches every other) plus random chords, some one-way."""
    n = draw(st.integers(3, 7))
    rng = random.Random(draw(st.integers(0, 10_000)))
    streets = [Street(f"r{k}", k, (k + 1) % n, rng.randint(20, 200), oneway=rng.random() < 0.3,
                      kg=rng.randint(0, 40)) for k in range(n)]
    for k in range(draw(st.integers(0, 4))):
        u, v = rng.sample(range(n), 2)
        streets.append(Street(f"c{k}", u, v, rng.randint(20, 300), oneway=rng.random() < 0.3,
                              kg=rng.randint(0, 40)))
    required = [s.id for s in streets if rng.random() < 0.6] or [streets[0].id]
    return n, streets, required


def _strongly_connected(n: int, streets: list[Street]) -> bool:
    return bool(np.isfinite(shortest_metres(n, streets)).all())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=street_graphs(), n_trucks=st.integers(1, 2), capacity=st.sampled_from([40, 1000]),
       with_site=st.booleans())
def test_random_street_plans_are_consistent(graph, n_trucks, capacity, with_site) -> None:
    n, streets, required = graph
    if not _strongly_connected(n, streets):
        streets = [replace(s, oneway=False) for s in streets]
    trucks = [Vehicle(f"T{k}", capacity_kg=capacity, start_depot="D", shift_end_s=20 * HOUR)
              for k in range(n_trucks)]
    site = DisposalSite("L", unload_s=120) if with_site else None
    problem, ends = street_problem(n, streets, required, 0, trucks, n - 1 if with_site else None,
                                   site)
    plan = solve(problem, OPTIONS)
    assert check_plan(problem, plan) == []
    done = served(plan)
    assert set(done) | {u.id for u in plan.unassigned} == set(required)
    assert not set(done) & {u.id for u in plan.unassigned}
    oneway = {s.id for s in streets if s.oneway}
    for task, direction in done.items():
        street = next(s for s in streets if s.id == task)
        assert ends[direction] in {(street.u, street.v), (street.v, street.u)}
        if task in oneway:
            assert ends[direction] == (street.u, street.v)
    for route in plan.routes:
        times = [t for v in route.visits for t in (v.arrival_s, v.departure_s)]
        assert times == sorted(times)
        assert all(v.load_kg <= capacity for v in route.visits)
    if n_trucks == 1 and capacity == 1000 and not with_site and len(required) <= 4:
        assert not plan.unassigned
        assert plan.distance_m == best_single_tour_m(problem)
