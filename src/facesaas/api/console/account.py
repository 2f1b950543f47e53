"""Operators' login, logout and "who am I" (``/console/api/login|logout|me``).

A login costs one scrypt hash (~50 ms of one core, :mod:`facesaas.operators.passwords`). Logins
of one process hash one at a time (a capacity limiter of 1), so a flood of logins, with any
usernames, takes at most one core of a worker and never the face engine's threads.
"""

from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facesaas.api.console.security import COOKIE, CsrfChecked, Operator, check_origin, operators_of, read_json
from facesaas.api.responses import ok
from facesaas.errors import InvalidParameter, MissingParameter
from facesaas.operators import SessionInfo

__all__ = ["router"]

router = APIRouter(prefix="/console/api", include_in_schema=False)


def _session_body(session: SessionInfo) -> dict[str, Any]:
    return {
        "username": session.operator.username,
        "csrf_token": session.csrf_token,
        "expires_at": session.expires_at.isoformat(),
    }


def _login_limiter(request: Request) -> anyio.CapacityLimiter:
    """One scrypt at a time per process (made on first use: it needs the running event loop)."""
    limiter = getattr(request.app.state, "console_login_limiter", None)
    if limiter is None:
        limiter = request.app.state.console_login_limiter = anyio.CapacityLimiter(1)
    return limiter


def _text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None or value == "":
        raise MissingParameter(name)
    if not isinstance(value, str):
        raise InvalidParameter(f"{name} must be a string")
    return value


@router.post("/login")
async def login(request: Request) -> JSONResponse:
    """``{"username", "password"}`` → the session cookie and ``{"username", "csrf_token",
    "expires_at"}``. 401 ConsoleLoginFailed, 429 ConsoleLoginThrottled."""
    check_origin(request)  # login CSRF: another site must not log a browser in
    body = await read_json(request)
    username, password = _text_field(body, "username"), _text_field(body, "password")
    operators = operators_of(request)
    session = await anyio.to_thread.run_sync(operators.login, username, password, limiter=_login_limiter(request))
    request.state.operator = session.operator.username
    response = ok(request, _session_body(session))
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=int(operators.session_lifetime.total_seconds()),
        path="/console",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, _session: CsrfChecked) -> JSONResponse:
    """End this session; the cookie is cleared."""
    await anyio.to_thread.run_sync(operators_of(request).logout, request.cookies.get(COOKIE))
    response = ok(request, {})
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


@router.get("/me")
async def me(request: Request, session: Operator) -> JSONResponse:
    """The logged-in operator, the session's CSRF token and its end (pages read the token here:
    it is never in a page's HTML), and this server's cluster (the default of new tenants)."""
    return ok(request, {**_session_body(session), "cluster": request.app.state.context.settings.cluster})
