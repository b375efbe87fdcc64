"""Helpers of the Hoy / Planificar / Cierre tests: a service with users, logged-in clients, a
plan job run to the end, pings along a route."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from pydantic import SecretStr
from shapely.geometry import LineString

from basuracero.fleet.progress import local_moment
from basuracero.fleet.settings import Settings
from basuracero.fleet.simulate import track_along
from basuracero.fleet.users import UserStore
from basuracero.geodata.osm import load_streets
from basuracero.planning.area import bundled_areas
from basuracero.service import create_app

AREA = "florencia-de-mora"
ADMIN_TOKEN = "console-day-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PASSWORD = "a long password 123"
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'console.db'}",
        admin_token=SecretStr(ADMIN_TOKEN),
        job_heartbeat_s=0.5,
        **overrides,
    )


@contextmanager
def service(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    """The service with a manager (``ana``) and a viewer (``vio``) of the demo area."""
    with TestClient(create_app(settings(tmp_path, **overrides))) as client:
        users = UserStore(client.app.state.store.engine)
        users.add("ana", "manager", [AREA], PASSWORD)
        users.add("vio", "viewer", [AREA], PASSWORD)
        yield client


def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = client.get(path)
    found = _META.search(page.text)
    assert found, f"no csrf meta in {path}: {page.status_code}"
    return found.group(1)


def log_in(client: TestClient, name: str) -> dict[str, str]:
    """Log ``name`` in on this client; the CSRF header its posts need."""
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return {"X-CSRF-Token": csrf_of(client, f"/planificar?area={AREA}")}


def wait_job(client: TestClient, job_id: int, timeout_s: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/planificar/trabajos/{job_id}").json()
        assert job["status"] != "failed", job
        if job["status"] == "done":
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} not done in {timeout_s} s")


def route_pings(
    document: dict[str, Any], truck: str, day: date, *, streets: int = 10, seed: int = 1
) -> list[dict[str, float]]:
    """Pings of a truck driving its route's first ``streets`` door-to-door streets on time."""
    route = next(r for r in document["routes"] if r["vehicle_id"] == truck)
    visits = [v for v in route["visits"] if v["kind"] == "street"][:streets]
    start = local_moment(day, visits[0]["arrival_s"], bundled_areas()[AREA].tz).timestamp()
    return street_pings(document, truck, range(streets), start=start, seed=seed)


def street_pings(
    document: dict[str, Any],
    truck: str,
    which: Any,
    *,
    start: float | None = None,
    end: float | None = None,
    seed: int = 1,
) -> list[dict[str, float]]:
    """Pings (every 5 s, 8 m of noise) along the route's door-to-door streets numbered
    ``which`` (0 first), from ``start`` or ending at ``end`` (epoch seconds)."""
    graph = load_streets(bundled_areas()[AREA].streets)
    route = next(r for r in document["routes"] if r["vehicle_id"] == truck)
    streets = [v for v in route["visits"] if v["kind"] == "street"]
    places = document["places"]
    coords = [xy for i in which for xy in graph.to_xy(np.array(places[streets[i]["id"]]["line"]))]
    line = LineString(coords)
    if start is None:
        assert end is not None
        start = end - line.length / 4.0
    xy, times = track_along(line, start, 4.0, rng=np.random.default_rng(seed))
    lonlat = graph.to_lonlat(xy)
    return [
        {"time": float(t), "lat": float(lat), "lon": float(lon)}
        for (lon, lat), t in zip(lonlat.tolist(), times.tolist(), strict=True)
    ]


def at_local(day: date, seconds: int) -> datetime:
    return local_moment(day, seconds, bundled_areas()[AREA].tz)
