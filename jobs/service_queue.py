"""The service's side of the queue: enqueue job ids, and start the embedded worker if needed."""

from __future__ import annotations

from basuracero.fleet.settings import Settings
from basuracero.jobs.embedded import EmbeddedWorker
from basuracero.jobs.queue import make_queue, solve_task


class JobQueue:
    """Puts plan jobs on the queue; without a broker, also runs the worker that takes them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._task = solve_task(make_queue(settings))
        own = settings.broker_url is None and settings.embedded_worker
        self.embedded = EmbeddedWorker(settings) if own else None

    def enqueue(self, job_id: int) -> None:
        self._task(job_id)
        if self.embedded is not None:
            self.embedded.ensure_started()

    def resume(self, waiting: int) -> None:
        """At start-up: jobs left queued or running by a stopped service get a worker again."""
        if waiting and self.embedded is not None:
            self.embedded.ensure_started()

    def close(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
