"""Focused behaviour of the solver on tiny problems (fixed seeds, solution limits)."""

from __future__ import annotations

import random

import pytest
from routing_factory import problem, scatter

from basuracero.routing.check import check_plan
from basuracero.routing.model import (
    Depot,
    DisposalSite,
    DriverBreak,
    Load,
    Stop,
    TimeWindow,
    Vehicle,
)
from basuracero.routing.ortools_engine import OrtoolsModel
from basuracero.routing.screen import NO_STREAM, TOO_BIG, UNREACHABLE, compatibility, screen
from basuracero.routing.solver import Progress, SolveOptions, solve

HOUR = 3600


def fast(**kwargs) -> SolveOptions:
    base = {"time_limit_s": 3.0, "solution_limit": 30, "pyvrp_iterations": 300, "seed": 1}
    base.update(kwargs)
    return SolveOptions(**base)


def kinds(plan, vehicle_id: str) -> list[str]:
    route = plan.route_of(vehicle_id)
    assert route is not None
    return [v.kind for v in route.visits]


@pytest.mark.parametrize("pyvrp_share", [0.0, None])
def test_half_capacity_truck_unloads_mid_route(pyvrp_share) -> None:
    rng = random.Random(3)
    stops = [(Stop(f"s{i}", {"mixed": Load(kg=500)}, service_s=60), xy)
             for i, xy in enumerate(scatter(rng, 10))]
    p = problem([(Depot("D"), (0, 0))], [(DisposalSite("L", unload_s=900), (2000, 2000))],
                [Vehicle("T1", capacity_kg=2500, start_depot="D", cost_per_km=1.0)], stops)
    plan = solve(p, fast(pyvrp_share=pyvrp_share))
    assert check_plan(p, plan) == []
    assert not plan.unassigned
    seq = kinds(plan, "T1")
    assert seq.count("unload") >= 2
    last_stop = max(i for i, k in enumerate(seq) if k == "stop")
    first_unload = seq.index("unload")
    assert first_unload < last_stop  # an unload between stops: the landfill mid-route
    assert seq[-2] == "unload"  # and always before going home
    route = plan.route_of("T1")
    assert all(v.load_kg <= 2500 for v in route.visits)


def test_break_lands_in_its_window() -> None:
    rng = random.Random(5)
    stops = [(Stop(f"s{i}", {"mixed": Load(kg=10)}, service_s=1200), xy)
             for i, xy in enumerate(scatter(rng, 12))]
    brk = DriverBreak(11 * HOUR, 12 * HOUR, HOUR)
    vehicle = Vehicle("T1", 10_000, "D", shift_start_s=8 * HOUR, shift_end_s=17 * HOUR,
                      driver_break=brk)
    p = problem([(Depot("D"), (0, 0))], [(DisposalSite("L", unload_s=600), (100, 100))],
                [vehicle], stops)
    plan = solve(p, fast())
    assert check_plan(p, plan) == []
    route = plan.route_of("T1")
    breaks = [v for v in route.visits if v.kind == "break"]
    assert len(breaks) == 1
    assert 11 * HOUR <= breaks[0].arrival_s <= 12 * HOUR
    assert breaks[0].departure_s - breaks[0].arrival_s == HOUR


def test_impossible_window_is_unassigned_with_reason() -> None:
    stops = [
        (Stop("early", {"mixed": Load(kg=10)}, time_windows=(TimeWindow(5 * HOUR, 5 * HOUR),)),
         (3000, 0)),
        (Stop("fine", {"mixed": Load(kg=10)}), (100, 0)),
        (Stop("huge", {"mixed": Load(kg=99_999)}), (200, 0)),
        (Stop("bio", {"organics": Load(kg=5)}), (300, 0)),
    ]
    vehicle = Vehicle("T1", 1000, "D", shift_start_s=6 * HOUR, shift_end_s=14 * HOUR)
    p = problem([(Depot("D"), (0, 0))], [(DisposalSite("L"), (50, 50))], [vehicle], stops)
    plan = solve(p, fast())
    assert check_plan(p, plan) == []
    reasons = {u.id: u.reason for u in plan.unassigned}
    assert reasons == {
        "early": UNREACHABLE,
        "huge": TOO_BIG,
        "bio": NO_STREAM.format(stream="organics"),
    }
    assert plan.route_of("T1").stop_ids == ["fine"]


