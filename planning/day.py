"""A day's plan: read the inputs, build the routing problem, solve, check, write plan.json.

One function per step so the CLI (with its progress bar), the service's job workers and the
demo all go through the same code; only how they report progress and where they write differ.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import PointSet, read_points
from basuracero.geodata.snap import DEFAULT_MAX_SNAP_M
from basuracero.planning.area import Area
from basuracero.planning.carry_over import CarryOver, add_carried_points, require_carried
from basuracero.planning.door_to_door import DoorToDoor, street_places, street_service
from basuracero.planning.scenario import (
    Scenario,
    ScenarioError,
    build_scenario,
    vehicles_from_config,
)
from basuracero.routing.check import check_plan
from basuracero.routing.model import ProblemError, Vehicle
from basuracero.routing.plan import Plan
from basuracero.routing.solver import Progress, SolveOptions, solve

ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, kw_only=True)
class DayInputs:
    """The files of a day's plan; ``door_to_door`` adds an area's streets to ``points``' stops."""

    streets: Path
    sites: Path
    fleet: Path
    points: Path | None = None
    door_to_door: DoorToDoor | None = None
    max_snap_m: float = DEFAULT_MAX_SNAP_M

    @classmethod
    def of_area(cls, area: Area, *, corner_stops: bool = False) -> DayInputs:
        """The area's normal day: door to door plus its point stops (or corner stops only)."""
        if corner_stops:
            if area.corner_points is None:
                raise ScenarioError(f"area {area.id!r} has no corner_points file")
            return cls(streets=area.streets, sites=area.sites, fleet=area.fleet,
                       points=area.corner_points)  # fmt: skip
        return cls(
            streets=area.streets,
            sites=area.sites,
            fleet=area.fleet,
            points=area.points,
            door_to_door=area.door_to_door,
        )


@dataclass(frozen=True, kw_only=True)
class DayRequest:
    """Everything a day's plan depends on besides the files (part of a job's identity)."""

    service_date: date | None = None
    time_limit_s: float = 30.0
    seed: int = 0
    balance_weight: float = 0.0
    vehicles_out: frozenset[str] = frozenset()
    carry_over: CarryOver | None = None
    initial_routes: dict[str, list[str]] | None = None


@dataclass
class DayPlan:
    """A checked plan with the scenario it was made on and its plan.json document."""

    scenario: Scenario
    plan: Plan
    document: dict[str, Any] = field(default_factory=dict)


def read_fleet(path: Path) -> list[Vehicle]:
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read fleet file: {exc}") from exc
    return vehicles_from_config(config, str(path))


def load_scenario(inputs: DayInputs, *, carry_over: CarryOver | None = None,
                  vehicles_out: frozenset[str] = frozenset()) -> Scenario:  # fmt: skip
    """Read the inputs and build the routing problem (errors name file, id and field)."""
    vehicles = read_fleet(inputs.fleet)
    unknown = sorted(vehicles_out - {v.id for v in vehicles})
    if unknown:
        raise ScenarioError(
            f"vehicles_out: {unknown} not in {inputs.fleet.name} "
            f"(trucks: {', '.join(v.id for v in vehicles)})",
            field="vehicles_out",
        )
    vehicles = [v for v in vehicles if v.id not in vehicles_out]
    if not vehicles:
        raise ScenarioError("vehicles_out: no truck left to plan with", field="vehicles_out")
    graph = load_streets(inputs.streets)
    streets = street_service(graph, inputs.door_to_door) if inputs.door_to_door else None
    stops = read_points(inputs.points) if inputs.points else PointSet([], np.zeros((0, 2)))
    added: frozenset[str] = frozenset()
    if carry_over is not None:
        stops, added = add_carried_points(stops, carry_over)
    scenario = build_scenario(
        graph, stops, read_points(inputs.sites), vehicles, inputs.max_snap_m, streets=streets
    )
    if carry_over is not None:
        scenario.carry_over_missing = require_carried(scenario, carry_over, added=added)
    return scenario


def solve_checked(
    scenario: Scenario, request: DayRequest, on_progress: ProgressCallback | None = None
) -> Plan:
    """Solve; the plan returned has passed the independent checker."""
    options = SolveOptions(
        time_limit_s=request.time_limit_s,
        seed=request.seed,
        on_progress=on_progress,
        initial_routes=request.initial_routes,
        balance_weight=request.balance_weight,
    )
    plan = solve(scenario.problem, options)
    problems = check_plan(scenario.problem, plan)
    if problems:  # the solver checks too; this is the last guard before anything is written
        raise ProblemError("plan failed the checker: " + "; ".join(problems[:5]))
    return scenario.complete(plan)


def plan_document(
    scenario: Scenario,
    plan: Plan,
    service_date: str | None,
    *,
    area: str | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    """plan.json: the routing schema plus where each place is, for maps and the fleet service.

    ``timezone`` (the area's, an IANA name) is how every reader shows the plan's clock times.
    """
    document = plan.to_dict()
    kinds = {d.id: "depot" for d in scenario.problem.depots}
    kinds |= {s.id: s.kind for s in scenario.problem.sites}
    document["places"] = {
        pid: {
            "lon": round(float(lon), 7),
            "lat": round(float(lat), 7),
            "kind": kinds.get(pid, "stop"),
            "name": scenario.names.get(pid, ""),
        }
        for pid, (lon, lat) in zip(
            scenario.snapped.ids, scenario.snapped.lonlat.tolist(), strict=True
        )
    }
    document["places"] |= street_places(scenario)
    document["date"] = service_date
    if area is not None:
        document["area"] = area
    if timezone is not None:
        document["timezone"] = timezone
    document["generated_at"] = (
        datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )
    document["attribution"] = "© OpenStreetMap contributors"
    return document


def plan_day(
    inputs: DayInputs,
    request: DayRequest,
    *,
    area: Area | None = None,
    on_progress: ProgressCallback | None = None,
) -> DayPlan:
    """The whole use case: inputs → scenario → checked plan → plan.json document."""
    scenario = load_scenario(
        inputs, carry_over=request.carry_over, vehicles_out=request.vehicles_out
    )
    plan = solve_checked(scenario, request, on_progress)
    when = request.service_date.isoformat() if request.service_date else None
    document = plan_document(scenario, plan, when, area=area and area.id,
                             timezone=area and area.timezone)  # fmt: skip
    if request.carry_over is not None:
        document["carry_over"] = carry_over_summary(request.carry_over, scenario)
    return DayPlan(scenario, plan, document)


def carry_over_summary(carry: CarryOver, scenario: Scenario) -> dict[str, Any]:
    """What plan.json says of the carried work: from which plan, which jobs, what was lost."""
    return {
        "from_plan": carry.from_plan,
        "jobs": sorted({item.job for item in carry.items}),
        "not_in_today": scenario.carry_over_missing,
    }


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
