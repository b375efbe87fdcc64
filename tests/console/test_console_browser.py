"""The console in a real browser (Debian's headless Chromium over the DevTools protocol): an
admin logs in, opens Camiones y celulares, registers a phone, at office size (1366×768) and at
phone size (390×844), with no console errors. Screenshots go to ``artifacts/console/``."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from console_client import AREA, PASSWORD, USERS, settings_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "maps"))  # the CDP helper
from headless_chrome import Chromium, find_chromium, live_server

from basuracero.service import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
SIZES = {"office": (1366, 768, False), "phone": (390, 844, True)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(settings_for(tmp_path_factory.mktemp("browser")))
    for name, (role, areas) in USERS.items():
        app.state.users.add(name, role, areas, PASSWORD)
    with live_server(app) as url:
        yield url


def LocalChromium(binary: str, *, width: int, height: int) -> Chromium:
    """The maps' helper, able to reach the service on the loopback address (and nothing else)."""
    return Chromium(binary, width, height, local_server=True)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium installed")
    with LocalChromium(binary, width=1366, height=768) as browser:
        yield browser


def _load(browser: Chromium, action: str, **params: str) -> list[str]:
    """Navigate (``Page.navigate``) or run a script that submits a form; wait for the page to
    load and return the console errors and uncaught exceptions meanwhile."""
    browser.events.clear()
    if action == "navigate":
        browser.call("Page.navigate", url=params["url"])
    else:
        browser.call("Runtime.evaluate", expression=params["script"])
    browser._wait_event("Page.loadEventFired", timeout=60)
    time.sleep(0.5)
    browser.evaluate("0")  # drain the events that arrived meanwhile
    return _errors(browser.events)


def _errors(events: list[dict]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(json.dumps(params.get("exceptionDetails", {}))[:500])
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            found.append(json.dumps(params.get("args", []))[:500])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            found.append(json.dumps(params["entry"])[:500])
    return found


def _shot(browser: Chromium, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.png").write_bytes(browser.screenshot())


def _fill_and_submit(fields: dict[str, str], form: str) -> str:
    sets = "".join(
        f"document.querySelector({json.dumps(sel)}).value = {json.dumps(val)};"
        for sel, val in fields.items()
    )
    return f"{sets} document.querySelector({json.dumps(form)}).submit();"


@pytest.mark.parametrize("size", list(SIZES))
def test_an_admin_logs_in_and_registers_a_phone(server: str, chromium: Chromium, size: str) -> None:
    width, height, mobile = SIZES[size]
    chromium.viewport(width, height, mobile=mobile)
    chromium.call("Network.clearBrowserCookies")
    errors = _load(chromium, "navigate", url=f"{server}/login")
    _shot(chromium, f"login-{size}")
    login = _fill_and_submit({"#username": "ana", "#password": PASSWORD}, "form[action='/login']")
    errors += _load(chromium, "script", script=login)
    assert chromium.evaluate("location.pathname") == "/hoy"
    errors += _load(chromium, "navigate", url=f"{server}/camiones?area={AREA}")
    assert chromium.evaluate("document.querySelectorAll('table.trucks tbody th').length") == 3
    nav = chromium.evaluate(
        "Array.from(document.querySelectorAll('.mainnav a')).map(a => "
        "[a.textContent.trim(), a.getBoundingClientRect().bottom > 0 "
        "&& a.getBoundingClientRect().right <= window.innerWidth])"
    )
    assert [label for label, _ in nav] == [
        "Hoy", "Planificar", "Camiones y celulares", "Cierre del día", "Reportes"
    ]  # fmt: skip
    assert all(visible for _, visible in nav), nav  # the whole navigation on screen
    overflow = chromium.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page wider than the {size} screen by {overflow} px"
    _shot(chromium, f"camiones-{size}")
    register = _fill_and_submit(
        {"select[name='vehicle']": "C2", "input[name='name']": f"Celular {size}"},
        "form[action='/camiones/celulares']",
    )
    errors += _load(chromium, "script", script=register)
    url = chromium.evaluate("document.querySelector('#server-url').textContent")
    assert url.startswith(f"{server}/osmand/")
    assert chromium.evaluate("!!document.querySelector('.qr svg')")
    overflow = chromium.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"settings wider than the {size} screen by {overflow} px"
    _shot(chromium, f"camiones-token-{size}")
    assert errors == []
