"""Crew pay: shift-paid crews cost their shift once, overtime only past the shift, departures at
the shift start, shared work; hour pay keeps the cost as it was."""

from __future__ import annotations

import dataclasses

import pytest
from routing_factory import problem

from basuracero.planning.scenario import ScenarioError, vehicles_from_config
from basuracero.routing.check import check_plan
from basuracero.routing.model import Depot, Load, ProblemError, Stop, TimeWindow, Vehicle
from basuracero.routing.plan import Plan, Route, Visit
from basuracero.routing.preferences import balance_report, preferences
from basuracero.routing.pyvrp_engine import _time_terms
from basuracero.routing.schedule import schedule_route
from basuracero.routing.solver import SolveOptions, _retarget, solve
from basuracero.routing.workday import plan_crew_days

H = 3600
SHIFT = {"shift_start_s": 6 * H, "shift_end_s": 14 * H}


def truck(vid: str = "T", **kwargs) -> Vehicle:
    base = {
        "capacity_kg": 1000,
        "start_depot": "D",
        "cost_per_km": 2.0,
        "cost_per_hour": 40.0,
        "fixed_cost": 100.0,
        **SHIFT,
    }
    return Vehicle(vid, **{**base, **kwargs})


def one_stop(vehicle: Vehicle, *, window: TimeWindow | None = None, service_s: int = 600):
    """A stop 8 km away (1,000 s at the factory's 8 m/s): a route of 2,000 s driving."""
    stop = Stop("s", {"mixed": Load(kg=10)}, service_s=service_s,
                time_windows=(window,) if window else ())  # fmt: skip
    return problem([(Depot("D"), (0, 0))], [], [vehicle], [(stop, (8000, 0))])


# ------------------------------------------------------------------ model and validation
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"crew_pay": "month"}, r"vehicle 'T': crew_pay must be one of 'hour', 'shift'"),
        ({"overtime_end_s": 13 * H}, r"vehicle 'T': overtime_end_s \(46800\) must not be before"),
        ({"overtime_per_hour": -1.0}, r"vehicle 'T': overtime_per_hour must be >= 0"),
        ({"balance_share": -0.1}, r"vehicle 'T': balance_share must be a share >= 0"),
        ({"balance_share": True}, r"vehicle 'T': balance_share must be a share >= 0"),
    ],
)
def test_bad_vehicle_values_name_the_field(kwargs, message) -> None:
    with pytest.raises(ProblemError, match=message):
        truck(**kwargs)


FLEET = {
    "defaults": {
        "start_depot": "D",
        "shift_start": "06:00",
        "shift_end": "14:00",
        "cost_per_hour": 45.0,
    }
}


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"crew_pay": "monthly"}, "crew_pay", "field 'crew_pay' = 'monthly': expected one of"),
        ({"overtime_until": "13:00"}, "overtime_until", "field 'overtime_until' = '13:00': before"),
        ({"overtime_until": "25:00"}, None, "field 'overtime_until': not a time of day"),
        ({"overtime_per_hour": "lots"}, None, "field 'overtime_per_hour' = 'lots': not a number"),
        ({"balance_share": -1}, "balance_share", "field 'balance_share' = -1: expected a share"),
    ],
)
def test_bad_fleet_values_are_refused_naming_the_field(extra, field, message) -> None:
    config = {**FLEET, "vehicle": [{"id": "C1", "capacity_kg": 6000, **extra}]}
    with pytest.raises(ScenarioError, match=message) as caught:
        vehicles_from_config(config, "fleet.toml")
    assert "fleet.toml: vehicle 'C1'" in str(caught.value)
    if field is not None:
        assert caught.value.field == field


def test_fleet_file_defaults_to_shift_pay_and_shared_work() -> None:
    config = {**FLEET, "vehicle": [
        {"id": "C1", "capacity_kg": 6000},
        {"id": "K1", "capacity_kg": 6000, "crew_pay": "hour", "balance_share": False,
         "overtime_until": "16:00", "overtime_per_hour": 70},
    ]}  # fmt: skip
    c1, k1 = vehicles_from_config(config, "fleet.toml")
    assert (c1.crew_pay, c1.balance_share, c1.overtime_end_s) == ("shift", 0.25, None)
    assert (k1.crew_pay, k1.balance_share) == ("hour", None)
    assert (k1.overtime_end_s, k1.overtime_per_hour, k1.return_limit_s) == (16 * H, 70.0, 16 * H)


def test_vehicles_built_in_code_keep_hour_pay() -> None:
    """CVRPLIB, CARP and Kim benchmarks build vehicles in code: their cost must not change."""
    v = Vehicle("v", 100, "D", cost_per_km=1.0)
    assert (v.crew_pay, v.overtime_end_s, v.balance_share) == ("hour", None, None)


