"""Plan jobs in the database: the record a queue's message only points to.

The queue (Huey, see ``jobs/``) carries a job id and nothing else. Whether the job runs, who runs
it, how far it got and which plan it produced are rows here, changed by single guarded UPDATEs:

- *claim*: a worker takes a queued job, or a running one whose heartbeat went stale (its worker
  was killed); two workers can never both claim it, whatever the broker redelivers;
- *finish*: the plan is inserted and the job marked done in one transaction, only if no plan was
  stored for it yet, so a job stores exactly one plan even when two workers raced to the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError

from basuracero.fleet.store import Store, insert_plan, iso, plan_jobs, to_us

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)


@dataclass(frozen=True)
class Job:
    """A plan job as stored."""

    id: int
    key: str
    area: str
    service_date: str
    inputs: dict[str, Any]
    status: str
    progress: float
    best_cost: float | None
    plan_id: int | None
    error: dict[str, Any] | None
    attempts: int
    worker: str | None
    heartbeat_us: int | None
    created_us: int

    def public(self) -> dict[str, Any]:
        """What ``GET /api/v1/plan-jobs/{id}`` answers (no worker host names)."""
        answer: dict[str, Any] = {
            "id": self.id,
            "area": self.area,
            "date": self.service_date,
            "status": self.status,
            "progress": round(self.progress, 4),
            "best_cost": self.best_cost,
            "attempts": self.attempts,
            "created_at": iso(self.created_us),
        }
        if self.plan_id is not None:
            answer["plan_id"] = self.plan_id
        if self.error is not None:
            answer["error"] = self.error
        return answer


class JobConflict(Exception):
    """Another job of the same area and date, with other inputs, is queued or running."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"job {job.id} for {job.area} on {job.service_date} is {job.status}")
        self.job = job


class _AlreadyStored(Exception):
    """Rolls back a finished job's plan insert when another worker stored one first."""


def _now_us() -> int:
    return to_us(datetime.now(UTC))


def _job(row: Any) -> Job:
    return Job(
        id=row["id"], key=row["key"], area=row["area"], service_date=row["service_date"],
        inputs=json.loads(row["inputs_json"]), status=row["status"],
        progress=float(row["progress"] or 0.0), best_cost=row["best_cost"],
        plan_id=row["plan_id"],
        error=None if row["error_json"] is None else json.loads(row["error_json"]),
        attempts=int(row["attempts"] or 0), worker=row["worker"],
        heartbeat_us=row["heartbeat_us"], created_us=row["created_us"],
    )  # fmt: skip


