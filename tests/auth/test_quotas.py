"""Per-customer quotas (per second, per billing day, in flight), in process and in a real Redis
shared by several "workers" (separate clients), with a clock the test moves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from facesaas.auth.quotas import MemoryQuotas, QuotaLimits, Quotas, RedisQuotas, billing_day, seconds_to_next_day
from facesaas.auth.shared import connect_redis
from facesaas.errors import DailyQuotaExceeded, RateLimited, ServiceUnavailable, TooManyConcurrent
from tests.storage_fixtures import fresh_namespace, redis_or_skip

# 2023-11-14 22:13:20 UTC = 2023-11-15 06:13:20 at UTC+8.
T0 = 1_700_000_000.2


def _workers(kind: str, clock: Callable[[], float], count: int = 2) -> list[Quotas]:
    """``count`` admission points: workers of one deployment sharing Redis, or one process's
    own store (in-process quotas are per process by design)."""
    if kind == "redis":
        namespace = fresh_namespace()
        return [RedisQuotas(connect_redis(redis_or_skip()), namespace, clock=clock, lease_seconds=5) for _ in range(count)]
    shared = MemoryQuotas(clock=clock)
    return [shared] * count


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def test_per_second_limit_counts_every_worker_and_refused_calls_use_nothing(kind: str) -> None:
    now = [T0]
    a, b = _workers(kind, lambda: now[0])
    limits = QuotaLimits(per_second=3, per_day=0, concurrent=0)
    for i in range(3):
        (a if i % 2 else b).admit(7, f"r{i}", limits)
    with pytest.raises(RateLimited) as refused:
        b.admit(7, "r3", limits)
    assert refused.value.retry_after == 1 and refused.value.http_status == 429
    a.admit(8, "other", limits)  # another customer has its own allowance
    now[0] += 1.0
    for i in range(3):  # a new second; the refused call above counted for nothing
        a.admit(7, f"s{i}", limits)


def test_daily_quota_resets_at_the_billing_midnight(kind: str) -> None:
    # 15:59:59 UTC is 23:59:59 at UTC+8: one second before the billing day ends.
    end_of_day = dt.datetime(2026, 12, 6, 15, 59, 59, tzinfo=dt.UTC).timestamp()
    now = [end_of_day - 10]
    a, b = _workers(kind, lambda: now[0])
    limits = QuotaLimits(per_second=0, per_day=4, concurrent=0)
    for i in range(4):
        (a, b)[i % 2].admit(1, f"d{i}", limits)
    with pytest.raises(DailyQuotaExceeded) as refused:
        a.admit(1, "d4", limits)
    assert refused.value.retry_after == 11  # seconds until 00:00 at UTC+8
    now[0] = end_of_day + 1  # the next billing day
    b.admit(1, "d5", limits)
    assert billing_day(end_of_day, 8) == dt.date(2026, 12, 6) and billing_day(end_of_day + 1, 8) == dt.date(2026, 12, 7)
    assert seconds_to_next_day(end_of_day, 8) == 1


def test_in_flight_slots_are_released_and_leases_expire(kind: str) -> None:
    now = [T0]
    a, b = _workers(kind, lambda: now[0])
    limits = QuotaLimits(per_second=0, per_day=0, concurrent=2)
    release_1 = a.admit(5, "c1", limits)
    b.admit(5, "c2", limits)  # never released: its worker "died"
    with pytest.raises(TooManyConcurrent):
        a.admit(5, "c3", limits)
    release_1()
    release_3 = b.admit(5, "c3", limits)
    with pytest.raises(TooManyConcurrent):
        a.admit(5, "c4", limits)
    release_3()
    if kind == "redis":  # the dead worker's slot frees itself after the lease (5 s here)
        b.admit(5, "c5", limits)
        with pytest.raises(TooManyConcurrent):
            a.admit(5, "c6", limits)
        now[0] += 6
        a.admit(5, "c6", limits)
        a.admit(5, "c7", limits)


def test_unlimited_counts_nothing_and_limits_resolve_over_the_default() -> None:
    quotas = MemoryQuotas(clock=lambda: T0)
    for i in range(100):
        quotas.admit(1, f"u{i}", QuotaLimits(0, 0, 0))()
    default = QuotaLimits(10, 1000, 4)
    assert QuotaLimits(None, 0, None).over(default) == QuotaLimits(10, 0, 4)
    assert QuotaLimits().over(default) == default and QuotaLimits(0, 0, 0).unlimited


def test_unreachable_redis_refuses_instead_of_letting_requests_through() -> None:
    quotas = RedisQuotas(connect_redis("redis://127.0.0.1:1/0"))
    with pytest.raises(ServiceUnavailable):
        quotas.admit(1, "x", QuotaLimits(5, 0, 0))
