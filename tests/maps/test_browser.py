"""The maps in a real headless Chromium, offline, on a phone (412×915) and an office screen
(1366×768): no console errors, layers drawn, the search driven by key presses, screenshots in
artifacts/maps/ for a person to look at."""

from __future__ import annotations

import json
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from headless_chrome import Chromium, find_chromium

from basuracero.maps.blocks import Block, BlockStatus, served_blocks
from basuracero.maps.coverage_map import coverage_map_html
from basuracero.maps.day import DayView
from basuracero.maps.i18n import get_lang
from basuracero.maps.output import copy_static
from basuracero.maps.week_map import week_blocks, week_coverage_html
from basuracero.maps.words import block_name

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "maps"
COUNT = "document.querySelectorAll('.leaflet-interactive').length"
POPUP = "(document.querySelector('.leaflet-popup-content') || {}).innerText || ''"
INPUT = "document.querySelector('.leaflet-control-search input')"
CHROMIUM = find_chromium()
VIEWPORTS = {"phone": (412, 915, True), "office": (1366, 768, False)}
WeekViews = list[tuple[str, frozenset[int], DayView]]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (Debian: apt-get install -y chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    assert CHROMIUM is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with Chromium(CHROMIUM) as chromium:
        yield chromium


def fold(text: str) -> str:
    """Lower case without accents: how people type a street name into a phone."""
    plain = unicodedata.normalize("NFD", text)
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


def partial_name(name: str) -> str:
    """``Calle José de la Torre Ugarte`` → ``jose de la``: a few words, no street type."""
    words = fold(name).split()
    if words and words[0] in {"calle", "jr.", "jiron", "av.", "avenida", "pasaje", "psje."}:
        words = words[1:]
    return " ".join(words[:3])


def shoot(browser: Chromium, page: Path, name: str) -> dict[str, Any]:
    """Open ``page`` at each viewport, save a screenshot each; the drawn layer count per size."""
    counts = {}
    for kind, (width, height, mobile) in VIEWPORTS.items():
        browser.viewport(width, height, mobile)
        report = browser.open(page, COUNT)
        (ARTIFACTS / f"{name}-{kind}.png").write_bytes(report.screenshot)
        assert report.errors == [], (name, kind, report.errors)
        assert report.screenshot.startswith(b"\x89PNG")
        counts[kind] = report.value
    return counts


def search(browser: Chromium, text: str) -> dict[str, str]:
    """Type ``text`` into the search box key by key and press Enter at once (no pause to let
    the list of matches appear): what the popup and the box then say."""
    browser.evaluate(f"{INPUT}.focus()")
    browser.type_text(text)
    browser.press_enter()
    time.sleep(0.5)
    return json.loads(browser.evaluate(f"JSON.stringify({{popup: {POPUP}, box: {INPUT}.value}})"))


def write_page(folder: Path, name: str, html: str) -> Path:
    copy_static(folder)
    page = folder / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    return page


def test_demo_maps_render_on_a_phone_and_an_office_screen(
    browser: Chromium, demo_out: Path
) -> None:
    for name in ("routes_map", "coverage_map"):
        counts = shoot(browser, demo_out / f"{name}.html", name)
        assert all(isinstance(n, int) and n > 10 for n in counts.values()), (name, counts)
    assert browser.evaluate("document.querySelectorAll('.leaflet-control-search').length") == 1


def test_typing_part_of_a_street_and_enter_opens_its_block(
    browser: Chromium, demo_out: Path
) -> None:
    plan = json.loads((demo_out / "plan.json").read_text(encoding="utf-8"))
    served = Counter(
        plan["places"][v["id"]]["name"]
        for route in plan["routes"] for v in route["visits"] if v["kind"] == "street"
    )  # fmt: skip
    name = next(n for n, _ in served.most_common() if len(partial_name(n)) >= 6)
    for kind, (width, height, mobile) in VIEWPORTS.items():
        browser.viewport(width, height, mobile)
        assert browser.open(demo_out / "coverage_map.html", "1").errors == []
        found = search(browser, partial_name(name))
        (ARTIFACTS / f"coverage_map-search-{kind}.png").write_bytes(browser.screenshot())
        assert found["box"].startswith(f"{name}, "), found  # the best match, named by block
        assert found["popup"].startswith(name) and "Lunes a sábado" in found["popup"], found


def skipped_block(day: DayView) -> tuple[Block, Block, dict[str, BlockStatus]]:
    """A street's blocks in one hour: the first served at 07:50, the second skipped."""
    by_group: dict[tuple[str, int], list[Block]] = {}
    for block in served_blocks(day):
        if block.name and block.edges:
            by_group.setdefault((block.name, block.time_s // 3600), []).append(block)
    served, missed, *rest = max(by_group.values(), key=len)
    progress = {
        served.id: BlockStatus.of("served", served_at=datetime(2026, 9, 24, 12, 50, tzinfo=UTC)),
        missed.id: BlockStatus.of("missed", rescheduled_for=date(2026, 9, 25)),
    }
    progress.update({b.id: BlockStatus.of("pending") for b in rest})
    return served, missed, progress


def test_the_public_map_shows_a_skipped_block(
    browser: Chromium, demo_day: DayView, tmp_path: Path
) -> None:
    served, missed, progress = skipped_block(demo_day)
    now = datetime(2026, 9, 24, 15, 0, tzinfo=UTC)
    html = coverage_map_html(demo_day, get_lang("es"), progress=progress, now=now, tiles="none")
    page = write_page(tmp_path, "public_skipped", html)
    shoot(browser, page, "public_skipped")
    assert browser.evaluate("document.querySelectorAll('path[stroke-dasharray]').length") >= 1
    for kind, (width, height, mobile) in VIEWPORTS.items():
        browser.viewport(width, height, mobile)
        browser.open(page, "1")
        found = search(browser, fold(block_name(missed.name, missed.between, get_lang("es"))))
        (ARTIFACTS / f"public_skipped-search-{kind}.png").write_bytes(browser.screenshot())
        assert "Hoy no pasó: reprogramado para mañana" in found["popup"], found
        assert "Último paso" not in found["popup"]
    browser.evaluate(f"{INPUT}.value = ''")
    found = search(browser, fold(block_name(served.name, served.between, get_lang("es"))))
    assert "Último paso: hoy 07:50" in found["popup"], found


def test_the_weekly_map_lists_each_stream_and_filters_them(
    browser: Chromium, week_views: WeekViews, tmp_path: Path
) -> None:
    html = week_coverage_html(week_views, get_lang("es"), tiles="none")
    page = write_page(tmp_path, "week_map", html)
    counts = shoot(browser, page, "week_map")
    assert all(n > 100 for n in counts.values()), counts
    hide_mixed = (
        "Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".filter(l => l.innerText.includes('Mixto'))[0].querySelector('input').click()"
    )
    width, height, mobile = VIEWPORTS["phone"]
    browser.viewport(width, height, mobile)
    browser.open(page, "1")
    browser.evaluate(hide_mixed)
    assert browser.evaluate(COUNT) < counts["phone"]  # the filter took the mixed layer away
    both = [
        entry.block for entry in week_blocks(week_views).values()
        if {row[0] for row in entry.rows} == {"mixed", "recyclables"} and entry.block.name
    ]  # fmt: skip
    name = max(both, key=lambda block: len(partial_name(block.name))).name
    found = search(browser, partial_name(name))
    (ARTIFACTS / "week_map-search-phone.png").write_bytes(browser.screenshot())
    assert "Mixto: " in found["popup"] and "Reciclables: " in found["popup"], found
