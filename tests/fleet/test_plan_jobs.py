"""Plan jobs through the service: the embedded worker, ``basuracero worker`` on Redis, and a
worker killed mid-solve whose job another worker finishes with one stored plan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from basuracero.fleet.settings import Settings
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, load_scenario
from basuracero.routing.check import check_plan
from basuracero.routing.plan import Plan
from basuracero.service import create_app

ADMIN = "jobs-admin-token-0123456789abcdefghij"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
AREA = "florencia-de-mora"
REDIS = os.environ.get("BASURACERO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'service.db'}",
        admin_token=SecretStr(ADMIN),
        job_heartbeat_s=0.5,
        job_stale_s=3.0,
        public_page_limit="1000/10 seconds",  # jobs are polled four times a second below
        **overrides,
    )


def wait_for(client: TestClient, job_id: int, statuses: set[str], timeout_s: float,
             until: Any = None) -> dict[str, Any]:  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/plan-jobs/{job_id}").json()
        if job["status"] in statuses and (until is None or until(job)):
            return job
        if job["status"] == "failed":
            pytest.fail(f"job failed: {job['error']}")
        time.sleep(0.25)
    pytest.fail(f"job {job_id} not {statuses} after {timeout_s} s: {job}")


def assert_checked_plan(client: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    """The stored plan is the area's day and passes the independent checker again."""
    saved = client.get(f"/api/v1/plans/{job['plan_id']}").json()
    assert saved["area"] == AREA and saved["date"] == job["date"]
    document = saved["plan"]
    assert document["area"] == AREA and document["timezone"] == "America/Lima"
    scenario = load_scenario(DayInputs.of_area(bundled_areas()[AREA]))
    plan = Plan.from_dict(document)
    assert check_plan(scenario.problem, plan) == []
    assert document["totals"]["streets_served"] > 250  # door to door: the demo's 284 blocks
    return document


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path))) as client:
        yield client


def test_embedded_worker_makes_a_checked_plan(embedded: TestClient) -> None:
    body = {"area": AREA, "date": "2026-12-03", "time_limit_s": 2, "seed": 1}
    created = embedded.post("/api/v1/plan-jobs", json=body, headers=AUTH)
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "queued"
    job_id = created.json()["id"]
    again = embedded.post("/api/v1/plan-jobs", json=body, headers=AUTH)
    assert again.json()["id"] == job_id  # same inputs, same job
    job = wait_for(embedded, job_id, {"done"}, timeout_s=180)
    assert job["progress"] == 1.0 and job["best_cost"] > 0 and job["attempts"] == 1
    assert_checked_plan(embedded, job)
    other = embedded.post("/api/v1/plan-jobs", json={**body, "seed": 2}, headers=AUTH)
    assert other.status_code == 202  # the first is done: another may run for the same date
    listed = embedded.get("/api/v1/plan-jobs", params={"area": AREA}).json()["jobs"]
    assert [j["id"] for j in listed][:2] == [other.json()["id"], job_id]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"area": "atlantis"}, 422, "area"),
        ({"date": "2026-02-30"}, 422, "date"),
        ({"vehicles_out": ["C1", "Z9"]}, 422, "vehicles_out.1"),
        ({"vehicles_out": ["C1", "C2", "B1"]}, 422, "vehicles_out"),
        ({"time_limit_s": 0}, 422, "time_limit_s"),
        ({"carry_over_from": 99}, 422, "carry_over_from"),
    ],
)
def test_bad_input_is_refused_before_anything_is_queued(
    tmp_path: Path, change: dict[str, Any], status: int, field: str
) -> None:
    app = create_app(settings(tmp_path, embedded_worker=False))
    with TestClient(app) as client:
        body = {"area": AREA, "date": "2026-12-03", **change}
        answer = client.post("/api/v1/plan-jobs", json=body, headers=AUTH)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["field"] == field
        assert client.get("/api/v1/plan-jobs").json() == {"jobs": []}
        assert client.post("/api/v1/plan-jobs", json=body).status_code == 401


