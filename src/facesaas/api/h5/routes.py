"""Routes of the H5 page: the page itself, its static files, and its three calls.

- ``GET  /h5/liveness/{token}``        the page (HTML; its script reads the token from the URL)
- ``GET  /h5/static/{name}``           the page's script, style sheet and icon
- ``GET  /h5/api/{token}``             the prompts and limits (JSON)
- ``POST /h5/api/{token}/preview``     one JPEG frame → live feedback (JSON)
- ``POST /h5/api/{token}/video``       the clip (WebM or MP4 body) → the outcome shown (JSON)

JSON answers carry ``rtn``/``message``/``global_request_id`` like every endpoint; errors are the
documented codes (-6001 unknown token, -6002 expired, -6003 used, -6004 too many previews,
-2014/-2015/-2016 for the clip).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from facesaas.api.deps import Ctx, read_body
from facesaas.api.pages import PrefixHeaders
from facesaas.api.pages import static_files as shared_static_files
from facesaas.api.responses import ok
from facesaas.errors import BodyTooLarge, NotFound, VideoTooLarge

__all__ = ["router", "H5Headers", "static_files"]

router = APIRouter(prefix="/h5", include_in_schema=False)

_PREVIEW_LIMIT = 300_000
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def static_files() -> dict[str, tuple[Path, str]]:
    """The page's servable files by name → (path, media type)."""
    return shared_static_files("facesaas.api.h5")


def H5Headers(app: ASGIApp) -> PrefixHeaders:  # noqa: N802 - a middleware class for add_middleware
    """The security headers of :mod:`facesaas.api.h5` on every ``/h5`` answer."""
    return PrefixHeaders(
        app,
        prefix="/h5",
        headers=[
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(self), microphone=()"),
            (b"x-content-type-options", b"nosniff"),
        ],
        static_cache=b"public, max-age=3600",
    )


@router.get("/liveness/{token}")
async def page(token: str) -> HTMLResponse:
    """The page. It holds no data: its script asks ``/h5/api/{token}`` for the prompts, so an
    unknown or used token shows the error there, in the page's own words."""
    del token  # read by the script from location.pathname
    return HTMLResponse(_page_html())


@cache
def _page_html() -> str:
    """The page's HTML, read once per process."""
    return static_files()["page.html"][0].read_text(encoding="utf-8")


@router.get("/static/{name}")
async def static(name: str) -> Response:
    found = static_files().get(name)
    if found is None:
        raise NotFound(f"/h5/static/{name}")
    path, media_type = found
    return FileResponse(path, media_type=media_type)


@router.get("/api/{token}")
async def session_info(request: Request, context: Ctx, token: str) -> JSONResponse:
    # A database read, not engine work: it must not wait for (or be refused by) the engine gate.
    info = await run_in_threadpool(context.video.page, token)
    return ok(request, info)


@router.post("/api/{token}/preview")
async def preview(request: Request, context: Ctx, token: str) -> JSONResponse:
    frame = await read_body(request, _PREVIEW_LIMIT)
    return ok(request, await context.gate.run(context.video.preview, token, frame))


@router.post("/api/{token}/video")
async def upload(request: Request, context: Ctx, token: str) -> JSONResponse:
    # Refuse a dead token before reading megabytes of body (a database read: not the engine gate).
    await run_in_threadpool(context.video.sessions.check_usable, token)
    try:
        clip = await read_body(request, context.video.limits.max_bytes)
    except BodyTooLarge as exc:
        raise VideoTooLarge(exc.detail) from exc
    return ok(request, await context.gate.run(context.video.upload, token, clip))
