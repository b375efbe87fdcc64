"""Progress against the plan, from simulated trucks driving the demo's real streets."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pydantic import SecretStr
from shapely.geometry import LineString

from basuracero.api.progress import places_from_snapped
from basuracero.cli.plan_cmd import DEMO, solve_scenario
from basuracero.fleet.matching import Matcher, Traversal
from basuracero.fleet.progress import (
    UNSERVED_COLUMNS,
    StopPlace,
    local_moment,
    passes,
    route_progress,
    unserved_rows,
)
from basuracero.fleet.settings import Settings
from basuracero.fleet.simulate import track_along
from basuracero.geodata.sites import read_points
from basuracero.planning.day import DayInputs, load_scenario, plan_document
from basuracero.planning.scenario import Scenario
from basuracero.service import create_app

TZ = ZoneInfo("America/Lima")  # the demo area's (area.toml)
DAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, dict, Matcher]:
    """A one-truck plan over 40 demo stops, and a matcher on the demo streets."""
    cache = tmp_path_factory.mktemp("cache")
    import os

    os.environ["BASURACERO_CACHE_DIR"] = str(cache)
    scenario = load_scenario(DayInputs(
        streets=DEMO / "streets.osm.pbf", points=DEMO / "points.csv", sites=DEMO / "sites.csv",
        fleet=DEMO / "fleet.toml", max_snap_m=60,
    ))  # fmt: skip
    problem = scenario.problem
    keep = len(problem.depots) + len(problem.sites) + 40
    scenario.problem = replace(
        problem,
        vehicles=[problem.vehicles[0]],
        stops=list(problem.stops[:40]),
        duration_s=problem.duration_s[:keep, :keep],
        distance_m=problem.distance_m[:keep, :keep],
    )
    plan = plan_document(
        scenario, solve_scenario(scenario, time_limit_s=2, seed=3, quiet=True), DAY.isoformat()
    )
    return scenario, plan, Matcher(scenario.graph, cache / "ubodt")


def places_of(scenario: Scenario) -> dict[str, StopPlace]:
    return places_from_snapped(scenario.graph, scenario.snapped)


def drive(scenario: Scenario, ids: list[str], start: datetime, seed: int = 0):
    """A noisy GPS track along the fastest legs between the given places, at 4 m/s."""
    coords: list[list[float]] = []
    for a, b in itertools.pairwise(ids):
        coords.extend(shapely.get_coordinates(scenario.matrix.leg(a, b).geometry).tolist())
    xy, times = track_along(
        LineString(coords), start.timestamp(), 4.0, rng=np.random.default_rng(seed)
    )
    return scenario.graph.to_lonlat(xy), times


def test_full_drive_serves_every_stop(world) -> None:
    scenario, plan, matcher = world
    route = plan["routes"][0]
    ids = [v["id"] for v in route["visits"] if v["kind"] in ("depot_start", "stop")]
    start = local_moment(DAY, route["visits"][0]["departure_s"], TZ)
    lonlat, times = drive(scenario, ids, start)
    traversals = matcher.match(lonlat, times)
    now = datetime.fromtimestamp(times[-1], tz=UTC)
    result = route_progress(
        route,
        DAY,
        places_of(scenario),
        traversals,
        now,
        device_id=7,
        fixes_xy=scenario.graph.to_xy(lonlat),
        fix_times=times,
        tz=TZ,
    )
    counts = result.counts()
    assert counts["served"] >= 0.95 * len(result.stops)  # recall of served stops
    served_times = [s.served_at for s in result.stops if s.status == "served"]
    assert served_times[0] >= start - timedelta(seconds=60)
    assert all(s.device_id == 7 for s in [result])


def test_half_drive_leaves_pending_with_eta_and_then_missed(world) -> None:
    scenario, plan, matcher = world
    route = plan["routes"][0]
    ids = [v["id"] for v in route["visits"] if v["kind"] in ("depot_start", "stop")]
    half = len(ids) // 2
    start = local_moment(DAY, route["visits"][0]["departure_s"], TZ) + timedelta(minutes=20)
    lonlat, times = drive(scenario, ids[: half + 1], start, seed=1)
    traversals = matcher.match(lonlat, times)
    places = places_of(scenario)
    now = datetime.fromtimestamp(times[-1], tz=UTC)
    fixes = {"fixes_xy": scenario.graph.to_xy(lonlat), "fix_times": times}
    during = route_progress(route, DAY, places, traversals, now, **fixes, tz=TZ)
    statuses = {s.id: s for s in during.stops}
    tail = [i for i in ids[half + 3 :] if i in statuses]
    # None is missed yet; a later stop the truck drove past on the way may already be served.
    assert all(statuses[i].status in ("pending", "served") for i in tail)
    assert sum(statuses[i].status == "pending" for i in tail) >= 0.8 * len(tail)
    tail = [i for i in tail if statuses[i].status == "pending"]
    # started 20 minutes late; the simulated truck skips service times, so it catches up a bit
    assert during.delay_s is not None and during.delay_s > 5 * 60
    pending = [s for s in during.stops if s.status == "pending"]
    assert all(s.eta is not None and s.eta >= now for s in pending)
    assert all(s.eta >= s.planned_at for s in pending)

    evening = now + timedelta(hours=12)
    after = route_progress(route, DAY, places, traversals, evening, **fixes, tz=TZ)
    missed = [s.id for s in after.stops if s.status == "missed"]
    assert set(missed) >= set(tail)  # the device fell silent before the truck got there
    assert all(s.reason and s.reason.startswith("sin señal GPS desde") for s in after.stops
               if s.id in tail)  # fmt: skip
    rows = unserved_rows([after], plan, TZ)
    unserved = {s.id for s in after.stops if s.status in ("missed", "unknown")}
    assert {r["id"] for r in rows} == unserved >= set(missed)
    assert all(r["lon"] is not None and r["lat"] is not None for r in rows)
    assert all(r["kind"] == "stop" and r["task"] == "" and r["kg"] > 0 for r in rows)


def test_a_pass_ahead_of_the_plan_does_not_make_the_rest_missed() -> None:
    """Leaving the depot past stop 9 must not turn stops 1-8 into missed ones."""
    visits = [{"id": "D", "kind": "depot_start", "arrival_s": 21600, "departure_s": 21600}]
    visits += [{"id": f"s{k}", "kind": "stop", "arrival_s": 22000 + 300 * k,
                "departure_s": 22060 + 300 * k} for k in range(10)]
    visits.append({"id": "D", "kind": "depot_end", "arrival_s": 30000, "departure_s": 30000})
    places = {f"s{k}": StopPlace(edge=k, offset_m=50.0, length_m=100.0) for k in range(10)}
    start = local_moment(DAY, 21600, TZ).timestamp()
    traversals = [Traversal(9, 0.0, 100.0, start + 60, start + 80)]  # s9 on the way out
    traversals += [Traversal(k, 0.0, 100.0, start + 400 + 300 * k, start + 420 + 300 * k)
                   for k in range(3)]
    now = datetime.fromtimestamp(start + 1300, tz=UTC)
    route = {"vehicle_id": "T", "visits": visits}
    result = route_progress(route, DAY, places, traversals, now, tz=TZ)
    status = {s.id: s.status for s in result.stops}
    assert [status[f"s{k}"] for k in range(3)] == ["served"] * 3
    assert status["s9"] == "served"
    assert all(status[f"s{k}"] == "pending" for k in range(3, 9))
    assert result.delay_s is not None and abs(result.delay_s) < 15 * 60  # measured at s2


def test_a_door_to_door_street_needs_driving_most_of_it() -> None:
    street = StopPlace(edge=4, offset_m=60.0, length_m=120.0, twin=5, xy=(0.0, 0.0),
                       whole_street=True)
    corner = [Traversal(4, 40.0, 70.0, 1000.0, 1010.0)]  # crossing the middle, 30 m of it
    assert passes(corner, street) is None
    assert passes(corner, replace(street, whole_street=False)) is not None  # a point stop
    along = [Traversal(5, 0.0, 120.0, 2000.0, 2060.0)]  # the whole street, the other way
    assert passes(along, street) == pytest.approx(2030.0)
    visits = [{"id": "D", "kind": "depot_start", "arrival_s": 0, "departure_s": 0},
              {"id": "S1:0", "kind": "street", "task": "S1", "arrival_s": 600,
               "departure_s": 700},
              {"id": "D", "kind": "depot_end", "arrival_s": 900, "departure_s": 900}]
    start = local_moment(DAY, 0, TZ).timestamp()
    fix_near = np.array([[0.0, 5.0]])  # a fix 5 m from the middle: not enough for a street
    result = route_progress({"vehicle_id": "T", "visits": visits}, DAY, {"S1:0": street}, [],
                            datetime.fromtimestamp(start + 800, tz=UTC), fixes_xy=fix_near,
                            fix_times=np.array([start + 650]), tz=TZ)
    assert [s.status for s in result.stops] == ["pending"]


def test_no_track_nothing_served(world) -> None:
    scenario, plan, _ = world
    route = plan["routes"][0]
    early = local_moment(DAY, route["visits"][0]["departure_s"], TZ)
    result = route_progress(route, DAY, places_of(scenario), [], early, tz=TZ)
    assert result.counts()["served"] == 0
    assert result.counts()["pending"] == len(result.stops)


def test_simulated_track_spacing() -> None:
    """The simulator itself: points at the asked spacing, times increasing."""
    line = LineString([(0, 0), (1000, 0)])
    xy, times = track_along(line, 100.0, 5.0, every_s=4.0, noise_m=0.0)
    assert len(xy) == 51 and np.allclose(np.diff(xy[:, 0]), 20.0)
    assert np.all(np.diff(times) > 0)


@dataclass
class Served:
    """A service with one device driving the plan's first route."""

    client: TestClient
    plan_id: int
    token: str
    route: dict


