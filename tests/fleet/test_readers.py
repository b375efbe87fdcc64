"""Public readers cannot starve the trucks: results computed once and shared, per-address limits.

The same progress read twice, or twenty residents asking at once, is one map-matching; a new ping
is what makes the next read compute afresh. An address reading too fast gets 429 with
Retry-After while another address is served, and a truck's ping is never refused for it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient

from basuracero.api import coverage as coverage_api
from basuracero.api import progress as progress_api
from basuracero.api.public_limits import PAGE, Rule, rate_limited
from basuracero.api.read_cache import ReadCache
from basuracero.fleet.store import Store
from basuracero.service import create_app
from tests.fleet.conftest import admin_headers, make_settings
from tests.fleet.test_service import minimal_plan, new_device

DAY = "2026-11-24"
SHIFT = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 06:00 in Lima, the plan's first departure
LATER = SHIFT + timedelta(hours=2)


def app_client(store: Store, **overrides: Any) -> TestClient:
    return TestClient(create_app(make_settings(store.url, **overrides), store))


@pytest.fixture
def reader(store: Store) -> Iterator[TestClient]:
    """A service whose readers are told apart by X-Forwarded-For and never wait for "now"."""
    settings = {"client_ip_header": "X-Forwarded-For", "public_refresh_s": 0.0}
    with app_client(store, **settings) as client:
        yield client


def stored_plan(client: TestClient) -> tuple[int, str]:
    """The smallest plan of DAY with its truck assigned to a new phone; (plan id, token)."""
    device_id, token = new_device(client)
    body = {"date": DAY, "plan": minimal_plan(), "assignments": {"R1": device_id}}
    created = client.post("/api/v1/plans", json=body, headers=admin_headers())
    assert created.status_code == 201, created.text
    return created.json()["id"], token


def send(client: TestClient, token: str, moment: datetime, lon: float = -79.021) -> None:
    ping = {"time": moment.isoformat(), "lat": -8.081, "lon": lon}
    sent = client.post(
        "/api/v1/pings", json={"pings": [ping]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert sent.status_code == 200 and sent.json()["accepted"] == 1, sent.text


def computations(client: TestClient) -> int:
    return client.app.state.read_cache.computed["progress"]


def inside_one_minute() -> None:
    """ "Now" is read to the minute, and a new minute is a new moment computed afresh: start
    reads that must share a result well inside one minute of the clock."""
    second = datetime.now(UTC).second
    if second > 40:
        time.sleep(61 - second)


def test_the_same_progress_read_twice_is_computed_once(reader: TestClient) -> None:
    plan_id, token = stored_plan(reader)
    send(reader, token, SHIFT + timedelta(minutes=5))
    at = {"at": LATER.isoformat()}
    first = reader.get(f"/api/v1/plans/{plan_id}/progress", params=at)
    again = reader.get(f"/api/v1/plans/{plan_id}/progress", params=at)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["at"] == "2026-11-24T13:00:00Z"
    assert computations(reader) == 1
    # missed.csv and the coverage page of the same moment are built on that same computation
    assert reader.get(f"/api/v1/plans/{plan_id}/missed.csv", params=at).status_code == 200
    assert reader.get(f"/coverage/{plan_id}", params=at).status_code == 200
    assert computations(reader) == 1
    assert reader.get(f"/api/v1/plans/{plan_id}/progress", params={"at": DAY + "T09:00"}).json()
    assert computations(reader) == 2  # another moment is another computation


def test_concurrent_identical_reads_compute_once(
    reader: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id, _ = stored_plan(reader)
    calls: list[int] = []
    real = progress_api.evaluate_in_worker  # map-matching in the worker process

    def slow(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        time.sleep(0.5)  # the readers below all arrive while this runs
        return real(*args, **kwargs)

    monkeypatch.setattr(progress_api, "evaluate_in_worker", slow)
    url = f"/api/v1/plans/{plan_id}/progress"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: reader.get(url, params={"at": LATER.isoformat()},
                                                     headers={"X-Forwarded-For": f"10.0.0.{i}"}),
                                range(8)))  # fmt: skip
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.text for a in answers}) == 1
    assert len(calls) == 1 and computations(reader) == 1


def test_without_worker_processes_the_server_computes_the_same(store: Store) -> None:
    with app_client(store, public_read_processes=0) as client:
        plan_id, token = stored_plan(client)
        send(client, token, SHIFT + timedelta(minutes=5))
        url = f"/api/v1/plans/{plan_id}/progress"
        here = client.get(url, params={"at": LATER.isoformat()}).json()
    with app_client(store) as client:
        assert client.get(url, params={"at": LATER.isoformat()}).json() == here
        assert computations(client) == 1


def test_the_coverage_page_is_built_in_the_worker_process(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page of a district is Python seconds the pings must not wait for: with a worker
    process the server never builds it, and serves the same page it would have built."""
    at = {"at": LATER.isoformat()}
    with app_client(store, public_read_processes=0) as client:
        plan_id, token = stored_plan(client)
        send(client, token, SHIFT + timedelta(minutes=5))
        here = {lang: client.get(f"/coverage/{plan_id}", params={**at, "lang": lang})
                for lang in ("es", "en")}  # fmt: skip

    def not_here(*_args: Any, **_kwargs: Any) -> str:
        raise AssertionError("the coverage page was built in the server process")

    monkeypatch.setattr(coverage_api, "coverage_page", not_here)
    with app_client(store) as client:
        for lang, page in here.items():
            there = client.get(f"/coverage/{plan_id}", params={**at, "lang": lang})
            assert page.status_code == there.status_code == 200
            assert same_page(there.text, page.text)
        assert client.get(f"/coverage/{plan_id}", params={"lang": "fr"}).status_code == 422
        assert client.get("/coverage/999999", params=at).status_code == 404


