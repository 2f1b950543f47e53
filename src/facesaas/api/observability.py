"""Operations: the request middleware (request id, access log, metrics), Prometheus metrics,
JSON logs and the health endpoints.

Every request gets a ``global_request_id`` (echoed as ``X-Request-Id`` and carried by every log
line written while it runs, through a context variable), one JSON access-log line (method, path,
status, rtn, milliseconds, AccessID; never keys, signatures or bodies) and its metrics:
``facesaas_requests_total{endpoint,rtn}``, ``facesaas_request_seconds{endpoint}``. The engine
queue depth and index sizes are read when ``/metrics`` is scraped. Under ``facesaas serve
--workers N`` the workers write their metrics to ``PROMETHEUS_MULTIPROC_DIR`` (set by the CLI)
and any worker's ``/metrics`` answers for all of them.
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from prometheus_client.registry import Collector

__all__ = [
    "Metrics",
    "RequestMiddleware",
    "JsonFormatter",
    "configure_logging",
    "current_request_id",
    "index_collector",
    "new_request_id",
]

log = logging.getLogger("facesaas.access")

_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("facesaas_request_id", default="")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0)
"""Seconds; dense around 30–300 ms, where face requests fall."""


def new_request_id() -> str:
    """32 characters, like the manual's ``eSkrdLifumv0QQUABW8AAAAAAADuhAQA``."""
    return base64.urlsafe_b64encode(os.urandom(24)).decode("ascii")


def current_request_id() -> str:
    """The id of the request being served by this task or thread ("" outside a request)."""
    return _REQUEST_ID.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and
    any ``extra`` fields a caller passes under ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            out["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Send facesaas and uvicorn logs to stderr, as JSON lines (``fmt`` "json") or plain text.
    Uvicorn's own access log is replaced by ours (it has no request id)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("facesaas", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    """The service's Prometheus metrics, registered on their own registry (one per app, so
    several apps in one process never clash). In multi-process mode the values live in
    ``PROMETHEUS_MULTIPROC_DIR`` and :meth:`render` aggregates every worker."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.requests = Counter(
            "facesaas_requests", "Requests answered, by endpoint and rtn.", ["endpoint", "rtn"], registry=self.registry
        )
        self.latency = Histogram(
            "facesaas_request_seconds", "Time to answer a request, by endpoint.", ["endpoint"],
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.queue_depth = Gauge(
            "facesaas_engine_queue_depth", "Requests running on or waiting for the face engine.",
            registry=self.registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self._scrape_collectors: list[Collector] = []

    def add_collector(self, collector: Collector) -> None:
        """A collector read at scrape time in the scraping worker (index sizes)."""
        self._scrape_collectors.append(collector)

    def observe(self, endpoint: str, rtn: int | None, seconds: float) -> None:
        self.requests.labels(endpoint, "none" if rtn is None else str(rtn)).inc()
        self.latency.labels(endpoint).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = self.registry
        for collector in self._scrape_collectors:
            registry.register(collector)
        try:
            return generate_latest(registry), CONTENT_TYPE_LATEST
        finally:
            for collector in self._scrape_collectors:
                registry.unregister(collector)


_H5_TOKEN = re.compile(r"^/h5/(liveness|api)/[^/]+")
_MAX_LOGGED_PATH = 64
"""Characters of a path the access log keeps; the service's own paths are all shorter."""


def loggable_path(path: str) -> str:
    """``path`` as it may be logged and labelled: the H5 page's one-time token (a credential in
    the URL) becomes ``{token}``, so ``/h5/api/AbC…/video`` is ``/h5/api/{token}/video``. A path
    longer than 64 characters (never one of ours) keeps its first 40 and its length: a client's
    URL is the client's text, which may hold anything (a key, a signature pasted in by mistake,
    megabytes of padding), and the log must not."""
    path = _H5_TOKEN.sub(lambda match: f"/h5/{match.group(1)}/{{token}}", path, count=1)
    if len(path) > _MAX_LOGGED_PATH:
        return f"{path[:40]}…({len(path)} characters)"
    return path


class RequestMiddleware:
    """Request id, access log and request metrics for every HTTP request. Plain ASGI
    (Starlette's BaseHTTPMiddleware costs a task per request). The endpoint label is the path
    for the service's own routes and "other" for anything else, so a scan of random URLs cannot
    grow the metrics without bound."""

    def __init__(self, app: ASGIApp, metrics: Metrics, known_paths: Callable[[], Iterable[str]]) -> None:
        self.app = app
        self._metrics = metrics
        self._known_paths = known_paths
        self._paths: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["started"] = started
        token = _REQUEST_ID.set(request_id)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("ascii"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if self._paths is None:
                self._paths = frozenset(self._known_paths())
            path = loggable_path(scope.get("path", ""))
            endpoint = path if path in self._paths else "other"
            rtn = state.get("rtn")
            if endpoint != "/metrics":
                self._metrics.observe(endpoint, rtn, seconds)
            log.info(
                "%s %s %d", scope.get("method", ""), path, status,
                extra={"fields": {
                    "method": scope.get("method", ""), "path": path, "status": status, "rtn": rtn,
                    "ms": round(seconds * 1000, 1), "access_id": state.get("access_id"),
                }},
            )  # fmt: skip
            _REQUEST_ID.reset(token)


def index_collector(repositories: Any) -> Collector:
    """Index sizes read at scrape time: vectors and collections per index kind, and the index's
    own memory estimate (``repositories``: a :class:`facesaas.repositories.FaceRepositories`)."""
    from prometheus_client.core import GaugeMetricFamily

    class _IndexCollector:
        def collect(self) -> Iterable[Any]:
            vectors = GaugeMetricFamily("facesaas_index_vectors", "Vectors in the index, by index kind.", labels=["kind"])
            collections = GaugeMetricFamily("facesaas_index_collections", "Repositories in the index, by kind.", labels=["kind"])
            memory = GaugeMetricFamily("facesaas_index_memory_bytes", "The index's estimate of its resident size.")
            totals: dict[str, list[int]] = {}
            size = 0
            for stat in repositories.index_stats():
                entry = totals.setdefault(str(stat["kind"]), [0, 0])
                entry[0] += int(stat["count"])
                entry[1] += 1
                size += int(stat["memory_bytes"])
            for kind, (count, number) in sorted(totals.items()):
                vectors.add_metric([kind], count)
                collections.add_metric([kind], number)
            memory.add_metric([], size)
            return [vectors, collections, memory]

        def describe(self) -> Iterable[Any]:
            return []

    return _IndexCollector()
