"""What ``basuracero demo`` writes: every file, in Spanish, offline, consistent with plan.json."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import gpxpy
import pypdf

from basuracero.maps.kpis import FUEL_L_PER_KM

REMOTE = re.compile(r"""<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*["']?(?:https?:)?//""", re.I)


def plan_of(out: Path) -> dict:
    return json.loads((out / "plan.json").read_text(encoding="utf-8"))


def stop_ids(route: dict) -> list[str]:
    return [v["id"] for v in route["visits"] if v["kind"] == "stop"]


def street_visits(route: dict) -> list[dict]:
    return [v for v in route["visits"] if v["kind"] == "street"]


def test_every_file_is_written(demo_out: Path) -> None:
    plan = plan_of(demo_out)
    assert plan["routes"], "the demo plan has routes"
    for name in ("plan.json", "kpis.json", "routes_map.html", "coverage_map.html"):
        assert (demo_out / name).stat().st_size > 0, name
    for route in plan["routes"]:
        vid = route["vehicle_id"]
        for rel in (f"sheets/{vid}.html", f"sheets/{vid}.pdf", f"gpx/{vid}.gpx", f"kml/{vid}.kml"):
            assert (demo_out / rel).stat().st_size > 0, rel
    assert (demo_out / "static/leaflet/leaflet.js").exists()
    assert (demo_out / "static/leaflet/LICENSE").exists()
    assert (demo_out / "static/leaflet-search/LICENSE").exists()
    leftovers = [p.name for p in demo_out.parent.iterdir() if ".partial-" in p.name]
    assert leftovers == []


