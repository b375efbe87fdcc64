"""The public map tells each block the truth from its own GPS evidence.

A plan is stored in the service and a truck drives its route with pings, skipping one block that
lies off its way while serving another block of the same street in the same hour. The page must
say "Hoy no pasó" on the skipped block (rescheduled once a plan job carries it over), "Último
paso" on the blocks driven, and never "Último paso" on a block that was not driven, however many
blocks of its street and hour were.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tracks import drive

from basuracero.data import DEMO_AREA
from basuracero.fleet.progress import local_moment
from basuracero.maps.output import copy_static
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayPlan, DayRequest, plan_day
from basuracero.service import create_app
from tests.fleet.conftest import admin_headers, make_settings

AREA = bundled_areas()[DEMO_AREA]
DAY = date(2026, 11, 30)  # in the past: the service refuses pings from the future
AT = "2026-11-30T20:00:00-05:00"  # that evening in the area, every route over
DRIVE_ON = 12  # blocks served after the skipped one: far enough ahead for it to count as missed
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "maps"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("cache")
    mp.setenv("BASURACERO_CACHE_DIR", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def day(cache_dir: Path) -> DayPlan:
    request = DayRequest(service_date=DAY, time_limit_s=2, seed=0)
    return plan_day(DayInputs.of_area(AREA), request, area=AREA)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("fleet") / "fleet.db"
    settings = make_settings(f"sqlite:///{database}", embedded_worker=False)  # jobs stay queued
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def collecting(route: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in route["visits"] if v["kind"] in ("depot_start", "stop", "street")]


def off_the_way(day: DayPlan, visits: list[dict[str, Any]], k: int) -> bool:
    """Whether the drive from the visit before ``k`` to the one after leaves ``k``'s street."""
    street = day.scenario.streets[visits[k]["id"]].edge
    twin = int(day.scenario.graph.edge_reverse[street])
    leg = day.scenario.matrix.leg(visits[k - 1]["id"], visits[k + 1]["id"])
    return not {street, twin} & {step.edge for step in leg.steps}


def skip_plan(day: DayPlan) -> tuple[dict[str, Any], int, list[str]]:
    """A route, the index of the block to skip (a street off the way, early enough to be passed
    by DRIVE_ON more) and the earlier blocks of the same street and hour that will be driven,
    longest first: of the candidates, the one whose driven block is longest, so that the GPS
    has enough fixes on it to call it served."""
    places = day.document["places"]
    candidates = []
    for route in day.document["routes"]:
        visits = collecting(route)
        for k in range(2, len(visits) - DRIVE_ON - 1):
            skipped = visits[k]
            if skipped["kind"] != "street":
                continue
            name, hour = places[skipped["id"]]["name"], skipped["arrival_s"] // 3600
            same = [
                v["id"] for v in visits[1:k]
                if v["kind"] == "street" and places[v["id"]]["name"] == name
                and v["arrival_s"] // 3600 == hour
            ]  # fmt: skip
            if same and name and off_the_way(day, visits, k):
                same.sort(key=lambda block: -block_length(day, block))
                candidates.append((block_length(day, same[0]), route["vehicle_id"], k, route, same))
    if not candidates:
        raise AssertionError("no block of a street and hour off the way of the route's drive")
    *_, k, route, same = max(candidates, key=lambda c: c[:3])
    return route, k, same


def block_length(day: DayPlan, block: str) -> float:
    return float(day.scenario.graph.edge_length_m[day.scenario.streets[block].edge])


def page_blocks(html: str) -> dict[str, dict[str, Any]]:
    """Each block's properties, from the GeoJSON embedded in the page."""
    decoder = json.JSONDecoder()
    blocks = {}
    for call in re.finditer(r"geo_json_\w+_add\(", html):
        data, _ = decoder.raw_decode(html, call.end())
        for feature in data.get("features", []):
            if "popup" in feature.get("properties", {}):
                blocks[feature["id"]] = feature["properties"]
    return blocks


@pytest.fixture(scope="module")
def driven(client: TestClient, day: DayPlan) -> dict[str, Any]:
    """The plan stored with a truck assigned, its pings sent, its progress read back."""
    route, k, siblings = skip_plan(day)
    device = client.post("/api/v1/devices", json={"name": "C1"}, headers=admin_headers()).json()
    body = {"date": DAY.isoformat(), "plan": json.loads(json.dumps(day.document)),
            "assignments": {route["vehicle_id"]: device["id"]}}  # fmt: skip
    created = client.post("/api/v1/plans", json=body, headers=admin_headers())
    assert created.status_code == 201, created.text
    visits = collecting(route)
    ids = [v["id"] for v in visits[:k] + visits[k + 1 : k + 1 + DRIVE_ON]]
    start = local_moment(DAY, route["visits"][0]["departure_s"], AREA.tz)
    lonlat, times = drive(day.scenario, ids, start, seed=5)
    pings = [{"time": float(t), "lat": float(lat), "lon": float(lon)}
             for (lon, lat), t in zip(lonlat.tolist(), times.tolist(), strict=True)]  # fmt: skip
    sent = client.post("/api/v1/pings", json={"pings": pings},
                       headers={"Authorization": f"Bearer {device['token']}"})  # fmt: skip
    assert sent.json()["accepted"] == len(pings)
    plan_id = created.json()["id"]
    progress = client.get(f"/api/v1/plans/{plan_id}/progress", params={"at": AT}).json()
    status = {s["id"]: s["status"] for r in progress["routes"] for s in r["stops"]}
    # a noisy fix can leave a short block "sin datos suficientes": take one the GPS shows served
    sibling = next((s for s in reversed(siblings) if status.get(s) == "served"), siblings[-1])
    return {"plan_id": plan_id, "skipped": visits[k]["id"], "sibling": sibling,
            "status": status, "driven": set(ids)}  # fmt: skip


