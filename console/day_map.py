"""A stored plan as the console's maps draw it: per truck its path, its streets and stops.

The join of a plan with its streets (:func:`basuracero.maps.day.day_from_document`) takes a
second or two for a district, and a stored plan never changes, so each one is built once per
process and kept (the same LRU as the public coverage map's). Every job is sent with its street
name and cross streets so the browser never shows an id.
"""

from __future__ import annotations

from typing import Any

from basuracero.api.coverage import DayCache, content_key
from basuracero.api.progress import streets_for
from basuracero.fleet.store import Store
from basuracero.maps.day import DayView
from basuracero.maps.i18n import get_lang
from basuracero.maps.plan_map import truck_colour
from basuracero.maps.words import between_text, street_span
from basuracero.planning.area import Area
from basuracero.planning.plan_summary import clock
from basuracero.planning.publish import day_view

_views = DayCache(size=8)


def plan_day_view(store: Store, area: Area, plan_id: int) -> DayView | None:
    """The plan's day view (built once per process), or None when there is no such plan."""
    document = store.plan_document(plan_id)
    if document is None:
        return None
    graph = streets_for(area.streets).graph
    key = (plan_id, content_key(document), id(graph))
    return _views.get(key, lambda: day_view(document, graph, area))


def job_label(day: DayView, visit_id: str) -> str:
    """``Calle X, de Jr. A a Jr. B`` for a street, ``Calle X (entre A y B)`` for a stop."""
    place = day.places.get(visit_id)
    lang = get_lang("es")
    if place is None:
        return "(lugar desconocido)"
    if place.kind == "street":
        return street_span(place, lang)
    between = between_text(place.between, lang)
    name = place.name or "(sin nombre)"
    return f"{name} ({between})" if between else name


def route_features(day: DayView) -> list[dict[str, Any]]:
    """Per truck: colour, path along the streets ([lat, lon]) and its jobs in planned order,
    each with a label, its planned local time and its geometry (a street's line, a stop's
    point), for the console's Leaflet maps."""
    routes = []
    for index, route in enumerate(day.routes):
        jobs = []
        for visit in route.stops:
            place = visit.place
            if place is None:
                continue
            shape = [[lat, lon] for lon, lat in place.line] if place.line else []
            jobs.append(
                {
                    "id": visit.id,
                    "kind": visit.kind,
                    "number": visit.number,
                    "label": job_label(day, visit.id),
                    "planned": clock(visit.arrival_s),
                    "line": shape,
                    "point": [place.lat, place.lon],
                }
            )
        routes.append(
            {
                "truck": route.vehicle_id,
                "name": route.vehicle_name,
                "colour": truck_colour(index),
                "path": [[lat, lon] for lon, lat in route.coords],
                "jobs": jobs,
            }
        )
    return routes
