"""The ASGI application factory.

``create_app(settings)`` builds an app whose lifespan opens the database, loads the server key
pair, the face models and the calibration table once; nothing happens at import time.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facesaas import __version__
from facesaas.api.context import build_context
from facesaas.api.docs import install_docs
from facesaas.api.errors import install_error_handlers
from facesaas.api.openapi import install_openapi
from facesaas.api.responses import request_id_of
from facesaas.api.routes import documents, liveness, recognition, repositories
from facesaas.auth.replay import ReplayStore
from facesaas.settings import Settings, get_settings

__all__ = ["create_app", "new_request_id"]


def new_request_id() -> str:
    """32 characters, like the manual's ``eSkrdLifumv0QQUABW8AAAAAAADuhAQA``."""
    return base64.urlsafe_b64encode(os.urandom(24)).decode("ascii")


class RequestIdMiddleware:
    """Give every request a ``global_request_id`` (``request.state.request_id``) and echo it
    as ``X-Request-Id``. Plain ASGI: Starlette's BaseHTTPMiddleware costs a task per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("ascii"))]
            await send(message)

        await self.app(scope, receive, send_with_id)


def create_app(settings: Settings | None = None, *, replay_store: ReplayStore | None = None) -> FastAPI:
    """Build the FastAPI app for ``settings`` (default: from the environment)."""
    chosen = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.context = build_context(chosen, replay_store=replay_store)
        try:
            yield
        finally:
            app.state.context.close()

    app = FastAPI(
        title="FaceSaaS",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from local files, never a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )

    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", tags=["ops"], summary="Liveness probe (unsigned)")
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"rtn": 0, "message": "OK", "global_request_id": request_id_of(request)})

    install_error_handlers(app)
    app.include_router(recognition.router)
    app.include_router(repositories.router)
    app.include_router(documents.router)
    app.include_router(liveness.router)
    install_openapi(app)
    install_docs(app)
    return app
