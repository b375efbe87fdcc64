"""The sanitation manager's map: every truck's day along the real streets, one layer per truck.

Each truck gets its own colour and layer (switchable in the layer control), its path drawn as one
polyline along the streets it drives, its stops numbered in visiting order with arrival, load and
stream in the popup, and its landfill unloads and break marked where they happen.
"""

from __future__ import annotations

from html import escape

import folium

from basuracero.maps.basemap import (
    PlainPopup,
    legend,
    new_map,
    osm_attribution,
    render,
    street_background,
    swatch_line,
)
from basuracero.maps.day import DayView, Place, RouteView, VisitView
from basuracero.maps.geo import bounds_latlon, latlon, latlons
from basuracero.maps.i18n import Lang
from basuracero.maps.kpis import day_lines, route_hours_text
from basuracero.maps.words import site_kind_name, streams_text, street_span

TRUCK_COLOURS = (  # ColorBrewer Dark2, distinguishable for most colour-blind readers
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
)  # fmt: skip
SITE_LETTERS = {"depot": "B", "landfill": "R", "transfer": "T", "recycling": "♻", "compost": "C"}


def truck_colour(index: int) -> str:
    return TRUCK_COLOURS[index % len(TRUCK_COLOURS)]


def _stop_popup(route: RouteView, visit: VisitView, lang: Lang) -> str:
    place = visit.place
    assert place is not None
    streams = streams_text(place.demand_kg, lang)
    street = escape(place.name or lang._("an unnamed street"))
    if place.cross_street:
        street += " · " + escape(lang._("corner of {street}").format(street=place.cross_street))
    heading = lang._("Stop {number}").format(number=visit.number)
    truck, arrival = lang._("Truck"), lang._("Arrival")
    waste, load = lang._("Waste"), lang._("Load after the stop")
    kg = lang.number(sum(place.demand_kg.values()))
    rows = [
        f"<h4>{escape(heading)} · {escape(visit.id)}</h4>",
        street,
        f"{escape(truck)}: {escape(route.vehicle_id)}",
        f"{escape(arrival)}: <b>{lang.clock(visit.arrival_s)}</b>",
        f"{escape(waste)}: {kg} kg ({escape(streams)})",
        f"{escape(load)}: {lang.number(visit.load_kg)} kg",
    ]
    return '<div class="bc-popup">' + "<br>".join(rows) + "</div>"


def _street_popup(route: RouteView, visit: VisitView, lang: Lang) -> str:
    place = visit.place
    assert place is not None
    streams = streams_text(place.demand_kg, lang)
    heading = lang._("Street {number}").format(number=visit.number)
    kg = lang.number(sum(place.demand_kg.values()))
    rows = [
        f"<h4>{escape(heading)} · {escape(place.task)}</h4>",
        escape(street_span(place, lang)),
        f"{escape(lang._('Truck'))}: {escape(route.vehicle_id)}",
        escape(lang._("Door to door {start}–{end}").format(
            start=lang.clock(visit.arrival_s), end=lang.clock(visit.departure_s))),
        f"{escape(lang._('Waste'))}: {kg} kg ({escape(streams)}) · "
        f"{escape(lang.distance(place.length_m))}",
    ]  # fmt: skip
    return '<div class="bc-popup">' + "<br>".join(rows) + "</div>"


def _site_marker(place: Place, lines: list[str], lang: Lang) -> folium.Marker:
    letter = SITE_LETTERS.get(place.kind, "•")
    icon = folium.DivIcon(
        html=f'<div class="bc-site bc-site-{escape(place.kind)}">{letter}</div>',
        icon_size=(28, 28),
        icon_anchor=(14, 14),
        class_name="bc-icon",
    )
    body = "<br>".join(escape(line) for line in lines)
    html = (
        f'<div class="bc-popup"><h4>{escape(place.name or place.id)}</h4>'
        f"{escape(site_kind_name(place.kind, lang))}<br>{body}</div>"
    )
    return folium.Marker(
        latlon(place.lonlat), icon=icon, popup=PlainPopup(html, max_width=320),
        tooltip=place.name or place.id,
    )  # fmt: skip


