"""Map-matching for public reads in a worker process, so the pings keep the interpreter.

A thread computing a district's progress holds Python's interpreter lock for seconds, and the
event loop answering the trucks' pings waits for it each time it needs it: pings that take 5 ms
take hundreds. In a process of its own the computation competes only for a CPU core, which the
operating system shares fairly. The pool is one per server process, started on the first read
(spawned, not forked: the server has threads); each worker keeps a read-only store per database.
A worker that dies is replaced; meanwhile the read is computed in the server, as before. A
worker watches its server and ends with it, however the server ended.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from basuracero.api.errors import ApiError
from basuracero.fleet.store import Store
from basuracero.planning.area import Area

log = logging.getLogger("basuracero.progress")
STORES_PER_WORKER = 4  # databases a worker keeps open (one in production; tests use many)
PARENT_CHECK_S = 2.0

T = TypeVar("T")
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_stores: OrderedDict[str, Store] = OrderedDict()  # in a worker: its stores by URL


def evaluate_in_worker(
    store: Store, saved: dict[str, Any], area: Area, now: datetime, *, processes: int
) -> tuple[dict[str, Any], list]:
    """``api.progress._evaluate`` in a worker process (``processes`` of them at most)."""
    from basuracero.api.progress import _evaluate

    pool = _worker_pool(processes)
    try:
        return pool.submit(_evaluate_here, store.url, saved, area, now).result()
    except BrokenProcessPool:
        log.warning("progress worker process died; computing this read in the server")
        _forget(pool)
        return _evaluate(store, saved, area, now)


def build_in_worker(build: Callable[..., T], *args: Any, processes: int) -> T:
    """``build(*args)`` in the worker process: the answers made from a computed result (progress
    JSON, missed.csv, the coverage page) take Python seconds too. ``build`` is a module-level
    function; in the server when ``processes`` is 0 or the worker died."""
    if processes <= 0:
        return build(*args)
    pool = _worker_pool(processes)
    try:
        outcome = pool.submit(_built_here, build, *args).result()
    except BrokenProcessPool:
        log.warning("progress worker process died; building this read in the server")
        _forget(pool)
        return build(*args)
    if isinstance(outcome, _Refusal):
        raise ApiError(outcome.status, outcome.message, field=outcome.field)
    return outcome


@dataclass(frozen=True)
class _Refusal:
    """An ApiError on its way back from the worker (the exception itself does not pickle)."""

    status: int
    message: str
    field: str | None


def _built_here(build: Callable[..., Any], *args: Any) -> Any:
    try:
        return build(*args)
    except ApiError as exc:
        return _Refusal(exc.status, exc.message, exc.field)


def _worker_pool(processes: int) -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=context,
                initializer=_follow_server,
                initargs=(os.getpid(),),
            )
        return _pool


def _forget(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _follow_server(server_pid: int) -> None:
    """In the worker: end when the server process has (however it ended: a SIGKILL leaves no
    time to shut a pool down), instead of living on as an orphan."""

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="follow-server", daemon=True).start()


def _evaluate_here(
    url: str, saved: dict[str, Any], area: Area, now: datetime
) -> tuple[dict[str, Any], list]:
    """Runs in the worker: the store of ``url`` (opened once) and the same computation."""
    from basuracero.api.progress import _evaluate

    store = _stores.get(url)
    if store is None:
        store = Store(url)
        _stores[url] = store
        while len(_stores) > STORES_PER_WORKER:
            _stores.popitem(last=False)[1].close()
    _stores.move_to_end(url)
    return _evaluate(store, saved, area, now)
