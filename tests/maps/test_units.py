"""Small pieces: the lon/lat swap, turns, days in words, catalogues, offline check, atomicity."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import gpxpy
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from basuracero.maps import day_outputs
from basuracero.maps.basemap import OfflineError, check_offline
from basuracero.maps.blocks import BlockStatus
from basuracero.maps.coverage_map import (
    ScheduleError,
    coverage_map_html,
    parse_days,
    served_edges,
)
from basuracero.maps.day import DayView, PlanDocumentError, day_from_document, plan_timezone
from basuracero.maps.day_outputs import OutputOptions, write_day
from basuracero.maps.directions import Instruction, bearing, describe, turn_action
from basuracero.maps.exports import route_gpx
from basuracero.maps.geo import latlon
from basuracero.maps.i18n import LOCALE_DIR, get_lang

MAPS_DIR = Path(__file__).resolve().parents[2] / "maps"


def js(text: str) -> str:
    """How folium writes a string into the page's GeoJSON (ASCII JSON escapes)."""
    return json.dumps(text)[1:-1]


def test_latlon_swaps_once() -> None:
    assert latlon([-79.02, -8.08]) == (-8.08, -79.02)


@pytest.mark.parametrize(
    ("before", "after", "action"),
    [
        (0, 10, "continue"),
        (0, 90, "right"),
        (0, 270, "left"),
        (350, 80, "right"),
        (0, 150, "sharp_right"),
        (0, 210, "sharp_left"),
        (0, 180, "uturn"),
        (90, 275, "uturn"),
    ],
)
def test_turn_action(before: float, after: float, action: str) -> None:
    assert turn_action(before, after) == action


def test_bearing_is_clockwise_from_north() -> None:
    assert bearing(0, 1) == 0 and bearing(1, 0) == 90 and bearing(-1, 0) == 270


def test_directions_are_worded_in_both_languages() -> None:
    turn = Instruction("right", "Jr. Túpac Amaru", 120)
    assert describe(turn, get_lang("es")) == "Gire a la derecha en Jr. Túpac Amaru"
    assert describe(turn, get_lang("en")) == "Turn right onto Jr. Túpac Amaru"
    assert describe(Instruction("left", "", 5), get_lang("es")).endswith("una calle sin nombre")


def test_days_in_plain_words() -> None:
    es, en = get_lang("es"), get_lang("en")
    assert es.weekdays(parse_days("lun-sab")) == "Lunes a sábado"
    assert es.weekdays(parse_days("lun,mie,vie")) == "Lunes, miércoles y viernes"
    assert es.weekdays(parse_days("diario")) == "Todos los días"
    assert en.weekdays(parse_days("mon-fri")) == "Monday to Friday"
    assert es.window(7 * 3600, 9 * 3600) == "7:00–9:00"
    with pytest.raises(ScheduleError):
        parse_days("lunes-xyz")


def test_peruvian_dates_and_clock() -> None:
    es = get_lang("es")
    assert es.long_date(date(2026, 9, 24)) == "jueves, 24 de setiembre de 2026"
    assert es.clock(13 * 3600 + 5 * 60) == "13:05"
    assert get_lang("en").long_date(date(2026, 9, 24)).startswith("Thursday")


def test_every_string_has_a_spanish_translation() -> None:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "n_": (1, 2)}
    used = {
        msg[2] if isinstance(msg[2], str) else msg[2][0]
        for msg in extract_from_dir(MAPS_DIR, method_map, options, keywords=keywords)
    }
    with (LOCALE_DIR / "es/LC_MESSAGES/basuracero.po").open("rb") as fh:
        spanish = {m.id: m.string for m in read_po(fh) if m.id}
    assert len(used) > 50
    untranslated = sorted(m for m in used if not spanish.get(m))
    assert untranslated == []
    for code in ("es", "en"):
        po = LOCALE_DIR / code / "LC_MESSAGES" / "basuracero.po"
        mo = po.with_suffix(".mo")
        assert mo.stat().st_mtime >= po.stat().st_mtime - 1, f"{mo} is older than its .po"


def test_offline_check_refuses_cdn_pages() -> None:
    with pytest.raises(OfflineError):
        check_offline('<script src="https://cdn.jsdelivr.net/npm/leaflet.js"></script>')
    with pytest.raises(OfflineError):
        check_offline('<link rel="stylesheet" href="//cdn.example/x.css"/>')
    assert check_offline('<script src="static/leaflet/leaflet.js"></script>')


