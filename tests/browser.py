"""Headless Chromium (Debian's ``chromium``) driven over the DevTools protocol, for tests of
pages the service serves.

The browser starts with a new empty profile, ``--headless --no-sandbox``, the background
networking of the browser itself switched off, and the network blocked: every host name but
127.0.0.1 resolves to nothing and every non-loopback request is sent to a proxy port where
nothing listens. :class:`Browser` records each request a page makes
(``Network.requestWillBeSent``), so a test can prove the page asked nothing of the outside
world, and evaluates JavaScript in the page. It also acts as a person would: clicks at an
element's centre (``Input.dispatchMouseEvent``), types into the focused field
(``Input.insertText``), chooses files for an ``<input type=file>`` (``DOM.setFileInputFiles``),
saves downloads to a folder (``Browser.setDownloadBehavior``) and takes screenshots
(``Page.captureScreenshot``) at a fixed viewport. It records the responses the page received
(``Network.responseReceived``, bodies on request) and the errors its scripts or its
Content-Security-Policy raised (``Runtime.exceptionThrown``, ``Log.entryAdded``). The protocol
runs over a WebSocket (the ``websockets`` package); no driver binary and no browser download.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.tools import require_tool

__all__ = ["Browser", "chromium_path", "launch", "fake_camera_flags", "PageRequest", "PageResponse"]

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


def fake_camera_flags(clip: Path) -> list[str]:
    """Flags making ``getUserMedia`` grant, without asking, a camera that plays the Y4M file
    ``clip`` (in a loop, at the frame rate of its header) instead of a real device."""
    return [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={clip.resolve()}",
    ]  # fmt: skip


@dataclass(frozen=True)
class PageRequest:
    """A request the page made: its URL and the host it was for."""

    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass(frozen=True)
class PageResponse:
    """A response the page received: its request id (for :meth:`Browser.response_body`), URL,
    status, resource type (Document, Script, Fetch, ...) and headers (lower-case names)."""

    request_id: str
    url: str
    status: int
    resource_type: str
    headers: dict[str, str]


@dataclass
class Browser:
    """One page of a running Chromium. Not thread-safe."""

    _socket: ClientConnection
    requests: list[PageRequest] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """URLs of requests that failed (``Network.loadingFailed``), with the error text."""
    responses: list[PageResponse] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Uncaught script exceptions and console/CSP errors the page logged."""
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
        elif method == "Network.responseReceived":
            response = params["response"]
            headers = {k.lower(): str(v) for k, v in response.get("headers", {}).items()}
            self.responses.append(
                PageResponse(params["requestId"], response["url"], int(response["status"]), params.get("type", ""), headers)
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"{entry.get('source')}: {entry.get('text')} ({entry.get('url', '')})")

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

    def _node(self, selector: str) -> int:
        """The DOM node id of the first element matching ``selector``; AssertionError if none."""
        root = self._call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self._call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            raise AssertionError(f"no element matches {selector!r}")
        return node

    def click(self, selector: str) -> None:
        """Click the centre of the element ``selector`` with the mouse (scrolled into view)."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2, r.width * r.height]; })()"
        )
        if not box or not box[2]:
            raise AssertionError(f"nothing visible to click at {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self._call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def type(self, selector: str, text: str) -> None:
        """Focus ``selector``, clear it, and type ``text`` as keyboard input would insert it."""
        self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.focus(); e.select?.(); }})()")
        self._call("Input.insertText", {"text": text})

    def set_files(self, selector: str, paths: list[Path]) -> None:
        """Choose ``paths`` in the file input ``selector``, as the file dialog would."""
        self._call("DOM.setFileInputFiles", {"nodeId": self._node(selector), "files": [str(p.resolve()) for p in paths]})

    def set_viewport(self, width: int, height: int) -> None:
        """Emulate a ``width`` × ``height`` CSS-pixel window at device scale 1 (screenshots of
        that size)."""
        self._call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def screenshot(self) -> bytes:
        """A PNG of the viewport."""
        return base64.b64decode(self._call("Page.captureScreenshot", {"format": "png"})["data"])

    def allow_downloads(self, folder: Path) -> None:
        """Save downloads into ``folder`` without asking."""
        folder.mkdir(parents=True, exist_ok=True)
        self._call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder.resolve())})

    def response_body(self, request_id: str) -> bytes:
        """The body of a response the page received (:attr:`responses`)."""
        body = self._call("Network.getResponseBody", {"requestId": request_id})
        return base64.b64decode(body["body"]) if body.get("base64Encoded") else body["body"].encode("utf-8")

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
def launch(profile: Path, extra_flags: Sequence[str] = ()) -> Iterator[Browser]:
    """Start Chromium with a new profile in ``profile`` (a fresh directory), the network blocked,
    and yield its first page with request recording on. The browser is killed afterwards.
    ``extra_flags`` are added to the command line (e.g. :func:`fake_camera_flags`)."""
    executable = chromium_path()
    blocked = _closed_port()
    command = [
        executable, *_FLAGS, f"--user-data-dir={profile}",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{blocked}", *extra_flags, "about:blank",
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
            browser._call("Log.enable")
            browser._call("DOM.enable")
            yield browser
    finally:
        process.kill()
        process.wait(timeout=10)
