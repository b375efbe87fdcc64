"""The checker catches hand-broken plans."""

from __future__ import annotations

import dataclasses

import pytest
from routing_factory import problem

from basuracero.routing.check import check_plan
from basuracero.routing.model import Depot, DisposalSite, Load, Stop, TimeWindow, Vehicle
from basuracero.routing.plan import Plan, Unassigned
from basuracero.routing.schedule import schedule_route


@pytest.fixture
def setup():
    stops = [
        (Stop("a", {"mixed": Load(kg=60)}, service_s=60,
              time_windows=(TimeWindow(0, 10_000),)), (800, 0)),
        (Stop("b", {"mixed": Load(kg=60)}, service_s=60), (800, 800)),
        (Stop("r", {"recyclables": Load(kg=10)}), (0, 800)),
    ]
    sites = [(DisposalSite("L", streams={"mixed", "recyclables"}, unload_s=120), (400, 400))]
    vehicles = [Vehicle("T", 100, "D"), Vehicle("M", 100, "D")]
    p = problem([(Depot("D"), (0, 0))], sites, vehicles, stops)
    route = schedule_route(p, p.vehicle_by_id["T"], [("stop", "a"), ("unload", "L"),
                                                      ("stop", "b"), ("unload", "L")])
    good = Plan((route,), (Unassigned("r", "left out on purpose"),))
    assert check_plan(p, good) == []
    return p, good


def test_overload(setup) -> None:
    p, _ = setup
    route = schedule_route(p, p.vehicle_by_id["T"], [("stop", "a"), ("stop", "b"),
                                                      ("unload", "L")])
    plan = Plan((route,), (Unassigned("r", "x"),))
    assert any("exceeds 100 kg" in v for v in check_plan(p, plan))


def test_late_arrival(setup) -> None:
    p, good = setup
    route = good.routes[0]
    visits = list(route.visits)
    visits[1] = dataclasses.replace(visits[1], arrival_s=20_000, departure_s=20_060)
    plan = Plan((dataclasses.replace(route, visits=tuple(visits)),), good.unassigned)
    assert any("outside its windows" in v for v in check_plan(p, plan))


def test_arrival_faster_than_travel(setup) -> None:
    p, good = setup
    route = good.routes[0]
    visits = list(route.visits)
    visits[1] = dataclasses.replace(visits[1], arrival_s=visits[0].departure_s + 1,
                                    departure_s=visits[0].departure_s + 61)
    plan = Plan((dataclasses.replace(route, visits=tuple(visits)),), good.unassigned)
    assert any("cannot reach 'a'" in v for v in check_plan(p, plan))


def test_missing_stop(setup) -> None:
    p, good = setup
    plan = Plan(good.routes, ())
    assert check_plan(p, plan) == ["stop 'r': neither served nor unassigned"]


def test_wrong_stream(setup) -> None:
    p, _ = setup
    route = schedule_route(p, p.vehicle_by_id["M"], [("stop", "r"), ("unload", "L")])
    plan = Plan((route,), (Unassigned("a", "x"), Unassigned("b", "x")))
    assert any("may not carry stream 'recyclables'" in v for v in check_plan(p, plan))


def test_returns_loaded_and_served_twice(setup) -> None:
    p, good = setup
    route = schedule_route(p, p.vehicle_by_id["M"], [("stop", "a")])
    plan = Plan((good.routes[0], route), good.unassigned)
    found = check_plan(p, plan)
    assert any("returns to the depot loaded" in v for v in found)
    assert any("served twice" in v for v in found)
