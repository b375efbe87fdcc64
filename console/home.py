"""``/hoy``: the area's day live: trucks moving on the map, progress, delays and alerts.

The page loads the plan's map once, then listens to ``/hoy/stream`` (Server-Sent Events): a
``position`` event as soon as a truck's newest fix is stored (the database is looked at every
half second), a ``progress`` event with counts, delays, alerts and each job's status every few
seconds while fixes come in. A stream ends after a few minutes and the browser's EventSource
opens the next one by itself, so no connection outlives a closed tab for long.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from basuracero.api.errors import ApiError
from basuracero.console.auth import (
    DataUser,
    PageUser,
    area_for,
)
from basuracero.console.day_map import route_features
from basuracero.console.live import (
    LiveDay,
    live_day,
    local_today,
    positions,
    progress,
    truck_detail,
)
from basuracero.console.pages import render, translate
from basuracero.planning.area import Area

router = APIRouter(include_in_schema=False)
POLL_S = 0.5  # how often the stream looks for new fixes (p95 latency target: 2 s)
PROGRESS_EVERY_S = 5.0  # progress is recomputed at most this often, and only on new fixes
PROGRESS_IDLE_S = 60.0  # ... or after this long without fixes (silence alerts)
STREAM_S = 300.0  # a stream's life; the EventSource reconnects by itself
KEEP_ALIVE_S = 15.0


def _live(request: Request, area: Area) -> LiveDay | None:
    return live_day(request.app.state.store, area, local_today(area))


@router.get("/hoy", response_class=HTMLResponse)
def today(
    request: Request,
    user: PageUser,
    area: str | None = Query(None, max_length=64),
) -> HTMLResponse:
    chosen = area_for(request, user, area)
    live = _live(request, chosen)
    page = {"area": chosen.id, "plan_id": None if live is None else live.plan_id}
    return render(request, "hoy.html", user=user, title=translate(request, "Today"),
                  area=chosen, today=local_today(chosen), live=live, page_data=page)  # fmt: skip


@router.get("/hoy/datos")
def today_data(
    request: Request,
    user: DataUser,
    area: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    """The day's routes for the map, and the progress now (what the stream then updates)."""
    chosen = area_for(request, user, area, page=False)
    live = _live(request, chosen)
    if live is None:
        return {"plan_id": None, "routes": [], "positions": [], "progress": None}
    now = datetime.now(UTC)
    return {
        "plan_id": live.plan_id,
        "routes": route_features(live.day),
        "positions": positions(request.app.state.store, live, now),
        "progress": progress(request, live, now),
    }


@router.get("/hoy/camion")
def truck_data(
    request: Request,
    user: DataUser,
    truck: str = Query(..., min_length=1, max_length=200),
    area: str | None = Query(None, max_length=64),
) -> dict[str, Any]:
    """One truck's jobs in order with status and street names, and its track of the day."""
    chosen = area_for(request, user, area, page=False)
    live = _live(request, chosen)
    if live is None or truck not in {r.vehicle_id for r in live.day.routes}:
        raise ApiError(404, f"no route of truck {truck!r} today in {chosen.id}", field="truck")
    return truck_detail(request, live, truck, datetime.now(UTC))


@router.get("/hoy/stream")
async def today_stream(
    request: Request,
    user: DataUser,
    area: str | None = Query(None, max_length=64),
    for_s: float = Query(STREAM_S, gt=0, le=STREAM_S, description="How long this stream lasts."),
) -> StreamingResponse:
    """Server-Sent Events: ``position`` on each new fix, ``progress`` every few seconds."""
    chosen = area_for(request, user, area, page=False)
    live = await run_in_threadpool(_live, request, chosen)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(request, live, for_s), media_type="text/event-stream",
                             headers=headers)  # fmt: skip


def _event(kind: str, data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _events(request: Request, live: LiveDay | None, for_s: float) -> AsyncIterator[str]:
    """Positions as they are stored; progress computed beside them (a district's matching
    takes seconds), so a marker never waits for the progress bars."""
    yield "retry: 2000\n\n"
    if live is None:
        yield _event("no_plan", {})
        return
    store = request.app.state.store
    seen: dict[str, float] = {}
    end = time.monotonic() + for_s
    last_progress = last_write = 0.0
    fresh = True  # fixes came since the last progress was started
    computing: asyncio.Future[dict[str, Any]] | None = None
    try:
        while time.monotonic() < end and not await request.is_disconnected():
            now = datetime.now(UTC)
            for fix in await run_in_threadpool(positions, store, live, now):
                if seen.get(fix["truck"]) != fix["epoch"]:
                    seen[fix["truck"]] = fix["epoch"]
                    fresh, last_write = True, time.monotonic()
                    yield _event("position", fix)
            if computing is not None and computing.done():
                done, computing = computing.result(), None
                last_write = time.monotonic()
                yield _event("progress", done)
            since = time.monotonic() - last_progress
            wanted = (fresh and since >= PROGRESS_EVERY_S) or since >= PROGRESS_IDLE_S
            if computing is None and wanted:
                fresh, last_progress = False, time.monotonic()
                computing = asyncio.ensure_future(run_in_threadpool(progress, request, live, now))
            if time.monotonic() - last_write >= KEEP_ALIVE_S:
                last_write = time.monotonic()
                yield ": sigue\n\n"
            await asyncio.sleep(POLL_S)
    finally:
        if computing is not None:
            computing.cancel()
