"""Run one plan job: claim it, keep its heartbeat, plan the area's day, store the plan once.

The message from the queue is only a job id; everything else comes from the job's row, so a
message delivered twice, or after another worker finished, does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field

from basuracero.errors import InputError
from basuracero.fleet.job_store import JobStore
from basuracero.fleet.settings import Settings
from basuracero.fleet.store import Store
from basuracero.planning.area import Area
from basuracero.planning.job import PlanJobInputs, run_plan_job
from basuracero.routing.solver import Progress

log = logging.getLogger("basuracero.jobs")


@dataclass
class WorkerContext:
    """What a worker process needs to run jobs, set once before its consumer starts."""

    settings: Settings
    areas: dict[str, Area]
    _jobs: JobStore | None = field(default=None, repr=False)

    @property
    def jobs(self) -> JobStore:
        if self._jobs is None:  # one connection pool per process (forked workers build theirs)
            self._jobs = JobStore(Store(self.settings.database_url))
        return self._jobs


_context: WorkerContext | None = None


def set_context(context: WorkerContext) -> None:
    global _context
    _context = context


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def solve_plan_job(job_id: int) -> None:
    """The queue's task: run job ``job_id`` if nobody else is running it."""
    if _context is None:
        raise RuntimeError("solve_plan_job runs only in a worker (basuracero worker)")
    run_job(_context, job_id)


def run_job(context: WorkerContext, job_id: int) -> None:
    me = worker_name()
    jobs = context.jobs
    job = jobs.claim(job_id, me, stale_s=context.settings.job_stale_s)
    if job is None:
        return  # done, failed, or held by a live worker
    log.info("plan job %s: %s %s (attempt %s)", job.id, job.area, job.service_date, job.attempts)
    beat = _Heartbeat(jobs, job_id, me, context.settings.job_heartbeat_s)
    beat.start()
    try:
        inputs = PlanJobInputs.from_dict(job.inputs)
        area = context.areas.get(inputs.area)
        if area is None:
            raise InputError(f"area {inputs.area!r} is not served by this worker", field="area")
        day = run_plan_job(inputs, area, on_progress=beat.report)
    except InputError as exc:
        beat.stop()
        jobs.fail(job_id, me, {"code": "bad_input", "message": str(exc), "field": exc.field})
        log.warning("plan job %s failed: %s", job_id, exc)
        return
    except Exception as exc:  # a solver bug must fail the job, not leave it running forever
        beat.stop()
        jobs.fail(job_id, me, {"code": "solver_error", "message": f"{type(exc).__name__}: {exc}",
                               "field": None})  # fmt: skip
        log.exception("plan job %s crashed", job_id)
        return
    beat.stop()
    plan_id = jobs.finish(job_id, plan=day.document, name=f"{area.name} {inputs.service_date}",
                          cost=round(day.plan.cost, 2))  # fmt: skip
    log.info("plan job %s: %s", job_id, f"plan {plan_id}" if plan_id else "already stored")


class _Heartbeat:
    """A thread that writes the job's heartbeat and latest progress every few seconds."""

    def __init__(self, jobs: JobStore, job_id: int, worker: str, every_s: float) -> None:
        self.jobs, self.job_id, self.worker, self.every_s = jobs, job_id, worker, every_s
        self.progress, self.best_cost = 0.0, None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def report(self, progress: Progress) -> None:
        self.progress = progress.fraction
        self.best_cost = progress.best_cost

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.jobs.heartbeat(self.job_id, self.worker, progress=self.progress,
                                    best_cost=self.best_cost)  # fmt: skip
            except Exception:  # a database hiccup must not kill the solve; the next beat retries
                log.exception("heartbeat of plan job %s", self.job_id)
