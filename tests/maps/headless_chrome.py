"""A minimal DevTools-protocol client for Debian's headless Chromium, enough to check our maps.

It opens a local file with the network effectively off, collects console errors and uncaught
exceptions, evaluates a JavaScript expression and takes a PNG screenshot; it can also size the
viewport like a phone, type into the focused field as a person does and press Enter.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    errors: list[str] = field(default_factory=list)
    value: Any = None
    screenshot: bytes = b""


class Chromium:
    """One headless browser process with one page; use as a context manager."""

    def __init__(
        self, binary: str, width: int = 1200, height: int = 900, *, local_server: bool = False
    ) -> None:
        """``local_server``: the page is served on this machine (127.0.0.1), which is reached
        directly; every other host still goes to a dead proxy, so a CDN reference fails."""
        self.binary = binary
        self.local_server = local_server
        self.size = (width, height)
        self.profile = tempfile.mkdtemp(prefix="bc-chromium-")
        self.proc: subprocess.Popen[str] | None = None
        self.ws: Any = None
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self._stack = ExitStack()

    def __enter__(self) -> Chromium:
        args = [
            self.binary, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
            f"--window-size={self.size[0]},{self.size[1]}",
            "--proxy-server=127.0.0.1:9",  # no internet
            "--proxy-bypass-list=" + ("127.0.0.1" if self.local_server else "<-loopback>"),
            "about:blank",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        port = self._devtools_port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        page = next(t for t in targets if t.get("type") == "page")
        socket = connect(page["webSocketDebuggerUrl"], max_size=64 * 2**20, open_timeout=10)
        self.ws = self._stack.enter_context(socket)
        for domain in ("Page", "Runtime", "Log", *(("Network",) if self.local_server else ())):
            self.call(f"{domain}.enable")
        return self

    def _devtools_port(self) -> int:
        assert self.proc is not None and self.proc.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                return int(found.group(1))
            if not line and self.proc.poll() is not None:
                break
        raise RuntimeError("chromium did not start its DevTools endpoint")

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        msg_id = self._next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == msg_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def _wait_event(self, method: str, timeout: float) -> None:
        if any(e.get("method") == method for e in self.events):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            self.events.append(message)
            if message.get("method") == method:
                return
        raise TimeoutError(f"no {method} within {timeout} s")

    def open(self, path: Path, expression: str, settle_s: float = 1.5) -> PageReport:
        """Load a file, let it settle, return console errors, ``expression``'s value, a PNG."""
        self.events.clear()
        self.call("Page.navigate", url=path.resolve().as_uri())
        self._wait_event("Page.loadEventFired", timeout=60)
        time.sleep(settle_s)
        value = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        shot = self.call("Page.captureScreenshot", format="png")
        report = PageReport(
            value=value.get("result", {}).get("value"),
            screenshot=base64.b64decode(shot["data"]),
        )
        self.call("Runtime.evaluate", expression="0")  # drain events that arrived meanwhile
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                report.errors.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                report.errors.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                report.errors.append(json.dumps(params["entry"])[:500])
        return report

    def viewport(self, width: int, height: int, mobile: bool = False) -> None:
        """Size the page like a phone (``mobile``: touch, device scale 2) or a desktop screen."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=2 if mobile else 1, mobile=mobile,
        )  # fmt: skip
        self.call("Emulation.setTouchEmulationEnabled", enabled=mobile)

    def evaluate(self, expression: str) -> Any:
        found = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return found.get("result", {}).get("value")

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def type_text(self, text: str) -> None:
        """Key presses into the focused element, one character at a time (keydown, keyup)."""
        for char in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", text=char, key=char)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=char)

    def press_enter(self) -> None:
        keys = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
                "nativeVirtualKeyCode": 13}  # fmt: skip
        self.call("Input.dispatchKeyEvent", type="keyDown", text="\r", **keys)
        self.call("Input.dispatchKeyEvent", type="keyUp", **keys)


@contextmanager
def live_server(app: Any, *, start_timeout_s: float = 30.0) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port in a thread, for a real browser."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the service did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
