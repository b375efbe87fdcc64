"""GPX and KML of a route, for the navigation app on the driver's phone (OsmAnd, Organic Maps...).

GPX carries one track (the street path, so the app draws exactly the planned streets) and one
waypoint per place in visiting order, named with its number so the driver can tick them off.
KML carries the same for Google Earth / My Maps users.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from xml.etree import ElementTree as ET

import gpxpy.gpx

from basuracero.maps.basemap import data_attribution
from basuracero.maps.day import DayView, RouteView, VisitView
from basuracero.maps.i18n import Lang
from basuracero.maps.words import street_span

KML_NS = "http://www.opengis.net/kml/2.2"


def waypoint_name(visit: VisitView, lang: Lang) -> str:
    """``12 · P0034 Calle 26 de Julio``, ``Descarga · Relleno Sanitario``, ``Base · ...``."""
    place = visit.place
    label = place.name if place else ""
    if visit.kind == "stop":
        return f"{visit.number:02d} · {visit.id} {label}".strip()
    if visit.kind == "street" and place is not None:
        return f"{visit.number:02d} · {street_span(place, lang)}"
    kinds = {
        "depot_start": lang._("Start"),
        "depot_end": lang._("Return"),
        "unload": lang._("Unload"),
    }
    return f"{kinds.get(visit.kind, visit.kind)} · {label or visit.id}"


def _utc(day: DayView, seconds: int) -> datetime | None:
    """A plan time (seconds after the service day's midnight, in the plan's zone) in UTC, as GPX
    wants it; ``None`` when the plan has no date."""
    if day.date is None:
        return None
    clock = time(seconds // 3600 % 24, seconds % 3600 // 60, seconds % 60)
    return datetime.combine(day.date, clock, tzinfo=day.tz).astimezone(UTC)


def route_gpx(day: DayView, route: RouteView, lang: Lang) -> str:
    """GPX 1.1 text: waypoints for every place visited (not breaks) and the street track."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "Basura Cero"
    gpx.name = lang._("Route {vehicle}").format(vehicle=route.vehicle_id)
    gpx.description = data_attribution(day.attribution, lang)
    for visit in route.visits:
        if visit.place is None:
            continue
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=visit.place.lat,
                longitude=visit.place.lon,
                name=waypoint_name(visit, lang),
                time=_utc(day, visit.arrival_s),
                symbol="Waypoint",
                comment=lang._("Arrival {time}").format(time=lang.clock(visit.arrival_s)),
            )
        )
    track = gpxpy.gpx.GPXTrack(name=gpx.name)
    segment = gpxpy.gpx.GPXTrackSegment()
    for lon, lat in route.coords:
        segment.points.append(gpxpy.gpx.GPXTrackPoint(latitude=lat, longitude=lon))
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def route_kml(day: DayView, route: RouteView, lang: Lang) -> str:
    """KML 2.2 text with the same content as the GPX."""
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = ET.SubElement(root, f"{{{KML_NS}}}Document")
    name = lang._("Route {vehicle}").format(vehicle=route.vehicle_id)
    ET.SubElement(doc, f"{{{KML_NS}}}name").text = name
    ET.SubElement(doc, f"{{{KML_NS}}}description").text = data_attribution(day.attribution, lang)
    track = ET.SubElement(doc, f"{{{KML_NS}}}Placemark")
    ET.SubElement(track, f"{{{KML_NS}}}name").text = name
    line = ET.SubElement(track, f"{{{KML_NS}}}LineString")
    ET.SubElement(line, f"{{{KML_NS}}}tessellate").text = "1"
    ET.SubElement(line, f"{{{KML_NS}}}coordinates").text = " ".join(
        f"{lon:.6f},{lat:.6f}" for lon, lat in route.coords
    )
    for visit in route.visits:
        if visit.place is None:
            continue
        mark = ET.SubElement(doc, f"{{{KML_NS}}}Placemark")
        ET.SubElement(mark, f"{{{KML_NS}}}name").text = waypoint_name(visit, lang)
        ET.SubElement(mark, f"{{{KML_NS}}}description").text = lang._("Arrival {time}").format(
            time=lang.clock(visit.arrival_s)
        )
        point = ET.SubElement(mark, f"{{{KML_NS}}}Point")
        ET.SubElement(
            point, f"{{{KML_NS}}}coordinates"
        ).text = f"{visit.place.lon:.7f},{visit.place.lat:.7f}"
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
