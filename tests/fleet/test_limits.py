"""Rate limiting by open requests: a phone flushing its buffer is never refused, a flood is;
wrong admin tokens are throttled per address."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from basuracero.api.errors import ApiError
from basuracero.api.limits import InFlight, Throttle
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


def test_throttle_counts_failures_per_address_in_a_window() -> None:
    throttle = Throttle(limit=3, window_s=0.3)
    for _ in range(3):
        throttle.check("10.0.0.1")
        throttle.failed("10.0.0.1")
    with pytest.raises(ApiError) as info:
        throttle.check("10.0.0.1")
    assert info.value.status == 429 and info.value.headers == {"Retry-After": "1"}
    throttle.check("10.0.0.2")  # another address is not affected
    time.sleep(0.35)
    throttle.check("10.0.0.1")  # the window moved on


def test_throttle_forgets_the_oldest_addresses_beyond_its_size() -> None:
    throttle = Throttle(limit=1, window_s=60, max_clients=100)
    for k in range(1000):
        throttle.failed(f"10.0.{k // 256}.{k % 256}")
    assert len(throttle._failures) == 100
