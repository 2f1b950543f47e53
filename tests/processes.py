"""``facesaas serve`` as a real separate process, for tests that kill, signal or multiply it."""

from __future__ import annotations

import collections
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import IO

import httpx

from facesaas.settings import Settings
from tests import logscan


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LogDrain(threading.Thread):
    """Reads a service's stderr as it is written. A pipe nobody reads fills up (64 KiB on Linux)
    and then blocks the service at its next log line: with one JSON access-log line per request,
    a few hundred requests froze a test's service until its clients timed out. Keeps the last
    ``lines`` lines."""

    def __init__(self, stream: IO[bytes], lines: int = 20_000) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._lines: collections.deque[bytes] = collections.deque(maxlen=lines)
        self._sink = logscan.sink("serve")  # every line is also kept for the session's log scan

    def run(self) -> None:
        for line in iter(self._stream.readline, b""):
            self._lines.append(line)
            if self._sink is not None and not self._sink.closed:
                self._sink.write(line)

    def seen(self, needle: str) -> bool:
        """Whether a line read so far contains ``needle`` (does not wait)."""
        encoded = needle.encode()
        return any(encoded in line for line in list(self._lines))

    def text(self, wait: float = 10.0) -> str:
        """What was read (after the service closed its stderr, or ``wait`` seconds)."""
        self.join(timeout=wait)
        return b"".join(self._lines).decode("utf-8", errors="replace")


def start_service(
    settings: Settings,
    port: int,
    *,
    args: tuple[str, ...] = (),
    env: Mapping[str, str] | None = None,
    stderr: int | None = subprocess.PIPE,
    timeout: float = 120.0,
) -> subprocess.Popen:
    """``python -m facesaas serve`` for ``settings``' data directory and database on ``port``,
    returned once ``/healthz`` answers (the app's lifespan has run). ``env`` adds variables
    (FACESAAS_REDIS_URL, FACESAAS_VECTOR_URL, ...). With ``stderr`` piped (the default) the log
    is read continuously into ``process.log`` (a :class:`LogDrain`; ``process.log.text()``)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "facesaas", "serve", "--data-dir", str(settings.data_dir), "--port", str(port), *args],
        env={**os.environ, "FACESAAS_DATABASE_URL": settings.resolved_database_url, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    if process.stderr is not None:
        process.log = LogDrain(process.stderr)  # type: ignore[attr-defined]
        process.log.start()  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
        if process.poll() is not None:
            raise RuntimeError(process.log.text() if process.stderr else "service exited")  # type: ignore[attr-defined]
    process.kill()
    raise RuntimeError("service did not start")


class RegisterStream:
    """Registers ``features`` one by one (user ids ``u0``, ``u1``, ...) into ``repo`` through
    ``client`` on a thread, recording each register that answered OK, until one fails (the
    service was killed). ``wait_for(n)`` blocks until n answered or the stream ended."""

    def __init__(self, client, repo: str, features: list[str]) -> None:  # noqa: ANN001
        import threading

        self.answered: list[int] = []
        self.failures: list[str] = []
        self._client, self._repo, self._features = client, repo, features
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self) -> None:
        from facesaas.sdk import ApiError

        with self._client as client:
            for i, feature in enumerate(self._features):
                try:
                    client.register_in_repo(self._repo, f"u{i}", feature=feature)
                except (httpx.HTTPError, ApiError) as exc:
                    self.failures.append(f"u{i}: {exc.__class__.__name__}")
                    return
                self.answered.append(i)

    def wait_for(self, count: int) -> None:
        while len(self.answered) < count and self.thread.is_alive():
            time.sleep(0.01)