def test_last_pass_shows_on_the_block_in_both_languages(demo_day: DayView) -> None:
    block = demo_day.routes[0].stops[0]
    now = datetime(2026, 9, 24, 15, 0, tzinfo=UTC)  # 10:00 in Lima
    passed = datetime(2026, 9, 24, 13, 14, tzinfo=UTC)  # 08:14 in Lima
    progress = {block.id: BlockStatus.of("served", served_at=passed)}
    html = coverage_map_html(demo_day, get_lang("es"), progress=progress, now=now)
    assert js("Último paso: hoy 08:14") in html
    assert js("Último paso") not in coverage_map_html(demo_day, get_lang("es"), now=now)
    english = coverage_map_html(demo_day, get_lang("en"), progress=progress, now=now)
    assert js("Last pass: today 08:14") in english and "When does the truck come?" in english


def test_english_outputs(demo_day: DayView, tmp_path: Path) -> None:
    write_day(demo_day, get_lang("en"), tmp_path, OutputOptions(tiles="none", pdf=False))
    vid = demo_day.routes[0].vehicle_id
    html = (tmp_path / f"sheets/{vid}.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Route sheet" in html and "September" in html
    assert "Hoja de ruta" not in html and "Gire" not in html
    assert "Collection routes" in (tmp_path / "routes_map.html").read_text(encoding="utf-8")


def test_a_failure_leaves_the_folder_untouched(
    demo_day: DayView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "day"
    out.mkdir()
    (out / "plan.json").write_text("old plan", encoding="utf-8")

    def broken(*_: object, **__: object) -> bytes:
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(day_outputs, "sheet_pdf", broken)
    with pytest.raises(RuntimeError):
        write_day(demo_day, get_lang("es"), out, OutputOptions(tiles="none"))
    assert (out / "plan.json").read_text(encoding="utf-8") == "old plan"
    assert sorted(p.name for p in out.iterdir()) == ["plan.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["day"]


def test_diversion_rate_counts_what_avoids_the_landfill() -> None:
    from basuracero.maps.kpis import diversion_rate

    assert diversion_rate({"mixed": 850, "recyclables": 100, "organics": 50}) == 0.15
    assert diversion_rate({"mixed": 10}) == 0.0
    assert diversion_rate({}) is None


def test_times_are_on_the_plan_clock(demo_day: DayView) -> None:
    """GPX times and "last pass" read the plan's own zone; a plan without one is read as UTC."""
    route = demo_day.routes[0]
    first = route.visits[1]
    assert demo_day.tz == ZoneInfo("America/Lima")
    lima = gpxpy.parse(route_gpx(demo_day, route, get_lang("es"))).waypoints[1].time
    assert lima == datetime.combine(demo_day.date, time(0), tzinfo=UTC) + timedelta(
        seconds=first.arrival_s + 5 * 3600
    )  # Lima is UTC-5 all year
    older = replace(demo_day, tz=plan_timezone({}))
    utc = gpxpy.parse(route_gpx(older, route, get_lang("es"))).waypoints[1].time
    assert utc == lima - timedelta(hours=5)
    passed = datetime(2026, 9, 24, 13, 14, tzinfo=UTC)
    now = datetime(2026, 9, 24, 15, 0, tzinfo=UTC)
    es = get_lang("es")
    assert es.when_served(passed, now, tz=ZoneInfo("America/Lima")) == "hoy 08:14"
    assert es.when_served(passed, now, tz=ZoneInfo("Asia/Tokyo")) == "ayer 22:14"


def test_a_plan_with_an_unknown_zone_is_refused() -> None:
    assert plan_timezone({"timezone": "America/Lima"}) == ZoneInfo("America/Lima")
    assert plan_timezone({}) == ZoneInfo("UTC")
    with pytest.raises(PlanDocumentError, match="Mars/Olympus"):
        plan_timezone({"timezone": "Mars/Olympus"})


def test_a_stored_plan_draws_as_the_planned_one(demo_day: DayView) -> None:
    """From plan.json and the streets alone: the same places, demand, legs and served streets."""
    stored = day_from_document(json.loads(json.dumps(demo_day.document)), demo_day.graph)
    assert stored.tz == demo_day.tz and stored.date == demo_day.date
    for pid, place in demo_day.places.items():
        again = stored.places[pid]
        assert (again.edge, again.name, again.cross_street) == (
            place.edge, place.name, place.cross_street,
        ), pid  # fmt: skip
        assert again.demand_kg == {s: kg for s, kg in place.demand_kg.items() if kg}, pid
    for planned, drawn in zip(demo_day.routes, stored.routes, strict=True):
        assert [v.leg_in.steps if v.leg_in else None for v in drawn.visits] == [
            v.leg_in.steps if v.leg_in else None for v in planned.visits
        ]
    assert served_edges(stored).keys() == served_edges(demo_day).keys()
