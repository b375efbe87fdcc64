"""Group commit: one writer thread turns many concurrent ping requests into few transactions.

SQLite allows one writer at a time and makes waiting writers sleep in growing steps, so hundreds of
phones each committing their own ping would queue for seconds. Here every request hands its rows to
a queue and waits; the writer drains whatever has gathered, commits it in one transaction and then
answers each request. A request is answered only after the commit that holds its rows.

Sharing a transaction must not mean sharing a fate: when a group's transaction fails for something
one request carried (a value the database refuses), the writer splits the group in halves and
commits each on its own, down to single requests, so only the request at fault learns of the
failure and every other one is stored. A failure of the database itself (unreachable) is not
retried here: every request of the group is told at once, and the client retries later.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_STOP = object()


class StoreClosed(RuntimeError):
    """The store is shutting down; the request should be retried against a running one."""


class GroupWriter(Generic[T]):
    """Serialises writes through ``write_batch(list of requests) -> one result per request``.

    A result that is an exception fails that request alone (e.g. a revoked device token).
    ``isolate(exc)`` says whether a failed group may owe its failure to one request (retry the
    halves) or to the database as a whole (fail them all); ``size`` weighs a request in rows.
    """

    def __init__(
        self,
        write_batch: Callable[[list[T]], Sequence[Any]],
        *,
        isolate: Callable[[BaseException], bool] = lambda _exc: True,
        size: Callable[[T], int] = lambda _item: 1,
        max_rows: int = 20_000,
    ) -> None:
        self._write_batch = write_batch
        self._isolate = isolate
        self._size = size
        self._max_rows = max_rows
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ping-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, item: T) -> Future[Any]:
        future: Future[Any] = Future()
        if self._closed:
            future.set_exception(StoreClosed("the store is closed"))
            return future
        self._queue.put((item, future))
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
            batch, stop = self._gather(item)
            self._commit(batch)
            if stop:
                return

    def _gather(self, first: tuple[T, Future[Any]]) -> tuple[list[tuple[T, Future[Any]]], bool]:
        """Whatever else is waiting, up to ``max_rows``; True when the stop mark was met."""
        batch = [first]
        size = self._size(first[0])
        while size < self._max_rows:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
            if nxt is _STOP:
                return batch, True
            batch.append(nxt)
            size += self._size(nxt[0])
        return batch, False

    def _commit(self, batch: list[tuple[T, Future[Any]]]) -> None:
        try:
            results = self._write_batch([item for item, _ in batch])
        except BaseException as exc:  # every waiting request must learn of the failure
            if len(batch) > 1 and isinstance(exc, Exception) and self._isolate(exc):
                middle = len(batch) // 2  # halves: one bad request costs ~2·log2(n) commits
                self._commit(batch[:middle])
                self._commit(batch[middle:])
                return
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