@pytest.fixture
def served(world, tmp_path: Path) -> Iterator[Served]:
    _, plan, _ = world
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'fleet.db'}",
        admin_token=SecretStr("adm-token-for-tests-0123456789abcdef"),
    )
    admin = {"Authorization": "Bearer adm-token-for-tests-0123456789abcdef"}
    with TestClient(create_app(settings)) as client:
        device = client.post("/api/v1/devices", json={"name": "C1"}, headers=admin).json()
        route = plan["routes"][0]
        body = {
            "date": DAY.isoformat(),
            "plan": plan,
            "assignments": {route["vehicle_id"]: device["id"]},
        }
        plan_id = client.post("/api/v1/plans", json=body, headers=admin).json()["id"]
        yield Served(client, plan_id, device["token"], route)


def send_drive(world, served: Served, count: int, seed: int) -> np.ndarray:
    """Drive the first ``count`` places of the route and send the fixes; returns their times."""
    scenario = world[0]
    route = served.route
    ids = [v["id"] for v in route["visits"] if v["kind"] in ("depot_start", "stop")]
    start = local_moment(DAY, route["visits"][0]["departure_s"], TZ)
    lonlat, times = drive(scenario, ids[:count], start, seed=seed)
    pings = [
        {"time": float(t), "lat": float(lat), "lon": float(lon)}
        for (lon, lat), t in zip(lonlat.tolist(), times.tolist(), strict=True)
    ]
    sent = served.client.post(
        "/api/v1/pings", json={"pings": pings}, headers={"Authorization": f"Bearer {served.token}"}
    )
    assert sent.json()["accepted"] == len(pings)
    return times


