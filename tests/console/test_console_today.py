"""Hoy: today's published plan live: positions over Server-Sent Events, progress, alerts, a
truck's stop list and track; only for users who may see the area."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from day_helpers import ADMIN, AREA, PASSWORD, log_in, service
from fastapi.testclient import TestClient

from basuracero.api.progress import streets_for
from basuracero.console.live import live_day, local_today
from basuracero.fleet.users import UserStore
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayRequest, plan_day
from basuracero.planning.publish import publish_plan

DEMO = bundled_areas()[AREA]


@pytest.fixture(scope="module")
def todays_document() -> dict[str, Any]:
    request = DayRequest(service_date=local_today(DEMO), time_limit_s=1, seed=0)
    return plan_day(DayInputs.of_area(DEMO), request, area=DEMO).document


@pytest.fixture
def live(tmp_path: Path, todays_document: dict[str, Any]) -> Iterator[tuple[TestClient, str]]:
    """A service whose plan of today is published, C1 with a phone; (client, C1's token)."""
    with service(tmp_path, embedded_worker=False) as client:
        phone = client.post("/api/v1/devices", json={"name": "cel C1", "vehicle": "C1"},
                            headers=ADMIN).json()  # fmt: skip
        store = client.app.state.store
        plan_id = store.save_plan(local_today(DEMO).isoformat(), todays_document, "hoy", AREA)
        publish_plan(store, DEMO, plan_id, by="ana", default_area=AREA)
        yield client, phone["token"]


def send(client: TestClient, token: str, fixes: list[tuple[float, float, float]]) -> None:
    pings = [{"time": t, "lon": lon, "lat": lat} for lon, lat, t in fixes]
    answer = client.post("/api/v1/pings", json={"pings": pings},
                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200 and answer.json()["accepted"] == len(pings), answer.text


def far_from_route(client: TestClient) -> tuple[float, float]:
    """A street corner of the district more than 150 m from C1's planned path."""
    live = live_day(client.app.state.store, DEMO, local_today(DEMO))
    assert live is not None
    graph = streets_for(DEMO.streets).graph
    ends = graph.edge_geometry[:2000]
    distances = shapely.distance(shapely.get_point(ends, 0), live.paths["C1"])
    index = int(np.flatnonzero((distances > 150) & (distances < 400))[0])
    x, y = shapely.get_coordinates(shapely.get_point(ends[index], 0))[0]
    lon, lat = graph.to_lonlat(np.array([[x, y]]))[0]
    return float(lon), float(lat)


def test_the_stream_sends_a_position_after_a_ping(live: tuple[TestClient, str]) -> None:
    client, token = live
    log_in(client, "vio")  # a viewer follows the day too
    lon, lat = far_from_route(client)
    now = datetime.now(UTC).timestamp()
    send(client, token, [(lon, lat, now - 1)])
    with client.stream("GET", f"/hoy/stream?area={AREA}&for_s=5") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        text = "".join(answer.iter_text())
    assert "event: position" in text and '"truck": "C1"' in text
    assert f'"lat": {lat}' in text
    assert "event: progress" in text


def test_progress_alerts_and_a_trucks_stops_by_name(live: tuple[TestClient, str]) -> None:
    client, token = live
    log_in(client, "ana")
    lon, lat = far_from_route(client)
    now = datetime.now(UTC).timestamp()
    send(client, token, [(lon + 1e-5 * (k % 2), lat, now - 240 + 20 * k) for k in range(12)])
    data = client.get(f"/hoy/datos?area={AREA}").json()
    assert {r["truck"] for r in data["routes"]} == {r["vehicle_id"] for r in
                                                     client.get(f"/api/v1/plans/{data['plan_id']}").json()["plan"]["routes"]}  # fmt: skip  # noqa: E501
    trucks = {t["truck"]: t for t in data["progress"]["trucks"]}
    kinds = [a["kind"] for a in trucks["C1"]["alerts"]]
    assert "off_route" in kinds, trucks["C1"]
    assert trucks["C1"]["last_fix"] and "T" not in trucks["C1"]["last_fix"]  # a local clock
    assert not trucks["C2"]["device"]
    detail = client.get(f"/hoy/camion?area={AREA}&truck=C1").json()
    assert len(detail["track"]) == 12
    labels = [s["label"] for s in detail["stops"]]
    assert labels and not any(label.startswith("S0") for label in labels)
    assert client.get(f"/hoy?area={AREA}").status_code == 200


def test_hoy_refuses_without_a_session_and_another_areas_user(
    live: tuple[TestClient, str],
) -> None:
    client, _token = live
    assert client.get(f"/hoy/datos?area={AREA}").status_code == 401
    assert client.get(f"/hoy/stream?area={AREA}&for_s=1").status_code == 401
    assert client.get(f"/hoy?area={AREA}", follow_redirects=False).status_code == 303
    UserStore(client.app.state.store.engine).add("leo", "manager", ["la-esperanza"], PASSWORD)
    log_in_other(client, "leo")
    assert client.get(f"/hoy/datos?area={AREA}").status_code == 403
    assert client.get(f"/hoy/camion?area={AREA}&truck=C1").status_code == 403


def log_in_other(client: TestClient, name: str) -> None:
    from day_helpers import csrf_of

    token = csrf_of(client)
    answer = client.post("/login", data={"username": name, "password": PASSWORD,
                                         "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
