"""Who may do what: an admin token for management, a device token for pings, public reads."""

from __future__ import annotations

import secrets

from fastapi import Request

from basuracero.api.errors import ApiError
from basuracero.fleet.store import Device, Store


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_admin(request: Request) -> None:
    expected = request.app.state.settings.admin_token
    if expected is None:
        raise ApiError(403, "management is disabled: set BASURACERO_ADMIN_TOKEN on the server")
    given = bearer(request)
    if given is None:
        raise ApiError(
            401,
            "admin token required (Authorization: Bearer ...)",
            field="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise ApiError(403, "wrong admin token", field="Authorization")


def device_from_token(store: Store, token: str | None, field: str) -> Device:
    if not token:
        raise ApiError(
            401, "device token required", field=field, headers={"WWW-Authenticate": "Bearer"}
        )
    device = store.device_for_token(token)
    if device is None:
        raise ApiError(401, "unknown device token", field=field)
    return device
