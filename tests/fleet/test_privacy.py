"""The public live map shows trucks at work, never people: only today's assigned trucks, only
during their shift, under the plan's vehicle name, to 5 decimals, without battery or altitude."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from basuracero.api import devices
from tests.fleet.conftest import admin_headers
from tests.fleet.test_service import minimal_plan

# The plan's route (minimal_plan): leaves the depot at 21660 s and is back at 23000 s after
# local midnight in Lima (UTC-5): 06:01 to 06:23 local, 11:01 to 11:23 UTC. Shown from 30 min
# before (10:31 UTC) to 60 min after (12:23 UTC).
DAY = "2026-11-20"
SHIFT_START = datetime(2026, 11, 20, 10, 31, tzinfo=UTC)
SHIFT_END = datetime(2026, 11, 20, 12, 23, 20, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def device(client: TestClient, name: str) -> tuple[int, str]:
    body = {"name": name, "vehicle": "ABC-123"}
    created = client.post("/api/v1/devices", json=body, headers=admin_headers()).json()
    return created["id"], created["token"]


def send(client: TestClient, token: str, moment: datetime, lat: float = -8.0812345678) -> None:
    ping = {"time": iso(moment), "lat": lat, "lon": -79.0212345678, "battery_pct": 64,
            "altitude_m": 71, "accuracy_m": 5, "speed_mps": 3.21}  # fmt: skip
    response = client.post(
        "/api/v1/pings", json={"pings": [ping]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.json()["accepted"] == 1, response.text


def public_at(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, moment: datetime
) -> list[dict[str, Any]]:
    monkeypatch.setattr(devices, "clock", lambda: moment)
    response = client.get("/api/v1/positions")
    assert response.status_code == 200, response.text
    return response.json()["positions"]


@pytest.fixture
def driver(client: TestClient) -> tuple[int, str]:
    """A phone named after its driver, assigned to route R1 of the plan of DAY."""
    device_id, token = device(client, "Juan Pérez (celular personal)")
    body = {"date": DAY, "plan": minimal_plan(), "assignments": {"R1": device_id}}
    created = client.post("/api/v1/plans", json=body, headers=admin_headers())
    assert created.status_code == 201, created.text
    return device_id, token


def test_in_shift_the_truck_is_shown_coarsely_under_its_vehicle_name(
    client: TestClient, driver: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = driver
    send(client, token, SHIFT_START + timedelta(minutes=40))
    shown = public_at(client, monkeypatch, SHIFT_START + timedelta(minutes=45))
    assert len(shown) == 1
    truck = shown[0]
    assert truck["vehicle"] == "R1" and truck["status"] == "en servicio"
    assert truck["lat"] == -8.08123 and truck["lon"] == -79.02123  # 5 decimals
    assert truck["speed_mps"] == 3.2
    text = repr(truck)
    for private in ("Juan", "battery", "altitude", "accuracy", "ABC-123", "device_id", "name"):
        assert private not in text


def test_the_night_before_and_after_the_shift_show_no_position(
    client: TestClient, driver: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    device_id, token = driver
    night = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 23:00 of the 19th in Lima: no plan
    send(client, token, night - timedelta(minutes=5))
    assert public_at(client, monkeypatch, night) == []
    early = SHIFT_START - timedelta(minutes=10)  # the plan's day, before the shift
    out = public_at(client, monkeypatch, early)
    assert [(t["vehicle"], t["status"], t["lat"]) for t in out] == [
        ("R1", "fuera de servicio", None)
    ]
    start = public_at(client, monkeypatch, SHIFT_START + timedelta(minutes=1))
    assert start[0]["status"] == "en servicio"
    assert start[0]["lat"] is None  # the only fix is from home, before the shift began
    send(client, token, SHIFT_END - timedelta(minutes=1))
    late = public_at(client, monkeypatch, SHIFT_END + timedelta(minutes=1))
    assert late[0]["status"] == "fuera de servicio" and late[0]["lon"] is None
    everything = client.get("/api/v1/admin/positions", headers=admin_headers()).json()
    assert everything["positions"][0]["device_id"] == device_id
    assert everything["positions"][0]["battery_pct"] == 64


def test_today_is_the_areas_day_not_utcs(
    client: TestClient, driver: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    evening = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 21:00 of the 20th in Lima
    shown = public_at(client, monkeypatch, evening)
    assert [(t["vehicle"], t["status"]) for t in shown] == [("R1", "fuera de servicio")]
    next_day = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)  # 01:00 of the 21st in Lima
    assert public_at(client, monkeypatch, next_day) == []


def test_unassigned_devices_are_never_public(
    client: TestClient, driver: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, stranger = device(client, "María, sin plan")
    send(client, stranger, SHIFT_START + timedelta(minutes=30), lat=-8.1)
    shown = public_at(client, monkeypatch, SHIFT_START + timedelta(minutes=31))
    assert [t["vehicle"] for t in shown] == ["R1"] and shown[0]["lat"] is None
    assert "María" not in repr(shown)
    assert client.get("/api/v1/admin/positions").status_code == 401
