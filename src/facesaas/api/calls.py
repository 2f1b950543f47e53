"""The life of an authenticated call around its route: admission (metering row, quotas) and
completion (audit row, metering row, in-flight slot), the latter just before the answer is sent.

:func:`admit` runs in a worker thread after the signature is verified; :class:`CallMiddleware`
completes the call when the response starts — so the audit row holds the decision and the
metering row the answer's rtn before the customer sees it, and a worker killed earlier leaves an
unanswered, unbilled row. When the audit row of a decision cannot be written the answer is
withheld and AuditUnavailable (503, rtn -5013) is sent instead; a refusal goes out unchanged
(docs/security.md, "The audit log").
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facesaas.api.context import AppContext
from facesaas.api.errors import error_content
from facesaas.api.responses import request_id_of
from facesaas.audit import AuditEntry, AuditLog
from facesaas.auth.quotas import Release
from facesaas.auth.verifier import Principal
from facesaas.errors import AuditUnavailable
from facesaas.metering import Meter

__all__ = ["OpenCall", "admit", "CallMiddleware"]

log = logging.getLogger("facesaas.api")


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
    audit: AuditLog | None = None
    tenant_id: int | None = None
    access_id: str | None = None
    endpoint: str = ""
    recorded: bool = False

    @property
    def blocking(self) -> bool:
        return self.meter is not None or self.release is not _nothing

    def record(self, http_status: int, rtn: int | None, decision: dict[str, Any] | None) -> None:
        """Write the call's audit row (once; nothing when the audit log is off). Raises
        AuditUnavailable when it cannot be written. Blocking: one transaction."""
        if self.audit is None or self.recorded:
            return
        self.recorded = True
        entry = AuditEntry(self.endpoint, self.request_id, self.tenant_id, self.access_id, http_status, rtn,
                           decision if rtn == 0 else None)  # fmt: skip
        try:
            self.audit.write(entry)
        except AuditUnavailable:
            raise
        except Exception as exc:  # a decision that cannot be encoded is a bug; the answer still waits for its row
            raise AuditUnavailable("unexpected error") from exc

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
    call = OpenCall(request_id_of(request), context.meter, getattr(request.state, "started", time.perf_counter()),
                    audit=context.audit, tenant_id=principal.tenant_id, access_id=principal.access_id,
                    endpoint=request.url.path)  # fmt: skip
    if context.meter is not None:
        context.meter.start(call.request_id, principal.tenant_id, request.url.path, time.time())
    request.state.call = call  # from here on CallMiddleware completes it
    limits = principal.customer.quota if principal.customer is not None else None
    if limits is not None or not context.default_quota.unlimited:
        chosen = limits.over(context.default_quota) if limits is not None else context.default_quota
        call.release = context.quotas.admit(principal.tenant_id, call.request_id, chosen)
    return principal


class CallMiddleware:
    """Completes the admitted call (``scope["state"]["call"]``) when its response starts —
    first its audit row (with ``scope["state"]["decision"]``, which the route left), then the
    metering row — or when the app ends without one (an unexpected error: 500, rtn -5000).
    If the audit row of a decision (rtn 0) cannot be written the route's answer is dropped and
    AuditUnavailable sent in its place; a refusal (rtn != 0) is answered as it is, the missing
    row logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        withheld = False

        async def send_completing(message: Message) -> None:
            nonlocal withheld
            if withheld:
                return  # the body of an answer that could not be audited
            if message["type"] == "http.response.start":
                call = state.get("call")
                try:
                    await _record(call, message["status"], state.get("rtn"), state.get("decision"))
                except AuditUnavailable as exc:
                    if state.get("rtn") not in (0, None):
                        # A refusal decides nothing and discloses nothing: it goes out as it is (on
                        # a full disk the client learns -5007, the cause, rather than -5013).
                        log.error("request %s: refusal rtn %s answered without its audit row: %s",
                                  state.get("request_id", ""), state.get("rtn"), exc.client_message)  # fmt: skip
                        await _close(call, message["status"], state.get("rtn"))
                        await send(message)
                        return
                    withheld = True
                    log.error("request %s: answer withheld, %s", state.get("request_id", ""), exc.client_message,
                              exc_info=exc.__cause__)  # fmt: skip
                    state["rtn"] = exc.rtn
                    await _close(call, exc.http_status, exc.rtn)
                    for part in _error_messages(exc, state.get("request_id", "")):
                        await send(part)
                    return
                await _close(call, message["status"], state.get("rtn"))
            await send(message)

        try:
            await self.app(scope, receive, send_completing)
        finally:
            call = state.get("call")
            if call is not None and not call.closed:
                with anyio.CancelScope(shield=True):  # also when the client went away mid-call
                    rtn = state.get("rtn", -5000)
                    try:
                        await _record(call, 500, rtn, None)
                    except AuditUnavailable as exc:  # nothing was answered: log, complete the call
                        log.error("request %s: %s", state.get("request_id", ""), exc.client_message)
                    await _close(call, 500, rtn)


def _error_messages(error: AuditUnavailable, request_id: str) -> list[Message]:
    """The ASGI messages of ``error``'s answer, with the body :mod:`facesaas.api.errors` builds
    (this middleware answers outside the app's exception handlers)."""
    response = JSONResponse(status_code=error.http_status, content=error_content(error, request_id))
    return [{"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers},
            {"type": "http.response.body", "body": response.body, "more_body": False}]  # fmt: skip


async def _record(call: OpenCall | None, status: int, rtn: int | None, decision: dict[str, Any] | None) -> None:
    if call is None or call.closed or call.audit is None or call.recorded:
        return
    await anyio.to_thread.run_sync(call.record, status, rtn, decision)


async def _close(call: OpenCall | None, status: int, rtn: int | None) -> None:
    if call is None or call.closed:
        return
    if call.blocking:
        await anyio.to_thread.run_sync(call.close, status, rtn)
    else:
        call.close(status, rtn)