def test_recyclables_never_on_mixed_only_truck() -> None:
    rng = random.Random(7)
    pts = scatter(rng, 16)
    stops = [(Stop(f"m{i}", {"mixed": Load(kg=100)}), xy) for i, xy in enumerate(pts[:8])]
    stops += [(Stop(f"r{i}", {"recyclables": Load(kg=50, m3=0.5)}), xy)
              for i, xy in enumerate(pts[8:])]
    sites = [(DisposalSite("L", streams={"mixed"}), (0, 4000)),
             (DisposalSite("R", streams={"recyclables"}, kind="recycling"), (4000, 0))]
    vehicles = [Vehicle("MIX", 5000, "D", streams={"mixed"}),
                Vehicle("REC", 5000, "D", streams={"recyclables"}, capacity_m3=10.0)]
    p = problem([(Depot("D"), (0, 0))], sites, vehicles, stops)
    plan = solve(p, fast())
    assert check_plan(p, plan) == []
    assert not plan.unassigned
    mixed = plan.route_of("MIX")
    assert mixed is not None
    assert all(s.startswith("m") for s in mixed.stop_ids)
    assert all(v.id == "L" for v in mixed.visits if v.kind == "unload")
    rec = plan.route_of("REC")
    assert all(s.startswith("r") for s in rec.stop_ids)
    assert all(v.id == "R" for v in rec.visits if v.kind == "unload")


def test_optional_stop_with_low_penalty_is_skipped() -> None:
    stops = [(Stop("near", {"mixed": Load(kg=1)}), (10, 0)),
             (Stop("far", {"mixed": Load(kg=1)}, required=False, penalty=0.01), (90_000, 0))]
    p = problem([(Depot("D"), (0, 0))], [], [Vehicle("T", 100, "D")], stops)
    plan = solve(p, fast())
    assert check_plan(p, plan) == []
    assert [(u.id, u.reason) for u in plan.unassigned] == [
        ("far", "not served in the time limit (penalty lower than cost)")]


def test_warm_start_and_progress() -> None:
    rng = random.Random(11)
    stops = [(Stop(f"s{i}", {"mixed": Load(kg=100)}, service_s=30), xy)
             for i, xy in enumerate(scatter(rng, 12))]
    vehicles = [Vehicle("A", 800, "D"), Vehicle("B", 800, "D")]
    p = problem([(Depot("D"), (0, 0))], [(DisposalSite("L", unload_s=300), (3000, 3000))],
                vehicles, stops)
    seen: list[Progress] = []
    warm = {"A": [f"s{i}" for i in range(6)] + ["L"], "B": [f"s{i}" for i in range(6, 12)]}
    plan = solve(p, fast(pyvrp_share=0.0, initial_routes=warm, balance_weight=5.0,
                         on_progress=seen.append))
    assert check_plan(p, plan) == []
    assert not plan.unassigned
    assert seen and seen[-1].phase == "done"
    assert all(0.0 <= s.fraction <= 1.0 for s in seen)


def test_warm_start_routes_reach_ortools_whole() -> None:
    """The seed OR-Tools starts from is the given routes, mid-route unloads included."""
    rng = random.Random(5)
    stops = [(Stop(f"s{i}", {"mixed": Load(kg=100)}, service_s=30), xy)
             for i, xy in enumerate(scatter(rng, 8))]
    p = problem([(Depot("D"), (0, 0))], [(DisposalSite("L", unload_s=300), (3000, 3000))],
                [Vehicle("A", 500, "D")], stops)
    order = ["s3", "s1", "s7", "s0", "L", "s2", "s6", "s5", "s4"]
    compat = compatibility(p)
    model = OrtoolsModel(p, compat, screen(p, compat)[0])
    steps = [("unload" if i == "L" else "stop", i) for i in order] + [("unload", "L")]
    (seq,) = model.routes_to_indices({"A": steps})
    assert [model.nodes[model.manager.IndexToNode(i)].id for i in seq] == order
    # With one solution allowed, OR-Tools returns the seed itself: nothing lost on the way.
    plan = solve(p, fast(pyvrp_share=0.0, solution_limit=1, initial_routes={"A": order}))
    assert check_plan(p, plan) == []
    assert plan.routes[0].stop_ids == [i for i in order if i != "L"]


