"""The console's security plumbing: the session cookie, CSRF and Origin checks, bounded request
bodies, and the headers every /console response carries.

* Session: an HttpOnly, SameSite=Strict cookie on Path=/console holding a 256-bit random token
  (only its SHA-256 is stored, :mod:`facesaas.operators`). No valid session: 401
  (ConsoleLoginRequired).
* CSRF: every state-changing call must present the session's CSRF token, in the
  ``X-CSRF-Token`` header (the JSON API) or the ``csrf_token`` field (the download forms);
  missing or different: 403 (ConsoleCsrfRejected). Compared in constant time.
* Origin: a state-changing call whose ``Origin`` (or, without one, ``Referer``) header names
  another host than the ``Host`` it was sent to is refused (403, ConsoleOriginRejected);
  scripts that send neither header pass on the CSRF token alone. The login is checked too
  (login CSRF).
* Headers (:class:`ConsoleHeaders`): a strict Content-Security-Policy (``default-src 'self'``,
  no inline script), ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin``, ``nosniff``,
  and ``Cache-Control: no-store`` on everything but the static assets. ``same-origin`` rather
  than ``no-referrer``: under ``no-referrer`` a browser sends ``Origin: null`` with a form POST,
  which would make the Origin check above refuse the console's own download forms; with
  ``same-origin`` no other site ever gets a console URL in a Referer either.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from facesaas.api.deps import read_body
from facesaas.api.pages import PrefixHeaders
from facesaas.errors import (
    ConsoleCsrfRejected,
    ConsoleLoginRequired,
    ConsoleOriginRejected,
    InvalidJson,
)
from facesaas.operators import OperatorService, SessionInfo

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "ConsoleHeaders",
    "Operator",
    "CsrfChecked",
    "check_origin",
    "operators_of",
    "read_form",
    "read_json",
    "session_of",
]

COOKIE = "facesaas_console"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
FORM_LIMIT = 64 * 1024
"""Largest form or login body in bytes (the forms carry a name and a token)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def operators_of(request: Request) -> OperatorService:
    return request.app.state.context.operators


async def session_of(request: Request) -> SessionInfo | None:
    """The live session of the request's cookie, or None. One indexed database read."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    return await run_in_threadpool(operators_of(request).session, token)


async def _require_session(request: Request) -> SessionInfo:
    session = await session_of(request)
    if session is None:
        raise ConsoleLoginRequired()
    request.state.operator = session.operator.username
    return session


Operator = Annotated[SessionInfo, Depends(_require_session)]
"""A route parameter: the logged-in operator's session, or 401."""


def check_origin(request: Request) -> None:
    """ConsoleOriginRejected when the request says it comes from another site than this one.
    Browsers send ``Origin`` with every POST (``null`` from a sandboxed or opaque context:
    refused); ``Referer`` is the fallback. A request with neither (a script) passes."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return
    host = request.headers.get("host", "").lower()
    if source == "null" or not host or urlsplit(source).netloc.lower() != host:
        raise ConsoleOriginRejected()


def _same_token(presented: str | None, expected: str) -> bool:
    return bool(presented) and hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


async def _require_csrf(request: Request, session: Operator) -> SessionInfo:
    check_origin(request)
    if not _same_token(request.headers.get(CSRF_HEADER), session.csrf_token):
        raise ConsoleCsrfRejected()
    return session


CsrfChecked = Annotated[SessionInfo, Depends(_require_csrf)]
"""A route parameter for state-changing JSON calls: the session, its Origin and CSRF header checked."""


async def read_json(request: Request, limit: int = FORM_LIMIT) -> dict[str, Any]:
    """The body as a JSON object (bounded by ``limit`` bytes); InvalidJson otherwise. An empty
    body is ``{}``. The content type must be JSON: an HTML form cannot send that cross-site
    without a CORS preflight, which this service never grants."""
    body = await read_body(request, limit)
    if not body:
        return {}
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise InvalidJson("Content-Type must be application/json")
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidJson() from exc
    if not isinstance(parsed, dict):
        raise InvalidJson("top level must be an object")
    return parsed


async def read_form(request: Request, session: SessionInfo) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` console form, after its Origin and its
    ``csrf_token`` field are checked against ``session``; the fields (last value of each)."""
    check_origin(request)
    body = await read_body(request, FORM_LIMIT)
    try:
        fields = {key: values[-1] for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError as exc:
        raise ConsoleCsrfRejected() from exc
    if not _same_token(fields.get(CSRF_FIELD), session.csrf_token):
        raise ConsoleCsrfRejected()
    return fields


def ConsoleHeaders(app: ASGIApp) -> PrefixHeaders:  # noqa: N802 - a middleware class for add_middleware
    """The console's security headers on every response under ``/console`` (pages, API,
    downloads, errors); static files revalidate (an upgrade shows at once), nothing else is kept."""
    return PrefixHeaders(
        app,
        prefix="/console",
        headers=[
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"x-content-type-options", b"nosniff"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ],
        static_cache=b"no-cache",
    )
