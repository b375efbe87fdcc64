"""The service's contracts with phones, GPS units and the manager, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.fleet.conftest import admin_headers


def new_device(client: TestClient, name: str = "Compactadora 1") -> tuple[int, str]:
    response = client.post(
        "/api/v1/devices", json={"name": name, "vehicle": "ABC-123"}, headers=admin_headers()
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["token"]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


BASE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def ping(seconds: int, **extra: Any) -> dict[str, Any]:
    return {"time": iso(BASE + timedelta(seconds=seconds)), "lat": -8.08, "lon": -79.02, **extra}


def pings_of(client: TestClient, device_id: int, **params: str) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/v1/devices/{device_id}/pings", params=params, headers=admin_headers()
    )
    assert response.status_code == 200, response.text
    return response.json()["pings"]


def test_device_creation_needs_the_admin_token(client: TestClient) -> None:
    assert client.post("/api/v1/devices", json={"name": "x"}).status_code == 401
    wrong = client.post(
        "/api/v1/devices", json={"name": "x"}, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "forbidden"
    device_id, token = new_device(client)
    assert device_id > 0 and len(token) >= 24


def test_batch_stores_good_pings_and_lists_bad_ones(client: TestClient) -> None:
    device_id, token = new_device(client)
    batch = [ping(0), ping(10, lat=91), ping(20, lon="abc"), ping(30, speed_mps=5.5), ping(40)]
    batch[4]["time"] = "yesterday"
    response = client.post(
        "/api/v1/pings", json={"pings": batch}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["duplicates"] == 0
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "lat"),
        (2, "lon"),
        (4, "time"),
    ]
    assert "91" in body["rejected"][0]["reason"]
    stored = pings_of(client, device_id)
    assert [p["time"] for p in stored] == [iso(BASE), iso(BASE + timedelta(seconds=30))]
    assert stored[1]["speed_mps"] == 5.5


def test_resent_and_out_of_order_pings(client: TestClient) -> None:
    device_id, token = new_device(client)
    auth = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/v1/pings", json={"pings": [ping(60), ping(0)]}, headers=auth)
    assert first.json()["accepted"] == 2
    again = client.post(
        "/api/v1/pings", json={"pings": [ping(0), ping(30), ping(60)]}, headers=auth
    )
    assert again.status_code == 200
    assert again.json() == {"accepted": 1, "duplicates": 2, "rejected": []}
    times = [p["time"] for p in pings_of(client, device_id)]
    assert times == sorted(times) and len(times) == 3
    window = pings_of(
        client,
        device_id,
        since=iso(BASE + timedelta(seconds=10)),
        until=iso(BASE + timedelta(seconds=40)),
    )
    assert [p["time"] for p in window] == [iso(BASE + timedelta(seconds=30))]


def test_doubtful_fixes_are_stored_flagged(client: TestClient) -> None:
    device_id, token = new_device(client)
    batch = [ping(0, lat=0, lon=0), ping(1, accuracy_m=500), ping(2, speed_mps=90)]
    response = client.post(
        "/api/v1/pings", json={"pings": batch}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json()["accepted"] == 3
    flags = [p["flags"] for p in pings_of(client, device_id)]
    assert flags == [["zero_coordinates"], ["low_accuracy"], ["impossible_speed"]]


def test_far_future_time_rejected(client: TestClient) -> None:
    _, token = new_device(client)
    future = datetime.now(UTC) + timedelta(days=2)
    response = client.post(
        "/api/v1/pings",
        json={"pings": [{"time": iso(future), "lat": -8, "lon": -79}]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["rejected"][0]["field"] == "time"
    assert "future" in response.json()["rejected"][0]["reason"]


def test_osmand_query_form_and_json(client: TestClient) -> None:
    device_id, token = new_device(client)
    seconds = int(BASE.timestamp())
    query = {
        "id": "phone-7",
        "lat": "-8.081",
        "lon": "-79.021",
        "timestamp": str(seconds),
        "speed": "10",
        "bearing": "90",
        "altitude": "60",
        "accuracy": "8",
        "batt": "77",
    }
    assert client.get(f"/osmand/{token}", params=query).status_code == 200
    form = {**query, "timestamp": str((seconds + 5) * 1000)}  # milliseconds
    assert client.post(f"/osmand/{token}", data=form).status_code == 200
    body = {
        "device_id": "phone-7",
        "location": {
            "timestamp": iso(BASE + timedelta(seconds=10)),
            "coords": {
                "latitude": -8.082,
                "longitude": -79.022,
                "speed": 3.0,
                "heading": 180,
                "accuracy": 5,
                "altitude": 61,
            },
            "battery": {"level": 0.5, "is_charging": False},
        },
    }
    assert client.post(f"/osmand/{token}", json=body).status_code == 200
    again = client.get(f"/osmand/{token}", params=query)
    assert again.status_code == 200
    assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    stored = pings_of(client, device_id)
    assert len(stored) == 3
    assert abs(stored[0]["speed_mps"] - 10 * 0.514444) < 1e-3  # knots → m/s
    assert stored[0]["battery_pct"] == 77 and stored[2]["battery_pct"] == 50
    assert stored[1]["time"] == iso(BASE + timedelta(seconds=5))


def test_osmand_bad_input_names_the_field(client: TestClient) -> None:
    _, token = new_device(client)
    now = str(int(BASE.timestamp()))
    bad = client.get(f"/osmand/{token}", params={"lat": "95", "lon": "-79", "timestamp": now})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "lat"
    missing = client.get(f"/osmand/{token}", params={"lat": "-8", "lon": "-79"})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "timestamp"
    assert client.get("/osmand/not-a-token", params={"lat": "-8"}).status_code == 401


def test_body_and_batch_limits(client: TestClient) -> None:
    _, token = new_device(client)
    auth = {"Authorization": f"Bearer {token}"}
    huge = {"pings": [ping(i) for i in range(4000)]}  # ~300 kB > the 200 kB test limit
    response = client.post("/api/v1/pings", json=huge, headers=auth)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_admin_positions_are_the_latest_unflagged(client: TestClient) -> None:
    """The manager sees every device's latest trustworthy fix (the public map: test_privacy)."""
    device_id, token = new_device(client)
    auth = {"Authorization": f"Bearer {token}"}
    client.post(
        "/api/v1/pings",
        json={"pings": [ping(0), ping(50, lat=-8.09), ping(99, lat=0, lon=0)]},
        headers=auth,
    )
    assert client.get("/api/v1/admin/positions").status_code == 401
    positions = client.get("/api/v1/admin/positions", headers=admin_headers()).json()["positions"]
    assert len(positions) == 1
    assert positions[0]["device_id"] == device_id and positions[0]["lat"] == -8.09


