"""The service's own worker process, used when no broker is configured (nothing to install).

It runs :func:`basuracero.jobs.worker.worker_main`, exactly what ``basuracero worker`` runs, in
a child process started with *spawn* (a clean interpreter: no threads or sockets inherited from
the web server), and is stopped with the service.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from typing import Any

from basuracero.fleet.settings import Settings


def _run(values: dict[str, Any], parent: int) -> None:
    from basuracero.jobs.worker import worker_main

    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    worker_main(Settings(**values))


def _exit_with_parent(parent: int) -> None:
    """A service killed outright cannot stop its worker: the worker notices and stops itself."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


class EmbeddedWorker:
    """Started on the first job (or at start-up when jobs are waiting), stopped at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._process: multiprocessing.process.BaseProcess | None = None
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def ensure_started(self) -> None:
        with self._lock:
            if self.alive:
                return
            values = self.settings.model_dump(exclude={"admin_token"})
            process = multiprocessing.get_context("spawn").Process(
                target=_run, args=(values, os.getpid()), name="basuracero-worker"
            )  # not a daemon: Huey's consumer starts worker processes of its own
            process.start()
            self._process = process

    def stop(self, timeout_s: float = 10.0) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        process.terminate()  # Huey's consumer stops on SIGTERM
        process.join(timeout_s)
        if process.is_alive():
            process.kill()
            process.join(timeout_s)
