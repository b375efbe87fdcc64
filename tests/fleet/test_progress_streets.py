"""Progress of a door-to-door route: a street is served when the truck drives along it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import shapely
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


def test_the_way_round_a_street_reaches_its_far_end_in_its_bypass_time(world) -> None:
    """Every street of the plan: the way round it (``StopPlace.way_round``) gets from one end to
    the other in the time of its bypass, the shorter of the two ways for a two-way street, and
    no point of it is reached sooner from an end than a straight line at the graph's top speed
    allows."""
    scenario, plan, _ = world
    where = stop_places(scenario.graph, plan["places"])
    top = float(np.max(scenario.graph.edge_speed_kmh)) / 3.6
    checked = 0
    for place in where.values():
        if not place.whole_street or place.line is None or not 0 < place.bypass_s < 300:
            continue
        way = place.way_round
        assert way is not None and len(way.xy) > 0
        ends = shapely.get_coordinates(place.line)[[0, -1]]
        ways = (0, 1) if place.twin >= 0 else (0,)
        best = min(
            float(way.from_end[start][np.hypot(*(way.xy - ends[1 - start]).T) < 0.5].min())
            for start in ways
        )
        assert best == pytest.approx(place.bypass_s, abs=0.5)
        for start in ways:
            straight = np.hypot(*(way.xy - ends[start]).T) / top
            assert np.all(way.from_end[start] >= straight - 0.01)
        checked += 1
    assert checked > 10
