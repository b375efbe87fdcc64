"""The console's session cookie: signed (itsdangerous), HttpOnly, SameSite=Lax, and Secure
whenever the request came over HTTPS (uvicorn sets the scheme from a trusted proxy's
``X-Forwarded-Proto``), so one deployment works on a laptop over http and behind TLS."""

from __future__ import annotations

from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "basuracero_session"
MAX_AGE_S = 12 * 3600  # a working day: log in again each morning


class ConsoleSessions:
    """Starlette's SessionMiddleware twice over the same key: one marks the cookie Secure (for
    HTTPS requests), the other does not (plain http on a local network)."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        options = {
            "secret_key": secret,
            "session_cookie": COOKIE,
            "max_age": MAX_AGE_S,
            "same_site": "lax",
        }
        self.plain = SessionMiddleware(app, https_only=False, **options)  # type: ignore[arg-type]
        self.secure = SessionMiddleware(app, https_only=True, **options)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = scope.get("scheme") in ("https", "wss")
        await (self.secure if secure else self.plain)(scope, receive, send)
