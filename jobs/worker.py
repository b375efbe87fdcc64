"""The worker process: a Huey consumer running plan jobs, plus the takeover of dead workers' jobs.

``basuracero worker`` runs it on any number of machines that share the database (and the Redis
broker); ``basuracero serve`` without a broker runs the same function in a child process.
"""

from __future__ import annotations

import logging
import threading

from huey.api import Huey

from basuracero.fleet.job_store import JobStore
from basuracero.fleet.settings import Settings
from basuracero.jobs.queue import make_queue, solve_task
from basuracero.jobs.runner import WorkerContext, set_context
from basuracero.planning.area import Area, areas_under, bundled_areas

log = logging.getLogger("basuracero.jobs")


def load_areas(settings: Settings) -> dict[str, Area]:
    from pathlib import Path

    return areas_under(Path(settings.areas_dir)) if settings.areas_dir else bundled_areas()


def worker_main(settings: Settings) -> None:
    """Run jobs until SIGINT/SIGTERM; blocks (must run in a process's main thread)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    context = WorkerContext(settings, load_areas(settings))
    set_context(context)  # forked consumer processes inherit it
    huey = make_queue(settings)
    enqueue = solve_task(huey)
    for job_id in context.jobs.unfinished():  # a lost message must not strand its job
        _requeue(context.jobs, enqueue, job_id)
    reaper = threading.Thread(
        target=_reap, args=(context.jobs, enqueue, settings), name="reaper", daemon=True
    )
    reaper.start()
    consumer = huey.create_consumer(
        workers=settings.worker_concurrency, worker_type="process", periodic=False,
        initial_delay=0.1, max_delay=1.0, check_worker_health=True, health_check_interval=5,
    )  # fmt: skip
    log.info("worker: %s job(s) at once, queue %s", settings.worker_concurrency, _where(huey))
    consumer.run()


def _requeue(jobs: JobStore, enqueue, job_id: int) -> None:
    job = jobs.get(job_id)
    if job is not None and job.status == "queued":
        enqueue(job_id)


def _reap(jobs: JobStore, enqueue, settings: Settings) -> None:
    """Give jobs whose worker went silent (killed, machine lost) back to the queue."""
    stop = threading.Event()
    while not stop.wait(settings.job_heartbeat_s):
        try:
            for job_id in jobs.release_stale(stale_s=settings.job_stale_s):
                log.warning("plan job %s: its worker went silent; queued again", job_id)
                enqueue(job_id)
        except Exception:  # the database may be briefly away; try again next round
            log.exception("reaper")


def _where(huey: Huey) -> str:
    storage = huey.storage
    return getattr(storage, "filename", None) or type(storage).__name__
