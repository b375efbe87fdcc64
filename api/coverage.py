"""The public coverage map of a stored plan, with what the trucks' GPS says of each block.

Each block shows only its own evidence: the progress of its own visit (served, with when; missed;
pending; or not enough data). The streets a truck merely drove along, or another block of the same
street being served, never make a block "served": neighbours put their bags out by what we say.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.api.progress import Computed, computed, read_processes, streets_for
from basuracero.api.progress_worker import build_in_worker
from basuracero.api.read_cache import read_cache
from basuracero.errors import InputError
from basuracero.fleet.job_store import FAILED
from basuracero.maps.blocks import BlockStatus
from basuracero.maps.coverage_map import coverage_map_html
from basuracero.maps.day import DayView, day_from_document
from basuracero.maps.i18n import Lang, LanguageError, get_lang
from basuracero.maps.output import STATIC_DIR

router = APIRouter(tags=["maps"])
STATIC = STATIC_DIR
DAY_CACHE_SIZE = 16  # day views kept per process: a few MB each for a district's plan


class DayCache:
    """A small thread-safe LRU of built day views, each built once even when asked concurrently.

    A stored plan never changes under its content key, so its day view (places located on the
    streets, legs) is built on the first request and reused; only the GPS overlay is per request.
    """

    def __init__(self, size: int = DAY_CACHE_SIZE) -> None:
        self.size = size
        self._days: OrderedDict[Hashable, DayView] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], DayView]) -> DayView:
        with self._lock:
            found = self._days.get(key)
            if found is not None:
                self._days.move_to_end(key)
                return found
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per key; other keys are served meanwhile
            try:
                with self._lock:
                    found = self._days.get(key)
                if found is None:
                    found = build()
                    with self._lock:
                        self._days[key] = found
                        while len(self._days) > self.size:
                            self._days.popitem(last=False)
                return found
            finally:
                with self._lock:
                    self._building.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._days.clear()


_days = DayCache()


def content_key(document: Mapping[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON: a plan edited in place gets a new day view."""
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@router.get("/coverage/{plan_id}", response_class=HTMLResponse)
def coverage(
    plan_id: RowId,
    request: Request,
    lang: str = Query("es", description="es (default) or en."),
    at: str | None = Query(None, description="Evaluate at this time (ISO 8601); default now."),
) -> HTMLResponse:
    """Public: "¿Cuándo pasa el camión?" for a plan, each block with what its GPS says today."""
    try:
        words = get_lang(lang)
    except LanguageError as exc:
        raise ApiError(422, str(exc), field="lang") from exc
    found = computed(request, plan_id, at)
    area = found.context["area"]
    carried = carried_over(request, plan_id, area.id)
    key = ("coverage", found.key, words.code, tuple(sorted(carried.items())))
    processes = read_processes(request)
    page = read_cache(request).get(
        key,
        lambda: build_in_worker(coverage_bytes, found, words.code, carried, processes=processes),
    )
    return HTMLResponse(page)


def coverage_bytes(found: Computed, lang: str, carried: Mapping[str, date]) -> bytes:
    """The page as sent, built in the worker process beside progress JSON and missed.csv: a
    district's page is a tenth of a second to half a second of Python (its day view the first
    time), which in a thread of the server would hold the interpreter the pings need. The day
    view stays in that process's ``_days``, so the server never loads the streets for it."""
    return coverage_page(found, get_lang(lang), carried).encode()


def coverage_page(found: Computed, words: Lang, carried: Mapping[str, date]) -> str:
    """The page for one progress result, language and carry-over: built once per result."""
    context, reports = found.context, found.reports
    area = context["area"]
    plan_id = context["plan"]["id"]
    graph = streets_for(area.streets).graph
    stored = context["plan"]["plan"]
    # Plans stored before plan.json carried a time zone are read on their area's clock.
    zone = stored.get("timezone") or area.timezone
    document = {**stored, "date": context["plan"]["date"], "timezone": zone}
    key = (plan_id, content_key(document), id(graph))  # the graph lives as long as its process
    try:
        day = _days.get(key, lambda: day_from_document(document, graph))
    except InputError as exc:
        raise ApiError(409, str(exc), field=f"plan.{exc.field}" if exc.field else "plan") from exc
    progress = block_progress(reports, carried)
    return coverage_map_html(
        day, words, progress=progress, now=context["now"], static_url="/static"
    )


def block_progress(reports: Iterable[Any], carried: Mapping[str, date]) -> dict[str, BlockStatus]:
    """Per visit id, what its own GPS progress says; a missed one carried over says until when.

    Not ``report.edges_driven``: a truck driving along a block on its way elsewhere, or serving
    the next block of the same street, has not collected this one.
    """
    found: dict[str, BlockStatus] = {}
    for report in reports:
        for stop in report.stops:
            found[str(stop.id)] = BlockStatus.of(
                str(stop.status),
                served_at=getattr(stop, "served_at", None),
                eta=getattr(stop, "eta", None),
                rescheduled_for=carried.get(str(stop.id)),
            )
    return found


def carried_over(request: Request, plan_id: int, area_id: str) -> dict[str, date]:
    """Visit ids of this plan that a later plan job carries over, with that job's date.

    A job carries over what the GPS called missed when it was submitted (its ``items``); a
    failed job carries nothing. The earliest date wins when several jobs carry the same visit.
    """
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is None:
        return {}
    carried: dict[str, date] = {}
    for job in jobs.list(area=area_id):
        carry = job.inputs.get("carry_over") or {}
        if job.status == FAILED or carry.get("from_plan") != plan_id:
            continue
        day = date.fromisoformat(job.service_date)
        for item in carry.get("items") or ():
            visit = str(item.get("id"))
            if visit not in carried or day < carried[visit]:
                carried[visit] = day
    return carried
