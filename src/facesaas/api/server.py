"""Running the service in a background thread (tests, benchmarks, embedding in a host program).

``facesaas serve`` runs uvicorn in the foreground; this is the same app on a daemon thread.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from facesaas.api.app import create_app
from facesaas.settings import Settings

__all__ = ["BackgroundServer"]


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class BackgroundServer:
    """``with BackgroundServer(settings) as url: ...`` — a real HTTP server on ``host`` and a
    free port (or ``port``), started when entered (after the app's lifespan has run: keys,
    database and models are loaded) and stopped when left."""

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.settings = settings
        self.host = host
        self.port = port or _free_port(host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 60.0) -> str:
        config = uvicorn.Config(create_app(self.settings), host=self.host, port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="facesaas-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start (see its log)")
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
