"""Request-size and per-device concurrency limits.

The device limit counts requests *in flight*, not requests per second: Traccar Client flushes its
offline buffer one ping after another, waiting for each answer, so a phone never has more than one
request open and is never refused, however fast it flushes; a client opening many parallel
requests with one token is.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from basuracero.api.errors import ApiError, error_body


class BodyLimit:
    """ASGI middleware answering 413 for bodies over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _too_large(send, self.max_bytes)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(error_body("too_large", f"request body over {limit} bytes")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
