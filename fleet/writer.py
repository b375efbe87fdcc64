"""Group commit: one writer thread turns many concurrent ping requests into few transactions.

SQLite allows one writer at a time and makes waiting writers sleep in growing steps, so hundreds of
phones each committing their own ping would queue for seconds. Here every request hands its rows to
a queue and waits; the writer drains whatever has gathered, commits it in one transaction and then
answers each request. A request is answered only after the commit that holds its rows.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

Rows = list[dict[str, Any]]
_STOP = object()


class GroupWriter:
    """Serialises writes through ``write_batch(list of row lists) -> accepted count per list``."""

    def __init__(self, write_batch: Callable[[list[Rows]], list[int]], max_rows: int = 20_000):
        self._write_batch = write_batch
        self._max_rows = max_rows
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ping-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, rows: Rows) -> Future[int]:
        future: Future[int] = Future()
        if self._closed:
            future.set_exception(RuntimeError("store is closed"))
            return future
        self._queue.put((rows, future))
        return future

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            size = len(item[0])
            stop = False
            while size < self._max_rows:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
                size += len(nxt[0])
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Rows, Future[int]]]) -> None:
        try:
            accepted = self._write_batch([rows for rows, _ in batch])
        except BaseException as exc:  # every waiting request must learn of the failure
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), count in zip(batch, accepted, strict=True):
            future.set_result(count)