class JobStore:
    """Every read and write of plan jobs, on the fleet store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def get(self, job_id: int) -> Job | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(plan_jobs).where(plan_jobs.c.id == job_id)).mappings()
            found = row.first()
        return None if found is None else _job(found)

    def list(self, *, area: str | None = None, service_date: str | None = None) -> list[Job]:
        query = select(plan_jobs).order_by(plan_jobs.c.id.desc()).limit(200)
        if area is not None:
            query = query.where(plan_jobs.c.area == area)
        if service_date is not None:
            query = query.where(plan_jobs.c.service_date == service_date)
        with self.engine.connect() as conn:
            return [_job(r) for r in conn.execute(query).mappings()]

    def submit(
        self, *, key: str, area: str, service_date: str, inputs: dict[str, Any]
    ) -> tuple[Job, bool]:
        """The job for these inputs, and whether it must be (re)enqueued.

        The same inputs give the same job (a failed one is queued again); other inputs for an
        area and date that already has a job queued or running raise :class:`JobConflict`.
        """
        for _ in range(3):  # a concurrent submit of the same key wins the unique index: re-read
            try:
                return self._submit_once(key, area, service_date, inputs)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not submit plan job {key}")

    def _submit_once(
        self, key: str, area: str, service_date: str, inputs: dict[str, Any]
    ) -> tuple[Job, bool]:
        with self.engine.begin() as conn:
            row = conn.execute(select(plan_jobs).where(plan_jobs.c.key == key)).mappings().first()
            if row is not None:
                if row["status"] != FAILED:
                    return _job(row), False
                conn.execute(
                    plan_jobs.update().where(plan_jobs.c.id == row["id"])
                    .values(status=QUEUED, error_json=None, progress=0.0, worker=None)
                )  # fmt: skip
                again = conn.execute(select(plan_jobs).where(plan_jobs.c.id == row["id"]))
                return _job(again.mappings().one()), True
            busy = conn.execute(
                select(plan_jobs).where(
                    plan_jobs.c.area == area,
                    plan_jobs.c.service_date == service_date,
                    plan_jobs.c.status.in_(ACTIVE),
                )
            ).mappings().first()  # fmt: skip
            if busy is not None:
                raise JobConflict(_job(busy))
            job_id = conn.execute(
                plan_jobs.insert()
                .values(key=key, area=area, service_date=service_date,
                        inputs_json=json.dumps(inputs, sort_keys=True), status=QUEUED,
                        progress=0.0, attempts=0, created_us=_now_us())
                .returning(plan_jobs.c.id)
            ).scalar_one()  # fmt: skip
            row = conn.execute(select(plan_jobs).where(plan_jobs.c.id == job_id)).mappings()
            return _job(row.one()), True

    def claim(self, job_id: int, worker: str, *, stale_s: float) -> Job | None:
        """Take the job if it is queued, or running with a heartbeat older than ``stale_s``."""
        now = _now_us()
        cutoff = now - int(stale_s * 1_000_000)
        with self.engine.begin() as conn:
            taken = conn.execute(
                plan_jobs.update()
                .where(
                    plan_jobs.c.id == job_id,
                    plan_jobs.c.plan_id.is_(None),
                    or_(
                        plan_jobs.c.status == QUEUED,
                        and_(plan_jobs.c.status == RUNNING, plan_jobs.c.heartbeat_us < cutoff),
                    ),
                )
                .values(status=RUNNING, worker=worker, heartbeat_us=now, started_us=now,
                        attempts=plan_jobs.c.attempts + 1)
            ).rowcount  # fmt: skip
        return self.get(job_id) if taken == 1 else None

    def heartbeat(
        self, job_id: int, worker: str, *, progress: float, best_cost: float | None
    ) -> bool:
        """Say the worker is alive; False once the job is no longer this worker's."""
        with self.engine.begin() as conn:
            return conn.execute(
                plan_jobs.update()
                .where(plan_jobs.c.id == job_id, plan_jobs.c.worker == worker,
                       plan_jobs.c.status == RUNNING)
                .values(heartbeat_us=_now_us(), progress=min(max(progress, 0.0), 1.0),
                        best_cost=best_cost)
            ).rowcount == 1  # fmt: skip

    def finish(
        self, job_id: int, *, plan: dict[str, Any], name: str | None, cost: float | None = None
    ) -> int | None:
        """Store the plan and mark the job done, atomically; None if a plan was stored already.

        A worker that was thought dead but finishes after all still stores its plan when no
        other worker has: a plan is a plan. The loser's insert is rolled back.
        """
        try:
            with self.engine.begin() as conn:
                job = conn.execute(
                    select(plan_jobs.c.area, plan_jobs.c.service_date)
                    .where(plan_jobs.c.id == job_id)
                ).one()  # fmt: skip
                plan_id = insert_plan(conn, job.service_date, plan, name, job.area)
                done = conn.execute(
                    plan_jobs.update()
                    .where(plan_jobs.c.id == job_id, plan_jobs.c.plan_id.is_(None),
                           plan_jobs.c.status.in_(ACTIVE))
                    .values(status=DONE, plan_id=plan_id, progress=1.0, finished_us=_now_us(),
                            error_json=None, best_cost=cost)
                ).rowcount  # fmt: skip
                if done != 1:
                    raise _AlreadyStored
        except _AlreadyStored:
            return None
        return plan_id

    def fail(self, job_id: int, worker: str, error: dict[str, Any]) -> bool:
        """Record why the job failed (only the worker that holds it may)."""
        with self.engine.begin() as conn:
            return conn.execute(
                plan_jobs.update()
                .where(plan_jobs.c.id == job_id, plan_jobs.c.worker == worker,
                       plan_jobs.c.status == RUNNING, plan_jobs.c.plan_id.is_(None))
                .values(status=FAILED, error_json=json.dumps(error, ensure_ascii=False),
                        finished_us=_now_us())
            ).rowcount == 1  # fmt: skip

    def release_stale(self, *, stale_s: float) -> list[int]:
        """Put back in the queue the running jobs whose worker stopped beating; their ids.

        Each job is released by one guarded UPDATE, so of several workers looking at once only
        one re-enqueues it.
        """
        cutoff = _now_us() - int(stale_s * 1_000_000)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(plan_jobs.c.id).where(
                    plan_jobs.c.status == RUNNING, plan_jobs.c.heartbeat_us < cutoff
                )
            ).all()
        released = []
        for row in rows:
            with self.engine.begin() as conn:
                if conn.execute(
                    plan_jobs.update()
                    .where(plan_jobs.c.id == row.id, plan_jobs.c.status == RUNNING,
                           plan_jobs.c.heartbeat_us < cutoff)
                    .values(status=QUEUED, worker=None)
                ).rowcount == 1:  # fmt: skip
                    released.append(row.id)
        return released

    def unfinished(self) -> list[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(plan_jobs.c.id).where(plan_jobs.c.status.in_(ACTIVE)))
            return [r.id for r in rows]
