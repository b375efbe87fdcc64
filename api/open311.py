"""Open311 GeoReport v2 under ``/open311/v2/``: the standard FixMyStreet, SeeClickFix and city
systems speak, so any Open311 client can list our services and file or follow a report.

Errors here take the specification's shape, ``[{"code": 400, "description": "..."}]``, not the
rest of the API's: Open311 clients parse that one. ``?jurisdiction_id=`` picks the service area
(the deployment's default otherwise). Public reads never show e-mail, phone or names, nor a
report a moderator rejected.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from basuracero.api.errors import ApiError
from basuracero.api.report_intake import (
    ReportIn,
    ReportRefused,
    area_for,
    refresh,
    reports_store,
    settings_of,
    take_report,
)
from basuracero.fleet.reports import REJECTED, ReportQuery, status_of
from basuracero.fleet.store import from_us
from basuracero.planning.area import Area

PREFIX = "/open311/v2"
SPEC = "http://wiki.open311.org/GeoReport_v2"
DEFAULT_DAYS = 90  # the specification's default range of GET /requests.json
MAX_PAGE = 1000  # the specification's most requests in one answer
AGENCY = "Municipalidad - Limpieza Pública"


def open311_error(status: int, description: str, retry_after: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return JSONResponse([{"code": status, "description": description}], status, headers=headers)


class Open311Route(APIRoute):
    """Every failure of an Open311 route answered in the specification's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except ReportRefused as exc:
                return open311_error(exc.status, exc.message, exc.retry_after)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                field = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
                return open311_error(400, f"{field}: {first.get('msg', 'invalid')}")
            except ApiError as exc:
                return open311_error(exc.status, exc.message)
            except StarletteHTTPException as exc:
                return open311_error(exc.status_code, str(exc.detail))

        return answer


router = APIRouter(prefix=PREFIX, tags=["open311"], route_class=Open311Route)


@router.get("/discovery.json")
@router.get("/discovery")
def discovery(request: Request) -> dict[str, Any]:
    """Open311 discovery: where this endpoint is and what it speaks."""
    base = str(request.base_url).rstrip("/") + PREFIX
    return {
        "changeset": "2026-12-01T00:00:00Z",
        "contact": "Municipalidad: oficina de Limpieza Pública",
        "key_service": "Las claves (api_key) para sistemas de terceros las da la municipalidad.",
        "endpoints": [{
            "specification": SPEC, "url": base, "changeset": "2026-12-01T00:00:00Z",
            "type": "production", "formats": ["application/json"],
        }],
    }  # fmt: skip


def _area(request: Request, jurisdiction_id: str | None) -> Area:
    return area_for(request, jurisdiction_id)


@router.get("/services.json")
def services(
    request: Request,
    jurisdiction_id: str | None = Query(None, max_length=64),
    lang: str = Query("es", pattern="^(es|en)$", description="es (default) or en."),
) -> list[dict[str, Any]]:
    """The services residents may report in the area."""
    area = _area(request, jurisdiction_id)
    return [
        {
            "service_code": s.code, "service_name": s.name(lang),
            "description": s.description(lang), "metadata": False, "type": "realtime",
            "keywords": s.kind, "group": s.group,
        }
        for s in settings_of(area).services
    ]  # fmt: skip


@router.get("/services/{service_code}.json")
def service_definition(
    service_code: str, request: Request, jurisdiction_id: str | None = Query(None, max_length=64)
) -> dict[str, Any]:
    """A service's extra attributes (none: every service takes the standard fields)."""
    area = _area(request, jurisdiction_id)
    if settings_of(area).service(service_code) is None:
        raise ReportRefused(404, f"service_code: no service {service_code!r} here")
    return {"service_code": service_code, "attributes": []}


_FIELDS = ReportIn.model_json_schema()
_MULTIPART = {**_FIELDS, "properties": {**_FIELDS["properties"],
              "media": {"type": "string", "format": "binary"}}}  # fmt: skip
_BODY = {"requestBody": {"required": True, "content": {
    "application/x-www-form-urlencoded": {"schema": _FIELDS},
    "multipart/form-data": {"schema": _MULTIPART},
    "application/json": {"schema": _FIELDS},
}}}  # fmt: skip


@router.post("/requests.json", status_code=201, openapi_extra=_BODY)
async def create_request(request: Request) -> JSONResponse:
    """File a report: form, multipart (with one photo as ``media``) or JSON."""
    raw, media = await read_body(request)
    for key in ("jurisdiction_id", "api_key"):
        if key in request.query_params and key not in raw:
            raw[key] = request.query_params[key]
    row = await run_in_threadpool(take_report, request, raw, media)
    return JSONResponse(
        [{"service_request_id": str(row["id"]), "token": row["token"],
          "service_notice": row["service_notice"], "account_id": None}],
        status_code=201,
    )  # fmt: skip


