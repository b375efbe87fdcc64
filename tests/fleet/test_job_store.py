"""Plan job rows on SQLite and PostgreSQL: one job per inputs, one runner, one stored plan."""

from __future__ import annotations

import threading
import time

import pytest

from basuracero.fleet.job_store import JobConflict, JobStore
from basuracero.fleet.store import Store

INPUTS = {"area": "a", "date": "2026-12-03", "time_limit_s": 5}
PLAN = {"routes": [], "unassigned": [], "places": {}}


def submit(jobs: JobStore, key: str = "k1", area: str = "a", day: str = "2026-12-03"):
    return jobs.submit(key=key, area=area, service_date=day, inputs=INPUTS)


def test_same_inputs_return_the_same_job(store: Store) -> None:
    jobs = JobStore(store)
    first, enqueue = submit(jobs)
    again, enqueue_again = submit(jobs)
    assert enqueue and not enqueue_again
    assert first.id == again.id and again.status == "queued"


def test_other_inputs_for_a_busy_area_and_date_conflict(store: Store) -> None:
    jobs = JobStore(store)
    first, _ = submit(jobs)
    with pytest.raises(JobConflict) as caught:
        submit(jobs, key="k2")
    assert caught.value.job.id == first.id
    other_day, enqueue = submit(jobs, key="k3", day="2026-12-04")  # another date is free
    assert enqueue and other_day.id != first.id


def test_only_one_worker_claims_a_job(store: Store) -> None:
    jobs = JobStore(store)
    job, _ = submit(jobs)
    won: list[str] = []

    def claim(name: str) -> None:
        if jobs.claim(job.id, name, stale_s=60) is not None:
            won.append(name)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert jobs.get(job.id).worker == won[0] and jobs.get(job.id).attempts == 1


def test_a_silent_workers_job_is_released_and_taken_over(store: Store) -> None:
    jobs = JobStore(store)
    job, _ = submit(jobs)
    assert jobs.claim(job.id, "dead", stale_s=60) is not None
    assert jobs.claim(job.id, "other", stale_s=60) is None  # the heartbeat is fresh
    assert jobs.release_stale(stale_s=60) == []
    time.sleep(0.3)
    assert jobs.release_stale(stale_s=0.2) == [job.id]
    assert jobs.release_stale(stale_s=0.2) == []  # released once, not every round
    taken = jobs.claim(job.id, "other", stale_s=60)
    assert taken is not None and taken.worker == "other" and taken.attempts == 2
    assert not jobs.heartbeat(job.id, "dead", progress=0.5, best_cost=1.0)
    assert jobs.heartbeat(job.id, "other", progress=0.5, best_cost=1.0)
    assert jobs.get(job.id).progress == 0.5


def test_two_finishes_store_one_plan(store: Store) -> None:
    jobs = JobStore(store)
    job, _ = submit(jobs)
    jobs.claim(job.id, "w", stale_s=60)
    first = jobs.finish(job.id, plan=PLAN, name="x", cost=10.0)
    second = jobs.finish(job.id, plan=PLAN, name="x", cost=9.0)
    assert first is not None and second is None
    assert [p["id"] for p in store.list_plans("2026-12-03")] == [first]
    done = jobs.get(job.id)
    assert done.status == "done" and done.plan_id == first and done.best_cost == 10.0
    assert store.plan(first)["area"] == "a"
    assert jobs.claim(job.id, "late", stale_s=0) is None  # a done job is never run again


def test_a_failed_job_is_queued_again_by_the_same_request(store: Store) -> None:
    jobs = JobStore(store)
    job, _ = submit(jobs)
    jobs.claim(job.id, "w", stale_s=60)
    error = {"code": "bad_input", "message": "fleet.toml: ...", "field": "capacity_kg"}
    assert jobs.fail(job.id, "w", error)
    assert jobs.get(job.id).error == error
    again, enqueue = submit(jobs)
    assert enqueue and again.id == job.id and again.status == "queued" and again.error is None
