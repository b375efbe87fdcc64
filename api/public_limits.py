"""Per-address rate limits on public reads: a crowd of readers cannot starve the trucks.

Residents, journalists and scrapers read progress, positions and coverage without a token, so the
service cannot tell them apart except by address. Each address gets its own allowance per kind of
read (``expensive``: progress, missed.csv, positions, coverage; ``page``: every other public GET);
beyond it, 429 in the API's error shape with ``Retry-After`` saying when to come back. Allowances
are moving windows from the ``limits`` library: ``20/20 seconds`` lets a reader fetch 20 pages at
once, then one a second (60 a minute). Pings and device or admin calls are never limited here:
only paths a rule names are, and never for a request bearing the admin token.

A new public page opts in one of two ways (never both, or it counts twice):

* a path rule, for whole families of pages: ``PUBLIC_READS.append(Rule(r"^/transparencia(/|$)",
  "page"))`` before the app is built (or ``app.state.public_limits.rules.append(...)``);
* a route dependency, next to the route: ``@router.get("/reportar",
  dependencies=[Depends(rate_limited("page"))])``.

Behind a reverse proxy every request comes from the proxy's address: set ``client_ip_header``
(e.g. ``X-Forwarded-For``) and the limit applies to the address the proxy appended (the last one
in the header; the others are whatever the client wrote and are ignored).
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from basuracero.api.auth import bearer_of
from basuracero.api.errors import ApiError
from basuracero.api.limits import send_error
from basuracero.api.read_cache import ReadCache
from basuracero.fleet.settings import Settings

EXPENSIVE = "expensive"  # computed from the day's GPS: progress, missed.csv, positions, coverage
PAGE = "page"  # any other public read


@dataclass(frozen=True)
class Rule:
    """GET/HEAD requests whose path matches ``pattern`` count against ``kind``'s allowance."""

    pattern: str
    kind: str
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re.compile(self.pattern))

    def matches(self, path: str) -> bool:
        return self._regex.search(path) is not None


# The public reads of the service. Not /osmand, /api/v1/pings, devices or admin paths: a truck
# is never refused for what readers do, and management calls have a token.
PUBLIC_READS: list[Rule] = [
    Rule(r"^/api/v1/plans/[^/]+/progress$", EXPENSIVE),
    Rule(r"^/api/v1/plans/[^/]+/missed\.csv$", EXPENSIVE),
    Rule(r"^/api/v1/positions$", EXPENSIVE),
    Rule(r"^/coverage/[^/]+$", EXPENSIVE),
    Rule(r"^/api/v1/plans(/[^/]+)?$", PAGE),
    Rule(r"^/api/v1/areas(/|$)", PAGE),
    Rule(r"^/api/v1/plan-jobs(/[^/]+)?$", PAGE),
]


class PublicLimits:
    """The allowances per kind and the counters per (kind, address), shared by the middleware
    and the route dependency. ``storage`` is a ``limits`` storage URI: ``memory://`` counts per
    process (with N workers an address gets up to N times its allowance); ``redis://host:6379``
    shares the counts between workers."""

    def __init__(
        self,
        allowances: dict[str, str],
        *,
        storage: str = "memory://",
        rules: Iterable[Rule] | None = None,
        client_ip_header: str | None = None,
        admin_token: str | None = None,
    ) -> None:
        self.allowances: dict[str, list[RateLimitItem]] = {
            kind: parse_many(text) for kind, text in allowances.items()
        }
        self.rules = list(PUBLIC_READS if rules is None else rules)
        self.client_ip_header = client_ip_header.lower() if client_ip_header else None
        self._admin = admin_token.encode() if admin_token else None
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))

    def kind_of(self, method: str, path: str) -> str | None:
        if method not in ("GET", "HEAD"):
            return None
        return next((rule.kind for rule in self.rules if rule.matches(path)), None)

    def is_admin(self, authorization: str | None) -> bool:
        """The manager's own tools (polling a plan job, the console) are not public readers."""
        given = bearer_of(authorization or "")
        return bool(self._admin and given and secrets.compare_digest(given.encode(), self._admin))

    def client_of(self, peer: str, headers: Callable[[str], str | None]) -> str:
        """The reader's address: the connection's, or the last one the trusted proxy wrote."""
        if self.client_ip_header:
            forwarded = headers(self.client_ip_header)
            if forwarded:
                last = forwarded.split(",")[-1].strip()
                if last:
                    return last
        return peer

    def retry_after(self, kind: str, client: str) -> int | None:
        """Count one read; None when allowed, else the seconds until the address may read."""
        items = self.allowances.get(kind)
        if not items:
            return None
        key = f"{kind}:{client}"
        for item in items:
            if not self._limiter.hit(item, key):
                reset = self._limiter.get_window_stats(item, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    def reset(self) -> None:
        """Forget every count (tests; an operator lifting a block)."""
        self._limiter.storage.reset()


def refusal_message(kind: str, wait: int) -> str:
    return f"too many public reads ({kind}) from this address; retry in {wait} s"


class PublicReadLimit:
    """ASGI middleware: a GET matching a rule is counted before any route runs, so a refused
    read costs a regular expression and a counter, not a database query."""

    def __init__(self, app: ASGIApp, limits: PublicLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            kind = self.limits.kind_of(scope["method"], scope["path"])
            headers = dict(scope.get("headers") or []) if kind is not None else {}
            if kind is not None and not self.limits.is_admin(_header(headers, "authorization")):
                peer = scope["client"][0] if scope.get("client") else "unknown"
                client = self.limits.client_of(peer, lambda name: _header(headers, name))
                wait = self.limits.retry_after(kind, client)
                if wait is not None:
                    await send_error(send, 429, "too_many_requests", refusal_message(kind, wait),
                                     headers={"Retry-After": str(wait)})  # fmt: skip
                    return
        await self.app(scope, receive, send)


def _header(headers: dict[bytes, bytes], name: str) -> str | None:
    value = headers.get(name.encode("latin-1"))
    return None if value is None else value.decode("latin-1")


def rate_limited(kind: str = PAGE) -> Callable[[Request], None]:
    """A route dependency counting the read against ``kind`` (for a page no rule covers)."""

    def check(request: Request) -> None:
        limits: PublicLimits = request.app.state.public_limits
        if limits.is_admin(request.headers.get("authorization")):
            return
        peer = request.client.host if request.client else "unknown"
        client = limits.client_of(peer, request.headers.get)
        wait = limits.retry_after(kind, client)
        if wait is not None:
            raise ApiError(429, refusal_message(kind, wait), headers={"Retry-After": str(wait)})

    return check


def install(app: Any, settings: Settings) -> None:
    """Rate limits on public reads and the shared result cache of progress, coverage and
    positions. Call it where the other middleware is added: it adds the limiting one."""
    app.state.public_limits = PublicLimits(
        {EXPENSIVE: settings.public_read_limit, PAGE: settings.public_page_limit},
        storage=settings.rate_limit_storage,
        client_ip_header=settings.client_ip_header,
        admin_token=settings.admin_token.get_secret_value() if settings.admin_token else None,
    )
    app.state.read_cache = ReadCache(workers=settings.public_read_workers)
    app.add_middleware(PublicReadLimit, limits=app.state.public_limits)
