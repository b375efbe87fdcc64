"""Closing a day (admin) and reading a day's figures (public), with their revisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Body, Depends, Request

from basuracero.api.areas import area_or_422
from basuracero.api.auth import require_admin
from basuracero.api.errors import ApiError
from basuracero.transparency.records import (
    DayNotOver,
    close_day,
    closed_day,
    figures_now,
    revisions,
)

router = APIRouter(tags=["transparency"])
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def service_day(date: dt.date) -> dt.date:
    """A service day this service could have facts of (a typo like 0206 is named, not a 500)."""
    if not FIRST_DAY <= date <= LAST_DAY:
        raise ApiError(422, f"date {date.isoformat()} is not between 2000 and 2099", field="date")
    return date


@router.post("/api/v1/days/{area}/{date}/close", dependencies=[Depends(require_admin)])
def close(
    area: str,
    date: dt.date,
    request: Request,
    reason: str | None = Body(None, embed=True, max_length=500),
) -> dict[str, Any]:
    """Admin: compute the day's figures from the stored facts and keep them. Closing again
    changes them only if the facts changed, recording when and why."""
    chosen = area_or_422(request, area)
    try:
        closed = close_day(request.app.state.store, chosen, service_day(date), reason=reason)
    except DayNotOver as exc:
        raise ApiError(409, str(exc), field="date") from None
    return closed.to_dict()


@router.get("/api/v1/days/{area}/{date}")
def day(area: str, date: dt.date, request: Request) -> dict[str, Any]:
    """Public: a closed day's figures, or an open day's computed now (``closed: false``)."""
    chosen = area_or_422(request, area)
    return figures_now(request.app.state.store, chosen, service_day(date))


@router.get("/api/v1/days/{area}/{date}/revisions")
def day_revisions(area: str, date: dt.date, request: Request) -> dict[str, Any]:
    """Public: every change of a closed day's figures, with when, why and what changed."""
    chosen = area_or_422(request, area)
    store = request.app.state.store
    if closed_day(store, chosen.id, service_day(date)) is None:
        raise ApiError(404, f"{date.isoformat()} is not closed for {chosen.id}", field="date")
    return {
        "area": chosen.id,
        "date": date.isoformat(),
        "revisions": revisions(store, chosen.id, date),
    }
