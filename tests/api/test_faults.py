"""Faults of the machine and its backing services, against a real ``facesaas serve``: the
database going away and coming back, and a second service started on a data directory another
one owns (docs/reliability.md "Faults"; kill -9 is in test_durability.py, a full disk and a
damaged index snapshot in test_storage_faults.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy.engine import make_url

from facesaas.auth.keys import init_keys
from facesaas.face.embedder import DEFAULT_SCHEME, SCHEMES
from facesaas.face.feature import encode_feature
from facesaas.sdk import ApiError, Client
from facesaas.settings import Settings
from facesaas.tenants.service import NewCredentials, TenantService
from facesaas.vault import open_vault
from tests.faults import TcpProxy
from tests.processes import free_port, start_service


def _features(count: int, seed: int) -> list[str]:
    vectors = np.random.default_rng(seed).standard_normal((count, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [encode_feature(v[None], SCHEMES[DEFAULT_SCHEME]) for v in vectors]


def test_the_database_going_away_and_coming_back(database_url: str, tmp_path: Path, astronaut_jpeg: bytes, master_key: str) -> None:
    """PostgreSQL behind a TCP proxy: cut (every connection closed, new ones refused), signed
    requests answer ServiceUnavailable (-5002, 503) without hanging (the client's timeout is
    10 s) and /readyz says the database is down; restored, the same process serves again (the
    pool checks connections before use and replaces the dead ones), and nothing answered before
    the cut is lost.

    Observed (3 runs): each refused request answered in 8–57 ms (the slowest on a machine at a
    load average near 10); the first request after the restore succeeded."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the SQLite database is a file in the data directory: it cannot go away (run with PostgreSQL)")
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    settings = Settings(data_dir=tmp_path / "data", database_url=url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    init_keys(settings.keys_dir, open_vault(settings), bits=1024)
    from facesaas.storage.database import create_database

    database = create_database(database_url)  # directly, not through the proxy
    credentials = TenantService(database.sessions, open_vault(settings)).create("fault customer")
    database.dispose()
    features = _features(6, seed=21)
    port = free_port()
    service = f"http://127.0.0.1:{port}"
    process = start_service(settings, port)
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    try:
        with Client(service, credentials.tenant.access_id, credentials.access_key, public_pem, timeout=10) as client:
            for i in range(3):
                client.register_in_repo("away", f"u{i}", feature=features[i])
            assert httpx.get(service + "/readyz").status_code == 200

            proxy.cut()
            refused = []
            for call in (
                lambda: client.register_in_repo("away", "u3", feature=features[3]),
                lambda: client.retrieval_in_repo(repo_name="away", feature=features[0]),
                lambda: client.feature_extraction(astronaut_jpeg),
            ):
                started = time.monotonic()
                with pytest.raises(ApiError) as caught:
                    call()
                refused.append(time.monotonic() - started)
                assert (caught.value.rtn, caught.value.http_status) == (-5002, 503), caught.value
            ready = httpx.get(service + "/readyz", timeout=10)
            assert ready.status_code == 503
            assert ready.json()["rtn"] == -5002 and ready.json()["checks"]["database"] != "ok"

            proxy.restore()
            assert httpx.get(service + "/readyz", timeout=10).status_code == 200
            client.register_in_repo("away", "u3", feature=features[3])
            for i in range(4):
                (hit,) = client.retrieval_in_repo(repo_name="away", feature=features[i], return_topk_face=1)["repo_result"]
                assert (hit["user_id"], hit["confidence"]) == (f"u{i}", 100.0)
        assert process.poll() is None, "the service must recover without a restart"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        proxy.close()
    print(f"\ndatabase cut: refused requests answered in {[round(s * 1000, 1) for s in refused]} ms")


def _facesaas(settings: Settings, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "facesaas", *args, "--data-dir", str(settings.data_dir)]
    env = {"FACESAAS_DATABASE_URL": settings.resolved_database_url, "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def test_a_second_service_on_one_data_directory_refuses(settings: Settings, credentials: NewCredentials) -> None:
    """A second ``facesaas serve`` (and an index-opening CLI command) on the data directory of a
    running service exits 1 before loading anything, naming the directory and the holder (its
    pid); the first keeps serving, its index intact."""
    features = _features(3, seed=22)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = start_service(settings, port)
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    try:
        with Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as client:
            client.register_in_repo("shared", "u0", feature=features[0])
            second = _facesaas(settings, "serve", "--port", str(free_port()))
            assert second.returncode == 1, second
            message = second.stderr
            assert f"{settings.index_dir} is in use by another facesaas process" in message
            assert f"pid {first.pid}" in message and "serve" in message, message
            stats = _facesaas(settings, "repo", "stats")
            assert stats.returncode == 1 and f"pid {first.pid}" in stats.stderr, stats
            # The first is unharmed: it registers and finds, its index and lock untouched.
            client.register_in_repo("shared", "u1", feature=features[1])
            for i in range(2):
                (hit,) = client.retrieval_in_repo(repo_name="shared", feature=features[i], return_topk_face=1)["repo_result"]
                assert hit["user_id"] == f"u{i}"
            assert httpx.get(url + "/readyz").status_code == 200
            assert f"pid {first.pid}" in (settings.index_dir / "LOCK").read_text()
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    print(f"\nsecond service refused: {message.strip()}")