def test_progress_and_missed_through_the_service(world, served: Served, tmp_path: Path) -> None:
    """Plan stored, device assigned, pings sent: the public progress endpoint sees the drive."""
    client, plan_id = served.client, served.plan_id
    ids = [v["id"] for v in served.route["visits"] if v["kind"] in ("depot_start", "stop")]
    times = send_drive(world, served, len(ids) // 2 + 1, seed=2)
    at = datetime.fromtimestamp(times[-1], tz=UTC).isoformat()
    report = client.get(f"/api/v1/plans/{plan_id}/progress", params={"at": at}).json()
    totals = report["totals"]
    assert totals["served"] >= len(ids) // 2 - 2
    assert totals["pending"] > 0
    assert report["last_served_by_street"]
    streets = report["routes"][0]["streets"]
    assert sum(s["stops"] for s in streets) == len(ids) - 1  # every planned stop, by street
    assert any(s["covered"] for s in streets) and not all(s["covered"] for s in streets)
    evening = (datetime.fromtimestamp(times[-1], tz=UTC) + timedelta(hours=12)).isoformat()
    csv_text = client.get(f"/api/v1/plans/{plan_id}/missed.csv", params={"at": evening}).text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,lon,lat,street,missed_vehicle,planned_at,")
    assert lines[0] == ",".join(UNSERVED_COLUMNS)
    assert len(lines) - 1 == totals["pending"] + totals["missed"] + totals["unknown"]
    path = tmp_path / "missed.csv"
    path.write_text(csv_text, encoding="utf-8")
    assert len(read_points(path)) == len(lines) - 1  # a valid points file for tomorrow


def test_public_coverage_map_shows_last_pass(world, served: Served) -> None:
    """The coverage page of a stored plan tells neighbours when the truck last passed."""
    client, plan_id = served.client, served.plan_id
    last_pass = json.dumps("Último paso")[1:-1]  # as the page's embedded GeoJSON spells it
    before = client.get(f"/coverage/{plan_id}")
    assert before.status_code == 200
    assert "¿Cuándo pasa el camión?" in before.text and last_pass not in before.text
    times = send_drive(world, served, 10, seed=4)
    at = datetime.fromtimestamp(times[-1], tz=UTC).isoformat()
    after = client.get(f"/coverage/{plan_id}", params={"at": at})
    assert after.status_code == 200 and last_pass in after.text
    assert client.get("/static/leaflet/leaflet.js").status_code == 200