def same_page(one: str, other: str) -> bool:
    """Equal but for the map's element ids, which are random on every build."""
    ids = re.compile(r"_[0-9a-f]{32}")
    return ids.sub("_id", one) == ids.sub("_id", other)


def test_the_cache_waits_for_one_build_and_keeps_failures_out() -> None:
    cache = ReadCache(workers=2)
    built: list[int] = []
    gate = threading.Event()

    def build() -> str:
        built.append(1)
        gate.wait(5)
        return "result"

    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(cache.get, ("kind", 1), build) for _ in range(6)]
        time.sleep(0.2)
        gate.set()
        assert [f.result() for f in futures] == ["result"] * 6
    assert built == [1] and cache.computed["kind"] == 1

    def broken() -> str:
        raise ValueError("no streets")

    for _ in range(2):  # a failure is told to the reader, and the next one tries again
        with pytest.raises(ValueError, match="no streets"):
            cache.get(("kind", 2), broken)
    assert cache.get(("kind", 2), lambda: "fixed") == "fixed"
    cache.close()


def test_a_new_ping_changes_the_mark_and_the_next_read_recomputes(reader: TestClient) -> None:
    plan_id, token = stored_plan(reader)
    url = f"/api/v1/plans/{plan_id}/progress"
    at = {"at": LATER.isoformat()}
    send(reader, token, SHIFT + timedelta(minutes=5))
    reader.get(url, params=at)
    assert computations(reader) == 1
    send(reader, token, LATER + timedelta(minutes=10))  # after ``at``: not its evidence
    reader.get(url, params=at)
    assert computations(reader) == 1
    send(reader, token, SHIFT + timedelta(minutes=7), lon=-79.0211)  # late, from a buffer
    reader.get(url, params=at)
    assert computations(reader) == 2
    # "now" (the plan is of a past day): the day's pings are its mark too
    inside_one_minute()
    reader.get(url)
    reader.get(url)
    assert computations(reader) == 3
    send(reader, token, SHIFT + timedelta(minutes=9))
    reader.get(url)
    assert computations(reader) == 4


def test_now_is_reused_for_the_refresh_period_whatever_arrives(store: Store) -> None:
    with app_client(store, public_refresh_s=600.0) as client:
        plan_id, token = stored_plan(client)
        inside_one_minute()
        url = f"/api/v1/plans/{plan_id}/progress"
        first = client.get(url).json()
        send(client, token, SHIFT + timedelta(minutes=5))
        assert client.get(url).json() == first
        assert computations(client) == 1
        # other modules calling compute() (a plan job carrying over today's misses) see it all
        request = Request({"type": "http", "app": client.app, "headers": []})
        progress_api.compute(request, plan_id, None)
        assert computations(client) == 2


