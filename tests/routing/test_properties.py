"""Properties on small random problems: whatever the data, the plan is consistent."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
from basuracero.routing.solver import SolveOptions, solve

HOUR = 3600
STREAMS = ("mixed", "recyclables")


def random_problem(seed: int, n_stops: int, n_vehicles: int, with_sites: bool):
    rng = random.Random(seed)
    stops = []
    for i, xy in enumerate(scatter(rng, n_stops, size=6000)):
        stream = rng.choice(STREAMS)
        windows = ()
        if rng.random() < 0.4:
            start = rng.randrange(6 * HOUR, 13 * HOUR)
            windows = (TimeWindow(start, start + rng.randrange(600, 4 * HOUR)),)
        required = rng.random() < 0.8
        stops.append((Stop(f"s{i}", {stream: Load(kg=rng.randint(0, 900), m3=rng.random())},
                           service_s=rng.randint(0, 300), time_windows=windows,
                           required=required, penalty=None if required else rng.uniform(0, 50)),
                      xy))
    sites = []
    if with_sites:
        sites = [(DisposalSite("L", streams={"mixed"}, unload_s=600, open_s=5 * HOUR,
                               close_s=18 * HOUR), (5000, 5000)),
                 (DisposalSite("R", streams={"recyclables"}, kind="recycling", unload_s=300),
                  (0, 5000))]
    vehicles = []
    for k in range(n_vehicles):
        streams = rng.choice([{"mixed"}, {"recyclables"}, {"mixed", "recyclables"}])
        brk = DriverBreak(11 * HOUR, 12 * HOUR, 1800) if rng.random() < 0.5 else None
        vehicles.append(Vehicle(f"T{k}", capacity_kg=rng.choice([1500, 3000]),
                                capacity_m3=rng.choice([None, 4.0]), streams=streams,
                                start_depot="D", shift_start_s=6 * HOUR,
                                shift_end_s=rng.choice([14, 16]) * HOUR, driver_break=brk,
                                cost_per_km=1.5, cost_per_hour=rng.choice([0.0, 20.0]),
                                fixed_cost=rng.choice([0.0, 30.0])))
    return problem([(Depot("D", 5 * HOUR, 20 * HOUR), (3000, 3000))], sites, vehicles, stops)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_stops=st.integers(0, 14),
    n_vehicles=st.integers(1, 3),
    with_sites=st.booleans(),
    pyvrp_share=st.sampled_from([0.0, None]),
)
def test_random_plans_are_consistent(seed, n_stops, n_vehicles, with_sites, pyvrp_share) -> None:
    p = random_problem(seed, n_stops, n_vehicles, with_sites)
    plan = solve(p, SolveOptions(time_limit_s=2.0, solution_limit=20, pyvrp_iterations=200,
                                 seed=seed, pyvrp_share=pyvrp_share))
    assert check_plan(p, plan) == []
    served = [s for r in plan.routes for s in r.stop_ids]
    left = [u.id for u in plan.unassigned]
    assert sorted(served + left) == sorted(s.id for s in p.stops)
    assert len(set(served)) == len(served)
    assert all(u.reason for u in plan.unassigned)
    for route in plan.routes:
        vehicle = p.vehicle_by_id[route.vehicle_id]
        times = [t for v in route.visits for t in (v.arrival_s, v.departure_s)]
        assert times == sorted(times)
        for v in route.visits:
            assert v.load_kg <= vehicle.capacity_kg
            if vehicle.capacity_m3 is not None:
                assert v.load_m3 <= vehicle.capacity_m3 + 1e-6
            if v.kind == "stop":
                assert p.stop_by_id[v.id].streams <= vehicle.streams