def _route_layer(route: RouteView, colour: str, lang: Lang) -> folium.FeatureGroup:
    label = f"{route.vehicle_id} {route.vehicle_name}".strip()
    group = folium.FeatureGroup(name=f'<span style="color:{colour}">■</span> {escape(label)}')
    folium.PolyLine(
        latlons(route.coords), color=colour, weight=4, opacity=0.85,
        tooltip=lang._("Route {vehicle}").format(vehicle=route.vehicle_id),
    ).add_to(group)  # fmt: skip
    for visit in route.visits:
        if visit.kind == "stop" and visit.place is not None:
            icon = folium.DivIcon(
                html=f'<div class="bc-stop" style="background:{colour}">{visit.number}</div>',
                icon_size=(22, 22),
                icon_anchor=(11, 11),
                class_name="bc-icon",
            )
            folium.Marker(
                latlon(visit.place.lonlat), icon=icon,
                popup=PlainPopup(_stop_popup(route, visit, lang), max_width=320),
                tooltip=f"{visit.number} · {visit.id} · {lang.clock(visit.arrival_s)}",
            ).add_to(group)  # fmt: skip
        elif visit.kind == "street" and visit.place is not None and visit.place.line:
            folium.PolyLine(
                latlons(visit.place.line), color=colour, weight=8, opacity=0.95,
                popup=PlainPopup(_street_popup(route, visit, lang), max_width=320),
                tooltip=f"{visit.number} · {visit.place.name} · {lang.clock(visit.arrival_s)}",
            ).add_to(group)  # fmt: skip
        elif visit.kind == "break" and visit.where is not None:
            text = lang._("Break {start}–{end}").format(
                start=lang.clock(visit.arrival_s), end=lang.clock(visit.departure_s)
            )
            icon = folium.DivIcon(
                html=f'<div class="bc-break" style="border-color:{colour}">☕</div>',
                icon_size=(24, 24),
                icon_anchor=(12, 30),
                class_name="bc-icon",
            )
            folium.Marker(
                latlon(visit.where.lonlat), icon=icon,
                popup=PlainPopup(f'<div class="bc-popup">{escape(route.vehicle_id)}: '
                                   f"{escape(text)}</div>"),
                tooltip=text,
            ).add_to(group)  # fmt: skip
    return group


def _site_lines(day: DayView, lang: Lang) -> dict[str, list[str]]:
    """What happens at each depot and disposal site: departures, unloads, returns."""
    lines: dict[str, list[str]] = {}
    for route in day.routes:
        for visit in route.visits:
            if visit.kind == "depot_start":
                text = lang._("{vehicle} leaves {time}")
            elif visit.kind == "depot_end":
                text = lang._("{vehicle} returns {time}")
            elif visit.kind == "unload":
                text = lang._("{vehicle} unloads {time}")
            else:
                continue
            lines.setdefault(visit.id, []).append(
                text.format(vehicle=route.vehicle_id, time=lang.clock(visit.arrival_s))
            )
    return lines


def plan_map(
    day: DayView, lang: Lang, tiles: str = "osm", static_url: str = "static"
) -> folium.Map:
    """The manager's folium map of the day (render it with :func:`plan_map_html`)."""
    title = lang._("Collection routes")
    fmap = new_map(static_url, tiles, title, attribution=osm_attribution(lang))
    if tiles == "none":
        street_background(day.graph, lang._("Streets")).add_to(fmap)
    rows: list[tuple[str, str]] = []
    for i, route in enumerate(day.routes):
        colour = truck_colour(i)
        _route_layer(route, colour, lang).add_to(fmap)
        km = lang.number(route.distance_m / 1000, 1)
        n_streets = len(route.streets)
        n_stops = len(route.stops) - n_streets
        text = lang._("{vehicle}: {stops} stops, {km} km").format(
            vehicle=route.vehicle_id, stops=n_stops, km=km)
        if n_streets:
            text = lang._("{vehicle}: {streets} streets and {stops} stops, {km} km").format(
                vehicle=route.vehicle_id, streets=n_streets, stops=n_stops, km=km)
        rows.append((swatch_line(colour), f"{text} · {route_hours_text(route, lang)}"))  # fmt: skip
    sites = folium.FeatureGroup(name=escape(lang._("Depot and disposal sites")))
    for pid, lines in _site_lines(day, lang).items():
        place = day.places.get(pid)
        if place is not None:
            _site_marker(place, lines, lang).add_to(sites)
    sites.add_to(fmap)
    used = {day.places[pid].kind for pid in _site_lines(day, lang) if pid in day.places}
    for kind in SITE_LETTERS:
        if kind in used:
            box = f'<i class="bc-swatch-box bc-site-{kind}">{SITE_LETTERS[kind]}</i>'
            rows.append((box, site_kind_name(kind, lang)))
    if any(v.kind == "break" for r in day.routes for v in r.visits):
        cup = '<i class="bc-swatch-box" style="background:#fff;color:#333">☕</i>'
        rows.append((cup, lang._("Driver's break")))
    if day.unassigned:
        rows.append(("", lang._("{count} stops not assigned").format(count=len(day.unassigned))))
    rows += [("", line) for line in day_lines(day, lang)]
    title = lang._("Collection routes")
    if day.date is not None:
        title += f" · {lang.long_date(day.date)}"
    fmap.get_root().html.add_child(legend(title, rows))
    folium.LayerControl(collapsed=False).add_to(fmap)
    # Frame the collection area (the stops), not the long drives to the landfill.
    coords = [v.place.lonlat for r in day.routes for v in r.stops if v.place] or [
        p.lonlat for p in day.places.values()
    ]
    if coords:
        fmap.fit_bounds(bounds_latlon(coords))
    return fmap


def plan_map_html(day: DayView, lang: Lang, tiles: str = "osm", static_url: str = "static") -> str:
    return render(plan_map(day, lang, tiles, static_url), lang.code)
