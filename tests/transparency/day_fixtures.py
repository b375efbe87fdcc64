"""The hand-made day shared by the transparency tests: a door-to-door plan on the demo's real
streets, a truck whose GPS drives a third of its streets and never nears some others."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import LineString
from transparency_helpers import AREA, admin, make_app

from basuracero.cli.plan_cmd import DEMO, solve_scenario
from basuracero.fleet.pings import Ping
from basuracero.fleet.progress import local_moment
from basuracero.fleet.simulate import track_along
from basuracero.fleet.store import Store
from basuracero.planning.day import DayInputs, load_scenario, plan_document
from basuracero.planning.door_to_door import DoorToDoor

TZ = ZoneInfo("America/Lima")
DAY = date(2026, 11, 19)  # a Thursday, long past: its routes are over
FAR_M = 120.0  # a street this far from every fix was surely not driven


def area_file(folder: Path) -> Path:
    lon, lat, half = -79.0234, -8.0829, 0.0015
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]  # fmt: skip
    path = folder / "area.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring]}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def day_world(tmp_path_factory: pytest.TempPathFactory):
    """The plan (its route kept to the streets driven and the streets far from the track), the
    track (lon/lat, epoch s) and which streets were driven and which not."""
    folder = tmp_path_factory.mktemp("day")
    mp = pytest.MonkeyPatch()
    mp.setenv("BASURACERO_CACHE_DIR", str(folder / "cache"))
    scenario = load_scenario(DayInputs(
        streets=DEMO / "streets.osm.pbf", sites=DEMO / "sites.csv", fleet=DEMO / "fleet.toml",
        max_snap_m=60, door_to_door=DoorToDoor(area_file(folder), kg_per_m=0.3),
    ))  # fmt: skip
    plan = plan_document(scenario, solve_scenario(scenario, 2, 1, quiet=True), DAY.isoformat(),
                         area=AREA, timezone="America/Lima")  # fmt: skip
    route = plan["routes"][0]
    streets = [v["id"] for v in route["visits"] if v["kind"] == "street"]
    driven = streets[: len(streets) // 3]
    start = local_moment(DAY, route["visits"][0]["departure_s"], TZ)
    coords: list[list[float]] = []
    for a, b in itertools.pairwise([route["visits"][0]["id"], *driven]):
        coords.extend(shapely.get_coordinates(scenario.matrix.leg(a, b).geometry).tolist())
        coords.extend(
            shapely.get_coordinates(scenario.graph.edge_geometry[scenario.streets[b].edge]).tolist()
        )
    xy, times = track_along(LineString(coords), start.timestamp(), 4.0, noise_m=2.0,
                            rng=np.random.default_rng(5))  # fmt: skip
    fixes = shapely.multipoints(xy)
    far = [
        s for s in streets[len(driven):]
        if shapely.distance(scenario.graph.edge_geometry[scenario.streets[s].edge], fixes) > FAR_M
    ]  # fmt: skip
    keep = set(driven) | set(far)
    route["visits"] = [v for v in route["visits"] if v["kind"] != "street" or v["id"] in keep]
    plan["routes"] = [route]
    lengths = {s: float(scenario.graph.edge_length_m[scenario.streets[s].edge]) for s in keep}
    mp.undo()
    lonlat = scenario.graph.to_lonlat(xy)
    return {"plan": plan, "lonlat": lonlat, "times": times, "driven": driven, "far": far,
            "lengths": lengths, "cache": folder / "cache"}  # fmt: skip


@pytest.fixture
def stored_day(day_world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BASURACERO_CACHE_DIR", str(day_world["cache"]))
    store = Store(f"sqlite:///{tmp_path / 'fleet.db'}")
    device, _token = store.create_device("Teléfono C1", "C1", AREA)
    plan_id = store.save_plan(DAY.isoformat(), day_world["plan"], "jueves", AREA)
    store.assign(plan_id, {day_world["plan"]["routes"][0]["vehicle_id"]: device.id})
    pings = [
        Ping(time=datetime.fromtimestamp(t, tz=UTC), lat=float(lat), lon=float(lon))
        for (lon, lat), t in zip(day_world["lonlat"], day_world["times"], strict=True)
    ]
    store.insert_pings(device.id, pings, "test")
    with TestClient(make_app(store)) as client:
        yield client, store
    store.close()


TICKETS = (
    "site,vehicle,time,net_kg,ticket\n"
    "RS-TRUJILLO,C1,2026-11-19T12:30:00-05:00,4200,BAL-101\n"
    "CR-EMAUS,C1,2026-11-19T13:10:00-05:00,800,EM-7\n"
)


def post_csv(client: TestClient, text: str):
    return client.post(f"/api/v1/weighings.csv?area={AREA}", content=text.encode(),
                       headers={**admin(), "Content-Type": "text/csv"})  # fmt: skip
