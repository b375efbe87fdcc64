"""The report page in a real headless Chromium on a phone (390×844) and an office screen: the
map draws the area's streets, a tap puts the pin, the form is sent and the ticket shown; the
form also works without JavaScript. Screenshots go to artifacts/reports/ for a person to see."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from headless_chrome import Chromium, find_chromium, live_server
from reporting import settings

from basuracero.api.report_intake import RateLimit
from basuracero.service import create_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"
CHROMIUM = find_chromium()
STREETS = "document.querySelectorAll('.leaflet-overlay-pane path').length"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service on a free local port, in a thread."""
    app = create_app(settings(tmp_path_factory.mktemp("page")))
    app.state.report_limit = RateLimit(limit=100)
    with live_server(app) as url:
        yield url




def wait_for(browser: Chromium, expression: str, timeout: float = 20) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.evaluate(expression)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{expression} still false after {timeout} s")


def tap(browser: Chromium, x: float, y: float, touch: bool) -> None:
    """A finger's tap on a phone, a mouse click on a desktop."""
    if touch:
        browser.call("Input.dispatchTouchEvent", type="touchStart", touchPoints=[{"x": x, "y": y}])
        browser.call("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])
        return
    for kind in ("mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize(
    ("kind", "width", "height", "mobile"), [("phone", 390, 844, True), ("office", 1366, 768, False)]
)
def test_pin_submit_and_see_the_ticket(
    server: str, kind: str, width: int, height: int, mobile: bool
) -> None:
    assert CHROMIUM is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with Chromium(CHROMIUM, width, height, local_server=True) as browser:
        browser.viewport(width, height, mobile)
        browser.call("Page.navigate", url=f"{server}/reportar")
        wait_for(browser, f"{STREETS} > 50")  # the area's streets drawn, from our own server
        (ARTIFACTS / f"form-{kind}.png").write_bytes(browser.screenshot())
        browser.evaluate("document.querySelector('input[value=punto-critico]').click()")
        browser.evaluate("document.getElementById('map').scrollIntoView({block: 'center'})")
        time.sleep(0.3)
        rect = json.loads(
            str(
                browser.evaluate(
                    "JSON.stringify(document.getElementById('map').getBoundingClientRect())"
                )
            )
        )
        tap(browser, rect["x"] + rect["width"] / 2, rect["y"] + rect["height"] / 2, mobile)
        lat = wait_for(browser, "document.getElementById('lat').value")
        assert -8.2 < float(str(lat)) < -8.0
        assert wait_for(browser, "document.getElementById('pin-state').textContent")
        (ARTIFACTS / f"form-pinned-{kind}.png").write_bytes(browser.screenshot())
        browser.evaluate("document.getElementById('description').focus()")
        browser.type_text("Montón de basura en la esquina")
        browser.evaluate("document.getElementById('send').click()")
        ticket = wait_for(browser, "(document.getElementById('ticket') || {}).textContent")
        assert str(ticket).isdigit()
        assert "Punto crítico" in str(browser.evaluate("document.body.innerText"))
        (ARTIFACTS / f"ticket-{kind}.png").write_bytes(browser.screenshot())
        errors = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"]
        assert errors == []


def test_the_form_works_without_javascript_and_switches_to_english(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path))
    with TestClient(app) as client:
        form = client.get(
            "/reportar", params={"lat": -8.08, "lon": -79.03, "service": "recojo-no-realizado"}
        )
        assert form.status_code == 200 and "Reportar un problema" in form.text
        assert 'value="recojo-no-realizado" required\n      checked' in form.text
        assert 'name="website"' in form.text and "<datalist" in form.text
        english = client.get("/reportar", params={"lang": "en"})
        assert "Report a problem" in english.text and "Missed collection" in english.text
        sent = client.post(
            "/reportar",
            data={"service_code": "barrido", "lang": "en", "address_string": "17 de marzo"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        ticket = client.get(sent.headers["location"])
        assert "Report no." in ticket.text and "Street sweeping" in ticket.text
        again = client.post(
            "/reportar", data={"service_code": "barrido", "lat": "-12.0", "long": "-77.0"}
        )
        assert again.status_code == 400 and "lat/long" in again.text
        assert 'value="barrido" required\n      checked' in again.text  # the choice is kept
