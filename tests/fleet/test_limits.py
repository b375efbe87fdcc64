"""Rate limiting by open requests: a phone flushing its buffer is never refused, a flood is."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from basuracero.api.errors import ApiError
from basuracero.api.limits import InFlight
from tests.fleet.conftest import admin_headers


def test_inflight_refuses_only_beyond_the_limit() -> None:
    gate = InFlight(limit=2)
    with gate.slot(1), gate.slot(1):
        with pytest.raises(ApiError) as info, gate.slot(1):
            pass
        assert info.value.status == 429 and info.value.headers == {"Retry-After": "1"}
        with gate.slot(2):  # another device is not affected
            pass
    with gate.slot(1), gate.slot(1):  # slots are given back
        pass


def test_sequential_flush_is_never_refused(client: TestClient) -> None:
    device = client.post("/api/v1/devices", json={"name": "phone"}, headers=admin_headers()).json()
    statuses = {
        client.get(
            f"/osmand/{device['token']}",
            params={"lat": "-8.08", "lon": "-79.02", "timestamp": str(1_767_000_000 + i)},
        ).status_code
        for i in range(300)
    }
    assert statuses == {200}
