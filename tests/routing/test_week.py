"""The weekly schedule decides who is collected when, and with how much waste."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from basuracero.routing.model import Depot, Load, Problem, ProblemError, Stop, Vehicle
from basuracero.routing.week import Rule, day_problem, parse_days, waste_days, week_templates


def test_parse_days() -> None:
    assert parse_days("lun,mie,vie") == {1, 3, 5}
    assert parse_days("lun-sab") == set(range(1, 7))
    assert parse_days("interdiaria-mjs") == {2, 4, 6}
    assert parse_days("Sábado") == {6}
    with pytest.raises(ProblemError, match="unknown day"):
        parse_days("lun,funday")
    with pytest.raises(ProblemError, match="backwards"):
        parse_days("vie-lun")


def test_waste_days_count_since_the_previous_collection() -> None:
    lmv = frozenset({1, 3, 5})
    assert [waste_days(lmv, d) for d in range(1, 8)] == [3, 0, 2, 0, 2, 0, 0]
    assert waste_days(frozenset({6}), 6) == 7
    assert waste_days(frozenset(range(1, 7)), 1) == 2  # Saturday to Monday


def base_problem() -> Problem:
    stops = [Stop("A", {"mixed": Load(10)}), Stop("B", {"mixed": Load(20)}), Stop("C")]
    n = 4
    matrix = (np.arange(n)[:, None] - np.arange(n)[None, :]) ** 2
    return Problem(
        depots=[Depot("D")],
        sites=[],
        vehicles=[Vehicle("T", 1000, "D")],
        stops=stops,
        duration_s=matrix,
        distance_m=matrix,
    )


RULES = {
    "A": [Rule("mixed", frozenset({1, 3, 5})), Rule("recyclables", frozenset({6}))],
    "B": [Rule("mixed", frozenset({2, 4, 6}))],
}
DAILY = {
    "A": {"mixed": Load(10, 0.04), "recyclables": Load(2, 0.02)},
    "B": {"mixed": Load(20, 0.08)},
}


def test_day_problem_keeps_due_stops_with_accumulated_waste() -> None:
    monday = day_problem(base_problem(), RULES, DAILY, 1)
    assert monday is not None
    assert [s.id for s in monday.stops] == ["A"]
    assert monday.stops[0].demand == {"mixed": Load(30, pytest.approx(0.12))}
    assert monday.duration_s.shape == (2, 2)
    assert monday.duration_s[0, 1] == base_problem().duration_s[0, 1]  # rows kept, not moved
    saturday = day_problem(base_problem(), RULES, DAILY, 6)
    assert {s.id: dict(s.demand) for s in saturday.stops} == {
        "A": {"recyclables": Load(14, pytest.approx(0.14))},
        "B": {"mixed": Load(40, pytest.approx(0.16))},
    }
    assert day_problem(base_problem(), RULES, DAILY, 7) is None


def test_templates_per_stream_size_for_the_heaviest_day() -> None:
    problem = base_problem()
    trucks = [Vehicle("M", 1000, "D"), Vehicle("R", 1000, "D", streams=frozenset({"recyclables"}))]
    templates = week_templates(replace(problem, vehicles=trucks), RULES, DAILY)
    shape = [(t.stream, sorted(t.days), [s.id for s in t.problem.stops]) for t in templates]
    assert shape == [
        ("mixed", [1, 3, 5], ["A"]),
        ("mixed", [2, 4, 6], ["B"]),
        ("recyclables", [6], ["A"]),
    ]
    assert templates[0].problem.stops[0].demand["mixed"].kg == 30  # Monday's three days
    assert [v.id for v in templates[2].problem.vehicles] == ["R"]


def test_a_truck_cannot_serve_two_streams_on_one_day() -> None:
    both = Vehicle("T", 1000, "D", streams=frozenset({"mixed", "recyclables"}))
    with pytest.raises(ProblemError, match="vehicle 'T' carries 'mixed' and 'recyclables'"):
        week_templates(replace(base_problem(), vehicles=[both]), RULES, DAILY)
