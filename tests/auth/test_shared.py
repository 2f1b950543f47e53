"""The replay record every worker and host shares through Redis, on a
real Redis (127.0.0.1:6379, or FACESAAS_TEST_REDIS_URL)."""

from __future__ import annotations

import time

import pytest

from facesaas.auth.replay import MemoryReplayStore
from facesaas.auth.shared import RedisReplayStore, connect_redis
from facesaas.errors import ServiceUnavailable
from tests.storage_fixtures import fresh_namespace, redis_or_skip


@pytest.fixture
def redis_client():  # noqa: ANN201
    client = connect_redis(redis_or_skip())
    yield client
    client.close()


def test_a_replay_is_refused_by_whichever_store_sees_it_second(redis_client) -> None:  # noqa: ANN001
    namespace = fresh_namespace()
    worker_a, worker_b = RedisReplayStore(redis_client, namespace), RedisReplayStore(connect_redis(redis_or_skip()), namespace)
    assert worker_a.check_and_remember("AK1:42:1700000000", 60)
    assert not worker_b.check_and_remember("AK1:42:1700000000", 60)
    assert worker_b.check_and_remember("AK1:43:1700000000", 60)
    # Another deployment (namespace) keeps its own record; in-process stores see nothing of it.
    assert RedisReplayStore(redis_client, fresh_namespace()).check_and_remember("AK1:42:1700000000", 60)
    assert MemoryReplayStore().check_and_remember("AK1:42:1700000000", 60)


def test_the_record_expires_with_the_window(redis_client) -> None:  # noqa: ANN001
    store = RedisReplayStore(redis_client, fresh_namespace())
    assert store.check_and_remember("k", 1)
    assert not store.check_and_remember("k", 1)
    time.sleep(1.2)
    assert store.check_and_remember("k", 1)


def test_unreachable_redis_refuses_instead_of_letting_requests_through() -> None:
    client = connect_redis("redis://127.0.0.1:1/0")
    with pytest.raises(ServiceUnavailable):
        RedisReplayStore(client).check_and_remember("k", 10)
