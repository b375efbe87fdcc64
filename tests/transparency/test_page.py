"""/transparencia in Spanish and English: the periods' figures against the area's goals, each
chart with its numbers in a table, and every sentence translated."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from transparency_helpers import AREA, seed_closed_days

from basuracero.transparency.page import LOCALE_DIR


@pytest.fixture
def seeded(client, store):
    """Florencia de Mora: 40 closed days at 99 % on schedule, diversion 500 of ~9,800 kg."""
    today = datetime.now(UTC).astimezone(ZoneInfo("America/Lima")).date()  # the area's clock
    seed_closed_days(store, AREA, today, 40, coverage_pct=99.5, coverage_on_schedule_pct=99.0)
    return client


def cells(html: str, row_title: str) -> list[str]:
    """The text of a summary row's cells (goal, then 7/30/365 days)."""
    row = re.search(rf"<th scope=\"row\">{re.escape(row_title)}</th>(.*?)</tr>", html, re.S)
    assert row, row_title
    return [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>", row[1], re.S)]


def test_the_spanish_page_says_which_goals_are_met(seeded) -> None:
    html = seeded.get(f"/transparencia?area={AREA}").text
    assert '<html lang="es">' in html and "Lo que realmente hizo el servicio" in html
    on_time = cells(html, "Calles atendidas a tiempo")
    assert on_time[0] == ["≥", "98.0", "%"]  # the goal of area.toml (es-PE: decimal point)
    assert all(c[:3] == ["99.0", "%", "✔"] for c in on_time[1:])
    diversion = cells(html, "Tasa de valorización")
    assert diversion[0] == ["≥", "10.0", "%"]
    assert all("no" in c and "cumplida" in c for c in diversion[1:])  # about 5 %: not met
    assert cells(html, "Días cerrados")[1:] == [["7"], ["30"], ["40"]]
    # Months without a closed day say so rather than showing a zero.
    assert "sin datos suficientes" in html


def test_the_english_page_reads_in_english(seeded) -> None:
    html = seeded.get(f"/transparencia?area={AREA}&lang=en").text
    assert '<html lang="en">' in html and "What the cleaning service really did" in html
    assert all(c[:3] == ["99.0", "%", "✔"] for c in cells(html, "Streets served on schedule")[1:])
    assert "not met" in html and "Calles" not in html


def test_each_chart_has_its_numbers_in_a_table(seeded) -> None:
    html = seeded.get("/transparencia").text
    charts = re.findall(r'<canvas id="chart-(\w+)"[^>]*aria-describedby="table-(\w+)"', html)
    assert [a for a, b in charts if a == b] == ["coverage", "tonnes", "diversion", "reports"]
    for key in ("coverage", "tonnes", "diversion", "reports"):
        table = re.search(rf'<table id="table-{key}">(.*?)</table>', html, re.S)
        assert table and table[1].count("<tr>") == 13  # header + 12 months
    assert "/transparencia/static/chart.umd.js" in html  # vendored, no CDN
    assert "https://cdn" not in html


def test_another_areas_page_has_none_of_these_days(seeded) -> None:
    html = seeded.get("/transparencia?area=la-esperanza").text
    assert cells(html, "Días cerrados")[1:] == [["0"], ["0"], ["0"]]


def test_a_bad_language_or_area_is_named(client) -> None:
    assert client.get("/transparencia?lang=fr").json()["error"]["field"] == "lang"
    assert client.get("/transparencia?area=lima").json()["error"]["field"] == "area"


def test_every_sentence_has_its_spanish_translation() -> None:
    with (Path(LOCALE_DIR) / "es" / "LC_MESSAGES" / "transparency.po").open("rb") as handle:
        catalogue = read_po(handle)
    with (Path(LOCALE_DIR) / "transparency.pot").open("rb") as handle:
        template = read_po(handle)
    wanted = {m.id for m in template if m.id}
    translated = {m.id for m in catalogue if m.id and m.string}
    assert wanted and wanted <= translated
