"""Ping ingestion: our JSON batches and the OsmAnd protocol of Traccar Client.

Each route finds its device from the token before it reads the body (an unknown token costs a
hash and an index lookup, never the parsing of a megabyte), reads and parses the body itself
(so a body nested 100,000 deep is a 400, not a RecursionError), and commits through the group
writer, whose transaction also checks that the token has not been revoked meanwhile.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from basuracero.api.auth import bearer, device_from_token
from basuracero.api.errors import ApiError, unknown_token
from basuracero.fleet.pings import (
    Ping,
    PingError,
    json_ping,
    osmand_client_id,
    osmand_ping,
    traccar_client_id,
    traccar_json_pings,
    traccar_locations,
)
from basuracero.fleet.store import Device, Store, TokenRevoked

router = APIRouter(tags=["pings"])

PING_FIELDS_DOC = (
    "Each ping: `time` (epoch seconds or milliseconds, or ISO 8601), `lat`, `lon`, and optional "
    "`speed_mps`, `heading_deg`, `accuracy_m`, `battery_pct`, `altitude_m`."
)


class PingBatch(BaseModel):
    """The body of ``POST /api/v1/pings`` (documentation: the route parses it itself)."""

    pings: list[dict[str, Any]] = Field(
        ...,
        description=PING_FIELDS_DOC,
        examples=[
            [{"time": "2026-11-24T12:00:00Z", "lat": -8.08, "lon": -79.02, "speed_mps": 4.2}]
        ],
    )


class TraccarBody(BaseModel):
    """Traccar Client's JSON body (documentation: the route parses it itself)."""

    device_id: str | None = None
    location: dict[str, Any] | list[dict[str, Any]] = Field(
        ...,
        description="`{timestamp, coords: {latitude, longitude, speed, heading, accuracy, "
        "altitude}, battery: {level}}` or a list of them.",
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
    rejected: list[Rejected] = Field(
        default_factory=list, description="Refused locations of a Traccar JSON list."
    )


def _store(request: Request) -> Store:
    return request.app.state.store


def _json_request_body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


_OSMAND_POST_BODY = {
    "requestBody": {
        "content": {
            "application/json": {"schema": TraccarBody.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "additionalProperties": {"type": "string"}}
            },
        }
    }
}


@router.post(
    "/api/v1/pings",
    response_model=BatchResult,
    operation_id="post_pings",
    openapi_extra=_json_request_body(PingBatch),
)
async def post_pings(request: Request) -> BatchResult:
    """Store a batch of pings of the device whose token is in ``Authorization: Bearer``.

    Bad pings are listed in ``rejected`` (index, field, reason) while the good ones are stored;
    pings already stored (same device and time) count as ``duplicates``. A 200 means committed.
    """
    token = bearer(request)
    device = await _device(request, token, "Authorization")
    raw = await request.body()
    limit = request.app.state.settings.max_batch
    try:
        good, rejected = await run_in_threadpool(_parse_batch, raw, limit, datetime.now(UTC))
    except ApiError:
        await _still_valid(request, token, "Authorization")
        raise
    with request.app.state.inflight.slot(device.id):
        future, total = _store(request).submit_pings(device.id, good, "json", token=token)
        accepted = await _committed(request, future, token, "Authorization")
    return BatchResult(accepted=accepted, duplicates=total - accepted, rejected=rejected)


def _parse_batch(raw: bytes, limit: int, now: datetime) -> tuple[list[Ping], list[Rejected]]:
    body = parse_json_object(raw)
    items = body.get("pings")
    if not isinstance(items, list):
        raise ApiError(422, "'pings' must be a list of pings", field="pings")
    if len(items) > limit:
        raise ApiError(413, f"at most {limit} pings per batch", field="pings")
    good: list[Ping] = []
    rejected: list[Rejected] = []
    for index, item in enumerate(items):
        try:
            good.append(json_ping(item, now))
        except PingError as exc:
            rejected.append(Rejected(index=index, field=exc.field or "", reason=str(exc)))
    return good, rejected


