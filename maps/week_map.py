"""The public map of a whole week: each street with its own collection days and hour.

Each weekly plan (one per stream and set of stops) repeats on its days; drawing the plans of one
stream together, each route carrying its plan's days, gives neighbours the answer for any day of
the week on one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from basuracero.maps.coverage_map import Schedule, coverage_map_html
from basuracero.maps.day import DayView
from basuracero.maps.i18n import Lang


def week_coverage_html(
    days_and_views: Sequence[tuple[frozenset[int], DayView]],
    lang: Lang,
    tiles: str = "osm",
    static_url: str = "static",
) -> str:
    """One coverage page from several plans, each with the ISO weekdays it runs."""
    if not days_and_views:
        raise ValueError("no plan to draw")
    first = days_and_views[0][1]
    routes = []
    places = {}
    by_route: dict[str, frozenset[int]] = {}
    for index, (days, view) in enumerate(days_and_views):
        places.update(view.places)
        for route in view.routes:
            key = f"{route.vehicle_id}#{index}"  # a truck may run in several plans of the week
            routes.append(replace(route, vehicle_id=key))
            by_route[key] = days
    merged = replace(first, routes=routes, places=places, date=None)
    return coverage_map_html(
        merged, lang, Schedule(by_route=by_route), tiles=tiles, static_url=static_url
    )