def test_a_second_request_for_a_busy_day_conflicts(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, embedded_worker=False))  # nobody runs the job
    with TestClient(app) as client:
        body = {"area": AREA, "date": "2026-12-03"}
        first = client.post("/api/v1/plan-jobs", json=body, headers=AUTH)
        assert first.status_code == 202
        busy = client.post("/api/v1/plan-jobs", json={**body, "seed": 5}, headers=AUTH)
        assert busy.status_code == 409 and busy.json()["error"]["field"] == "date"
        assert str(first.json()["id"]) in busy.json()["error"]["message"]


def test_areas_are_listed_and_own_devices_and_plans(tmp_path: Path) -> None:
    app = create_app(settings(tmp_path, embedded_worker=False))
    with TestClient(app) as client:
        areas = client.get("/api/v1/areas").json()
        assert areas[0]["id"] == AREA and areas[0]["default"] is True
        assert {"id", "name", "timezone", "inei", "population"} <= set(areas[0])
        assert len(areas) == len(bundled_areas())
        device = client.post("/api/v1/devices", json={"name": "C1"}, headers=AUTH).json()
        assert device["area"] == AREA  # the default area
        bad = client.post("/api/v1/devices", json={"name": "x", "area": "nowhere"}, headers=AUTH)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "area"


# -- distributed workers on the real broker ----------------------------------------------------


def redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).flushdb()
    except redis.RedisError as exc:
        pytest.skip(f"Redis not reachable at {REDIS}: {exc}")


def start_worker(db_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BASURACERO_JOB_HEARTBEAT_S": "0.5", "BASURACERO_JOB_STALE_S": "3"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "basuracero.cli", "worker", "--broker", REDIS, "--db", db_url],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)  # the consumer and its worker processes
        process.wait(timeout=30)


@pytest.fixture
def distributed(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    redis_or_skip()
    service = settings(tmp_path, broker_url=REDIS)
    with TestClient(create_app(service)) as client:
        yield client, service.database_url


def test_basuracero_worker_on_redis_makes_the_plan(
    distributed: tuple[TestClient, str], tmp_path: Path
) -> None:
    client, db_url = distributed
    worker = start_worker(db_url, tmp_path / "worker.log")
    try:
        body = {"area": AREA, "date": "2026-12-04", "time_limit_s": 2}
        job_id = client.post("/api/v1/plan-jobs", json=body, headers=AUTH).json()["id"]
        job = wait_for(client, job_id, {"done"}, timeout_s=180)
        assert_checked_plan(client, job)
    finally:
        stop(worker)


def test_a_worker_killed_mid_solve_leaves_the_job_to_another(
    distributed: tuple[TestClient, str], tmp_path: Path
) -> None:
    client, db_url = distributed
    log = tmp_path / "workers.log"
    first = start_worker(db_url, log)
    second = None
    try:
        body = {"area": AREA, "date": "2026-12-05", "time_limit_s": 12}
        job_id = client.post("/api/v1/plan-jobs", json=body, headers=AUTH).json()["id"]
        running = wait_for(client, job_id, {"running"}, timeout_s=120,
                           until=lambda j: j["progress"] > 0)  # fmt: skip
        assert running["attempts"] == 1
        stop(first, signal.SIGKILL)  # mid-solve: no chance to say anything
        second = start_worker(db_url, log)
        job = wait_for(client, job_id, {"done"}, timeout_s=240)
        assert job["attempts"] == 2, log.read_text()[-3000:]
        assert_checked_plan(client, job)
        plans = client.get("/api/v1/plans", params={"date": "2026-12-05"}).json()["plans"]
        assert [p["id"] for p in plans] == [job["plan_id"]]  # stored once
    finally:
        stop(first, signal.SIGKILL)
        if second is not None:
            stop(second)
