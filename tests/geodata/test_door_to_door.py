"""Door-to-door days on real street graphs: directions the streets allow, legs between them."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from basuracero.geodata.arcs import service_matrix, street_tasks
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import snap_points
from basuracero.geodata.streets import StreetGraph
from basuracero.planning.door_to_door import DoorToDoor, street_places, street_service
from basuracero.planning.scenario import StreetService, build_scenario
from basuracero.routing.check import check_plan
from basuracero.routing.model import Vehicle
from basuracero.routing.solver import SolveOptions, solve

ALL_CLASSES = frozenset({"residential", "primary", "secondary", "tertiary", "unclassified"})


def grid_sites() -> PointSet:
    return PointSet(
        ids=["BASE", "RELLENO"],
        lonlat=np.array([[-79.0200, -8.0800], [-79.0170, -8.0830]]),
        attributes=[{"kind": "depot"}, {"kind": "landfill", "unload_s": "300"}],
        source="sites",
    )


def test_legs_run_from_the_end_of_one_street_to_the_start_of_the_next(
    grid_graph: StreetGraph,
) -> None:
    places = snap_points(grid_graph, grid_sites(), 200)
    tasks = street_tasks(grid_graph, classes=ALL_CLASSES)
    matrix = service_matrix(grid_graph, places, tasks)
    assert len(matrix.ids) == 2 + sum(len(t.edges) for t in tasks)
    ids = list(matrix.directions)
    a, b = matrix.directions[ids[0]], matrix.directions[ids[-1]]
    leg = matrix.leg(a.id, b.id)
    assert leg.origin == a.id and leg.destination == b.id
    # The path leaves from the end of street a and arrives at the start of street b.
    path = shapely.get_coordinates(leg.geometry)
    a_end = shapely.get_coordinates(grid_graph.edge_geometry[a.edge])[-1]
    b_start = shapely.get_coordinates(grid_graph.edge_geometry[b.edge])[0]
    assert np.hypot(*(path[0] - a_end)) < 0.5 and np.hypot(*(path[-1] - b_start)) < 0.5
    # The street driven while collecting is in the distance out of it, not in the time.
    row = matrix.ids.index(a.id)
    col = matrix.ids.index(b.id)
    assert matrix.distance_m[row, col] == leg.distance_m + a.length_m
    assert matrix.duration_s[row, col] == leg.duration_s
    assert (np.diag(matrix.duration_s) == 0).all()


def test_one_way_streets_are_served_the_way_they_run(grid_graph: StreetGraph) -> None:
    tasks = street_tasks(grid_graph, classes=ALL_CLASSES, kg_per_m=0.3)
    truck = Vehicle("C1", capacity_kg=60, start_depot="BASE", shift_end_s=20 * 3600)
    empty = PointSet(ids=[], lonlat=np.zeros((0, 2)), source="stops")
    scenario = build_scenario(
        grid_graph, empty, grid_sites(), [truck], site_snap_m=200, streets=StreetService(tasks)
    )
    plan = solve(scenario.problem, SolveOptions(time_limit_s=5, seed=1, pyvrp_iterations=500))
    assert check_plan(scenario.problem, plan) == []
    assert not plan.unassigned
    served = [v for r in plan.routes for v in r.visits if v.kind == "street"]
    assert {v.task for v in served} == {t.id for t in tasks}
    assert sum(v.kind == "unload" for r in plan.routes for v in r.visits) >= 2  # 60 kg trips
    for visit in served:
        edge = scenario.streets[visit.id].edge
        assert edge in next(t for t in tasks if t.id == visit.task).edges
        start, end = (grid_graph.edge_lonlat_coords(edge)[k] for k in (0, -1))
        name = str(grid_graph.edge_name[edge])
        if name == "Jiron Dos":  # oneway=yes, drawn west to east
            assert end[0] > start[0]
        if name == "Jiron Tres":  # oneway=-1: only westward
            assert end[0] < start[0]
    places = street_places(scenario)
    for task in tasks:  # both directions of a street have the same middle: one sector each
        middles = {(places[d]["lon"], places[d]["lat"]) for d in places if places[d]["task"] ==
                   task.id}
        assert len(middles) == 1


def test_population_is_spread_over_the_streets(demo_graph: StreetGraph, demo_dir) -> None:
    service = street_service(
        demo_graph, DoorToDoor(demo_dir / "boundary.geojson", population=1000)
    )
    total = sum(t.demand_kg for t in service.tasks)
    assert total == pytest.approx(600, abs=0.1 * len(service.tasks))
    longest = max(service.tasks, key=lambda t: t.length_m)
    shortest = min(service.tasks, key=lambda t: t.length_m)
    assert longest.demand_kg > shortest.demand_kg
    with pytest.raises(ValueError, match="--population or --kg-per-m"):
        street_service(demo_graph, DoorToDoor(demo_dir / "boundary.geojson"))


def test_each_side_of_an_avenue_is_a_task_of_its_own(grid_graph: StreetGraph) -> None:
    whole = street_tasks(grid_graph, classes=ALL_CLASSES, kg_per_m=1.0)
    sides = street_tasks(grid_graph, classes=ALL_CLASSES, kg_per_m=1.0,
                         each_side=frozenset({"primary"}))
    avenue = [t for t in sides if t.street == "Avenida Cuatro"]
    assert avenue and len(avenue) == 2 * sum(t.street == "Avenida Cuatro" for t in whole)
    for a, b in zip(avenue[::2], avenue[1::2], strict=True):
        assert (a.id[-1], b.id[-1]) == ("a", "b") and a.id[:-1] == b.id[:-1]
        assert len(a.edges) == len(b.edges) == 1
        assert int(grid_graph.edge_reverse[a.edges[0]]) == b.edges[0]  # opposite kerbs
        assert a.demand_kg == b.demand_kg == pytest.approx(a.length_m / 2, abs=0.1)
    others = [t for t in sides if t.street != "Avenida Cuatro"]
    assert others == [t for t in whole if t.street != "Avenida Cuatro"]
    assert sum(t.demand_kg for t in sides) == pytest.approx(sum(t.demand_kg for t in whole), 0.01)
