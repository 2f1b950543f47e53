"""Response helpers of the HTTP layer: the request id every body carries, and the success body.

Every response body has ``rtn``, ``message`` and ``global_request_id`` first; a success adds the
endpoint's fields (:func:`ok`), a failure is built in :mod:`facesaas.api.errors`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

__all__ = ["ok", "request_id_of"]


def request_id_of(request: Request) -> str:
    """The request's ``global_request_id`` (set by the app's middleware; "" outside it)."""
    return getattr(request.state, "request_id", "")


def ok(request: Request, result: dict[str, Any]) -> JSONResponse:
    """A success body: rtn 0, message OK, the request id, then the endpoint's fields."""
    request.state.rtn = 0  # for the access log and metrics (api/observability.py)
    return JSONResponse({"rtn": 0, "message": "OK", "global_request_id": request_id_of(request), **result})
