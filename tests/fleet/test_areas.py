"""Several areas in one deployment, on real streets: each plan, device and progress keeps to its
own area's streets and files."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from pydantic import SecretStr
from shapely.geometry import LineString

from basuracero.fleet.progress import local_moment
from basuracero.fleet.settings import Settings
from basuracero.fleet.simulate import track_along
from basuracero.geodata.osm import load_streets
from basuracero.planning.area import AreaError, areas_under, bundled_areas, load_area
from basuracero.service import create_app

ADMIN = {"Authorization": "Bearer adm-token-for-tests-0123456789abcdef"}
SECOND = "la-esperanza"
DAY = date(2026, 11, 25)  # a past day: its pings are not in the future


def test_bundled_areas_are_real_districts() -> None:
    areas = bundled_areas()
    assert next(iter(areas)) == "florencia-de-mora" and SECOND in areas
    assert {a.inei for a in areas.values()} >= {"130103", "130105"}
    assert all(a.timezone == "America/Lima" and a.door_to_door for a in areas.values())
    keys = {a.content_key() for a in areas.values()}
    assert len(keys) == len(areas)  # different files, different keys


def test_a_bad_area_file_names_the_file_and_field(tmp_path: Path) -> None:
    folder = tmp_path / "otuzco"
    folder.mkdir()
    bad_id = 'id = "Otuzco!"\nname = "Otuzco"\ntimezone = "America/Lima"\n'
    (folder / "area.toml").write_text(bad_id)
    with pytest.raises(AreaError, match=r"area.toml: field 'id' = 'Otuzco!'") as caught:
        load_area(folder)
    assert caught.value.field == "id"
    (folder / "area.toml").write_text('id = "otuzco"\nname = "Otuzco"\ntimezone = "Lima/Peru"\n')
    with pytest.raises(AreaError, match="unknown time zone"):
        areas_under(tmp_path)
    (folder / "area.toml").write_text('id = "otuzco"\nname = "Otuzco"\ntimezone = "America/Lima"\n')
    with pytest.raises(AreaError, match=r"files.streets = 'streets.osm.pbf': no such file"):
        areas_under(tmp_path)


def test_a_job_of_the_second_area_plans_and_follows_its_own_streets(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", admin_token=SecretStr("adm-token-for-tests-0123456789abcdef"))  # noqa: E501
    with TestClient(create_app(settings)) as client:
        device = client.post(
            "/api/v1/devices", json={"name": "LE-C1", "area": SECOND}, headers=ADMIN
        ).json()
        assert device["area"] == SECOND
        body = {"area": SECOND, "date": DAY.isoformat(), "time_limit_s": 2}
        job_id = client.post("/api/v1/plan-jobs", json=body, headers=ADMIN).json()["id"]
        job = wait_done(client, job_id)
        saved = client.get(f"/api/v1/plans/{job['plan_id']}").json()
        document = saved["plan"]
        assert saved["area"] == document["area"] == SECOND
        boundary = bundled_areas()[SECOND].boundary
        district = shapely.from_geojson(boundary.read_text()).buffer(0.003)  # ~300 m
        streets = [p for p in document["places"].values() if p["kind"] == "street"]
        assert len(streets) > 1000
        assert all(district.contains(shapely.Point(p["lon"], p["lat"])) for p in streets)
        assert client.get("/api/v1/plans", params={"area": SECOND}).json()["plans"][0]["id"] == (
            job["plan_id"]
        )
        route = document["routes"][0]
        assign = {route["vehicle_id"]: device["id"]}
        put = client.put(f"/api/v1/plans/{job['plan_id']}/assignments", json=assign, headers=ADMIN)
        assert put.status_code == 200, put.text
        driven = drive_streets(client, device["token"], route, document["places"])
        progress = client.get(f"/api/v1/plans/{job['plan_id']}/progress").json()
        status = {s["id"]: s["status"] for r in progress["routes"] for s in r["stops"]}
        # Matched on La Esperanza's own streets (on another area's, nothing would be served).
        assert sum(status[i] == "served" for i in driven) >= 0.8 * len(driven)
        assert client.get(f"/coverage/{job['plan_id']}").status_code == 200


def drive_streets(client: TestClient, token: str, route: dict, places: dict) -> list[str]:
    """Drive the route's first ten door-to-door streets at their planned hour; their ids."""
    graph = load_streets(bundled_areas()[SECOND].streets)
    visits = [v for v in route["visits"] if v["kind"] == "street"][:10]
    coords = [xy for v in visits for xy in graph.to_xy(np.array(places[v["id"]]["line"]))]
    start = local_moment(DAY, visits[0]["arrival_s"], bundled_areas()[SECOND].tz).timestamp()
    xy, times = track_along(LineString(coords), start, 4.0, rng=np.random.default_rng(1))
    lonlat = graph.to_lonlat(xy)
    pings = [{"time": float(t), "lat": float(lat), "lon": float(lon)}
             for (lon, lat), t in zip(lonlat.tolist(), times.tolist(), strict=True)]  # fmt: skip
    sent = client.post("/api/v1/pings", json={"pings": pings},
                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert sent.json()["accepted"] == len(pings), sent.text
    return [v["id"] for v in visits]


def wait_done(client: TestClient, job_id: int, timeout_s: float = 240) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
        assert job["status"] != "failed", job
        if job["status"] == "done":
            return job
        time.sleep(0.5)
    pytest.fail(f"job {job_id} not done: {job}")
