"""The day's loop in a real browser (Playwright driving Debian's chromium, offline):

log in as a manager, plan today through a job and publish it, send simulated pings for one
truck, watch its marker move and its progress bar change without a reload, see an off-route
alert, close the day, carry a miss over and see it in the next plan job. No console errors;
screenshots at 1366×768 and 390×844 in ``artifacts/console/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from day_helpers import ADMIN, ADMIN_TOKEN, AREA, PASSWORD, street_pings

from basuracero.console.live import local_today
from basuracero.planning.area import bundled_areas

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "console"
DEMO = bundled_areas()[AREA]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``basuracero serve`` on a fresh database, with a manager ``ana``; its base URL."""
    folder = tmp_path_factory.mktemp("console-e2e")
    db = f"sqlite:///{folder / 'console.db'}"
    env = {**os.environ, "BASURACERO_ADMIN_TOKEN": ADMIN_TOKEN, "BASURACERO_JOB_HEARTBEAT_S": "0.5"}
    subprocess.run(
        [sys.executable, "-m", "basuracero.cli", "user", "add", "ana", "--role", "manager",
         "--area", AREA, "--db", db, "--password-stdin"],
        input=PASSWORD + "\n", text=True, check=True, env=env, cwd=folder,
    )  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "basuracero.cli", "serve", "--db", db, "--port", str(port)],
        env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"the service did not start: {process.stderr.read()}")
    yield base
    process.terminate()  # an event stream still open holds a graceful stop: then kill it
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def send(base: str, token: str, pings: list[dict[str, float]]) -> None:
    answer = httpx.post(f"{base}/api/v1/pings", json={"pings": pings},
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip
    assert answer.status_code == 200 and answer.json()["accepted"] == len(pings), answer.text


def far_point(base: str, plan_id: int) -> tuple[float, float]:
    """A place of the district 150–400 m from C1's whole planned path (an off-route truck)."""
    import numpy as np
    import shapely

    from basuracero.api.progress import streets_for

    document = httpx.get(f"{base}/api/v1/plans/{plan_id}", timeout=30).json()["plan"]
    graph = streets_for(DEMO.streets).graph
    route = next(r for r in document["routes"] if r["vehicle_id"] == "C1")
    places = document["places"]
    served = [places[v["id"]] for v in route["visits"] if v["id"] in places]
    path = shapely.MultiPoint(graph.to_xy(np.array([[p["lon"], p["lat"]] for p in served])))
    starts = shapely.get_point(graph.edge_geometry, 0)
    gaps = shapely.distance(starts, path)
    index = int(np.flatnonzero((gaps > 200) & (gaps < 400))[0])
    lon, lat = graph.to_lonlat(shapely.get_coordinates(starts[index]))[0]
    return float(lon), float(lat)


def watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/hoy?area=*")


def test_plan_publish_follow_close_and_carry_over(server: str) -> None:
    base = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone = httpx.post(f"{base}/api/v1/devices", json={"name": "cel C1", "vehicle": "C1"},
                       headers=ADMIN, timeout=30).json()  # fmt: skip
    today = local_today(DEMO).isoformat()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        errors = watch_errors(page)
        log_in(page, base)

        # Planificar: today's plan through a job (3 s of search), then publish it.
        page.goto(f"{base}/planificar?area={AREA}&date={today}&tiles=none")
        page.fill("input[name=time_limit_s]", "3")
        page.click("#start-plan")
        page.wait_for_selector("#truck-table tbody tr", timeout=180_000)
        page.wait_for_function(
            "document.querySelectorAll('#plan-map .leaflet-interactive').length > 50"
        )
        page.click("#publish")
        page.wait_for_selector("#publish-status a[href^='/coverage/']")
        page.screenshot(path=str(ARTIFACTS / "planificar-1366.png"), full_page=True)
        plan_id = int(page.get_attribute("#result", "data-plan-id"))
        assert "Publicado" in page.inner_text("#publish-status")

        # Hoy: the truck's marker and progress move without a reload.
        page.goto(f"{base}/hoy?area={AREA}&tiles=none")
        page.wait_for_selector("#truck-C1")
        assert page.get_attribute("#truck-C1", "data-served") == "0"
        page.evaluate("window.__sameDocument = true")
        now = datetime.now(UTC).timestamp()
        document = httpx.get(f"{base}/api/v1/plans/{plan_id}", timeout=30).json()["plan"]
        route = [*range(0, 6), *range(14, 24)]  # streets 6 to 13 skipped: not served
        send(base, phone["token"], street_pings(document, "C1", route, end=now - 300))
        page.wait_for_selector(".truck-marker", timeout=15_000)
        first = page.get_attribute(".truck-marker", "data-lat")
        page.wait_for_function(
            "Number(document.querySelector('#truck-C1').dataset.served) > 0", timeout=30_000
        )
        lon, lat = far_point(base, plan_id)
        off = [{"time": now - 240 + 20 * k, "lon": lon + 2e-5 * (k % 2), "lat": lat}
               for k in range(13)]  # fmt: skip
        send(base, phone["token"], off)
        page.wait_for_function(
            f"document.querySelector('.truck-marker').dataset.lat === '{lat}'", timeout=15_000
        )
        assert page.get_attribute(".truck-marker", "data-lat") != first
        page.wait_for_selector("#truck-C1 .alert-off_route", timeout=30_000)
        assert page.evaluate("window.__sameDocument") is True  # never reloaded
        page.click("#truck-C1")
        page.wait_for_selector("#stop-list li.served")
        page.wait_for_timeout(800)  # the map's zoom animation
        page.screenshot(path=str(ARTIFACTS / "hoy-1366.png"))

        # Cierre del día: a miss, its reason, and "Pasar a mañana" into the next plan job.
        page.goto(f"{base}/cierre?area={AREA}&date={today}")
        row = "table.misses tbody tr:first-child"  # missed, or unknown (the GPS cannot tell)
        page.wait_for_selector(row)
        page.select_option(f"{row} select[name=reason]", "calle_cerrada")
        page.click(f"{row} button[type=submit]")
        page.wait_for_selector(f"{row} .saved")
        page.screenshot(path=str(ARTIFACTS / "cierre-1366.png"), full_page=True)
        page.click("#carry-over")
        page.wait_for_url("**/planificar?*traer=*")
        page.wait_for_selector(".carried-note:not([hidden])", timeout=180_000)
        assert f"#{plan_id}" in page.inner_text(".carried-note")
        page.screenshot(path=str(ARTIFACTS / "planificar-traer-1366.png"), full_page=True)

        # A phone: the same pages fit 390×844.
        phone_page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
        errors += watch_errors(phone_page)
        log_in(phone_page, base)
        phone_page.goto(f"{base}/hoy?area={AREA}&tiles=none")
        phone_page.wait_for_selector("#truck-C1 .alert-off_route", timeout=30_000)
        phone_page.screenshot(path=str(ARTIFACTS / "hoy-390.png"), full_page=True)
        phone_page.goto(f"{base}/cierre?area={AREA}&date={today}")
        phone_page.screenshot(path=str(ARTIFACTS / "cierre-390.png"))
        phone_page.goto(page.url + "&tiles=none")  # Planificar of tomorrow, misses carried
        phone_page.wait_for_selector(".carried-note:not([hidden])", timeout=60_000)
        phone_page.screenshot(path=str(ARTIFACTS / "planificar-390.png"))
        browser.close()
    assert errors == [], errors
