"""Request dependencies: the shared context and the authenticated, size-limited body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from facesaas.api.calls import admit
from facesaas.api.context import AppContext
from facesaas.auth.verifier import Principal
from facesaas.errors import BodyTooLarge, InvalidJson

__all__ = ["Ctx", "SignedBody", "SignedJson", "get_context", "read_body", "signed_json"]


def get_context(request: Request) -> AppContext:
    return request.app.state.context


Ctx = Annotated[AppContext, Depends(get_context)]


@dataclass(frozen=True)
class SignedJson:
    """An authenticated request: who sent it and its JSON object."""

    principal: Principal
    body: dict[str, Any]


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with BodyTooLarge past ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"{declared} bytes, limit {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _reject_constant(name: str) -> None:
    """NaN and ±Infinity are not JSON (RFC 8259); Python's parser accepts them, and a stored
    ``description`` holding one could never be sent back."""
    raise ValueError(f"{name} is not valid JSON")


async def signed_json(request: Request, context: Ctx) -> SignedJson:
    """Read the body (bounded), verify the signature over its exact bytes and admit the call
    (metering, quotas: :func:`facesaas.api.calls.admit`), then parse JSON.

    Authentication comes before parsing so an unauthenticated caller learns nothing about
    the body's validity.
    """
    body = await read_body(request, context.settings.max_body_bytes)
    principal = await run_in_threadpool(
        admit, context, request, request.headers.get("x-access-id"), request.headers.get("x-signature"), body
    )
    try:
        parsed = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise InvalidJson() from exc
    if not isinstance(parsed, dict):
        raise InvalidJson("top level must be an object")
    return SignedJson(principal, parsed)


SignedBody = Annotated[SignedJson, Depends(signed_json)]
