"""Routes that break the model keep their longest feasible beginning (a seed for OR-Tools)."""

from __future__ import annotations

import random

from routing_factory import problem, scatter

from basuracero.routing.check import check_plan
from basuracero.routing.model import Depot, DisposalSite, Load, Stop, Vehicle
from basuracero.routing.plan import Plan
from basuracero.routing.repair import feasible_prefix
from basuracero.routing.schedule import schedule_route
from basuracero.routing.screen import DROPPED_REQUIRED
from basuracero.routing.solver import SolveOptions, solve

HOUR = 3600


def short_day(n: int = 30):
    """One truck with a two-hour shift and more stops than it can serve in it."""
    rng = random.Random(3)
    stops = [(Stop(f"s{i}", {"mixed": Load(kg=50)}, service_s=300), xy)
             for i, xy in enumerate(scatter(rng, n, size=3000))]
    truck = Vehicle("T", capacity_kg=400, start_depot="D", shift_start_s=6 * HOUR,
                    shift_end_s=8 * HOUR)
    return problem([(Depot("D"), (1500, 1500))],
                   [(DisposalSite("L", unload_s=300), (0, 0))], [truck], stops)


def test_the_beginning_kept_is_feasible_and_closed_by_an_unload() -> None:
    p = short_day()
    truck = p.vehicles[0]
    steps = [("stop", s.id) for s in p.stops[:8]] + [("unload", "L")]
    steps += [("stop", s.id) for s in p.stops[8:]]
    kept = feasible_prefix(p, truck, ("L",), steps)
    assert kept and kept[-1] == ("unload", "L")
    assert [s for s in kept if s[0] == "stop"] == [s for s in steps if s[0] == "stop"][
        : sum(k == "stop" for k, _ in kept)
    ]
    route = schedule_route(p, truck, kept)
    assert route is not None
    assert check_plan(p, Plan((route,))) == [
        f"stop {s.id!r}: neither served nor unassigned"
        for s in p.stops
        if s.id not in route.stop_ids
    ]
    # One stop more no longer fits: the beginning is the longest one.
    n = sum(k == "stop" for k, _ in kept)
    longer = [s for s in steps if s[0] == "stop"][: n + 1]
    assert feasible_prefix(p, truck, ("L",), longer) != [*longer, ("unload", "L")]


def test_an_overfull_day_still_gets_a_checked_plan_from_pyvrps_routes() -> None:
    p = short_day()
    plan = solve(p, SolveOptions(time_limit_s=4, seed=1, pyvrp_iterations=400,
                                 solution_limit=100))
    assert check_plan(p, plan) == []
    engines = [c["engine"] for c in plan.stats["candidates"]]
    assert "pyvrp (repaired)" in engines
    served = plan.routes[0].stop_ids
    assert 5 <= len(served) < len(p.stops)
    assert {u.reason for u in plan.unassigned} == {DROPPED_REQUIRED}
