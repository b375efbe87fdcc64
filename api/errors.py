"""One error shape for every failure: ``{"error": {"code", "message", "field"}}``.

Expected failures carry their status (ApiError, validation, InputError: 4xx naming the field).
A database that does not answer is a 503 with ``Retry-After``, logged once per outage by the
store's Availability, never a traceback per request. Anything else is a 500 whose message and
``X-Request-ID`` header carry the id of the one log line (with the traceback) that explains it.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from basuracero.errors import InputError
from basuracero.fleet.pings import short_repr
from basuracero.fleet.store import TokenRevoked, unavailable
from basuracero.fleet.writer import StoreClosed

log = logging.getLogger("basuracero.service")

RETRY_AFTER_S = 5  # a restarting database is usually back within seconds

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}


class ApiError(Exception):
    """An expected failure with its HTTP status, a stable code and the field at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.code = code or _CODES.get(status, "error")
        self.headers = headers


class Refused(StarletteHTTPException):
    """An ApiError raised where only an HTTPException gets through: FastAPI turns any other
    exception raised while it reads a body into a 400 "error parsing the body"."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.status, error.message, headers=error.headers)
        self.error = error


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(
        error_body(exc.code, exc.message, exc.field), exc.status, headers=exc.headers
    )


def install(app: FastAPI) -> None:
    """Exception handlers for every failure the routes may raise."""
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(InputError, _input)  # type: ignore[arg-type]
    app.add_exception_handler(SQLAlchemyError, _database)  # type: ignore[arg-type]
    app.add_exception_handler(StoreClosed, _database)  # type: ignore[arg-type]
    app.add_exception_handler(TokenRevoked, _revoked)  # type: ignore[arg-type]
    app.add_exception_handler(UnicodeEncodeError, _unencodable)  # type: ignore[arg-type]


async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
    return error_response(exc)


async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(location) or None
    message = first.get("msg", "invalid request")
    if "input" in first and field:
        message = f"{field}: {message} (got {short_repr(first['input'])})"
    return JSONResponse(error_body("invalid", message[:500], field), 422)


async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc, Refused):
        return error_response(exc.error)
    code = _CODES.get(exc.status_code, "error")
    return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)


async def _input(_request: Request, exc: InputError) -> JSONResponse:
    return JSONResponse(error_body("invalid", str(exc)[:500], exc.field), 422)


async def _revoked(_request: Request, _exc: TokenRevoked) -> JSONResponse:
    return error_response(unknown_token())


def unknown_token(field: str = "Authorization") -> ApiError:
    return ApiError(
        401, "unknown or revoked device token", field=field, headers={"WWW-Authenticate": "Bearer"}
    )


async def _unencodable(request: Request, exc: UnicodeEncodeError) -> JSONResponse:
    """Text with a lone surrogate that slipped past validation: the client's fault, not ours."""
    log.warning("request %s: unencodable text refused: %s", request_id(request), exc.reason)
    return JSONResponse(error_body("invalid", "text that is not valid Unicode was sent"), 422)


async def _database(request: Request, exc: Exception) -> JSONResponse:
    if unavailable(exc):
        request.app.state.store.availability.failed(exc)
        return JSONResponse(
            error_body("unavailable", f"the database is not answering; retry in {RETRY_AFTER_S} s"),
            503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, DataError):  # a value the database refused (after the group's split)
        log.warning("request %s: value refused by the database: %s", request_id(request), exc)
        return JSONResponse(error_body("invalid", "a value could not be stored"), 422)
    return internal_error(request_id(request), request.method, request.url.path, exc)


def internal_error(rid: str, method: str, path: str, exc: BaseException) -> JSONResponse:
    """Log the unexpected failure once, with its traceback and the request id, and answer 500."""
    log.error(
        "request %s: %s %s failed: %s: %s",
        rid,
        method,
        redact_tokens(path),
        type(exc).__name__,
        str(exc).splitlines()[0][:300] if str(exc) else "",
        exc_info=exc,
    )
    return JSONResponse(
        error_body("internal", f"unexpected error; quote request id {rid} when reporting it"),
        500,
    )


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


_TOKEN_IN_PATH = re.compile(r"(/osmand/)[^/?\s\"]+")
_TOKEN_IN_QUERY = re.compile(r"([?&](?:token|device_token|id|deviceid)=)[^&\s\"#]*", re.IGNORECASE)


def redact_tokens(text: str) -> str:
    """Device tokens travel in URLs (the OsmAnd path, ``?id=`` of clients configured with the
    token as their identifier, ``?token=``): logs show ``***`` in their place."""
    return _TOKEN_IN_QUERY.sub(r"\1***", _TOKEN_IN_PATH.sub(r"\1***", text))


_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestContext:
    """Outermost middleware: gives every request an id (a proxy's ``X-Request-ID`` when it is a
    plain token, else a new one), returns it in ``X-Request-ID``, and turns any exception no
    handler took into a logged 500 in the error shape instead of a bare text page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _GIVEN_ID.fullmatch(given) else os.urandom(8).hex()
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            response = internal_error(rid, scope.get("method", ""), scope.get("path", ""), exc)
            if not started:
                await response(scope, receive, send_with_id)