def test_the_break_is_taken_on_the_way_not_by_parking_the_crew() -> None:
    """With a long shift the break could also be taken by waiting at the depot until its window
    opens; the scheduler takes it where it costs least: mid-route, home first."""
    from basuracero.routing.schedule import schedule_route

    stops = [(Stop(f"s{i}", {"mixed": Load(kg=10)}, service_s=1800), (400 * i, 0))
             for i in range(1, 11)]
    lunch = DriverBreak(10 * HOUR, 11 * HOUR, 1800)
    truck = Vehicle("A", 5000, "D", shift_start_s=7 * HOUR, shift_end_s=20 * HOUR,
                    driver_break=lunch)
    p = problem([(Depot("D"), (0, 0))], [], [truck], stops)
    route = schedule_route(p, truck, [("stop", f"s{i}") for i in range(1, 11)])
    assert route is not None
    kinds = [v.kind for v in route.visits]
    assert kinds[1] == "stop" and "break" in kinds[2:-2]  # on the way, between two stops
    brk = route.visits[kinds.index("break")]
    assert 10 * HOUR <= brk.arrival_s <= 11 * HOUR
    travel = sum(int(p.duration_s[k, k + 1]) for k in range(10))
    travel += int(p.duration_s[10, 0])
    assert route.duration_s == 10 * 1800 + 1800 + travel  # no idle time at all


def test_ortools_searches_from_a_seed_that_ends_before_the_break() -> None:
    """A route back before its break window closes owes no break, for OR-Tools too."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    rng = random.Random(9)
    stops = [(Stop(f"s{i}", {"mixed": Load(kg=50)}, service_s=1200), xy)
             for i, xy in enumerate(scatter(rng, 10, size=2000))]
    lunch = DriverBreak(11 * HOUR, 12 * HOUR, 3600)
    p = problem([(Depot("D"), (1000, 1000))], [(DisposalSite("L", unload_s=300), (0, 0))],
                [Vehicle("A", 5000, "D", shift_start_s=8 * HOUR, shift_end_s=17 * HOUR,
                         driver_break=lunch)], stops)
    compat = compatibility(p)
    model = OrtoolsModel(p, compat, screen(p, compat)[0])
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION)
    params.solution_limit = 5
    model.routing.CloseModelWithParameters(params)
    order = [("stop", s.id) for s in p.stops]
    seed = model.routing.ReadAssignmentFromRoutes(model.routes_to_indices({"A": order}), True)
    assert seed is not None
    assert model.routing.SolveFromAssignmentWithParameters(seed, params) is not None
    plan = solve(p, fast(pyvrp_share=0.0, initial_routes={"A": [s.id for s in p.stops]}))
    assert check_plan(p, plan) == [] and not plan.unassigned
    # Back inside the break window (after 11:00, before 12:00): no break is owed.
    assert 11 * HOUR < plan.routes[0].visits[-1].arrival_s < 12 * HOUR
    assert all(v.kind != "break" for v in plan.routes[0].visits)


def test_plan_dict_schema() -> None:
    stops = [(Stop("s1", {"mixed": Load(kg=5, m3=0.1)}, service_s=60), (500, 0))]
    p = problem([(Depot("D"), (0, 0))], [(DisposalSite("L", unload_s=60), (0, 500))],
                [Vehicle("T", 100, "D", cost_per_km=2.0, cost_per_hour=10.0)], stops)
    data = solve(p, fast()).to_dict()
    route = data["routes"][0]
    assert [v["kind"] for v in route["visits"]] == ["depot_start", "stop", "unload", "depot_end"]
    assert route["visits"][1]["load"] == {"kg": 5, "m3": 0.1,
                                          "by_stream": {"mixed": {"kg": 5, "m3": 0.1}}}
    assert route["visits"][2]["load"]["kg"] == 0
    assert data["totals"]["distance_m"] == route["distance_m"] > 0
    assert data["unassigned"] == []


def test_short_budgets_use_a_shorter_late_acceptance_history() -> None:
    from basuracero.routing.pyvrp_engine import SHORT_HISTORY, search_params

    default = search_params(3600.0).ils.history_length
    assert search_params(60.0).ils.history_length == SHORT_HISTORY < default


def test_trip_past_the_daily_limit_keeps_the_stops_that_fit() -> None:
    from basuracero.routing.pyvrp_engine import _split_daily_limit

    stops = [(Stop(f"s{i}", {"mixed": Load(kg=100)}), (100 * i, 0)) for i in range(5)]
    vehicle = Vehicle("T1", 200, "D", max_collected_kg=300)
    p = problem([(Depot("D"), (0, 0))], [(DisposalSite("L"), (50, 50))], [vehicle], stops)
    steps = [("stop", "s0"), ("stop", "s1"), ("unload", "L"),
             ("stop", "s2"), ("stop", "s3"), ("unload", "L"), ("stop", "s4"), ("unload", "L")]
    assert _split_daily_limit(p, vehicle, steps) == [
        ("stop", "s0"), ("stop", "s1"), ("unload", "L"), ("stop", "s2"), ("unload", "L")]
