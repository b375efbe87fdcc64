"""A lost phone: its token is revoked or rotated, and stops working at once on every process,
though the process had it cached; its pings stay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from basuracero.fleet.store import Store
from basuracero.service import create_app
from tests.fleet.conftest import admin_headers, make_settings
from tests.fleet.test_service import BASE, new_device, ping, pings_of


def osmand(client: TestClient, token: str, second: int) -> int:
    params = {"lat": "-8.08", "lon": "-79.02", "timestamp": str(int(BASE.timestamp()) + second)}
    return client.get(f"/osmand/{token}", params=params).status_code


def batch(client: TestClient, token: str, second: int) -> int:
    return client.post(
        "/api/v1/pings",
        json={"pings": [ping(second)]},
        headers={"Authorization": f"Bearer {token}"},
    ).status_code


@pytest.fixture
def other_process(store: Store) -> Iterator[TestClient]:
    """A second server process on the same database: its own Store, token cache and writer."""
    second = Store(store.url)
    app = create_app(make_settings(store.url), second)
    with TestClient(app) as client:
        yield client
    second.close()


def test_revoked_token_is_refused_at_once_everywhere(
    client: TestClient, other_process: TestClient
) -> None:
    device_id, token = new_device(client)
    assert osmand(other_process, token, 0) == 200  # the other process now has it cached
    assert batch(other_process, token, 1) == 200
    revoked = client.delete(f"/api/v1/devices/{device_id}", headers=admin_headers())
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    for who in (other_process, client):
        assert osmand(who, token, 2) == 401
        assert batch(who, token, 3) == 401
    kept = pings_of(client, device_id)
    assert len(kept) == 2  # the pings stay
    listed = client.get("/api/v1/devices", headers=admin_headers()).json()
    assert listed[0]["revoked_at"] == revoked.json()["revoked_at"] and "token" not in listed[0]


def test_revoked_token_with_bad_input_is_still_a_401(
    client: TestClient, other_process: TestClient
) -> None:
    device_id, token = new_device(client)
    assert osmand(other_process, token, 0) == 200 and batch(other_process, token, 1) == 200
    client.delete(f"/api/v1/devices/{device_id}", headers=admin_headers())
    bad_ping = other_process.get(f"/osmand/{token}", params={"lat": "-8", "lon": "-79"})
    assert bad_ping.status_code == 401  # not the 422 of its missing timestamp
    rotated = client.post(f"/api/v1/devices/{device_id}/token", headers=admin_headers()).json()
    assert batch(other_process, rotated["token"], 2) == 200  # caches the new token
    client.delete(f"/api/v1/devices/{device_id}", headers=admin_headers())
    bad_body = other_process.post(
        "/api/v1/pings",
        content=b"not json",
        headers={"Authorization": f"Bearer {rotated['token']}"},
    )
    assert bad_body.status_code == 401  # not the 400 of its body


def test_rotated_token_replaces_the_old_one(client: TestClient, other_process: TestClient) -> None:
    device_id, old = new_device(client)
    assert osmand(other_process, old, 0) == 200
    rotated = client.post(f"/api/v1/devices/{device_id}/token", headers=admin_headers())
    assert rotated.status_code == 200
    new = rotated.json()["token"]
    assert new != old and len(new) >= 24 and rotated.json()["id"] == device_id
    assert osmand(other_process, old, 1) == 401
    assert osmand(other_process, new, 2) == 200 and batch(client, new, 3) == 200
    assert len(pings_of(client, device_id)) == 3  # one device, one history
    client.delete(f"/api/v1/devices/{device_id}", headers=admin_headers())
    again = client.post(f"/api/v1/devices/{device_id}/token", headers=admin_headers()).json()
    assert again["revoked_at"] is None and osmand(client, again["token"], 4) == 200


def test_revoking_and_rotating_are_for_the_admin(client: TestClient) -> None:
    device_id, token = new_device(client)
    as_device = {"Authorization": f"Bearer {token}"}
    assert client.delete(f"/api/v1/devices/{device_id}").status_code == 401
    assert client.delete(f"/api/v1/devices/{device_id}", headers=as_device).status_code == 403
    assert client.post(f"/api/v1/devices/{device_id}/token").status_code == 401
    assert client.delete("/api/v1/devices/999", headers=admin_headers()).status_code == 404
    missing = client.post("/api/v1/devices/999/token", headers=admin_headers())
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "device_id"
    assert osmand(client, token, 0) == 200
