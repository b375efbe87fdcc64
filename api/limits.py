"""Request-size, per-device concurrency and wrong-attempt limits.

The device limit counts requests *in flight*, not requests per second: Traccar Client flushes its
offline buffer one ping after another, waiting for each answer, so a phone never has more than one
request open and is never refused, however fast it flushes; a client opening many parallel
requests with one token is.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from basuracero.api.errors import ApiError, error_body


class BodyLimit:
    """ASGI middleware answering 413 for bodies over ``max_bytes`` (declared or streamed).

    A chunked body has no declared size: the limit trips while the route reads it, as an
    HTTPException, which FastAPI lets through its body parsing (any other exception there
    becomes a 400 "error parsing the body"), so the client gets the 413 it should.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        await send_error(send, 413, "too_large", f"request body over {self.max_bytes} bytes")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


async def send_error(
    send: Send,
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """An error answer from a middleware, before any route ran."""
    body = json.dumps(error_body(code, message, field), separators=(",", ":")).encode()
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class NulGuard:
    """Refuses a query string carrying a NUL character (``?area=x%00y``) with 422 naming the
    parameter: PostgreSQL cannot compare or store such text, and no honest client sends it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if b"%00" in query or b"\x00" in query:
            for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
                if "\x00" in key or "\x00" in value:
                    name = key.replace("\x00", "")[:64]
                    message = f"query parameter {name!r} contains a NUL character"
                    await send_error(send, 422, "invalid", message, name)
                    return
        await self.app(scope, receive, send)


class InFlight:
    """Counts open requests per device and refuses those beyond the limit with 429."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[int, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, device_id: int) -> Iterator[None]:
        with self._lock:
            current = self._open.get(device_id, 0)
            if current >= self.limit:
                raise ApiError(
                    429,
                    f"device has {current} requests open; send one after another",
                    headers={"Retry-After": "1"},
                )
            self._open[device_id] = current + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._open[device_id] - 1
                if left:
                    self._open[device_id] = left
                else:
                    del self._open[device_id]


class Throttle:
    """Wrong attempts per client address in a sliding window: beyond ``limit`` the address gets
    429 (with ``Retry-After``) until its oldest failure leaves the window, right token or not,
    so guessing the admin token over the network costs a minute per ten guesses.

    Per process: with N uvicorn workers an address gets N × ``limit`` tries a window.
    """

    def __init__(self, limit: int = 10, window_s: float = 60.0, max_clients: int = 10_000):
        self.limit = limit
        self.window_s = window_s
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        """Raise 429 when the address used up its attempts."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(client, now)
            if len(failures) < self.limit:
                return
            wait = math.ceil(failures[0] + self.window_s - now)
        raise ApiError(
            429,
            f"too many wrong tokens from this address; retry in {wait} s",
            field="Authorization",
            headers={"Retry-After": str(max(wait, 1))},
        )

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            failures = self._recent(client, now)
            failures.append(now)
            self._failures[client] = failures
            while len(self._failures) > self.max_clients:  # forget the longest-known address
                del self._failures[next(iter(self._failures))]

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            self._failures.pop(client, None)
        return failures
