"""Database URLs for tests: a fresh SQLite file, and a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN_URL = os.environ.get("FACESAAS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_postgres_database(server_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """CREATE a uniquely named database on the server of ``server_url``, yield its URL, DROP it
    afterwards. Skips (fails when FACESAAS_REQUIRE_POSTGRES is set, as in CI) if the server
    cannot be reached."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"facesaas_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("FACESAAS_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but unreachable at {server_url}: {exc.orig}")
        pytest.skip(f"PostgreSQL unreachable at {server_url}")
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


REDIS_TEST_URL = os.environ.get("FACESAAS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip(url: str = REDIS_TEST_URL) -> str:
    """``url`` if a Redis answers there; else skip (fail when FACESAAS_REQUIRE_REDIS is set, as
    in CI). Tests keep apart by a fresh FACESAAS_NAMESPACE each, not by flushing."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if os.environ.get("FACESAAS_REQUIRE_REDIS"):
            pytest.fail(f"Redis required but unreachable at {url}: {exc}")
        pytest.skip(f"Redis unreachable at {url}")
    finally:
        client.close()
    return url


def fresh_namespace() -> str:
    """A FACESAAS_NAMESPACE no other test uses."""
    return f"t{secrets.token_hex(6)}"


MILVUS_TEST_URL = os.environ.get("FACESAAS_TEST_MILVUS_URL", "milvus://127.0.0.1:19530")


def milvus_or_skip(url: str = MILVUS_TEST_URL) -> str:
    """``url`` if a Milvus answers there (``make milvus`` starts one); else skip (fail when
    FACESAAS_REQUIRE_MILVUS is set, as in CI)."""
    from urllib.parse import urlsplit

    from pymilvus import MilvusClient

    parts = urlsplit(url)
    try:
        client = MilvusClient(uri=f"http://{parts.hostname}:{parts.port or 19530}", timeout=5)
        client.get_server_version()
        client.close()
    except Exception as exc:  # pymilvus raises its own and gRPC's errors
        if os.environ.get("FACESAAS_REQUIRE_MILVUS"):
            pytest.fail(f"Milvus required but unreachable at {url}: {exc}")
        pytest.skip(f"Milvus unreachable at {url} (make milvus starts one)")
    return url


def drop_milvus_namespace(url: str, namespace: str) -> None:
    """Remove every collection a test made under its namespace."""
    from urllib.parse import urlsplit

    from pymilvus import MilvusClient

    parts = urlsplit(url)
    client = MilvusClient(uri=f"http://{parts.hostname}:{parts.port or 19530}", timeout=30)
    try:
        for name in client.list_collections():
            if name.startswith(f"{namespace}_"):
                client.drop_collection(name)
    finally:
        client.close()