@router.get("/osmand/{device_token}", response_model=StoredResult, operation_id="osmand_get")
async def osmand_get(device_token: str, request: Request) -> StoredResult:
    """OsmAnd protocol (Traccar Client): ``id, lat, lon, timestamp, speed`` (knots), ``bearing,
    altitude, accuracy, batt`` in the query.

    The token in the path identifies the device; the app's ``id`` is recorded as sent.
    """
    return await _osmand(device_token, request)


@router.post(
    "/osmand/{device_token}",
    response_model=StoredResult,
    operation_id="osmand_post",
    openapi_extra=_OSMAND_POST_BODY,
)
async def osmand_post(device_token: str, request: Request) -> StoredResult:
    """OsmAnd protocol in the query or a form body, or Traccar Client's JSON body (one location
    or a list: bad ones are listed in ``rejected``, the others stored)."""
    return await _osmand(device_token, request)


async def _osmand(device_token: str, request: Request) -> StoredResult:
    device = await _device(request, device_token, "device_token")
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    now = datetime.now(UTC)
    rejected: list[Rejected] = []
    try:
        if request.method == "POST" and content_type == "application/json":
            raw = await request.body()
            limit = request.app.state.settings.max_batch
            found, client_id, rejected = await run_in_threadpool(_traccar, raw, params, limit, now)
        else:
            if request.method == "POST" and content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            found = [osmand_ping(params, now)]
            client_id = osmand_client_id(params)
    except (PingError, ApiError) as exc:
        await _still_valid(request, device_token, "device_token")
        if isinstance(exc, PingError):
            raise ApiError(422, str(exc), field=exc.field) from exc
        raise
    with request.app.state.inflight.slot(device.id):
        future, total = _store(request).submit_pings(
            device.id, found, "osmand", client_id, token=device_token
        )
        accepted = await _committed(request, future, device_token, "device_token")
    return StoredResult(accepted=accepted, duplicates=total - accepted, rejected=rejected)


def _traccar(
    raw: bytes, params: Mapping[str, Any], limit: int, now: datetime
) -> tuple[list[Ping], str | None, list[Rejected]]:
    """Traccar Client's JSON: its pings, its ``device_id``, the refused locations; a body whose
    every location is bad is refused (422 naming the first bad field)."""
    body = parse_json_object(raw)
    locations = traccar_locations(body)
    if len(locations) > limit:
        raise ApiError(413, f"at most {limit} locations per request", field="location")
    client_id = traccar_client_id(body, params)
    good, bad = traccar_json_pings(locations, now)
    if bad and not good:
        raise bad[0][1]
    rejected = [Rejected(index=i, field=e.field or "", reason=str(e)) for i, e in bad]
    return good, client_id, rejected


async def _device(request: Request, token: str | None, field: str) -> Device:
    store = _store(request)
    cached = store.cached_device(token) if token else None
    return cached or await run_in_threadpool(device_from_token, store, token, field)


async def _still_valid(request: Request, token: str | None, field: str) -> None:
    """Before refusing a request's input, make sure its token was not revoked since this
    process cached it: a revoked token gets 401, whatever else is wrong."""
    store = _store(request)
    if token:
        store.forget_token(token)
    await run_in_threadpool(device_from_token, store, token, field)


async def _committed(request: Request, future: Future[int], token: str | None, field: str) -> int:
    """Wait for the group commit; a token revoked meanwhile (by any process) is a 401."""
    try:
        return await asyncio.wrap_future(future)
    except TokenRevoked:
        if token:
            _store(request).forget_token(token)
        raise unknown_token(field) from None


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object from a body, or a 400 saying why (deep nesting included)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"body is not valid JSON: {str(exc)[:200]}", field="body") from exc
    except RecursionError:
        raise ApiError(400, "body is nested too deeply", field="body") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON body must be an object", field="body")
    return body
