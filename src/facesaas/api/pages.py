"""What the service's two browser surfaces share — the operators' console (``/console``) and
the H5 liveness page (``/h5``): package static files served by name, and a middleware that
puts a fixed set of security headers on every answer under a path prefix."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["static_files", "PrefixHeaders", "MEDIA_TYPES"]

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
"""The kinds of file a ``static`` folder may serve, and their media types."""


@cache
def static_files(package: str) -> dict[str, tuple[Path, str]]:
    """The servable files of ``package``'s ``static`` folder by name → (path, media type);
    read once per process. Anything else in the folder is not served."""
    folder = Path(str(resources.files(package).joinpath("static")))
    return {
        path.name: (path, MEDIA_TYPES[path.suffix])
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix in MEDIA_TYPES
    }


class PrefixHeaders:
    """Adds ``headers`` to every answer under ``prefix`` (pages, API, errors), replacing any
    Cache-Control with ``static_cache`` under ``prefix/static/`` and ``other_cache``
    elsewhere. Plain ASGI, as the app's other middleware."""

    def __init__(self, app: ASGIApp, *, prefix: str, headers: list[tuple[bytes, bytes]], static_cache: bytes,
                 other_cache: bytes = b"no-store") -> None:  # fmt: skip
        self.app = app
        self.prefix = prefix
        self.headers = headers
        self.static_cache = static_cache
        self.other_cache = other_cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        cache_control = self.static_cache if path.startswith(self.prefix + "/static/") else self.other_cache

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                message["headers"] = [*kept, *self.headers, (b"cache-control", cache_control)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
