"""The one place where exceptions become HTTP responses.

Every response body carries ``rtn``, ``message`` and ``global_request_id``. FaceSaaS errors map
to their own code and status; routing errors to NotFound/MethodNotAllowed; anything else is a
bug, logged with the request id (never with keys or signatures) and answered as InternalError.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from facesaas.api.responses import request_id_of
from facesaas.errors import FaceSaaSError, InternalError, MethodNotAllowed, NotFound, QuotaError

__all__ = ["error_content", "error_response", "install_error_handlers"]

log = logging.getLogger("facesaas.api")


def error_content(error: FaceSaaSError, request_id: str, **fields: Any) -> dict[str, Any]:
    """The body of ``error``: rtn, message and the request id, then any ``fields``."""
    return {"rtn": error.rtn, "message": error.client_message, "global_request_id": request_id, **fields}


def error_response(request: Request, error: FaceSaaSError, **fields: Any) -> JSONResponse:
    """The answer of ``error``: :func:`error_content` with the request's id, then any ``fields``
    (``/readyz`` adds what it checked)."""
    request.state.rtn = error.rtn  # for the access log and metrics (api/observability.py)
    response = JSONResponse(status_code=error.http_status, content=error_content(error, request_id_of(request), **fields))
    if isinstance(error, QuotaError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FaceSaaSError)
    async def _facesaas(request: Request, exc: FaceSaaSError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("request %s failed: %s", request_id_of(request), exc.client_message, exc_info=exc.__cause__)
        return error_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return error_response(request, MethodNotAllowed())
        if exc.status_code == 404:
            return error_response(request, NotFound(request.url.path))
        return error_response(request, InternalError(f"HTTP {exc.status_code}"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("request %s: unexpected error", request_id_of(request))
        response = error_response(request, InternalError())
        # This handler answers from outside the request-id middleware, so it adds the header.
        response.headers["X-Request-Id"] = request_id_of(request)
        return response
