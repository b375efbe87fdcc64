"""Street tasks for door-to-door service: the directions a street allows and the travel between."""

from __future__ import annotations

import numpy as np

from basuracero.geodata.arcs import arc_matrix, street_tasks
from basuracero.geodata.sites import read_points
from basuracero.geodata.snap import snap_points
from basuracero.geodata.streets import StreetGraph


def test_tasks_follow_the_streets_allowed_directions(demo_graph: StreetGraph) -> None:
    tasks = street_tasks(demo_graph, kg_per_m=0.5)
    assert tasks
    for task in tasks:
        first = task.edges[0]
        if demo_graph.edge_reverse[first] < 0:
            assert task.edges == (first,)  # a one-way street: one direction only
        else:
            assert task.edges == (first, int(demo_graph.edge_reverse[first]))
        assert task.demand_kg == round(task.length_m * 0.5, 1)
    assert len({t.edges[0] for t in tasks}) == len(tasks)


def test_arc_matrix_legs_run_from_street_end_to_street_start(
    demo_graph: StreetGraph, demo_dir
) -> None:
    places = snap_points(demo_graph, read_points(demo_dir / "sites.csv"), 500)
    tasks = street_tasks(demo_graph)[:25]
    arcs = arc_matrix(demo_graph, places, tasks)
    n = len(arcs.ids)
    assert arcs.duration_s.shape == (n, n) and (np.diag(arcs.duration_s) == 0).all()
    for k in range(arcs.n_places, n):  # leaving a street costs at least driving it
        others = np.delete(arcs.duration_s[k], k)
        assert (others >= arcs.service_s[k - arcs.n_places]).all()
    # The two directions of a two-way street end where the other starts: serving it one way and
    # going on the other way costs exactly the street itself.
    for a in range(len(arcs.direction_task) - 1):
        if arcs.direction_task[a] == arcs.direction_task[a + 1]:
            i, j = arcs.n_places + a, arcs.n_places + a + 1
            assert arcs.duration_s[i, j] == arcs.service_s[a]
            assert (
                abs(arcs.distance_m[i, j] - demo_graph.edge_length_m[arcs.direction_edge[a]]) <= 1
            )
            break
    else:
        raise AssertionError("no two-way street among the tasks")
