"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol, for tests of
pages the service serves.

The browser starts with a new empty profile, ``--headless --no-sandbox``, the background
networking of the browser itself switched off, and the network blocked: every host name but
127.0.0.1 resolves to nothing and every non-loopback request is sent to a proxy port where
nothing listens. :class:`Browser` records each request a page makes
(``Network.requestWillBeSent``), so a test can prove the page asked nothing of the outside
world, and evaluates JavaScript in the page. The protocol runs over a WebSocket (the
``websockets`` package); no driver binary and no browser download.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.tools import require_tool

__all__ = ["Browser", "chromium_path", "launch", "PageRequest"]

_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio", "--remote-debugging-port=0",
)  # fmt: skip


def _closed_port() -> int:
    """A loopback port nothing listens on (bound and released; connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def chromium_path() -> str:
    """The Chromium executable; skips with the reason when absent (fails when
    FACESAAS_REQUIRE_TOOLS is set, as in CI)."""
    return require_tool("chromium", "chromium-browser", install="Debian: apt-get install -y chromium")


@dataclass(frozen=True)
class PageRequest:
    """A request the page made: its URL and the host it was for."""

    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass
class Browser:
    """One page of a running Chromium. Not thread-safe."""

    _socket: ClientConnection
    requests: list[PageRequest] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """URLs of requests that failed (``Network.loadingFailed``), with the error text."""
    _next_id: int = 0

    def _call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
        self._next_id += 1
        call_id = self._next_id
        self._socket.send(json.dumps({"id": call_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.requests.append(PageRequest(params["request"]["url"]))
        elif method == "Network.loadingFailed":
            self.failed.append(f"{params.get('requestId')}: {params.get('errorText')}")

    def open(self, url: str) -> None:
        """Navigate to ``url`` and wait for its load event."""
        self._call("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript ``expression`` in the page (awaited if a promise)."""
        result = self._call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll ``expression`` until it is truthy; its value, or AssertionError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"page never satisfied {expression!r} within {timeout} s")


@contextmanager
def launch(profile: Path) -> Iterator[Browser]:
    """Start Chromium with a new profile in ``profile`` (a fresh directory), the network blocked,
    and yield its first page with request recording on. The browser is killed afterwards."""
    executable = chromium_path()
    blocked = _closed_port()
    command = [
        executable, *_FLAGS, f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{blocked}", "about:blank",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chromium did not start (exit code {process.poll()})")
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        pages = [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json() if t["type"] == "page"]
        with connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            browser = Browser(ws)
            browser._call("Network.enable")
            browser._call("Page.enable")
            browser._call("Runtime.enable")
            yield browser
    finally:
        process.kill()
        process.wait(timeout=10)