def visit(kind: str, pid: str, at_s: int, kg: int = 0) -> dict:
    return {"id": pid, "kind": kind, "arrival_s": at_s, "departure_s": at_s + 60,
            "load": {"kg": kg, "m3": kg / 250}}  # fmt: skip


def minimal_plan(**extra: object) -> dict:
    """The smallest plan.json the service accepts: one truck, one stop, its places."""
    visits = [visit("depot_start", "D", 21600), visit("stop", "S1", 22000, 40),
              visit("depot_end", "D", 23000, 40)]  # fmt: skip
    route = {"vehicle_id": "R1", "visits": visits, "distance_m": 900, "duration_s": 1460,
             "cost": 12.5}  # fmt: skip
    places = {"D": {"lon": -79.02, "lat": -8.08, "kind": "depot", "name": "Depósito"},
              "S1": {"lon": -79.021, "lat": -8.081, "kind": "stop", "name": "Calle 1"}}  # fmt: skip
    return {"routes": [route], "unassigned": [], "places": places, **extra}


def test_plans_and_assignments(client: TestClient) -> None:
    device_id, _ = new_device(client)
    plan = minimal_plan()
    body = {"date": "2026-11-24", "plan": plan, "assignments": {"R1": device_id}}
    assert client.post("/api/v1/plans", json=body).status_code == 401
    created = client.post("/api/v1/plans", json=body, headers=admin_headers())
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    saved = client.get(f"/api/v1/plans/{plan_id}").json()
    assert saved["assignments"] == {"R1": device_id} and saved["date"] == "2026-11-24"
    wrong = client.put(
        f"/api/v1/plans/{plan_id}/assignments", json={"R9": device_id}, headers=admin_headers()
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "assignments"
    assert client.get("/api/v1/plans/999").status_code == 404


def test_validation_errors_use_the_error_shape(client: TestClient) -> None:
    response = client.post("/api/v1/devices", json={"vehicle": 3}, headers=admin_headers())
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["field"] == "name"
    assert client.get("/docs").status_code == 200
