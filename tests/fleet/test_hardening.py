"""What a hostile or broken client, or a database going away, must not do to the service: fail
other devices' pings, crash a route (500), slip past a limit, or flood the log."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event

from basuracero.fleet.pings import Ping
from basuracero.fleet.store import PingWrite, Store
from basuracero.fleet.writer import GroupWriter
from basuracero.service import create_app
from tests.fleet.conftest import admin_headers, make_settings
from tests.fleet.test_service import BASE, minimal_plan, new_device, ping, pings_of

EDGE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- isolation of writers --------------------------------------------------------------------


def poison_requests(client: TestClient, token: str, postgres: bool, stop: threading.Event) -> set:
    """What a poison client gets back: text neither database can store, sent over and over."""
    statuses = set()
    surrogate = b'{"device_id": "\\ud800", "location": {"timestamp": %d, "coords": '
    surrogate += b'{"latitude": -8.1, "longitude": -79.0}}}'
    i = 0
    while not stop.is_set():
        i += 1
        moment = int(BASE.timestamp()) + i
        body = surrogate % moment
        sent = client.post(f"/osmand/{token}", content=body,
                           headers={"content-type": "application/json"})  # fmt: skip
        statuses.add(sent.status_code)
        if postgres:
            query = {"id": "x\x00y", "lat": "-8.1", "lon": "-79", "timestamp": str(moment)}
            statuses.add(client.get(f"/osmand/{token}", params=query).status_code)
    return statuses


def test_a_poison_client_cannot_fail_honest_devices(client: TestClient, store: Store) -> None:
    honest = [new_device(client, f"honest {k}") for k in range(12)]
    _, bad_token = new_device(client, "poison")
    stop = threading.Event()
    seen: dict[str, set[int]] = {"honest": set(), "poison": set()}
    lock = threading.Lock()

    def phone(token: str) -> None:
        for i in range(30):
            params = {"id": "phone", "lat": "-8.08", "lon": "-79.02",
                      "timestamp": str(int(BASE.timestamp()) + i)}  # fmt: skip
            statuses = {client.get(f"/osmand/{token}", params=params).status_code}
            if i % 10 == 0:
                statuses.add(client.post("/api/v1/pings", json={"pings": [ping(1000 + i)]},
                                         headers=auth(token)).status_code)  # fmt: skip
            with lock:
                seen["honest"] |= statuses

    def attacker() -> None:
        statuses = poison_requests(client, bad_token, not store.is_sqlite, stop)
        with lock:
            seen["poison"] |= statuses

    attackers = [threading.Thread(target=attacker) for _ in range(4)]
    phones = [threading.Thread(target=phone, args=(t,)) for _, t in honest]
    for thread in attackers + phones:
        thread.start()
    for thread in phones:
        thread.join()
    stop.set()
    for thread in attackers:
        thread.join()
    assert seen["honest"] == {200}
    assert seen["poison"] == {422}
    for device_id, _ in honest:
        assert store.count_pings(device_id) == 33


def test_a_group_commit_that_fails_retries_its_requests_apart(store: Store) -> None:
    """Defence in depth: a value the database refuses, past validation, fails its own request
    only; the others of its group commit are stored (each database refuses a lone surrogate,
    PostgreSQL also a NUL)."""
    device, _ = store.create_device("truck", None)
    gate = threading.Event()
    original = store._writer._write_batch

    def held(writes: list[PingWrite]) -> list[Any]:
        gate.wait(10)  # let the requests gather into one group
        return original(writes)

    store._writer._write_batch = held
    first = datetime(2026, 11, 20, 6, tzinfo=UTC)
    blocker, _ = store.submit_pings(device.id, [Ping(first, -8, -79)], "t")
    futures = []
    for k in range(9):
        client_id = ("\ud800" if k % 2 else "x\x00y") if k in (3, 6) else f"phone {k}"
        moment = first + timedelta(seconds=k + 1)
        futures.append(store.submit_pings(device.id, [Ping(moment, -8, -79)], "t", client_id)[0])
    gate.set()
    assert blocker.result(10) == 1
    refused = {3} if store.is_sqlite else {3, 6}
    for k, future in enumerate(futures):
        if k in refused:
            assert future.exception(10) is not None
        else:
            assert future.result(10) == 1, k
    assert store.count_pings(device.id) == 10 - len(refused)


def test_writer_splits_a_failed_group_down_to_the_bad_request() -> None:
    calls: list[list[str]] = []

    def write(items: list[str]) -> list[int]:
        calls.append(items)
        if "bad" in items:
            raise ValueError("refused")
        return [len(i) for i in items]

    gate = threading.Event()
    writer: GroupWriter[str] = GroupWriter(lambda items: gate.wait(5) and write(items))
    futures = [writer.submit(item) for item in ["first", "a", "bb", "bad", "ccc", "dddd"]]
    gate.set()
    results = [f.exception(5) or f.result() for f in futures]
    writer.close()
    assert [r if isinstance(r, int) else "error" for r in results] == [5, 1, 2, "error", 3, 4]
    assert len(calls) <= 8  # halves, not one transaction per request


# -- times out of range ------------------------------------------------------------------------


@pytest.mark.parametrize("edge", EDGE_TIMES)
def test_times_beyond_utc_are_refused_with_their_field(client: TestClient, edge: str) -> None:
    device_id, token = new_device(client)
    good = ping(0)
    response = client.post(
        "/api/v1/pings", json={"pings": [good, {**good, "time": edge}]}, headers=auth(token)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 1 and [(r["index"], r["field"]) for r in body["rejected"]] == [
        (1, "time")
    ]  # a phone re-sending this batch is not stuck: the good ping is stored
    osm = client.get(f"/osmand/{token}", params={"lat": "-8", "lon": "-79", "timestamp": edge})
    assert osm.status_code == 422 and osm.json()["error"]["field"] == "timestamp"
    for field in ("since", "until"):
        window = client.get(
            f"/api/v1/devices/{device_id}/pings", params={field: edge}, headers=admin_headers()
        )
        assert window.status_code == 422 and window.json()["error"]["field"] == field


# -- the database goes away ------------------------------------------------------------------


def requests_during_outage(client: TestClient, token: str, device_id: int) -> list[Any]:
    calls = []
    for i in range(8):
        params = {"lat": "-8", "lon": "-79", "timestamp": str(int(BASE.timestamp()) + i)}
        calls.append(client.get(f"/osmand/{token}", params=params))
        calls.append(client.post("/api/v1/pings", json={"pings": [ping(i)]}, headers=auth(token)))
        calls.append(client.get(f"/api/v1/devices/{device_id}/pings", headers=admin_headers()))
        calls.append(client.get("/api/v1/positions"))
        calls.append(client.get("/health"))
    return calls


def test_database_down_is_503_logged_once_and_recovers(
    client: TestClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    device_id, token = new_device(client)
    first = {"lat": "-8", "lon": "-79", "timestamp": "1763700000"}
    assert client.get(f"/osmand/{token}", params=first).status_code == 200
    caplog.set_level(logging.INFO)
    caplog.clear()
    restore = stop_database(store)  # the token is cached: its pings reach the writer
    try:
        calls = requests_during_outage(client, token, device_id)
    finally:
        restore()
    for response in calls:
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"].isdigit()
        assert response.json()["error"]["code"] == "unavailable"
        assert set(response.json()["error"]) == {"code", "message", "field"}
    lines = [r for r in caplog.records if r.name.startswith("basuracero")]
    assert [r.getMessage().split(" (")[0] for r in lines] == ["database unreachable"]
    assert not any(r.exc_info for r in caplog.records)
    back = client.post("/api/v1/pings", json={"pings": [ping(5)]}, headers=auth(token))
    assert back.status_code == 200 and back.json()["accepted"] == 1
    recovered = [r.getMessage() for r in caplog.records if "reachable again" in r.getMessage()]
    assert len(recovered) == 1 and "40 requests" in recovered[0]


def stop_database(store: Store) -> Any:
    """Every new connection fails as when the server is stopped, pooled ones are dropped;
    returns what starts it again."""
    dbapi = store.engine.dialect.loaded_dbapi

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise dbapi.OperationalError("connection refused (the test stopped the database)")

    event.listen(store.engine, "do_connect", refuse)
    store.engine.dispose()
    return lambda: event.remove(store.engine, "do_connect", refuse)


def test_unreachable_postgresql_port_is_503(postgres_url: str) -> None:
    store = Store(postgres_url)
    app = create_app(make_settings(postgres_url), store)
    working = store.engine
    with TestClient(app) as client:
        device_id, token = new_device(client)
        store.engine = create_engine(
            "postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
        )
        try:
            batch = client.post("/api/v1/pings", json={"pings": [ping(0)]}, headers=auth(token))
            listing = client.get("/api/v1/devices", headers=admin_headers())
        finally:
            store.engine.dispose()
            store.engine = working
        assert batch.status_code == listing.status_code == 503
        assert batch.headers["Retry-After"] == listing.headers["Retry-After"]
        assert len(pings_of(client, device_id)) == 0
        assert client.post("/api/v1/pings", json={"pings": [ping(0)]},
                           headers=auth(token)).status_code == 200  # fmt: skip
    store.close()


def test_unexpected_errors_are_500_with_a_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    client.app.add_api_route("/boom", broken, methods=["GET"])  # type: ignore[attr-defined]
    caplog.set_level(logging.ERROR)
    response = client.get("/boom")
    assert response.status_code == 500
    rid = response.headers["X-Request-ID"]
    assert (
        response.json()["error"]["code"] == "internal"
        and rid in response.json()["error"]["message"]
    )
    assert [r.getMessage() for r in caplog.records if rid in r.getMessage()]
    given = client.get("/boom", headers={"X-Request-ID": "proxy-42"})
    assert given.headers["X-Request-ID"] == "proxy-42"
    assert client.get("/health").headers["X-Request-ID"]


# -- every bad input its 4xx -----------------------------------------------------------------


def test_deep_nesting_is_a_400(client: TestClient) -> None:
    _, token = new_device(client)
    deep = b"[" * 50_000 + b"]" * 50_000  # 100 kB: under the test's size limit
    json_type = {"content-type": "application/json"}
    osm = client.post(f"/osmand/{token}", content=deep, headers=json_type)
    assert osm.status_code == 400 and osm.json()["error"]["field"] == "body"
    wrapped = b'{"pings": ' + deep + b"}"
    batch = client.post("/api/v1/pings", content=wrapped, headers={**json_type, **auth(token)})
    assert batch.status_code == 400


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    _, token = new_device(client)

    def chunks() -> Iterator[bytes]:
        yield b'{"pings": ['
        for _ in range(300):  # 3 MB, no Content-Length
            yield b" " * 10_000
        yield b"]}"

    response = client.post(
        "/api/v1/pings",
        content=chunks(),
        headers={"content-type": "application/json", **auth(token)},
    )
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_traccar_json_over_max_batch_is_413(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'big.db'}"
    app = create_app(make_settings(url))  # default limits: 2 MB, 5000 pings
    with TestClient(app) as client:
        _, token = new_device(client)
        start = int(BASE.timestamp())
        locations = [{"timestamp": start + i, "coords": {"latitude": -8, "longitude": -79}}
                     for i in range(15_000)]  # fmt: skip
        response = client.post(f"/osmand/{token}", json={"location": locations})
        assert response.status_code == 413 and response.json()["error"]["field"] == "location"


def test_one_bad_location_among_good_ones_is_listed(client: TestClient) -> None:
    device_id, token = new_device(client)
    start = int(BASE.timestamp())
    locations = [{"timestamp": start + i, "coords": {"latitude": -8, "longitude": -79}}
                 for i in range(3)]  # fmt: skip
    locations[1]["timestamp"] = EDGE_TIMES[0]
    response = client.post(f"/osmand/{token}", json={"location": locations})
    assert response.status_code == 200
    assert response.json()["accepted"] == 2
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [
        (1, "location.timestamp")
    ]
    assert len(pings_of(client, device_id)) == 2


@pytest.mark.parametrize("name", ["a\x00b", "\ud800", "   "])
def test_unstorable_or_blank_names_are_422(client: TestClient, name: str) -> None:
    body = json.dumps({"name": name, "vehicle": "ABC"}).encode()  # a lone surrogate as \ud800
    headers = {"content-type": "application/json", **admin_headers()}
    device = client.post("/api/v1/devices", content=body, headers=headers)
    assert device.status_code == 422 and device.json()["error"]["field"] == "name"
    plan = {"date": "2026-11-24", "name": name, "plan": minimal_plan()}
    stored = client.post("/api/v1/plans", content=json.dumps(plan).encode(), headers=headers)
    assert stored.status_code in (201, 422)
    if name.strip():  # a blank plan name is no name; NUL or a lone surrogate is refused
        assert stored.status_code == 422 and stored.json()["error"]["field"] == "name"


def test_nul_in_a_query_names_the_parameter(client: TestClient) -> None:
    listing = client.get("/api/v1/plans", params={"area": "x\x00y"})
    assert listing.status_code == 422 and listing.json()["error"]["field"] == "area"


def test_huge_integers_are_4xx(client: TestClient) -> None:
    device_id, token = new_device(client)
    digits = "1" * 5000
    batch = b'{"pings": [{"time": 1763700000, "lat": ' + digits.encode() + b', "lon": -79}]}'
    response = client.post(
        "/api/v1/pings", content=batch, headers={"content-type": "application/json", **auth(token)}
    )
    assert response.status_code == 400
    below_limit = "1" * 4000  # parses as an int, too big for a float
    traccar = ('{"location": {"timestamp": 1763700000, "coords": {"latitude": '
               + below_limit + ', "longitude": -79}}}')  # fmt: skip
    osm = client.post(f"/osmand/{token}", content=traccar,
                      headers={"content-type": "application/json"})  # fmt: skip
    assert osm.status_code == 422 and osm.json()["error"]["field"] == "location.coords.latitude"
    query = client.get(f"/osmand/{token}", params={"lat": digits, "lon": "-79",
                                                   "timestamp": "1763700000"})  # fmt: skip
    assert query.status_code == 422 and query.json()["error"]["field"] == "lat"
    path = client.get(f"/api/v1/devices/{digits}/pings", headers=admin_headers())
    assert path.status_code == 422
    limit = client.get(f"/api/v1/devices/{device_id}/pings", params={"limit": digits},
                       headers=admin_headers())  # fmt: skip
    assert limit.status_code == 422 and limit.json()["error"]["field"] == "limit"


def test_bad_osmand_timestamp_is_named_timestamp(client: TestClient) -> None:
    _, token = new_device(client)
    bad = client.get(f"/osmand/{token}", params={"lat": "-8", "lon": "-79", "timestamp": "ayer"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "timestamp"
    old = client.post(f"/osmand/{token}", data={"lat": "-8", "lon": "-79", "time": "1999-01-01"})
    assert old.status_code == 422 and old.json()["error"]["field"] == "time"


def asgi_post(app: Any, path: str, headers: list[tuple[bytes, bytes]], size: int) -> tuple:
    """POST straight to the ASGI app, counting how much of the body it asked for."""
    asked = []
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "client": ("10.9.8.7", 1234), "server": ("test", 80),
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(size).encode()), *headers]}  # fmt: skip

    async def receive() -> dict[str, Any]:
        asked.append(1)
        return {"type": "http.request", "body": b"{" + b" " * (size - 2) + b"}"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], len(asked)


def test_no_token_no_body_read(client: TestClient) -> None:
    app = create_app(client.app.state.settings.model_copy(update={"max_body_bytes": 2_000_000}),
                     client.app.state.store)  # fmt: skip
    size = 1_800_000
    assert asgi_post(app, "/api/v1/pings", [], size) == (401, 0)
    wrong = [(b"authorization", b"Bearer not-a-device-token")]
    assert asgi_post(app, "/api/v1/pings", wrong, size) == (401, 0)
    assert asgi_post(app, "/api/v1/plans", [], size) == (401, 0)
    assert asgi_post(app, "/api/v1/plans", wrong, size) == (403, 0)
    assert asgi_post(app, "/osmand/not-a-device-token", [], size) == (401, 0)


def test_wrong_admin_tokens_are_throttled_per_address(client: TestClient) -> None:
    wrong = {"Authorization": "Bearer " + "x" * 40}
    statuses = [client.get("/api/v1/devices", headers=wrong).status_code for _ in range(10)]
    assert statuses == [403] * 10
    refused = client.get("/api/v1/devices", headers=admin_headers())  # even the right one
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "too_many_requests"
    gated = client.post("/api/v1/devices", json={"name": "x"}, headers=wrong)
    assert gated.status_code == 429
    elsewhere = TestClient(client.app, client=("10.1.2.3", 4000))
    assert elsewhere.get("/api/v1/devices", headers=admin_headers()).status_code == 200
