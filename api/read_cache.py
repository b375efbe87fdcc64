"""Public reads computed once, off the request path, and served to every reader who asks.

Progress, coverage and positions come from map-matching the day's GPS: seconds of CPU for a
district. Twenty residents refreshing the map must not each start that work, and must never slow
the trucks' pings. So a result is computed once per key, in a small pool of threads of its own
(never on the event loop, never on the group-commit writer), and concurrent readers of the same
key wait for that one computation (single flight) instead of starting theirs.

A key says everything the result depends on: the plan and its assignments, the moment (the
minute for "now", the exact moment for an explicit ``at``) and the *ping mark* of the assigned
devices: how many pings they have between the day's start and that moment. Pings are never
deleted, so a new ping, even one sent late from a phone's offline buffer, changes the mark, and
the next read computes afresh; until then every reader gets the stored result.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from sqlalchemy import func, select

from basuracero.fleet.store import Store, assignments, pings, plans, to_us

T = TypeVar("T")
CACHE_SIZE = 256  # results kept per process: a few hundred kB each at most


class ReadCache:
    """Single-flight, least-recently-used results of public reads.

    ``computed`` counts the computations per kind (the first item of a key), which is what the
    tests and the benchmark look at: the same read twice is one computation.
    """

    def __init__(self, *, workers: int = 2, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.computed: Counter[str] = Counter()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="public-read")
        self._done: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, Future[Any]] = {}
        self._recent: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._inside = threading.local()

    def get(self, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
        """The result for ``key``: stored, being computed (wait for it), or computed now in the
        pool. A build that asks for another key (a page built on the day's progress) computes
        it in its own thread, so a full pool never waits on itself."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            future = self._running.get(key)
            owner = future is None
            if future is None:
                future = Future()
                self._running[key] = future
        if owner:
            if getattr(self._inside, "active", False):
                self._build(key, build, future)
            else:
                self._pool.submit(self._build, key, build, future)
        return future.result()

    def _build(self, key: tuple[Hashable, ...], build: Callable[[], Any], future: Future) -> None:
        settle_heap()
        self._inside.active = True
        try:
            value = build()
        except BaseException as exc:  # every waiting reader learns of it; nothing is stored
            with self._lock:
                self._running.pop(key, None)
            future.set_exception(exc)
            return
        finally:
            self._inside.active = False
        with self._lock:
            self._running.pop(key, None)
            self._done[key] = value
            while len(self._done) > self.size:
                self._done.popitem(last=False)
            self.computed[str(key[0])] += 1
        future.set_result(value)

    def recent(self, name: Hashable, max_age_s: float) -> Any | None:
        """What ``remember`` kept under ``name`` less than ``max_age_s`` ago, else None: the
        latest "now" result, served without even looking at the pings while it is fresh."""
        with self._lock:
            found = self._recent.get(name)
        if found is None or time.monotonic() - found[0] >= max_age_s:
            return None
        return found[1]

    def remember(self, name: Hashable, value: Any) -> None:
        with self._lock:
            self._recent[name] = (time.monotonic(), value)
            self._recent.move_to_end(name)
            while len(self._recent) > self.size:
                self._recent.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._done.clear()
            self._recent.clear()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_settled = threading.Event()


def settle_heap() -> None:
    """Once per process, at the first public computation: collect, then freeze every object
    then alive out of the garbage collector's reach.

    By then the server holds what it keeps for its whole life: its modules, the app, its routes
    and their models (about 330,000 objects in the benchmark's server). A crowd of readers makes
    many objects that outlive a young collection, and every so often that triggers a full one,
    which walks all of them with the interpreter held: 190-600 ms on a busy 2-core machine, and
    every ping in flight waited for it (the slowest pings under 20 readers came exactly then).
    Frozen, they are never walked again; a full collection walks only what came later. The
    cost: what is unreachable is collected first, so only objects alive at that moment are
    frozen, and one of them that later becomes cyclic garbage is never reclaimed."""
    if _settled.is_set():
        return
    _settled.set()
    gc.collect()
    gc.freeze()


def _plan_row(store: Store, plan_id: int) -> tuple[Any, tuple[Any, ...]] | None:
    """A plan's row and assignments, from the last second's read unless assignments changed."""
    now = time.monotonic()
    kept = store.plan_rows.get(plan_id)
    if kept is not None and now - kept[0] < PLAN_ROW_TTL_S and kept[1] == store.assignments_changed:
        return kept[2], kept[3]
    changed = store.assignments_changed
    with store.engine.connect() as conn:
        row = conn.execute(
            select(plans.c.id, plans.c.service_date, plans.c.name, plans.c.area).where(
                plans.c.id == plan_id
            )
        ).first()
        if row is None:
            return None
        assigned = tuple(
            conn.execute(
                select(assignments.c.route_id, assignments.c.device_id).where(
                    assignments.c.plan_id == plan_id
                )
            ).all()
        )
    store.plan_rows[plan_id] = (now, changed, row, assigned)
    return row, assigned


def read_cache(request: Request) -> ReadCache:
    """The app's cache (made on first use when an app was built without one)."""
    state = request.app.state
    cache = getattr(state, "read_cache", None)
    if cache is None:
        settings = getattr(state, "settings", None)
        cache = ReadCache(workers=getattr(settings, "public_read_workers", 2))
        state.read_cache = cache
    return cache


def refresh_s(request: Request) -> float:
    settings = getattr(request.app.state, "settings", None)
    return float(getattr(settings, "public_refresh_s", 0.0))


def ping_mark(store: Store, device_ids: Iterable[int], since: datetime, until: datetime) -> int:
    """How many pings these devices have between two moments: a cheap stamp of the evidence
    (an index range on (device, time) in both databases), changed by any ping stored."""
    ids = sorted(set(device_ids))
    if not ids:
        return 0
    query = (
        select(func.count())
        .select_from(pings)
        .where(
            pings.c.device_id.in_(ids),
            pings.c.time_us >= to_us(since),
            pings.c.time_us <= to_us(until),
        )
    )
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def json_bytes(body: Any) -> bytes:
    """JSON as FastAPI would write it, made once in the read pool (a large body encoded on the
    event loop would hold up every ping meanwhile)."""
    return json.dumps(
        jsonable_encoder(body), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()


def plain_json_bytes(body: Any) -> bytes:
    """JSON of plain data (what json.loads gave: dicts, lists, text, numbers) written directly,
    ten times faster than through FastAPI's encoder: a stored plan is hundreds of kB."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


PLAN_ROW_TTL_S = 1.0  # how long a public read reuses a plan's row and assignments


def stored_plan(store: Store, plan_id: int) -> dict[str, Any] | None:
    """``Store.plan`` without parsing plan.json on every read: the row's small columns and the
    assignments from the database (they change), the document from the store's memory (a stored
    plan.json never changes).

    The row and assignments are reused for PLAN_ROW_TTL_S (1 s), and at once re-read after an
    assignment made in this process: a crowd of readers arriving together (each may take 20
    reads at once) made hundreds of database round trips in a second, whose Python the pings
    waited for. Another server worker's assignment shows here within that second."""
    found = _plan_row(store, plan_id)
    if found is None:
        return None
    row, assigned = found
    document = store.plan_document(plan_id)
    if document is None:
        return None
    return {
        "id": row.id,
        "date": row.service_date,
        "name": row.name,
        "area": row.area,
        "plan": document,
        "assignments": {a.route_id: a.device_id for a in assigned},
    }
