"""Progress of a door-to-door route: a street is served when the truck drives along it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tracks import drive

from basuracero.api.progress import stop_places
from basuracero.cli.plan_cmd import DEMO, solve_scenario
from basuracero.fleet.matching import Matcher
from basuracero.fleet.progress import local_moment, route_progress
from basuracero.planning.day import DayInputs, load_scenario, plan_document
from basuracero.planning.door_to_door import DoorToDoor
from basuracero.planning.scenario import Scenario

TZ = ZoneInfo("America/Lima")  # the demo area's (area.toml)
DAY = date(2026, 11, 23)


def area_file(folder: Path) -> Path:
    lon, lat, half = -79.0234, -8.0829, 0.0015
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    path = folder / "area.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Scenario, dict, Matcher]:
    folder = tmp_path_factory.mktemp("d2d")
    mp = pytest.MonkeyPatch()
    mp.setenv("BASURACERO_CACHE_DIR", str(folder / "cache"))
    scenario = load_scenario(DayInputs(
        streets=DEMO / "streets.osm.pbf", sites=DEMO / "sites.csv", fleet=DEMO / "fleet.toml",
        max_snap_m=60, door_to_door=DoorToDoor(area_file(folder), kg_per_m=0.3),
    ))  # fmt: skip
    mp.undo()
    plan = plan_document(scenario, solve_scenario(scenario, 2, 1, quiet=True), DAY.isoformat())
    return scenario, plan, Matcher(scenario.graph, folder / "ubodt")


def test_streets_driven_are_served_and_the_rest_missed_at_night(world) -> None:
    scenario, plan, matcher = world
    route = plan["routes"][0]
    streets = [v["id"] for v in route["visits"] if v["kind"] == "street"]
    assert len(streets) > 10
    half = len(route["visits"]) // 2
    ids = [v["id"] for v in route["visits"][:half] if v["kind"] in ("depot_start", "street")]
    start = local_moment(DAY, route["visits"][0]["departure_s"], TZ)
    lonlat, times = drive(scenario, ids, start)
    where = stop_places(scenario.graph, plan["places"])  # as the service finds them
    assert set(streets) <= set(where)
    fixes = {"fixes_xy": scenario.graph.to_xy(lonlat), "fix_times": times}
    now = datetime.fromtimestamp(times[-1], tz=UTC)
    result = route_progress(route, DAY, where, matcher.match(lonlat, times), now, **fixes, tz=TZ)
    status = {s.id: s.status for s in result.stops}
    driven = [i for i in ids if i in streets]
    assert sum(status[i] == "served" for i in driven) >= 0.9 * len(driven)
    later = [i for i in streets if i not in driven]
    # A later street the legs drove along is served (the truck drove it); none is missed yet.
    assert later and all(status[i] in ("pending", "served") for i in later[3:])
    assert sum(status[i] == "pending" for i in later[3:]) >= 0.8 * len(later[3:])
    night = route_progress(route, DAY, where, matcher.match(lonlat, times),
                           now + timedelta(hours=14), **fixes, tz=TZ)
    after = {s.id: s for s in night.stops}
    # The device fell silent half way: what the truck had not reached is missed, and says so.
    tail = [i for i in later[3:] if status[i] == "pending"]
    assert all(after[i].status == "missed" for i in tail)
    assert all((after[i].reason or "").startswith("sin señal GPS desde") for i in tail)
