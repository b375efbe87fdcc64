"""Who may do what: an admin token for management, a device token for pings, public reads.

Both are checked before a request's body is read: FastAPI reads and parses the body before it
runs any dependency, so the admin check also runs in AdminGate when an admin route first asks
for its body (a megabyte body without the token costs nothing), and the ping routes look their
device up before they read their own bodies.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from basuracero.api.errors import ApiError, Refused, unknown_token
from basuracero.api.limits import Throttle
from basuracero.fleet.store import Device, Store


def bearer(request: Request) -> str | None:
    return bearer_of(request.headers.get("authorization", ""))


def bearer_of(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_admin(request: Request) -> None:
    refusal = admin_refusal(request.app, request.headers.get("authorization", ""), _client(request))
    if refusal is not None:
        raise refusal


def admin_refusal(app: Any, authorization: str, client: str) -> ApiError | None:
    """Why this request may not manage (None: it may). Wrong tokens count against the client's
    address; a missing one does not (it guesses nothing)."""
    expected = app.state.settings.admin_token
    if expected is None:
        return ApiError(403, "management is disabled: set BASURACERO_ADMIN_TOKEN on the server")
    given = bearer_of(authorization)
    if given is None:
        return ApiError(
            401,
            "admin token required (Authorization: Bearer ...)",
            field="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
    throttle: Throttle = app.state.admin_throttle
    try:
        throttle.check(client)
    except ApiError as exc:
        return exc
    if not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        throttle.failed(client)
        return ApiError(403, "wrong admin token", field="Authorization")
    return None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def device_from_token(store: Store, token: str | None, field: str) -> Device:
    if not token:
        raise ApiError(
            401, "device token required", field=field, headers={"WWW-Authenticate": "Bearer"}
        )
    device = store.device_for_token(token)
    if device is None:
        raise unknown_token(field)
    return device


class AdminGate:
    """Checks the admin token of an admin route at the moment the route asks for its body,
    before one byte of it is read: FastAPI reads and parses the body before it runs any
    dependency, so ``require_admin`` alone would parse a megabyte for a caller without the
    token. The route is FastAPI's own choice (``scope["route"]``), not a guess from the path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)  # no body: require_admin checks in time
            return
        checked = False

        async def gated_receive() -> Message:
            nonlocal checked
            if not checked:
                checked = True
                _check_admin_route(scope)
            return await receive()

        await self.app(scope, gated_receive, send)


def _check_admin_route(scope: Scope) -> None:
    dependencies = getattr(scope.get("route"), "dependencies", None) or []
    if not any(d.dependency is require_admin for d in dependencies):
        return
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    client = scope["client"][0] if scope.get("client") else "unknown"
    refusal = admin_refusal(scope["app"], authorization, client)
    if refusal is not None:
        raise Refused(refusal)
