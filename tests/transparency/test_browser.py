"""/transparencia and /open-data/ in a real headless Chromium over HTTP, offline: no console
errors, the four charts drawn, in Spanish and English, on a phone and an office screen;
screenshots in artifacts/transparency/ for a person to look at."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from headless_chrome import Chromium, find_chromium
from transparency_helpers import AREA, make_app, seed_closed_days

from basuracero.fleet.store import Store

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "transparency"
CHROMIUM = find_chromium()
VIEWPORTS = {"phone": (390, 844, True), "office": (1366, 768, False)}
CHARTS = (
    "['coverage','tonnes','diversion','reports']"
    ".filter(k => Chart.getChart(document.getElementById('chart-' + k))).length"
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service on a free local port, with a year of closed days of the demo's area."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('web') / 'fleet.db'}")
    today = datetime.now(UTC).astimezone(ZoneInfo("America/Lima")).date()
    seed_closed_days(store, AREA, today, 365, coverage_pct=98.4, coverage_on_schedule_pct=97.2)
    port = free_port()
    config = uvicorn.Config(make_app(store), host="127.0.0.1", port=port, log_level="warning")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not web.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(timeout=10)
    store.close()


def loopback_only_chromium(folder: Path) -> str:
    """A launcher for Chromium that reaches this machine's loopback and nothing else: the shared
    helper sends loopback through a dead proxy (its pages are files); these pages are served
    over HTTP, so the launcher drops the proxy and resolves every other host to nowhere."""
    script = folder / "chromium-loopback"
    script.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do shift; case "$a" in --proxy-*) ;; *) set -- "$@" "$a";; esac; done\n'
        f'exec {CHROMIUM} --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(0o755)
    return str(script)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    assert CHROMIUM is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    launcher = loopback_only_chromium(tmp_path_factory.mktemp("chromium"))
    with Chromium(launcher) as chromium:
        yield chromium


def visit(browser: Chromium, url: str, expression: str) -> tuple[list[str], object]:
    """Load a page over HTTP; its console errors and ``expression``'s value once settled."""
    browser.events.clear()
    browser.call("Page.navigate", url=url)
    browser._wait_event("Page.loadEventFired", timeout=60)
    time.sleep(0.8)
    value = browser.evaluate(expression)
    browser.evaluate("0")  # drain the events that arrived meanwhile
    errors = []
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            errors.append(json.dumps(params.get("args", []))[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            errors.append(json.dumps(params["entry"])[:300])
    return errors, value


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_page_and_its_charts_load_without_errors(server, browser, lang, size) -> None:
    width, height, mobile = VIEWPORTS[size]
    browser.viewport(width, height, mobile=mobile)
    errors, drawn = visit(browser, f"{server}/transparencia?area={AREA}&lang={lang}", CHARTS)
    assert errors == []
    assert drawn == 4
    widest = browser.evaluate(
        "Math.max(...[...document.querySelectorAll('main > *, .chart')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert widest <= width, "the page is wider than the screen"  # tables scroll in their box
    heading = browser.evaluate("document.querySelector('h1').innerText")
    assert heading.startswith("Lo que realmente" if lang == "es" else "What the cleaning")
    (ARTIFACTS / f"transparencia-{lang}-{size}.png").write_bytes(browser.screenshot())
    browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    browser.evaluate("document.getElementById('months').scrollIntoView()")
    (ARTIFACTS / f"transparencia-charts-{lang}-{size}.png").write_bytes(browser.screenshot())


def test_the_open_data_page_loads_and_links_packages(server, browser) -> None:
    browser.viewport(*VIEWPORTS["phone"])
    links = (
        "[...document.querySelectorAll('a')]"
        ".filter(a => a.href.endsWith('datapackage.json')).length"
    )
    errors, found = visit(browser, f"{server}/open-data/", links)
    assert errors == [] and found == 2
    (ARTIFACTS / "open-data-es-phone.png").write_bytes(browser.screenshot())