async def read_body(request: Request) -> tuple[dict[str, Any], bytes | None]:
    """The report's fields and photo bytes from JSON, a urlencoded or a multipart form."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            raw = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ReportRefused(400, "body: not valid JSON") from None
        if not isinstance(raw, dict):
            raise ReportRefused(400, "body: a JSON object of fields")
        return raw, None
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ReportRefused(400, "Content-Type: send a form, a multipart form or JSON")
    form = await request.form(max_files=1, max_fields=60)
    raw: dict[str, Any] = {}
    media = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == "media":
                media = await value.read()
        elif not key.startswith("attribute["):
            raw[key] = value
    return raw, media or None


def _ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ReportRefused(400, f"service_request_id: {text!r}: ids separated by commas") from None
    if not ids or any(i < 1 or i > 2_147_483_647 for i in ids):
        raise ReportRefused(400, f"service_request_id: {text!r}: ids separated by commas")
    return ids


def _moment(text: str | None, field: str, area: Area) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ReportRefused(400, f"{field}: {text!r} is not an ISO 8601 date and time") from None
    return moment.replace(tzinfo=area.tz) if moment.tzinfo is None else moment


@router.get("/requests.json")
def list_requests(
    request: Request,
    jurisdiction_id: str | None = Query(None, max_length=64),
    service_request_id: str | None = Query(None, max_length=2000),
    service_code: str | None = Query(None, max_length=1000),
    start_date: str | None = Query(None, max_length=40),
    end_date: str | None = Query(None, max_length=40),
    status: str | None = Query(None, max_length=20),
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(50, ge=1, le=MAX_PAGE),
) -> JSONResponse:
    """Reports of the area, newest first, filtered and paged (``X-Total-Count`` in all)."""
    area = _area(request, jurisdiction_id)
    if service_request_id:  # the specification: other filters are then ignored
        query = ReportQuery(area=area.id, ids=_ids(service_request_id), page_size=MAX_PAGE)
    else:
        statuses = tuple(s.strip() for s in (status or "").split(",") if s.strip())
        if any(s not in ("open", "closed") for s in statuses):
            raise ReportRefused(400, f"status: {status!r}: open, closed or both")
        start = _moment(start_date, "start_date", area)
        end = _moment(end_date, "end_date", area)
        if start is None and end is None:
            start = datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
        if start is not None and end is not None and start > end:
            raise ReportRefused(400, "start_date: after end_date")
        codes = tuple(c.strip() for c in (service_code or "").split(",") if c.strip())
        query = ReportQuery(area=area.id, service_codes=codes, statuses=statuses, start=start,
                            end=end, page=page, page_size=page_size)  # fmt: skip
    rows, total = reports_store(request).find(query)
    body = [public_request(request, area, row) for row in rows]
    return JSONResponse(body, headers={"X-Total-Count": str(total)})


@router.get("/requests/{service_request_id}.json")
def get_request(
    service_request_id: str, request: Request,
    jurisdiction_id: str | None = Query(None, max_length=64),
) -> list[dict[str, Any]]:  # fmt: skip
    """One report, as an Open311 list of one."""
    area = _area(request, jurisdiction_id)
    row = find_report(request, area, service_request_id)
    row = refresh(request, [row])[0]
    return [public_request(request, area, row)]


def find_report(request: Request, area: Area, text: str) -> dict[str, Any]:
    ids = _ids(text) if text.isdigit() else ()
    row = reports_store(request).get(ids[0]) if len(ids) == 1 else None
    if row is None or row["area"] != area.id:
        raise ReportRefused(404, f"service_request_id: no report {text!r} in {area.id!r}")
    return row


@router.get("/tokens/{token}.json")
def token_request(
    token: str, request: Request, jurisdiction_id: str | None = Query(None, max_length=64)
) -> list[dict[str, Any]]:
    """The report id a token stands for."""
    area = _area(request, jurisdiction_id)
    row = reports_store(request).by_token(token) if len(token) <= 64 else None
    if row is None or row["area"] != area.id:
        raise ReportRefused(404, "token: unknown token")
    return [{"service_request_id": str(row["id"]), "token": token}]


@router.get("/media/{report_id}.jpg", response_class=Response)
def media(report_id: int, request: Request) -> Response:
    """A report's photo, re-encoded without metadata; gone once a moderator rejects it."""
    row = reports_store(request).get(report_id) if 0 < report_id < 2**31 else None
    photo = reports_store(request).photo(report_id) if row and row["state"] != REJECTED else None
    if photo is None:
        raise ReportRefused(404, f"media: no photo for report {report_id}")
    return Response(photo.data, media_type=photo.media_type,
                    headers={"Cache-Control": "public, max-age=300"})  # fmt: skip


def public_request(request: Request, area: Area, row: dict[str, Any]) -> dict[str, Any]:
    """A report as the public sees it: no contact data; a rejected one without its text."""
    service = settings_of(area).service(row["service_code"])
    hidden = row["state"] == REJECTED
    base = str(request.base_url).rstrip("/")
    return {
        "service_request_id": str(row["id"]),
        "status": status_of(row["state"]),
        "status_notes": status_notes(row),
        "service_name": service.name_es if service else row["service_code"],
        "service_code": row["service_code"],
        "description": "" if hidden else row["description"],
        "agency_responsible": AGENCY,
        "service_notice": row["service_notice"],
        "requested_datetime": local_iso(row["requested_us"], area),
        "updated_datetime": local_iso(row["updated_us"], area),
        "expected_datetime": local_iso(row["window_end_us"], area),
        "address": row["address_string"] or row["street"] or "",
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": f"{base}{PREFIX}/media/{row['id']}.jpg"
        if row["has_photo"] and not hidden else None,
    }  # fmt: skip


def status_notes(row: dict[str, Any]) -> str | None:
    """What residents read of a report's state, in Spanish."""
    state = row["state"]
    if state == REJECTED:
        return "No publicado por moderación."
    if state == "merged":
        return f"Duplicado del reporte {row['merged_into']}."
    if row["status_notes"]:
        return row["status_notes"]
    if state == "accepted":
        return "Aceptado: se atenderá en el próximo plan de recolección."
    return row["plan_answer"] or "Recibido: pendiente de revisión."


def local_iso(value: int | None, area: Area) -> str | None:
    if value is None:
        return None
    return from_us(value).astimezone(area.tz).isoformat(timespec="seconds")
