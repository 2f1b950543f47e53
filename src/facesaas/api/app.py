"""The ASGI application factory.

``create_app(settings)`` builds an app whose lifespan opens the database, loads the server key
pair, the face models and the calibration table once; nothing happens at import time.
Operations endpoints (unsigned): ``/healthz`` (the process answers), ``/readyz`` (the database,
Redis and a shared vector service answer; 503 with the failing one named otherwise) and
``/metrics`` (Prometheus text format). The operators' console is under ``/console``
(:mod:`facesaas.api.console`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from facesaas import __version__
from facesaas.api.calls import CallMiddleware
from facesaas.api.console import install_console
from facesaas.api.context import build_context
from facesaas.api.docs import install_docs
from facesaas.api.errors import error_response, install_error_handlers
from facesaas.api.h5 import install_h5
from facesaas.api.observability import Metrics, RequestMiddleware, index_collector, new_request_id
from facesaas.api.openapi import install_openapi
from facesaas.api.responses import ok
from facesaas.api.routes import documents, liveness, recognition, repositories
from facesaas.auth.replay import ReplayStore
from facesaas.errors import ServiceUnavailable
from facesaas.settings import Settings, get_settings

__all__ = ["create_app", "new_request_id", "worker_app"]


def _known_paths(app: FastAPI) -> set[str]:
    """The paths the metrics name: every documented endpoint and the app's own routes."""
    paths = set(app.openapi().get("paths", {}))
    return paths | {path for route in app.routes if isinstance(path := getattr(route, "path", None), str)}


def create_app(settings: Settings | None = None, *, replay_store: ReplayStore | None = None) -> FastAPI:
    """Build the FastAPI app for ``settings`` (default: from the environment)."""
    chosen = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = build_context(chosen, replay_store=replay_store)
        context.gate.depth = metrics.queue_depth
        metrics.add_collector(index_collector(context.repositories.repositories))
        app.state.context = context
        try:
            yield
        finally:
            context.close()

    app = FastAPI(
        title="FaceSaaS",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from local files, never a CDN
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    # The last added runs first: the request id and timing wrap the completion of each call.
    app.add_middleware(CallMiddleware)
    app.add_middleware(RequestMiddleware, metrics=metrics, known_paths=lambda: _known_paths(app))

    @app.get("/healthz", tags=["ops"], summary="Liveness probe (unsigned): the process answers")
    async def healthz(request: Request) -> JSONResponse:
        return ok(request, {})

    @app.get("/readyz", tags=["ops"], summary="Readiness probe (unsigned): database, Redis, vector service")
    async def readyz(request: Request) -> JSONResponse:
        checks = await run_in_threadpool(request.app.state.context.readiness)
        failed = [name for name, state in checks.items() if state not in ("ok", "not used")]
        if failed:
            return error_response(request, ServiceUnavailable(", ".join(failed)), checks=checks)
        return ok(request, {"checks": checks})

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics (unsigned)")
    async def metrics_endpoint() -> Response:
        content, media_type = await run_in_threadpool(metrics.render)
        return Response(content, media_type=media_type)

    install_error_handlers(app)
    app.include_router(recognition.router)
    app.include_router(repositories.router)
    app.include_router(documents.router)
    app.include_router(liveness.router)
    install_h5(app)  # /h5: the video liveness page and its token-gated calls, outside the schema
    install_openapi(app)
    install_docs(app)
    if chosen.console:
        install_console(app)  # /console: pages and the operators' API, outside the OpenAPI schema
    return app


def worker_app() -> FastAPI:
    """The app of one ``facesaas serve --workers N`` process: settings from the environment
    (the CLI exported its options), logs configured as the parent's."""
    from facesaas.api.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.log_format)
    return create_app(settings)
