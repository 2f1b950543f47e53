"""Operations over real HTTP: health, readiness, metrics, the replay record and rate limit
shared through Redis by two servers on one database, and face images kept in the database."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from facesaas.api.server import BackgroundServer
from facesaas.auth.keys import init_keys
from facesaas.sdk import ApiError, Client
from facesaas.settings import Settings
from facesaas.storage.blobs import FaceImage
from facesaas.storage.database import create_database
from facesaas.tenants.service import NewCredentials
from facesaas.vault import Vault
from tests.conftest import RunningServer
from tests.storage_fixtures import fresh_namespace, redis_or_skip

EXTRACTION = "/face/v1/algorithm/recognition/feature_extraction"


def _with(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


def _metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_health_readiness_and_metrics(server: RunningServer, client: Client, astronaut_jpeg: bytes) -> None:
    assert httpx.get(server.url + "/healthz").json()["rtn"] == 0
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "not used", "vectors": "not used"}
    client.feature_extraction(astronaut_jpeg)
    with pytest.raises(ApiError):
        client.call(EXTRACTION, {"image_type": 3})  # missing image_content: -2002
    httpx.post(server.url + "/no/such/path")
    text = httpx.get(server.url + "/metrics").text
    assert _metric(text, "facesaas_requests_total", endpoint=EXTRACTION, rtn="0") == 1
    assert _metric(text, "facesaas_requests_total", endpoint=EXTRACTION, rtn="-2002") == 1
    assert _metric(text, "facesaas_requests_total", endpoint="other", rtn="-4004") == 1
    assert _metric(text, "facesaas_request_seconds_count", endpoint=EXTRACTION) == 2
    assert _metric(text, "facesaas_engine_queue_depth") == 0
    assert "facesaas_index_memory_bytes" in text


def test_readiness_names_the_service_that_is_down(settings: Settings) -> None:
    with BackgroundServer(_with(settings, redis_url="redis://127.0.0.1:1/0")) as url:
        ready = httpx.get(url + "/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["rtn"] == -5002 and "redis" in body["message"]
        assert body["checks"]["database"] == "ok" and body["checks"]["redis"].startswith("unreachable")


@pytest.fixture
def two_servers(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, str, Settings]]:
    """Two servers on one database and one server key pair (as two hosts would be), each with its
    own data directory, sharing a Redis namespace."""
    shared = _with(settings, redis_url=redis_or_skip(), namespace=fresh_namespace(), keys_path=settings.keys_dir)
    other = _with(shared, data_dir=tmp_path / "host-b")
    with BackgroundServer(shared) as url_a, BackgroundServer(other) as url_b:
        yield url_a, url_b, shared


def _headers_and_body(url: str, credentials: NewCredentials, public_pem: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"image_type": 3}).encode()
    with Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as sdk:
        return sdk.signed_headers(body), body


def test_a_replayed_signature_is_refused_by_the_other_host(two_servers, credentials: NewCredentials) -> None:  # noqa: ANN001
    url_a, url_b, shared = two_servers
    public_pem = (shared.keys_dir / "server_public.pem").read_text()
    headers, body = _headers_and_body(url_a, credentials, public_pem)
    first = httpx.post(url_a + EXTRACTION, content=body, headers=headers).json()
    assert first["rtn"] == -2002  # authenticated, then refused for the missing image
    replayed = httpx.post(url_b + EXTRACTION, content=body, headers=headers).json()
    assert replayed["rtn"] == -1008


def test_without_redis_each_host_only_sees_its_own_replays(settings: Settings, tmp_path: Path,
                                                           credentials: NewCredentials) -> None:
    """Why the shared store exists: two in-process stores let the replay through."""
    other = _with(settings, data_dir=tmp_path / "host-b", keys_path=settings.keys_dir)
    with BackgroundServer(settings) as url_a, BackgroundServer(other) as url_b:
        headers, body = _headers_and_body(url_a, credentials, (settings.keys_dir / "server_public.pem").read_text())
        assert httpx.post(url_a + EXTRACTION, content=body, headers=headers).json()["rtn"] == -2002
        assert httpx.post(url_b + EXTRACTION, content=body, headers=headers).json()["rtn"] == -2002
        assert httpx.post(url_b + EXTRACTION, content=body, headers=headers).json()["rtn"] == -1008


def test_rate_limit_is_shared_and_answered_429(settings: Settings, tmp_path: Path, credentials: NewCredentials) -> None:
    limited = _with(settings, redis_url=redis_or_skip(), namespace=fresh_namespace(), rate_limit_per_second=3,
                      keys_path=settings.keys_dir)  # fmt: skip
    other = _with(limited, data_dir=tmp_path / "host-b")
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    with BackgroundServer(limited) as url_a, BackgroundServer(other) as url_b:
        answers = []
        with Client(url_a, credentials.tenant.access_id, credentials.access_key, public_pem) as a, \
                Client(url_b, credentials.tenant.access_id, credentials.access_key, public_pem) as b:  # fmt: skip
            started = time.time()
            for i in range(12):
                response = (a if i % 2 else b).post_raw(EXTRACTION, b"{}")
                answers.append((response.status_code, response.json()["rtn"]))
            ended = time.time()
    assert set(answers) <= {(400, -2002), (429, -5004)}
    # Every request was counted in one of the clock seconds the run spanned, 3 allowed in each
    # for both hosts together (two unshared limits would let 6 a second through).
    seconds = int(ended) - int(started) + 1
    assert answers.count((400, -2002)) <= 3 * seconds
    if seconds < 4:  # 12 requests cannot all fit under the limit
        assert answers.count((429, -5004)) >= 12 - 3 * seconds


def test_face_images_can_live_in_the_database(settings: Settings, credentials: NewCredentials, astronaut_jpeg: bytes) -> None:
    in_database = _with(settings, blob_url="database")
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    with BackgroundServer(in_database) as url, \
            Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as sdk:  # fmt: skip
        sdk.register_in_repo("vip", "u1", label=2, image=astronaut_jpeg)
        hits = sdk.retrieval_in_repo(label=2, repo_name="vip", image=astronaut_jpeg, return_face_image=True)["repo_result"]
        assert hits[0]["user_id"] == "u1" and len(hits[0]["face_image_content"]) > 1000
        database = create_database(settings.resolved_database_url)
        with database.connect() as connection:
            assert connection.execute(select(func.count()).select_from(FaceImage)).scalar() == 1
        sdk.delete_from_repo("vip", "u1", label=2)
        with database.connect() as connection:
            assert connection.execute(select(func.count()).select_from(FaceImage)).scalar() == 0
        database.dispose()
    assert not (settings.face_images_dir).exists() or not any(settings.face_images_dir.rglob("*.jpg"))


def test_more_workers_need_shared_stores(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from facesaas.cli import cli

    init_keys(tmp_path / "keys", Vault(os.urandom(32)), bits=1024)
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "FACESAAS_REDIS_URL" in result.output and "FACESAAS_VECTOR_URL" in result.output
