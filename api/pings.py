"""Ping ingestion: our JSON batches and the OsmAnd protocol of Traccar Client."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from basuracero.api.auth import bearer, device_from_token
from basuracero.api.errors import ApiError
from basuracero.fleet.pings import Ping, PingError, json_ping, osmand_ping, traccar_json_pings
from basuracero.fleet.store import Store

router = APIRouter(tags=["pings"])

PING_FIELDS_DOC = (
    "Each ping: `time` (epoch seconds or milliseconds, or ISO 8601), `lat`, `lon`, and optional "
    "`speed_mps`, `heading_deg`, `accuracy_m`, `battery_pct`, `altitude_m`."
)


class PingBatch(BaseModel):
    pings: list[dict[str, Any]] = Field(
        ...,
        description=PING_FIELDS_DOC,
        examples=[
            [{"time": "2026-11-24T12:00:00Z", "lat": -8.08, "lon": -79.02, "speed_mps": 4.2}]
        ],
    )


class Rejected(BaseModel):
    index: int
    field: str
    reason: str


class BatchResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


class StoredResult(BaseModel):
    accepted: int
    duplicates: int


def _store(request: Request) -> Store:
    return request.app.state.store


@router.post("/api/v1/pings", response_model=BatchResult)
def post_pings(batch: PingBatch, request: Request) -> BatchResult:
    """Store a batch of pings of the device whose token is in ``Authorization: Bearer``.

    Bad pings are listed in ``rejected`` (index, field, reason) while the good ones are stored;
    pings already stored (same device and time) count as ``duplicates``. A 200 means committed.
    """
    store = _store(request)
    device = device_from_token(store, bearer(request), "Authorization")
    settings = request.app.state.settings
    if len(batch.pings) > settings.max_batch:
        raise ApiError(413, f"at most {settings.max_batch} pings per batch", field="pings")
    now = datetime.now(UTC)
    good: list[Ping] = []
    rejected: list[Rejected] = []
    for index, item in enumerate(batch.pings):
        try:
            good.append(json_ping(item, now))
        except PingError as exc:
            rejected.append(Rejected(index=index, field=exc.field, reason=str(exc)))
    with request.app.state.inflight.slot(device.id):
        result = store.insert_pings(device.id, good, source="json")
    return BatchResult(accepted=result.accepted, duplicates=result.duplicates, rejected=rejected)


@router.api_route("/osmand/{device_token}", methods=["GET", "POST"], response_model=StoredResult)
async def osmand(device_token: str, request: Request) -> StoredResult:
    """OsmAnd protocol (Traccar Client): ``id, lat, lon, timestamp, speed`` (knots), ``bearing,
    altitude, accuracy, batt`` in the query or a form body, or Traccar Client's JSON body.

    The token in the path identifies the device; the app's ``id`` is recorded as sent.
    """
    store = _store(request)
    device = store.cached_device(device_token) or await run_in_threadpool(
        device_from_token, store, device_token, "device_token"
    )
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    now = datetime.now(UTC)
    try:
        if request.method == "POST" and content_type == "application/json":
            body = await _json_body(request)
            found = traccar_json_pings(body, now)
            client_id = str(body.get("device_id") or params.get("id") or "") or None
        else:
            if request.method == "POST" and content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            found = [osmand_ping(params, now)]
            client_id = params.get("id") or params.get("deviceid")
    except PingError as exc:
        raise ApiError(400, str(exc), field=exc.field) from exc
    with request.app.state.inflight.slot(device.id):
        future, total = store.submit_pings(
            device.id, found, "osmand", client_id and client_id[:200]
        )
        accepted = await asyncio.wrap_future(future)
    return StoredResult(accepted=accepted, duplicates=total - accepted)


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}", field="body") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "JSON body must be an object", field="body")
    return body
