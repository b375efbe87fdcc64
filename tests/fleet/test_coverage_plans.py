"""The public coverage page of stored plans: the demo's door-to-door day and a corner-stops day.

Each plan is solved once per module and stored through the API as ``basuracero plan`` writes it;
the page must draw the same served streets the planner's own day view would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from basuracero.api import coverage
from basuracero.data import DEMO_AREA
from basuracero.maps.coverage_map import coverage_features, served_edges
from basuracero.maps.day import build_day, day_from_document
from basuracero.maps.i18n import get_lang
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayPlan, DayRequest, plan_day
from basuracero.service import create_app
from tests.fleet.conftest import admin_headers, make_settings

DAY = date(2026, 9, 24)
AREA = bundled_areas()[DEMO_AREA]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("cache")
    mp.setenv("BASURACERO_CACHE_DIR", str(path))
    yield path
    mp.undo()


def solve(corner_stops: bool) -> DayPlan:
    request = DayRequest(time_limit_s=2, seed=0, service_date=DAY)
    return plan_day(DayInputs.of_area(AREA, corner_stops=corner_stops), request, area=AREA)


@pytest.fixture(scope="module")
def door_to_door(cache_dir: Path) -> DayPlan:
    """The demo's default day: door-to-door streets plus a few point stops."""
    return solve(corner_stops=False)


@pytest.fixture(scope="module")
def corner_stops(cache_dir: Path) -> DayPlan:
    return solve(corner_stops=True)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[TestClient]:
    database = tmp_path_factory.mktemp("fleet") / "fleet.db"
    settings = make_settings(f"sqlite:///{database}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def store(client: TestClient, document: dict[str, Any]) -> int:
    """POST the plan.json exactly as written to disk (a JSON round trip)."""
    body = {"date": DAY.isoformat(), "plan": json.loads(json.dumps(document))}
    created = client.post("/api/v1/plans", json=body, headers=admin_headers())
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.fixture(scope="module")
def door_id(client: TestClient, door_to_door: DayPlan) -> int:
    return store(client, door_to_door.document)


@pytest.fixture(scope="module")
def corner_id(client: TestClient, corner_stops: DayPlan) -> int:
    return store(client, corner_stops.document)


def planned_features(plan: DayPlan, lang: str) -> list[dict]:
    """The served-street features of the planner's own day view (scenario and matrix)."""
    day = build_day(plan.document, plan.scenario)
    return [f for group in coverage_features(day, get_lang(lang)).values() for f in group]


def drawn_streets(html: str) -> int:
    """Street features in the page: one MultiLineString each in its embedded GeoJSON."""
    return html.count('"type": "MultiLineString"')


@pytest.mark.parametrize(
    ("lang", "title"), [("es", "¿Cuándo pasa el camión?"), ("en", "When does the truck come?")]
)
def test_door_to_door_plan_draws_its_streets(
    client: TestClient, door_to_door: DayPlan, door_id: int, lang: str, title: str
) -> None:
    page = client.get(f"/coverage/{door_id}", params={"lang": lang})
    assert page.status_code == 200, page.text
    assert title in page.text
    features = planned_features(door_to_door, lang)
    assert len(features) > 50  # the demo serves dozens of streets door to door
    assert drawn_streets(page.text) == len(features)
    document = door_to_door.document
    served = {
        document["places"][v["id"]]["name"]
        for route in document["routes"] for v in route["visits"] if v["kind"] == "street"
    } - {""}  # fmt: skip
    assert served and all(json.dumps(name)[1:-1] in page.text for name in served)


def test_points_only_plan_still_draws(
    client: TestClient, corner_stops: DayPlan, corner_id: int
) -> None:
    page = client.get(f"/coverage/{corner_id}")
    assert page.status_code == 200, page.text
    features = planned_features(corner_stops, "es")
    assert features and drawn_streets(page.text) == len(features)


def test_stored_plan_serves_the_planned_streets(door_to_door: DayPlan) -> None:
    """Rebuilt from plan.json and the streets only: the same street edges at the same times."""
    document = json.loads(json.dumps(door_to_door.document))
    stored = day_from_document(document, door_to_door.scenario.graph)
    planned = build_day(door_to_door.document, door_to_door.scenario)
    assert stored.tz.key == AREA.timezone
    assert {k: (v.time_s, v.vehicle_id) for k, v in served_edges(stored).items()} == {
        k: (v.time_s, v.vehicle_id) for k, v in served_edges(planned).items()
    }
    assert all(v.place and v.place.edge >= 0 for r in stored.routes for v in r.streets)


def test_a_second_request_reuses_the_day_view(
    client: TestClient, door_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day view is built once per plan; only the GPS overlay is computed per request.
    Counted in the server itself (no worker process), where the builds can be watched."""
    coverage._days.clear()
    builds: list[int] = []
    build = coverage.day_from_document

    def counted(*args: Any, **kwargs: Any) -> Any:
        builds.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(coverage, "day_from_document", counted)
    database = client.app.state.settings.database_url
    with TestClient(create_app(make_settings(database, public_read_processes=0))) as here:
        first = here.get(f"/coverage/{door_id}")
        again = here.get(f"/coverage/{door_id}", params={"lang": "en", "at": "2026-09-24T20:00Z"})
    assert first.status_code == again.status_code == 200
    assert len(builds) == 1


def test_day_cache_is_bounded_and_builds_each_key_once() -> None:
    cache = coverage.DayCache(size=2)
    built: list[str] = []

    def builder(key: str) -> Any:
        return lambda: built.append(key) or key

    for key in ("a", "b", "a", "c", "b"):
        assert cache.get(key, builder(key)) == key
    assert built == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came


def test_errors_stay_as_they_were(client: TestClient, door_id: int) -> None:
    assert client.get("/coverage/999999").status_code == 404
    wrong = client.get(f"/coverage/{door_id}", params={"lang": "fr"})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "lang"
    late = client.get(f"/coverage/{door_id}", params={"at": "not a time"})
    assert late.status_code == 422 and late.json()["error"]["field"] == "at"