def test_kpis_match_the_plan(demo_out: Path) -> None:
    plan = plan_of(demo_out)
    kpis = json.loads((demo_out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["stops_served"] == plan["totals"]["stops_served"]
    assert kpis["stops_unassigned"] == len(plan["unassigned"])
    assert kpis["trucks_used"] == len(plan["routes"])
    assert abs(kpis["km"] - plan["totals"]["distance_m"] / 1000) < 0.01
    assert abs(kpis["fuel_l"] - kpis["km"] * FUEL_L_PER_KM) < 0.1
    assert kpis["co2_kg"] > 0 and kpis["factors"]["co2_kg_per_l"] == 2.68
    assert set(kpis["kg_by_stream"]) == {"mixed"} and kpis["kg_total"] > 5000


def test_maps_are_offline_spanish_and_complete(demo_out: Path) -> None:
    plan = plan_of(demo_out)
    routes_map = (demo_out / "routes_map.html").read_text(encoding="utf-8")
    coverage = (demo_out / "coverage_map.html").read_text(encoding="utf-8")
    for html in (routes_map, coverage):
        assert not REMOTE.search(html), REMOTE.search(html)
        assert "cdn" not in html.lower()
        text = re.sub(r"</?a\b[^>]*>", "", html.replace("<\\/", "</"))
        assert "© colaboradores de OpenStreetMap" in text  # translated, as the OSMF allows
        assert 'src="static/leaflet/leaflet.js"' in html
        assert '<html lang="es">' in html
    assert "Rutas de recolección" in routes_map and "setiembre" in routes_map
    assert "LayerControl" in routes_map or "L.control.layers" in routes_map
    for route in plan["routes"]:
        for sid in stop_ids(route):
            assert f"· {sid}<\\/h4>" in routes_map, sid
    assert "¿Cuándo pasa el camión?" in coverage
    assert "Lunes a sábado" in coverage  # the fixture's --days
    assert "Busque su calle" in coverage
    assert coverage.count("L.geoJson(") < 20  # a few GeoJSON layers, not one per street


def test_gpx_and_kml_follow_the_route(demo_out: Path) -> None:
    for route in plan_of(demo_out)["routes"]:
        vid = route["vehicle_id"]
        gpx = gpxpy.parse((demo_out / f"gpx/{vid}.gpx").read_text(encoding="utf-8"))
        places = [v for v in route["visits"] if v["kind"] != "break"]
        assert len(gpx.waypoints) == len(places)
        names = [w.name for w in gpx.waypoints if w.name and w.name[0].isdigit()]
        service = [v for v in route["visits"] if v["kind"] in ("stop", "street")]
        assert [int(n.split()[0]) for n in names] == list(range(1, len(service) + 1))
        assert [n.split()[2] for n, v in zip(names, service, strict=True)
                if v["kind"] == "stop"] == stop_ids(route)
        points = gpx.tracks[0].segments[0].points
        assert len(points) > len(places)  # along the streets, not stop to stop
        first = places[0]["id"]
        depot = plan_of(demo_out)["places"][first]
        assert abs(points[0].latitude - depot["lat"]) < 0.001
        assert abs(points[0].longitude - depot["lon"]) < 0.001
        kml = ET.parse(demo_out / f"kml/{vid}.kml")
        marks = kml.getroot().iter("{http://www.opengis.net/kml/2.2}Placemark")
        assert sum(1 for _ in marks) == len(places) + 1


def test_pdf_sheet_lists_every_stop(demo_out: Path) -> None:
    route = plan_of(demo_out)["routes"][0]
    reader = pypdf.PdfReader(demo_out / f"sheets/{route['vehicle_id']}.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Hoja de ruta" in text and "setiembre" in text
    missing = [sid for sid in stop_ids(route) if sid not in text]
    assert missing == []
    assert "…" not in text and "..." not in text.replace("https://...", "")  # nothing cut short
    assert re.search(r"[1-9][\d,]* kg descargados", text) and "· 0 m" not in text


def test_html_sheet_is_spanish_with_directions(demo_out: Path) -> None:
    route = plan_of(demo_out)["routes"][0]
    vid = route["vehicle_id"]
    html = (demo_out / f"sheets/{vid}.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html
    for text in ("Hoja de ruta", "Turno", "Paradas", "setiembre", "Descarga", "esquina con"):
        assert text in html, text
    assert re.search(r"Gire a la (derecha|izquierda) en ", html)
    assert f'href="../gpx/{vid}.gpx"' in html  # a link that works from the folder...
    assert "<svg" not in html and "Use --base-url https://... para imprimir" in html  # no QR
    assert re.search(r"\b\d{2}:\d{2}\b", html) and " AM" not in html
    for sid in stop_ids(route):
        assert f">{sid}<" in html, sid
    assert "@media print" in html


def test_the_demo_serves_residential_streets_door_to_door(demo_out: Path) -> None:
    plan = plan_of(demo_out)
    places = plan["places"]
    tasks = {p["task"] for p in places.values() if p["kind"] == "street"}
    served = [v for r in plan["routes"] for v in street_visits(r)]
    assert len(tasks) > 200  # the district's residential blocks
    assert {v["task"] for v in served} | {u["id"] for u in plan["unassigned"]} >= tasks
    assert len({v["task"] for v in served}) == len(served)  # each street once
    assert plan["totals"]["streets_served"] == len(served)
    # The market, the hospital and the schools stay point stops with their opening hours.
    assert "M-UNION" in {i for r in plan["routes"] for i in stop_ids(r)}
    for visit in served:
        place = places[visit["id"]]
        assert place["task"] == visit["task"] and len(place["line"]) >= 2
        assert visit["departure_s"] > visit["arrival_s"]  # the crew walks the street
    kpis = json.loads((demo_out / "kpis.json").read_text(encoding="utf-8"))
    assert kpis["streets_served"] == len(served) and kpis["street_km_served"] > 15


def test_street_rows_on_the_sheet_and_the_map(demo_out: Path) -> None:
    plan = plan_of(demo_out)
    route = plan["routes"][0]
    html = (demo_out / f"sheets/{route['vehicle_id']}.html").read_text(encoding="utf-8")
    assert html.count('class="visit street"') == len(street_visits(route))
    assert "Puerta a puerta" in html and re.search(r", de [^<]+ a [^<]+<", html)
    routes_map = (demo_out / "routes_map.html").read_text(encoding="utf-8")
    for visit in street_visits(route):
        assert f"· {visit['task']}<\\/h4>" in routes_map, visit["task"]
    assert "calles y" in routes_map  # legend: "C1: 150 calles y 7 paradas, 33,2 km"


def test_gpx_times_are_on_the_area_clock(demo_out: Path) -> None:
    """The demo's plan.json names its area's zone; the GPX times are that clock's, in UTC."""
    plan = plan_of(demo_out)
    assert plan["timezone"] == "America/Lima"
    route = plan["routes"][0]
    gpx = gpxpy.parse((demo_out / f"gpx/{route['vehicle_id']}.gpx").read_text(encoding="utf-8"))
    start = route["visits"][0]["arrival_s"]
    midnight = datetime.combine(date.fromisoformat(plan["date"]), time(0), ZoneInfo("America/Lima"))
    assert gpx.waypoints[0].time == midnight + timedelta(seconds=start)
