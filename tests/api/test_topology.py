"""The production topology for real: `facesaas serve` processes on different ports and data
directories sharing one database (the test's PostgreSQL database in the PostgreSQL pass), one
Redis and one Milvus. What one process writes, the others read at once; a replayed signature or
liveness package is refused whichever process sees it second; a worker killed with -9 during a
stream of registers loses nothing it answered."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, text

from facesaas.face.embedder import DEFAULT_SCHEME, SCHEMES
from facesaas.face.feature import encode_feature
from facesaas.sdk import Client, build_package
from facesaas.settings import Settings
from facesaas.tenants.service import NewCredentials
from tests.conftest import SharedEngines
from tests.processes import RegisterStream, free_port, start_service

EXTRACTION = "/face/v1/algorithm/recognition/feature_extraction"

SCHEME = SCHEMES[DEFAULT_SCHEME]
"""The embedding scheme of a server with default settings."""


def _features(count: int, seed: int) -> list[str]:
    vectors = np.random.default_rng(seed).standard_normal((count, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [encode_feature(v[None], SCHEME) for v in vectors]


class Hosts:
    """Two service processes ("hosts") of the same deployment."""

    def __init__(self, settings: Settings, engines: SharedEngines, tmp_path: Path, credentials: NewCredentials) -> None:
        self.settings, self.engines, self.credentials = settings, engines, credentials
        self.public_pem = (settings.keys_dir / "server_public.pem").read_text()
        self.env = {**engines.env(), "FACESAAS_KEYS_PATH": str(settings.keys_dir)}
        self.processes: list = []
        self.urls: list[str] = []
        for name in ("a", "b"):
            self.start(settings.model_copy(update={"data_dir": tmp_path / f"host-{name}"}))

    def start(self, settings: Settings) -> str:
        port = free_port()
        self.processes.append(start_service(settings, port, env=self.env))
        self.urls.append(f"http://127.0.0.1:{port}")
        return self.urls[-1]

    def client(self, index: int, timeout: float = 30) -> Client:
        creds = self.credentials
        return Client(self.urls[index], creds.tenant.access_id, creds.access_key, self.public_pem, timeout=timeout)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except Exception:
                process.kill()


@pytest.fixture
def hosts(settings: Settings, engines: SharedEngines, tmp_path: Path, credentials: NewCredentials) -> Iterator[Hosts]:
    running = Hosts(settings, engines, tmp_path, credentials)
    yield running
    running.stop()


def test_what_one_host_writes_the_other_reads_at_once(hosts: Hosts, astronaut_jpeg: bytes) -> None:
    features = _features(30, seed=5)
    with hosts.client(0) as a, hosts.client(1) as b:
        for i, feature in enumerate(features):
            a.register_in_repo("shared", f"u{i}", feature=feature)
            # Found through the other host right after the register answered (no waiting for
            # the vector index: its lag is covered from the database).
            hits = b.retrieval_in_repo(repo_name="shared", feature=feature, return_topk_face=1)["repo_result"]
            assert hits[0]["user_id"] == f"u{i}" and hits[0]["is_same_person"], i
        a.register_in_repo("shared", "astronaut", image=astronaut_jpeg)
        hit = b.retrieval_in_repo(repo_name="shared", image=astronaut_jpeg, return_face_image=True)["repo_result"][0]
        assert hit["user_id"] == "astronaut" and hit["face_image_content"]  # the image is shared too
        b.delete_from_repo("shared", "u7")
        hits = a.retrieval_in_repo(repo_name="shared", feature=features[7], return_topk_face=3)["repo_result"]
        assert "u7" not in [h["user_id"] for h in hits]
        for url in hosts.urls:
            ready = httpx.get(url + "/readyz").json()
            assert ready["checks"] == {"database": "ok", "redis": "ok", "vectors": "ok"}


def test_replays_are_refused_across_hosts(hosts: Hosts, astronaut_jpeg: bytes) -> None:
    body = json.dumps({"image_type": 3}).encode()
    with hosts.client(0) as a:
        headers = a.signed_headers(body)
    first = httpx.post(hosts.urls[0] + EXTRACTION, content=body, headers=headers).json()
    assert first["rtn"] == -2002
    assert httpx.post(hosts.urls[1] + EXTRACTION, content=body, headers=headers).json()["rtn"] == -1008
    key = hosts.credentials.package_key
    package = build_package([astronaut_jpeg], key=key.key, key_id=key.key_id)
    with hosts.client(0) as a, hosts.client(1) as b:
        assert a.check_image_package(package)["query_image_package_result"]["is_valid_package"] is True
        second = b.check_image_package(package)["query_image_package_result"]
        assert (second["is_valid_package"], second["invalid_reason"]) == (False, "replayed")


def test_kill_9_of_one_host_during_registers_loses_nothing_it_answered(hosts: Hosts, settings: Settings) -> None:
    features = _features(300, seed=9)
    stream = RegisterStream(hosts.client(0, timeout=10), "stream", features)
    stream.wait_for(40)
    os.kill(hosts.processes[0].pid, signal.SIGKILL)
    stream.thread.join(timeout=30)
    answered = stream.answered
    assert 40 <= len(answered) < len(features)
    engine = create_engine(settings.resolved_database_url)
    with engine.connect() as connection:
        stored = {row[0] for row in connection.execute(text("SELECT user_id FROM faces"))}
        images_or_rows = connection.execute(text("SELECT count(*) FROM faces")).scalar()
    engine.dispose()
    # Every answered register is stored; at most the one cut off mid-answer is there unanswered.
    assert {f"u{i}" for i in answered} <= stored and len(stored) - len(answered) <= 1
    assert images_or_rows == len(stored)
    with hosts.client(1) as b:
        for i in answered[::7] + answered[-3:]:
            hits = b.retrieval_in_repo(repo_name="stream", feature=features[i], return_topk_face=1)["repo_result"]
            assert hits[0]["user_id"] == f"u{i}"
    # A host started after the crash repairs the shared index from the database, if needed,
    # and serves every stored face.
    url = hosts.start(settings.model_copy(update={"data_dir": settings.data_dir.parent / "host-c"}))
    with Client(url, hosts.credentials.tenant.access_id, hosts.credentials.access_key, hosts.public_pem) as c:
        last = max(answered)
        hits = c.retrieval_in_repo(repo_name="stream", feature=features[last], return_topk_face=1)["repo_result"]
        assert hits[0]["user_id"] == f"u{last}"


def test_serve_with_two_workers_shares_everything(settings: Settings, engines: SharedEngines,
                                                  credentials: NewCredentials, astronaut_jpeg: bytes) -> None:
    port = free_port()
    process = start_service(settings, port, args=("--workers", "2"), env=engines.env())
    url = f"http://127.0.0.1:{port}"
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    try:
        with Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as client:
            features = _features(12, seed=11)
            for i, feature in enumerate(features):
                client.register_in_repo("w", f"u{i}", feature=feature)
                hits = client.retrieval_in_repo(repo_name="w", feature=feature, return_topk_face=1)["repo_result"]
                assert hits[0]["user_id"] == f"u{i}"
        metrics = httpx.get(url + "/metrics").text
        registered = [line for line in metrics.splitlines()
                      if line.startswith('facesaas_requests_total{endpoint="/face/basic/register_in_repo",rtn="0"}')]
        assert registered and float(registered[0].rsplit(" ", 1)[1]) == 12  # every worker's requests counted
    finally:
        process.terminate()
        process.wait(timeout=60)
