"""What several workers and hosts share through Redis: the connection and the signature replay
record, under keys prefixed with the deployment's ``FACESAAS_NAMESPACE`` (the quotas are in
:mod:`facesaas.auth.quotas`). The in-process store (:class:`~facesaas.auth.replay.MemoryReplayStore`)
stays the embedded default; this one is chosen by ``FACESAAS_REDIS_URL``.

Redis errors are wrapped as :class:`~facesaas.errors.ServiceUnavailable` (503): a request whose
replay record cannot be written is refused, never let through unchecked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facesaas.errors import ServiceUnavailable

if TYPE_CHECKING:
    import redis

__all__ = ["RedisReplayStore", "connect_redis"]


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
