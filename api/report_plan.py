"""Accepted reports into an area's next plan job (the job's ``reports`` option, on by default).

A missed street comes back as today's street task of that street, required, with a day's waste
on top; a dump as a required stop of its estimated volume. They ride in the job's carry-over,
so they are part of the job's inputs and key (new reports, new job) and of plan.json.
"""

from __future__ import annotations

import threading

from fastapi import Request

from basuracero.api.progress import streets_for
from basuracero.api.report_intake import reports_store, settings_of
from basuracero.planning.area import Area
from basuracero.planning.carry_over import CarryOver
from basuracero.planning.door_to_door import street_service
from basuracero.planning.report_services import DUMP, MISSED
from basuracero.planning.reports import StreetTaskRef, carried_reports

_tasks: dict[str, dict[int, StreetTaskRef]] = {}
_tasks_lock = threading.Lock()


def tasks_by_edge(area: Area) -> dict[int, StreetTaskRef]:
    """Each street-graph edge the area serves door to door, with its task (once per files)."""
    key = area.content_key()
    with _tasks_lock:
        found = _tasks.get(key)
    if found is not None:
        return found
    found = {}
    if area.door_to_door is not None:
        service = street_service(streets_for(area.streets).graph, area.door_to_door)
        for task in service.tasks:
            for edge in task.edges:
                found[int(edge)] = StreetTaskRef(task.id, task.demand_kg)
        graph = streets_for(area.streets).graph
        for edge, ref in list(found.items()):  # a report may lie on the other direction
            twin = int(graph.edge_reverse[edge])
            if twin >= 0:
                found.setdefault(twin, ref)
    with _tasks_lock:
        _tasks[key] = found
    return found


def with_reports(request: Request, area: Area, carry: CarryOver | None) -> CarryOver | None:
    """The job's carry-over plus the area's accepted, unresolved missed collections and dumps."""
    rows = reports_store(request).accepted_for_plan(area.id, (MISSED, DUMP))
    if not rows:
        return carry
    return carried_reports(
        rows, tasks_by_edge(area), dump_m3=settings_of(area).dump_m3, carry=carry
    )