# ------------------------------------------------------------------------------ cost
def test_route_cost_formulas() -> None:
    hour, shift = truck(), truck(crew_pay="shift")
    # 10 km, out 07:00-10:00 (3 h)
    assert hour.route_cost(10_000, 7 * H, 10 * H) == pytest.approx(100 + 20 + 40 * 3)
    assert shift.route_cost(10_000, 7 * H, 10 * H) == pytest.approx(100 + 20 + 40 * 8)
    # the shift is paid once, however short the route
    assert shift.route_cost(10_000, 7 * H, 8 * H) == shift.route_cost(10_000, 6 * H, 13 * H)


def test_overtime_is_charged_only_beyond_the_shift() -> None:
    shift = truck(crew_pay="shift", overtime_end_s=16 * H, overtime_per_hour=60.0)
    hour = truck(overtime_end_s=16 * H, overtime_per_hour=20.0)
    base = 100 + 20 + 40 * 8
    assert shift.route_cost(10_000, 6 * H, 14 * H) == pytest.approx(base)
    assert shift.route_cost(10_000, 6 * H, 15 * H + 1800) == pytest.approx(base + 60 * 1.5)
    # hour pay: every hour out at cost_per_hour, plus the overtime premium past the shift
    assert hour.route_cost(10_000, 8 * H, 15 * H) == pytest.approx(100 + 20 + 40 * 7 + 20)


def test_checker_recomputes_shift_pay_and_overtime() -> None:
    v = truck(crew_pay="shift", shift_end_s=7 * H, overtime_end_s=8 * H, overtime_per_hour=90.0)
    p = one_stop(v, service_s=4000)  # 06:00 + 1000 + 4000 + 1000 s: back at 07:40, overtime
    route = schedule_route(p, v, [("stop", "s")])
    assert route is not None and route.visits[-1].arrival_s == 6 * H + 6000
    assert route.cost == pytest.approx(100 + 2 * 16 + 40 * 1 + 90 * 2400 / 3600)
    assert check_plan(p, Plan((route,))) == []
    wrong = dataclasses.replace(route, cost=100 + 2 * 16 + 40 * 6000 / 3600)  # as if per hour
    assert any("reported cost" in m for m in check_plan(p, Plan((wrong,))))
    no_overtime = dataclasses.replace(p, vehicles=[dataclasses.replace(v, overtime_end_s=None)])
    assert any("after its shift" in m for m in check_plan(no_overtime, Plan((route,))))
    assert schedule_route(no_overtime, no_overtime.vehicles[0], [("stop", "s")]) is None


# ------------------------------------------------------------------------- departures
def test_shift_pay_leaves_at_the_shift_start_hour_pay_as_late_as_the_windows_allow() -> None:
    """A stop with a window 09:00-12:00 after a point without one: hour pay delays the start
    (the wait is paid), shift pay serves the first point at once."""
    stops = [(Stop("a", {"mixed": Load(kg=10)}, service_s=60), (800, 0)),
             (Stop("b", {"mixed": Load(kg=10)}, service_s=60,
                   time_windows=(TimeWindow(9 * H, 12 * H),)), (1600, 0))]  # fmt: skip
    hour, shift = truck(), truck(crew_pay="shift")
    p = problem([(Depot("D"), (0, 0))], [], [hour], stops)
    steps = [("stop", "a"), ("stop", "b")]
    late = schedule_route(p, hour, steps)
    early = schedule_route(dataclasses.replace(p, vehicles=[shift]), shift, steps)
    assert late.visits[0].departure_s > 8 * H  # today's behaviour
    assert early.visits[0].departure_s == 6 * H
    assert early.visits[1].arrival_s == 6 * H + 100  # the first point served at once
    # an engine's later start does not delay a shift-paid route either
    assert schedule_route(dataclasses.replace(p, vehicles=[shift]), shift, steps,
                          start_s=8 * H).visits[0].departure_s == 6 * H  # fmt: skip


def test_shift_pay_waits_at_the_depot_not_at_a_first_stop_that_opens_later() -> None:
    shift = truck(crew_pay="shift")
    p = one_stop(shift, window=TimeWindow(8 * H, 9 * H))
    route = schedule_route(p, shift, [("stop", "s")])
    assert route.visits[0].departure_s == 8 * H - 1000 and route.visits[1].arrival_s == 8 * H


