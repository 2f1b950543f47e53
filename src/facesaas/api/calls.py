"""The life of an authenticated call around its route: admission (metering row, quotas) and
completion (metering row, in-flight slot), the latter just before the answer is sent.

:func:`admit` runs in a worker thread after the signature is verified; :class:`CallMiddleware`
completes the call when the response starts — so the metering row holds the answer's rtn before
the customer sees it, and a worker killed earlier leaves an unanswered, unbilled row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facesaas.api.context import AppContext
from facesaas.api.responses import request_id_of
from facesaas.auth.quotas import Release
from facesaas.auth.verifier import Principal
from facesaas.metering import Meter

__all__ = ["OpenCall", "admit", "CallMiddleware"]


def _nothing() -> None:
    return None


@dataclass
class OpenCall:
    """An admitted call not yet answered. ``close`` is idempotent and blocking (a database
    write when metered)."""

    request_id: str
    meter: Meter | None
    started: float = field(default_factory=time.perf_counter)
    release: Release = _nothing
    closed: bool = False

    @property
    def blocking(self) -> bool:
        return self.meter is not None or self.release is not _nothing

    def close(self, http_status: int, rtn: int | None) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.release()
        finally:
            if self.meter is not None:
                self.meter.finish(self.request_id, http_status, rtn, time.perf_counter() - self.started)


def admit(context: AppContext, request: Request, access_id: str | None, signature: str | None, body: bytes) -> Principal:
    """Authenticate, record the call (staging and production), then apply the customer's quotas
    — in that order, so a forged request uses up nobody's allowance and a call refused by a
    quota is still recorded (unbilled, with its rtn). Blocking: run in a worker thread."""
    principal = context.authenticator.authenticate(access_id, signature, body)
    request.state.access_id = principal.access_id  # for the access log
    call = OpenCall(request_id_of(request), context.meter, getattr(request.state, "started", time.perf_counter()))
    if context.meter is not None:
        context.meter.start(call.request_id, principal.tenant_id, request.url.path, time.time())
    request.state.call = call  # from here on CallMiddleware completes it
    limits = principal.customer.quota if principal.customer is not None else None
    if limits is not None or not context.default_quota.unlimited:
        chosen = limits.over(context.default_quota) if limits is not None else context.default_quota
        call.release = context.quotas.admit(principal.tenant_id, call.request_id, chosen)
    return principal


class CallMiddleware:
    """Completes the admitted call (``scope["state"]["call"]``) when its response starts, or
    when the app ends without one (an unexpected error: 500, rtn -5000)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_completing(message: Message) -> None:
            if message["type"] == "http.response.start":
                await _close(state.get("call"), message["status"], state.get("rtn"))
            await send(message)

        try:
            await self.app(scope, receive, send_completing)
        finally:
            call = state.get("call")
            if call is not None and not call.closed:
                with anyio.CancelScope(shield=True):  # also when the client went away mid-call
                    await _close(call, 500, state.get("rtn", -5000))


async def _close(call: OpenCall | None, status: int, rtn: int | None) -> None:
    if call is None or call.closed:
        return
    if call.blocking:
        await anyio.to_thread.run_sync(call.close, status, rtn)
    else:
        call.close(status, rtn)
