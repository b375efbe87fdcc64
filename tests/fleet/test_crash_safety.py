"""A 200 means committed: kill the server mid-load and every acknowledged ping must be there."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from basuracero.fleet.store import Store

ADMIN = "crash-test-admin-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BASURACERO_ADMIN_TOKEN": ADMIN, "BASURACERO_CONFIG": "/nonexistent"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "basuracero.cli", "serve", "--db", db_url, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"server did not start:\n{log.read_text(errors='replace')[-2000:]}")


def test_sigkill_loses_no_acknowledged_ping(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'fleet.db'}"
    port = free_port()
    server = start_server(db_url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    created = httpx.post(
        f"{base}/api/v1/devices", json={"name": "T1"}, headers={"Authorization": f"Bearer {ADMIN}"}
    ).json()
    token, device_id = created["token"], created["id"]
    acknowledged: list[datetime] = []
    lock = threading.Lock()
    start = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    stop = threading.Event()

    def phone(offset: int) -> None:
        """Sends OsmAnd pings one after another, as Traccar Client does, until the server dies."""
        with httpx.Client(timeout=5) as http:
            i = 0
            while not stop.is_set() and i < 100_000:
                moment = start + timedelta(seconds=offset * 1_000_000 + i)
                params = {
                    "lat": "-8.08",
                    "lon": "-79.02",
                    "timestamp": moment.isoformat().replace("+00:00", "Z"),
                }
                try:
                    response = http.get(f"{base}/osmand/{token}", params=params)
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(moment)
                i += 1

    phones = [threading.Thread(target=phone, args=(k,)) for k in range(4)]
    for thread in phones:
        thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 300:
                break
        time.sleep(0.05)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for thread in phones:
        thread.join(timeout=10)

    assert len(acknowledged) >= 300, "too few pings acknowledged to test anything"
    store = Store(db_url)
    try:
        stored = {p["time"] for p in store.pings(device_id, limit=1_000_000)}
        missing = [m for m in acknowledged if m.isoformat().replace("+00:00", "Z") not in stored]
        assert not missing, f"{len(missing)} acknowledged pings lost, e.g. {missing[:3]}"
        assert store.count_pings(device_id) == len(stored)
    finally:
        store.close()