def test_solved_shift_pay_plan_leaves_at_the_shift_start_and_passes_the_checker() -> None:
    stops = [(Stop(f"s{k}", {"mixed": Load(kg=50)}, service_s=300,
                   time_windows=(TimeWindow(7 * H, 12 * H),) if k == 0 else ()),
              (500 + 300 * k, 200 * (k % 3))) for k in range(8)]  # fmt: skip
    for pay in ("hour", "shift"):
        p = problem([(Depot("D"), (0, 0))], [], [truck(crew_pay=pay)], stops)
        plan = solve(p, SolveOptions(time_limit_s=2, seed=1, pyvrp_iterations=300,
                                     solution_limit=100))  # fmt: skip
        assert check_plan(p, plan) == [] and not plan.unassigned
        (route,) = plan.routes
        if pay == "shift":
            assert route.visits[0].departure_s == 6 * H
            assert route.cost == pytest.approx(100 + 2 * route.distance_m / 1000 + 40 * 8)
        else:  # nothing to serve before 07:00 is worth paying for: it leaves later
            assert route.cost == pytest.approx(
                100 + 2 * route.distance_m / 1000 + 40 * route.duration_s / 3600
            )


def test_overtime_lets_a_long_day_finish_and_pays_for_it() -> None:
    """Work for 9 hours with an 8-hour shift: refused without overtime, planned with it."""
    stops = [(Stop(f"s{k}", {"mixed": Load(kg=10)}, service_s=3 * H), (800 * (k + 1), 0))
             for k in range(3)]  # fmt: skip
    tight = truck(crew_pay="shift")
    loose = truck(crew_pay="shift", overtime_end_s=16 * H, overtime_per_hour=60.0)
    options = SolveOptions(time_limit_s=2, seed=1, pyvrp_iterations=300, solution_limit=100)
    p = problem([(Depot("D"), (0, 0))], [], [tight], stops)
    assert solve(p, options).unassigned  # the shift end is a hard limit
    p = dataclasses.replace(p, vehicles=[loose])
    plan = solve(p, options)
    assert check_plan(p, plan) == [] and not plan.unassigned
    (route,) = plan.routes
    end = route.visits[-1].arrival_s
    assert 14 * H < end <= 16 * H
    overtime = 60.0 * (end - 14 * H) / 3600
    assert route.cost == pytest.approx(100 + 2 * route.distance_m / 1000 + 40 * 8 + overtime)


# ---------------------------------------------------------------------- shared work
def test_shared_work_is_reported_and_met_when_the_fleet_can() -> None:
    """Two trucks that must both go out (capacity): the work is shared within 25 %."""
    near = [(Stop(f"n{k}", {"mixed": Load(kg=100)}, service_s=900), (600 + 40 * k, 0))
            for k in range(7)]  # fmt: skip
    far = [(Stop(f"f{k}", {"mixed": Load(kg=100)}, service_s=900), (4000, 40 * k))
           for k in range(3)]  # fmt: skip
    fleet = [truck(f"T{k}", crew_pay="shift", capacity_kg=800, balance_share=0.25)
             for k in range(2)]  # fmt: skip
    p = problem([(Depot("D"), (0, 0))], [], fleet, near + far)
    plan = solve(p, SolveOptions(time_limit_s=3, seed=1, pyvrp_iterations=1000,
                                 solution_limit=200))  # fmt: skip
    assert check_plan(p, plan) == [] and not plan.unassigned
    hours = [r.duration_s / 3600 for r in plan.routes]
    assert len(hours) == 2 and max(hours) <= 1.25 * sum(hours) / 2
    assert all(r.visits[0].departure_s == 6 * H for r in plan.routes)
    balance = plan.stats["balance"]
    assert balance["met"] and balance["limit"] == 0.25
    assert balance["longest_h"] == pytest.approx(max(hours), abs=1e-3)


def test_a_plan_that_cannot_share_the_work_says_so() -> None:
    """Each truck can carry one of the two stops; one is a 2-hour job, the other a minute."""
    stops = [
        (Stop("quick", {"mixed": Load(kg=500)}, service_s=60), (100, 0)),
        (Stop("long", {"mixed": Load(kg=500)}, service_s=2 * H), (8000, 0)),
    ]
    fleet = [truck(f"T{k}", crew_pay="shift", capacity_kg=500, balance_share=0.25)
             for k in range(2)]  # fmt: skip
    p = problem([(Depot("D"), (0, 0))], [], fleet, stops)
    plan = solve(p, SolveOptions(time_limit_s=2, seed=1, pyvrp_iterations=300,
                                 solution_limit=100))  # fmt: skip
    assert check_plan(p, plan) == [] and not plan.unassigned
    assert plan.stats["balance"]["met"] is False
    assert plan.stats["balance"]["share"] > 0.25


def test_balance_report_of_an_empty_plan_is_none() -> None:
    assert balance_report(Plan(()), 0.25) is None


def test_residents_first_terms_only_where_asked() -> None:
    """Hour pay without balance (vehicles built in code): no soft term, today's objective."""
    p = one_stop(truck())
    assert not preferences(p).active
    shift = one_stop(truck(crew_pay="shift"))
    assert preferences(shift).service_per_job_hour > 0 and not preferences(shift).balanced
    assert preferences(shift, service_weight=0.0).active is False
    balanced = one_stop(truck(balance_share=0.25))
    assert preferences(balanced).balanced


