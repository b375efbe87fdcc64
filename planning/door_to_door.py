"""Door-to-door service of an area: which streets, how much waste each, where they lie.

A manager says "every residential street of this district, for its 12,000 people": this module
turns that into street tasks with their share of the waste, and writes where each served
direction lies for plan.json (its middle, its line as driven) so maps and the fleet service can
draw and follow it without the street graph's internal numbering.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from basuracero.geodata.arcs import street_tasks
from basuracero.geodata.boundary import read_boundary
from basuracero.geodata.streets import StreetGraph
from basuracero.planning.scenario import Scenario, ScenarioError, StreetService


@dataclass(frozen=True)
class DoorToDoor:
    """Streets to serve door to door: every street of the served classes inside ``area``.

    Their waste is ``kg_per_m`` per metre of street, or the population's generation spread over
    the streets' length.
    """

    area: Path
    where: str | None = None
    population: int | None = None
    kg_per_person_day: float = 0.6
    kg_per_m: float | None = None
    each_side: frozenset[str] = frozenset()  # road classes whose two sides are served apart


def street_service(graph: StreetGraph, door: DoorToDoor) -> StreetService:
    """The street tasks of the area, each with its share of the waste."""
    area = read_boundary(door.area, door.where)
    # At 1 kg per metre a task's demand is the street length it serves (half on each side).
    tasks = street_tasks(graph, area=area, kg_per_m=1.0, each_side=door.each_side)
    if not tasks:
        raise ScenarioError(f"{door.area}: no street to serve door to door inside the area")
    if door.kg_per_m is not None:
        kg_per_m = door.kg_per_m
    elif door.population is not None:
        kg_per_m = door.population * door.kg_per_person_day / sum(t.demand_kg for t in tasks)
    else:
        raise ScenarioError("door-to-door streets: give --population or --kg-per-m")
    return StreetService([replace(t, demand_kg=round(t.demand_kg * kg_per_m, 1)) for t in tasks])


def street_places(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Every direction of the door-to-door streets: its middle, its line as driven, its task."""
    graph = scenario.graph
    ids = list(scenario.streets)
    places: dict[str, dict[str, Any]] = {}
    for pid, middle in zip(ids, scenario.lonlat_of(ids), strict=True):
        direction = scenario.streets[pid]
        line = graph.edge_lonlat_coords(direction.edge)
        places[pid] = {
            "lon": round(float(middle[0]), 7),
            "lat": round(float(middle[1]), 7),
            "kind": "street",
            "name": direction.task.street,
            "task": direction.task.id,
            "length_m": direction.length_m,
            "line": [[round(float(x), 7), round(float(y), 7)] for x, y in line],
        }
    return places
