"""Stores several workers and hosts share through Redis: the signature replay record and the
per-customer request rate, under keys prefixed with the deployment's ``FACESAAS_NAMESPACE``.
The in-process stores (:class:`~facesaas.auth.replay.MemoryReplayStore`,
:class:`MemoryRateLimiter`) stay the embedded default; these are chosen by ``FACESAAS_REDIS_URL``.

Redis errors are wrapped as :class:`~facesaas.errors.ServiceUnavailable` (503): a request whose
replay record cannot be written is refused, never let through unchecked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from facesaas.errors import RateLimited, ServiceUnavailable

if TYPE_CHECKING:
    import redis

__all__ = ["RateLimiter", "MemoryRateLimiter", "RedisRateLimiter", "RedisReplayStore", "connect_redis"]


def connect_redis(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://host:port/db``), connection-pooled and thread-safe; no
    connection is made until the first command. Timeouts are short: a request waits at most
    ~2 s for Redis before it is answered 503."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=30)


class RedisReplayStore:
    """The replay record in Redis: ``SET key 1 NX EX ttl`` is atomic, so whichever worker or
    host sees a signature second refuses it. One round trip (~0.1 ms on loopback)."""

    def __init__(self, client: redis.Redis, namespace: str = "facesaas") -> None:
        self._client = client
        self._prefix = f"{namespace}:replay:"

    def check_and_remember(self, key: str, ttl_seconds: int) -> bool:
        import redis

        try:
            return bool(self._client.set(self._prefix + key, b"1", nx=True, ex=max(1, int(ttl_seconds))))
        except redis.RedisError as exc:
            raise ServiceUnavailable("redis (replay record)") from exc


class RateLimiter(Protocol):
    def acquire(self, tenant_id: int) -> None:
        """Count one request of ``tenant_id``; raise RateLimited when over the limit."""


class MemoryRateLimiter:
    """At most ``per_second`` requests per customer per clock second, in this process only."""

    def __init__(self, per_second: int, clock: Callable[[], float] = time.time) -> None:
        self._limit = per_second
        self._clock = clock
        self._second = -1
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()

    def acquire(self, tenant_id: int) -> None:
        second = int(self._clock())
        with self._lock:
            if second != self._second:
                self._second, self._counts = second, {}
            count = self._counts.get(tenant_id, 0) + 1
            self._counts[tenant_id] = count
        if count > self._limit:
            raise RateLimited(f"more than {self._limit} requests in one second")


class RedisRateLimiter:
    """At most ``per_second`` requests per customer per clock second across every worker and
    host: one ``INCR`` of a per-second counter (expiring after 2 s) per request."""

    def __init__(
        self, client: redis.Redis, per_second: int, namespace: str = "facesaas", clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._prefix = f"{namespace}:rate:"
        self._limit = per_second
        self._clock = clock

    def acquire(self, tenant_id: int) -> None:
        import redis

        key = f"{self._prefix}{tenant_id}:{int(self._clock())}"
        try:
            with self._client.pipeline(transaction=True) as pipe:
                count, _ = pipe.incr(key).expire(key, 2).execute()
        except redis.RedisError as exc:
            raise ServiceUnavailable("redis (rate limit)") from exc
        if int(count) > self._limit:
            raise RateLimited(f"more than {self._limit} requests in one second")