# -------------------------------------------------------------------------------- PyVRP
def test_pyvrp_terms_under_hour_pay_are_unchanged() -> None:
    v = truck(max_duration_s=7 * H)
    terms = _time_terms(v, open_s=5 * H, close_s=22 * H, brk=1800)
    assert terms == {
        "fixed_cost": 1_000_000, "tw_early": 6 * H, "tw_late": 14 * H - 1800,
        "shift_duration": 7 * H - 1800, "unit_distance_cost": 20,
        "unit_duration_cost": round(40 * 10_000 / 3600), "max_overtime": 0,
        "unit_overtime_cost": 0,
    }  # fmt: skip


def test_pyvrp_terms_under_shift_pay() -> None:
    v = truck(crew_pay="shift", overtime_end_s=16 * H, overtime_per_hour=72.0,
              max_duration_s=10 * H)  # fmt: skip
    terms = _time_terms(v, open_s=5 * H, close_s=22 * H, brk=0)
    assert terms["fixed_cost"] == (100 + 40 * 8) * 10_000  # the shift, paid once
    assert terms["unit_duration_cost"] == 0
    assert terms["start_late"] == terms["tw_early"] == 6 * H  # leaves at the shift start
    # overtime: duration past the shift end, at its rate
    assert terms["shift_duration"] == 8 * H and terms["max_overtime"] == 2 * H
    assert terms["unit_overtime_cost"] == 200


# ------------------------------------------------------------------------ working day
def test_the_plan_carries_each_used_crews_pay_and_shift() -> None:
    """stats["crews"]: what maps, sheets and kpis.json need to tell a crew's free hours from
    plan.json alone; an unused truck is not listed (its crew is not paid for the day)."""
    used, spare = truck("C1", crew_pay="shift"), truck("K9", fixed_cost=10_000.0)
    p = dataclasses.replace(one_stop(used), vehicles=[used, spare])
    plan = solve(p, SolveOptions(time_limit_s=1, seed=1, pyvrp_iterations=200,
                                 solution_limit=50))  # fmt: skip
    assert [r.vehicle_id for r in plan.routes] == ["C1"]
    assert plan.stats["crews"] == {
        "C1": {"crew_pay": "shift", "shift_start_s": 6 * H, "shift_end_s": 14 * H}
    }
    (day,) = plan_crew_days(Plan.from_dict(plan.to_dict()))  # as read back from plan.json
    assert day.shift is not None and day.departure_s == 6 * H
    # 1,000 s out, 600 s of service, 1,000 s back: the rest of the 8-hour shift is free.
    assert day.idle_s == 8 * H - 2600 and day.idle


def _two_routes(hours_a: float, hours_b: float) -> Plan:
    def route(vid: str, hours: float) -> Route:
        back = 6 * H + round(hours * H)
        visits = (Visit("depot_start", "D", 6 * H, 6 * H, 0, 0.0),
                  Visit("depot_end", "D", back, back, 0, 0.0))  # fmt: skip
        return Route(vid, visits, 0, back - 6 * H, 0.0)

    return Plan((route("A", hours_a), route("B", hours_b)))


def test_a_plan_over_the_share_pays_the_overshare_where_plans_are_chosen() -> None:
    prefs = preferences(one_stop(truck(crew_pay="shift", balance_share=0.25)))
    assert prefs.share == 0.25 and prefs.overshare_per_hour == 4 * prefs.excess_per_hour
    # the balance terms alone, with a target no route reaches (no excess, no makespan)
    plain = dataclasses.replace(prefs, service_per_job_hour=0.0).with_target(10 * H)
    # 7 h and 3 h: mean 5 h, the longest 0.75 h past 125 % of it; 6 h and 4 h: within.
    assert plain.cost(_two_routes(7, 3)) == pytest.approx(prefs.overshare_per_hour * 0.75)
    assert plain.cost(_two_routes(6, 4)) == 0.0
    assert dataclasses.replace(plain, share=None).cost(_two_routes(7, 3)) == 0.0


def test_the_last_pyvrp_leg_retargets_only_a_plan_that_misses_the_share() -> None:
    from basuracero.routing.pyvrp_engine import Balance

    p = one_stop(truck(crew_pay="shift", balance_share=0.25))
    prefs = preferences(p).with_target(5 * H)
    before = Balance(5 * H, prefs.excess_per_hour)
    assert _retarget(p, _two_routes(6, 4), prefs, before) is before
    # The mean fell to 4.5 h while the longest stayed at 6.5 h: target the new mean, harder.
    assert _retarget(p, _two_routes(6.5, 2.5), prefs, before) == Balance(
        round(4.5 * H), prefs.overshare_per_hour
    )
