"""Route sheet rules: a QR code only of an address a phone can open, the kg actually unloaded,
no direction step of "0 m", Spanish all through, and the day's figures in the reader's words."""

from __future__ import annotations

import re
from html import unescape

import pytest

from basuracero.maps.day import DayView
from basuracero.maps.directions import MIN_STEP_M
from basuracero.maps.i18n import get_lang
from basuracero.maps.kpis import day_kpis, diversion_text, kpi_rows
from basuracero.maps.sheets import sheet_context, sheet_html

# English that leaked into Spanish sheets before, and the rest of the words our sheets print.
ENGLISH = re.compile(
    r"\b(mixed|recyclables|organics|unload(ed|s)?|stops?|streets?|route|sheet|turn|head|"
    r"continue|follow|break|depot|landfill|contributors|scan|shift|waste|door|kg of)\b",
    re.IGNORECASE,
)


def visible_text(html: str) -> str:
    """What a reader sees: no styles, no tags, no QR drawing."""
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_no_qr_code_without_an_absolute_address(demo_day: DayView) -> None:
    route = demo_day.routes[0]
    for base_url in (None, "", "demo/publicado", "file:///tmp/demo"):
        html = sheet_html(demo_day, route, get_lang("es"), base_url)
        assert "<svg" not in html, base_url
        assert "Use --base-url https://... para imprimir un código QR" in html
        assert f'href="../gpx/{route.vehicle_id}.gpx"' in html  # still a link from the folder
    english = sheet_html(demo_day, route, get_lang("en"))
    assert "Use --base-url https://... to print a QR code" in english
    published = sheet_html(demo_day, route, get_lang("es"), "https://muni.example.pe/rutas/")
    assert "<svg" in published and "--base-url" not in published
    assert f'href="https://muni.example.pe/rutas/gpx/{route.vehicle_id}.gpx"' in published


def test_the_unload_line_says_the_kg_unloaded(demo_day: DayView) -> None:
    es = get_lang("es")
    for route in demo_day.routes:
        rows = sheet_context(demo_day, route, es)["rows"]
        unloads = [
            (visits[i - 1].load_kg - visits[i].load_kg, row)
            for visits in [route.visits]
            for i, row in enumerate(rows)
            if row.kind == "unload"
        ]
        assert unloads, route.vehicle_id
        for kg, row in unloads:
            assert kg > 0 and row.kg == f"{es.number(kg)} kg descargados", row.kg


def test_no_direction_step_is_zero_metres(demo_day: DayView) -> None:
    for route in demo_day.routes:
        for visit in route.visits:
            if visit.leg_in is not None:
                assert all(i.distance_m >= MIN_STEP_M for i in visit.leg_in.instructions)
        html = sheet_html(demo_day, route, get_lang("es"))
        assert not re.search(r"· 0 m\b", html), route.vehicle_id


@pytest.mark.parametrize("route_index", [0, 1])
def test_the_spanish_sheet_has_no_english(demo_day: DayView, route_index: int) -> None:
    route = demo_day.routes[route_index % len(demo_day.routes)]
    text = visible_text(sheet_html(demo_day, route, get_lang("es")))
    text = text.replace("Use --base-url https://...", "")  # the option's own name
    assert "mixto" in text and "colaboradores de OpenStreetMap" in text
    leaks = sorted({m.group(0) for m in ENGLISH.finditer(text)})
    assert leaks == []
    assert "…" not in text


def test_figures_are_labelled_in_the_readers_language(demo_day: DayView) -> None:
    kpis = day_kpis(demo_day)
    spanish = dict(kpi_rows(kpis, get_lang("es")))
    assert "kg mixto" in spanish and not any("mixed" in label for label in spanish)
    assert "kg mixed" in dict(kpi_rows(kpis, get_lang("en")))
    rate = diversion_text(0.15, get_lang("es"))
    assert rate.startswith("Tasa de valorización: 15") and rate.endswith("de los kg de la semana")
