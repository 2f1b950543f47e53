"""The console's pages and their static files (HTML, CSS, JS, icon), package data of
``facesaas.api.console`` served from ``/console/static/``: nothing comes from another host.

Pages hold no data: their scripts fetch it from ``/console/api`` after load. A page asked for
without a live session is answered with a redirect to the login page.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from facesaas.api.console.security import session_of

__all__ = ["router", "PAGES", "static_files"]

router = APIRouter(prefix="/console", include_in_schema=False)

PAGES = {"tenants": "tenants.html", "usage": "usage.html", "review": "review.html", "try": "try.html"}
"""Pages behind the login, by their path under /console."""

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@cache
def static_files() -> dict[str, tuple[Path, str]]:
    """The servable files by name → (path, media type); read once from the package."""
    folder = Path(str(resources.files("facesaas.api.console").joinpath("static")))
    return {
        path.name: (path, _MEDIA_TYPES[path.suffix])
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix in _MEDIA_TYPES
    }


def _file(name: str) -> Response:
    path, media_type = static_files()[name]
    return FileResponse(path, media_type=media_type)


@router.get("")
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/tenants", status_code=303)


@router.get("/login")
async def login_page(request: Request) -> Response:
    if await session_of(request) is not None:
        return RedirectResponse("/console/tenants", status_code=303)
    return _file("login.html")


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    # Only the listed names: the path parameter never reaches the file system otherwise.
    if name not in static_files() or name.endswith(".html"):
        return Response(status_code=404)
    return _file(name)


def _page(name: str, filename: str) -> None:
    async def page(request: Request) -> Response:
        if await session_of(request) is None:
            return RedirectResponse("/console/login", status_code=303)
        return _file(filename)

    router.add_api_route(f"/{name}", page, methods=["GET"], name=f"console_{name}")


for _name, _filename in PAGES.items():
    _page(_name, _filename)
