"""The console's pages and their static files (HTML, CSS, JS, icon), package data of
``facesaas.api.console`` served from ``/console/static/``: nothing comes from another host.

Pages hold no data: their scripts fetch it from ``/console/api`` after load. A page asked for
without a live session is answered with a redirect to the login page. The pages behind the
login share ``layout.html`` (head, navigation bar); each page's file holds only its ``<main>``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from facesaas.api.console.security import session_of
from facesaas.api.pages import static_files as shared_static_files

__all__ = ["router", "PAGES", "render_page", "static_files"]

router = APIRouter(prefix="/console", include_in_schema=False)

PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "tenants": ("Tenants", ("tenants.js",)),
    "usage": ("Usage", ("charts.js", "usage.js")),
    "review": ("Go-live review", ("review.js",)),
    "try": ("Try it", ("charts.js", "try.js")),
}
"""Pages behind the login, by their path under /console: title and scripts (after console.js);
the page's ``<main>`` is ``static/<name>.html``."""

def static_files() -> dict[str, tuple[Path, str]]:
    """The console's servable files by name → (path, media type)."""
    return shared_static_files("facesaas.api.console")


@cache
def render_page(name: str) -> str:
    """The HTML of page ``name``: the layout around its ``<main>`` (built once per process)."""
    title, scripts = PAGES[name]
    tags = "\n".join(f'<script src="/console/static/{script}" defer></script>' for script in ("console.js", *scripts))
    layout = static_files()["layout.html"][0].read_text(encoding="utf-8")
    main = static_files()[f"{name}.html"][0].read_text(encoding="utf-8").rstrip("\n")
    return Template(layout).substitute(title=title, scripts=tags, page=name, main=main)


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


def _page(name: str) -> None:
    async def page(request: Request) -> Response:
        if await session_of(request) is None:
            return RedirectResponse("/console/login", status_code=303)
        return HTMLResponse(render_page(name))

    router.add_api_route(f"/{name}", page, methods=["GET"], name=f"console_{name}")


for _name in PAGES:
    _page(_name)