def refused(response: Any) -> bool:
    body = response.json()
    return (
        response.status_code == 429
        and int(response.headers["Retry-After"]) >= 1
        and body["error"]["code"] == "too_many_requests"
        and set(body["error"]) == {"code", "message", "field"}
    )


def test_one_address_over_its_burst_gets_429_while_another_is_served(store: Store) -> None:
    limits = {"public_read_limit": "3/minute", "public_page_limit": "5/minute"}
    with app_client(store, client_ip_header="X-Forwarded-For", **limits) as client:
        plan_id, _ = stored_plan(client)
        one, other = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"}
        url = f"/api/v1/plans/{plan_id}/progress"
        assert [client.get(url, headers=one).status_code for _ in range(3)] == [200] * 3
        assert refused(client.get(url, headers=one))
        assert refused(client.get("/api/v1/positions", headers=one))  # same allowance
        assert refused(client.get(f"/coverage/{plan_id}", headers=one))
        assert client.get(url, headers=other).status_code == 200
        # what a client wrote before the proxy's own address does not make a new reader
        spoofed = {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}
        assert refused(client.get(url, headers=spoofed))
        # cheaper pages have their own, larger allowance
        pages = [client.get("/api/v1/plans", headers=one).status_code for _ in range(6)]
        assert pages == [200] * 5 + [429]


def test_without_a_proxy_header_the_connection_counts(store: Store) -> None:
    with app_client(store, public_read_limit="2/minute") as client:
        headers = {"X-Forwarded-For": "203.0.113.7"}  # not trusted: the address is the socket's
        codes = [client.get("/api/v1/positions", headers=headers).status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_pings_management_and_the_admin_are_never_rate_limited(store: Store) -> None:
    limits = {"public_read_limit": "1/minute", "public_page_limit": "1/minute"}
    with app_client(store, **limits) as client:
        device_id, token = new_device(client)
        assert client.get("/api/v1/positions").status_code == 200
        assert client.get("/api/v1/positions").status_code == 429
        assert client.get("/api/v1/positions", headers=admin_headers()).status_code == 200
        for i in range(15):
            moment = SHIFT + timedelta(seconds=i)
            params = {"lat": "-8.081", "lon": "-79.021", "timestamp": str(int(moment.timestamp()))}
            assert client.get(f"/osmand/{token}", params=params).status_code == 200
            send(client, token, moment + timedelta(milliseconds=500))
            listed = client.get(f"/api/v1/devices/{device_id}/pings", headers=admin_headers())
            assert listed.status_code == 200
        assert store.count_pings(device_id) == 30


def test_new_public_pages_opt_in_by_rule_or_dependency(store: Store) -> None:
    with app_client(store, public_page_limit="2/minute") as client:
        router = APIRouter()

        @router.get("/transparencia/prueba")
        def today() -> dict[str, str]:
            return {"ok": "sí"}

        @router.get("/pagina-de-prueba", dependencies=[Depends(rate_limited(PAGE))])
        def report() -> dict[str, str]:
            return {"ok": "sí"}

        client.app.include_router(router)
        client.app.state.public_limits.rules.append(Rule(r"^/transparencia(/|$)", PAGE))
        for path in ("/transparencia/prueba", "/pagina-de-prueba"):
            client.app.state.public_limits.reset()
            codes = [client.get(path).status_code for _ in range(3)]
            assert codes == [200, 200, 429], path
            assert refused(client.get(path))


def test_a_new_assignment_is_read_at_once_though_rows_are_kept_a_second(
    reader: TestClient,
) -> None:
    """Public reads keep a plan's row and assignments a second (a crowd arriving together
    would make hundreds of database round trips); an assignment made meanwhile is read at
    once, by the plan and by its progress."""
    plan_id, _ = stored_plan(reader)
    other, _ = new_device(reader)
    before = reader.get(f"/api/v1/plans/{plan_id}").json()["assignments"]
    changed = reader.put(
        f"/api/v1/plans/{plan_id}/assignments", json={"R1": other}, headers=admin_headers()
    )
    assert changed.status_code == 200, changed.text
    after = reader.get(f"/api/v1/plans/{plan_id}").json()["assignments"]
    assert before != after == {"R1": other}
    progress = reader.get(f"/api/v1/plans/{plan_id}/progress").json()
    assert [route["device_id"] for route in progress["routes"]] == [other]
