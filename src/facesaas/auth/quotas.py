"""Per-customer quotas: requests per second, requests per billing day, requests in flight.

Admission checks all three at once and counts the request only when it passes all of them, so a
refused request never uses up a customer's allowance. A refusal is a 429 with its own rtn
(:class:`~facesaas.errors.RateLimited`, :class:`~facesaas.errors.DailyQuotaExceeded`,
:class:`~facesaas.errors.TooManyConcurrent`) and a Retry-After; a request is never dropped
silently.

:class:`MemoryQuotas` counts in this process (the embedded default); :class:`RedisQuotas` counts
in Redis with one Lua script per admission (atomic across every worker and host, ~0.2 ms on
loopback) and one ``ZREM`` at release. A slot in flight is a lease: if a worker dies holding it,
the slot frees itself after ``lease_seconds``.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from facesaas.errors import DailyQuotaExceeded, RateLimited, ServiceUnavailable, TooManyConcurrent

if TYPE_CHECKING:
    import redis

__all__ = ["QuotaLimits", "Quotas", "Release", "MemoryQuotas", "RedisQuotas", "billing_day", "seconds_to_next_day"]

Release = Callable[[], None]
"""Frees the request's in-flight slot; call it exactly once when the answer is sent."""


def _nothing() -> None:
    return None


def billing_day(now: float, utc_offset_hours: int) -> dt.date:
    """The billing day (a date at ``utc_offset_hours``) of the Unix time ``now``."""
    return (dt.datetime.fromtimestamp(now, dt.UTC) + dt.timedelta(hours=utc_offset_hours)).date()


def seconds_to_next_day(now: float, utc_offset_hours: int) -> int:
    """Whole seconds (≥ 1) until the next billing day starts."""
    local = now + utc_offset_hours * 3600
    return max(1, math.ceil(86400 - local % 86400))


@dataclass(frozen=True)
class QuotaLimits:
    """One customer's limits; 0 is unlimited. ``None`` in a tenant row means "the deployment's
    default" and is resolved with :meth:`over` before admission."""

    per_second: int | None = None
    per_day: int | None = None
    concurrent: int | None = None

    def over(self, default: QuotaLimits) -> QuotaLimits:
        """These limits with every ``None`` taken from ``default``."""
        return QuotaLimits(
            self.per_second if self.per_second is not None else default.per_second,
            self.per_day if self.per_day is not None else default.per_day,
            self.concurrent if self.concurrent is not None else default.concurrent,
        )

    @property
    def unlimited(self) -> bool:
        return not (self.per_second or self.per_day or self.concurrent)


class Quotas(Protocol):
    def admit(self, tenant_id: int, request_id: str, limits: QuotaLimits) -> Release:
        """Count one request of ``tenant_id`` or raise the QuotaError of the first limit it
        would break; returns the release of its in-flight slot."""


class MemoryQuotas:
    """The three quotas in this process only (the embedded default, one process)."""

    def __init__(self, utc_offset_hours: int = 8, clock: Callable[[], float] = time.time) -> None:
        self._offset = utc_offset_hours
        self._clock = clock
        self._lock = threading.Lock()
        self._second: dict[int, tuple[int, int]] = {}
        self._day: dict[int, tuple[dt.date, int]] = {}
        self._flight: dict[int, set[str]] = {}

    def admit(self, tenant_id: int, request_id: str, limits: QuotaLimits) -> Release:
        if limits.unlimited:
            return _nothing
        now = self._clock()
        second, day = int(now), billing_day(now, self._offset)
        with self._lock:
            in_second = self._second.get(tenant_id, (second, 0))
            in_second = in_second if in_second[0] == second else (second, 0)
            in_day = self._day.get(tenant_id, (day, 0))
            in_day = in_day if in_day[0] == day else (day, 0)
            flight = self._flight.setdefault(tenant_id, set())
            if limits.per_second and in_second[1] >= limits.per_second:
                raise RateLimited(f"more than {limits.per_second} requests in one second")
            if limits.per_day and in_day[1] >= limits.per_day:
                raise DailyQuotaExceeded(f"{limits.per_day} requests per day", retry_after=seconds_to_next_day(now, self._offset))
            if limits.concurrent and len(flight) >= limits.concurrent:
                raise TooManyConcurrent(f"{limits.concurrent} at once")
            # Only a limit in force counts (as in Redis): a day's count starts when its limit is set.
            if limits.per_second:
                self._second[tenant_id] = (second, in_second[1] + 1)
            if limits.per_day:
                self._day[tenant_id] = (day, in_day[1] + 1)
            if not limits.concurrent:
                return _nothing
            flight.add(request_id)

        def release() -> None:
            with self._lock:
                flight.discard(request_id)

        return release


# KEYS: per-second counter, per-day counter, in-flight sorted set (member: request id, score:
# lease expiry). ARGV: per_second, per_day, concurrent, now, request id, lease seconds.
# Returns 0 (admitted and counted) or 1/2/3: the limit that refused it (nothing counted).
_ADMIT = """
local per_second, per_day, concurrent = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local now, lease = tonumber(ARGV[4]), tonumber(ARGV[6])
if per_second > 0 and tonumber(redis.call('GET', KEYS[1]) or '0') >= per_second then return 1 end
if per_day > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= per_day then return 2 end
if concurrent > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= concurrent then return 3 end
  redis.call('ZADD', KEYS[3], now + lease, ARGV[5])
  redis.call('EXPIRE', KEYS[3], math.ceil(lease) + 1)
end
if per_second > 0 then redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], 2) end
if per_day > 0 then redis.call('INCR', KEYS[2]); redis.call('EXPIRE', KEYS[2], 172800) end
return 0
"""


class RedisQuotas:
    """The three quotas in Redis, shared by every worker and host of the deployment (keys under
    ``<namespace>:quota:``). Redis errors refuse the request with ServiceUnavailable (503)
    rather than letting it through uncounted. Redis keeps the day's count in memory: a Redis
    restart starts the day's count again (docs/billing.md)."""

    def __init__(
        self,
        client: redis.Redis,
        namespace: str = "facesaas",
        *,
        utc_offset_hours: int = 8,
        lease_seconds: float = 120.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._prefix = f"{namespace}:quota:"
        self._offset = utc_offset_hours
        self._lease = lease_seconds
        self._clock = clock
        self._script = client.register_script(_ADMIT)

    def admit(self, tenant_id: int, request_id: str, limits: QuotaLimits) -> Release:
        import redis

        if limits.unlimited:
            return _nothing
        now = self._clock()
        base = f"{self._prefix}{tenant_id}:"
        keys = [f"{base}s:{int(now)}", f"{base}d:{billing_day(now, self._offset).isoformat()}", f"{base}flight"]
        args = [limits.per_second or 0, limits.per_day or 0, limits.concurrent or 0, repr(now), request_id, self._lease]
        try:
            refused = int(self._script(keys=keys, args=args))
        except redis.RedisError as exc:
            raise ServiceUnavailable("redis (quotas)") from exc
        if refused == 1:
            raise RateLimited(f"more than {limits.per_second} requests in one second")
        if refused == 2:
            raise DailyQuotaExceeded(f"{limits.per_day} requests per day", retry_after=seconds_to_next_day(now, self._offset))
        if refused == 3:
            raise TooManyConcurrent(f"{limits.concurrent} at once")
        if not limits.concurrent:
            return _nothing
        flight = keys[2]

        def release() -> None:
            try:
                self._client.zrem(flight, request_id)
            except redis.RedisError:
                pass  # the lease expires by itself

        return release