def test_a_skipped_block_says_the_truck_did_not_come(
    client: TestClient, day: DayPlan, driven: dict[str, Any]
) -> None:
    skipped, sibling, status = driven["skipped"], driven["sibling"], driven["status"]
    assert status[skipped] == "missed" and status[sibling] == "served", (skipped, sibling)
    page = client.get(f"/coverage/{driven['plan_id']}", params={"at": AT})
    assert page.status_code == 200, page.text
    blocks = page_blocks(page.text)
    assert "Hoy no pasó" in blocks[skipped]["popup"] and blocks[skipped]["status"] == "missed"
    assert "Último paso" not in blocks[skipped]["popup"]
    assert re.search(r"Último paso: hoy \d{2}:\d{2}", blocks[sibling]["popup"])
    assert "reprogramado" not in blocks[skipped]["popup"]  # no plan job carries it yet


def test_only_blocks_with_their_own_pass_say_last_pass(
    client: TestClient, day: DayPlan, driven: dict[str, Any]
) -> None:
    """Every block's line follows its own progress: no "Último paso" from its street's name."""
    blocks = page_blocks(client.get(f"/coverage/{driven['plan_id']}", params={"at": AT}).text)
    places = day.document["places"]
    groups: dict[tuple[str, str], set[str]] = {}
    for block_id, props in blocks.items():
        state = driven["status"].get(block_id)
        passed = "Último paso" in props["popup"]
        assert passed == (state == "served"), (block_id, state, props["popup"])
        if state == "missed":
            assert "Hoy no pasó" in props["popup"], block_id
        if state == "unknown":
            assert "Sin datos suficientes" in props["popup"], block_id
        hours = props["search"].rsplit(" · ", 1)[-1]
        groups.setdefault((places[block_id]["name"], hours), set()).add(str(state))
    mixed = [key for key, states in groups.items() if "served" in states and len(states) > 1]
    assert mixed  # the old map gave all of these blocks the served one's last pass


def test_a_carried_over_block_says_when_it_is_rescheduled(
    client: TestClient, driven: dict[str, Any]
) -> None:
    tomorrow = (DAY + timedelta(days=1)).isoformat()
    job = client.post(
        "/api/v1/plan-jobs",
        json={"area": AREA.id, "date": tomorrow, "carry_over_from": driven["plan_id"]},
        headers=admin_headers(),
    )
    assert job.status_code in (200, 202), job.text
    page = client.get(f"/coverage/{driven['plan_id']}", params={"at": AT})
    blocks = page_blocks(page.text)
    assert "Hoy no pasó: reprogramado para mañana" in blocks[driven["skipped"]]["popup"]
    english = page_blocks(
        client.get(f"/coverage/{driven['plan_id']}", params={"at": AT, "lang": "en"}).text
    )
    assert "Not collected today: rescheduled for tomorrow" in english[driven["skipped"]]["popup"]
    assert "Last pass: today" in english[driven["sibling"]]["popup"]


def test_the_public_page_in_a_browser(
    client: TestClient, driven: dict[str, Any], tmp_path: Path
) -> None:
    """The service's own page, with its assets beside it, on a phone: the skipped block found
    by typing part of its name shows that the truck did not come."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "maps"))
    from headless_chrome import Chromium, find_chromium

    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium not installed (Debian: apt-get install -y chromium)")
    html = client.get(f"/coverage/{driven['plan_id']}", params={"at": AT}).text
    copy_static(tmp_path)
    page = tmp_path / "coverage.html"
    page.write_text(html.replace('"/static/', '"static/'), encoding="utf-8")
    label = page_blocks(html)[driven["skipped"]]["search"].rsplit(" · ", 1)[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with Chromium(binary) as browser:
        browser.viewport(412, 915, mobile=True)
        report = browser.open(page, "document.querySelectorAll('.leaflet-interactive').length")
        # The service's page shows OSM tiles; this browser has no network to fetch them.
        errors = [e for e in report.errors if "tile.openstreetmap.org" not in e]
        assert errors == [] and report.value > 100, errors
        browser.evaluate("document.querySelector('.leaflet-control-search input').focus()")
        browser.type_text(label.lower())
        browser.press_enter()
        time.sleep(0.5)
        popup = browser.evaluate("document.querySelector('.leaflet-popup-content').innerText")
        (ARTIFACTS / "service_coverage_skipped-phone.png").write_bytes(browser.screenshot())
    assert "Hoy no pasó" in popup, popup
