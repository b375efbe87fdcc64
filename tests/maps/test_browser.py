"""Both maps in a real headless Chromium, offline: no console errors, layers drawn, screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from headless_chrome import Chromium, find_chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "maps"
COUNT = "document.querySelectorAll('.leaflet-interactive').length"
CHROMIUM = find_chromium()


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (Debian: apt-get install -y chromium)"
)
def test_maps_render_in_chromium(demo_out: Path) -> None:
    assert CHROMIUM is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with Chromium(CHROMIUM) as browser:
        for name in ("routes_map", "coverage_map"):
            report = browser.open(demo_out / f"{name}.html", COUNT)
            (ARTIFACTS / f"{name}.png").write_bytes(report.screenshot)
            assert report.errors == [], name
            assert isinstance(report.value, int) and report.value > 10, (name, report.value)
            assert report.screenshot.startswith(b"\x89PNG")
        search = browser.open(
            demo_out / "coverage_map.html",
            "document.querySelectorAll('.leaflet-control-search').length",
        )
        assert search.value == 1
