"""Moderation of residents' reports (admin token): list, accept, reject, merge, resolve.

An accepted missed collection or dump is work for the area's next plan job (its ``reports``
option); a rejected report disappears from public lists and its photo from its ``media_url``;
a duplicate is merged into the report it repeats (same service, street and day), which then
speaks for both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from basuracero.api.areas import area_or_422
from basuracero.api.auth import require_admin
from basuracero.api.errors import ApiError
from basuracero.api.ids import RowId
from basuracero.api.report_intake import now_of, refresh, reports_store
from basuracero.fleet.reports import (
    STATES,
    ModerationRefused,
    ReportQuery,
    accept_report,
    merge_report,
    reject_report,
    resolve_report,
)
from basuracero.fleet.store import iso

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


class AcceptIn(BaseModel):
    volume_m3: float | None = Field(
        None, gt=0, le=100, description="A dump's volume as seen (default: the area's estimate)."
    )


class RejectIn(BaseModel):
    reason: str = Field(..., min_length=3, max_length=500, description="Why (kept internal).")


class MergeIn(BaseModel):
    into: int = Field(..., ge=1, le=2**62, description="The report this one repeats.")


class ResolveIn(BaseModel):
    note: str = Field("Resuelto por la municipalidad.", min_length=1, max_length=500)


def admin_view(row: dict[str, Any]) -> dict[str, Any]:
    """Everything a moderator needs, contact data included (this route is admin-only)."""
    view = {k: v for k, v in row.items() if k not in ("token", "api_key_sha256")}
    for key in ("requested_us", "updated_us", "window_end_us", "served_us", "closed_us"):
        value = view.pop(key)
        view[key.removesuffix("_us") + "_at"] = None if value is None else iso(value)
    view["has_photo"] = bool(view["has_photo"])
    return view


@router.get("", dependencies=[Depends(require_admin)])
def list_reports(
    request: Request,
    area: str | None = Query(None, max_length=64),
    status: str | None = Query(None, description=f"A moderation state: {', '.join(STATES)}."),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Reports of an area, newest first, rejected ones included; open ones the GPS shows
    served are closed first."""
    chosen = area_or_422(request, area)
    if status is not None and status not in STATES:
        raise ApiError(422, f"status = {status!r}: one of {', '.join(STATES)}", field="status")
    query = ReportQuery(area=chosen.id, states=(status,) if status else (), page=page,
                        page_size=page_size, include_hidden=True)  # fmt: skip
    rows, total = reports_store(request).find(query)
    rows = refresh(request, rows)
    return {"area": chosen.id, "total": total, "reports": [admin_view(r) for r in rows]}


def _moderated(step: Callable[..., dict[str, Any]], request: Request, report_id: int,
               **options: Any) -> dict[str, Any]:  # fmt: skip
    """One moderation step of ``fleet.reports`` (shared with the console), its refusal in the
    API's error shape."""
    try:
        done = step(reports_store(request), report_id, now=now_of(request), **options)
    except ModerationRefused as exc:
        raise ApiError(exc.status, exc.message, field=exc.field) from None
    return admin_view(done)


@router.post("/{report_id}/accept", dependencies=[Depends(require_admin)])
def accept(report_id: RowId, request: Request, body: AcceptIn | None = None) -> dict[str, Any]:
    """Accept: a missed collection or a dump goes into the area's next plan job."""
    volume = body.volume_m3 if body is not None else None
    return _moderated(accept_report, request, report_id, volume_m3=volume)


@router.post("/{report_id}/reject", dependencies=[Depends(require_admin)])
def reject(report_id: RowId, body: RejectIn, request: Request) -> dict[str, Any]:
    """Reject (the reason stays internal): hidden from the public, photo withdrawn."""
    return _moderated(reject_report, request, report_id, reason=body.reason)


@router.post("/{report_id}/merge", dependencies=[Depends(require_admin)])
def merge(report_id: RowId, body: MergeIn, request: Request) -> dict[str, Any]:
    """Merge a duplicate into the report it repeats: same service, same street, same day."""
    return _moderated(merge_report, request, report_id, into=body.into)


@router.post("/{report_id}/resolve", dependencies=[Depends(require_admin)])
def resolve(report_id: RowId, request: Request, body: ResolveIn | None = None) -> dict[str, Any]:
    """Mark resolved (closed for the public, with the note)."""
    return _moderated(resolve_report, request, report_id, note=(body or ResolveIn()).note)
