"""Shared fixtures: evaluation data, a fresh data directory, a real HTTP server, a signed client.

Every test gets its own data directory and database; the face models are loaded once per
process (they are read-only). The server is real uvicorn on a free loopback port, and the
client is the SDK, so every API test signs and sends real HTTP.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from facesaas.api.server import BackgroundServer
from facesaas.auth.keys import init_keys
from facesaas.sdk import Client
from facesaas.settings import Settings
from facesaas.storage.database import Database, create_database
from facesaas.tenants.service import NewCredentials, TenantService
from facesaas.vault import Vault, generate_master_key, open_vault
from tests.storage_fixtures import (
    drop_milvus_namespace,
    fresh_namespace,
    fresh_postgres_database,
    milvus_or_skip,
    redis_or_skip,
)

pytest_plugins = ["tests.logscan"]  # every log line of the run, searched for secrets at its end

# Hypothesis profiles (tests/*_fuzz.py, tests/api/test_fuzz_http.py): "ci", the default, is
# seeded (derandomize: every run draws the same examples, so CI never flakes on a new one) and
# small; "fuzz" (FACESAAS_HYPOTHESIS_PROFILE=fuzz, `make fuzz`) draws many random examples
# (FACESAAS_FUZZ_EXAMPLES per property, default 2000).
hypothesis.settings.register_profile(
    "ci", derandomize=True, max_examples=40, deadline=None, database=None, print_blob=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)  # fmt: skip
hypothesis.settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FACESAAS_FUZZ_EXAMPLES", "2000")), deadline=None, database=None, print_blob=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)  # fmt: skip
hypothesis.settings.load_profile(os.environ.get("FACESAAS_HYPOTHESIS_PROFILE", "ci"))


def _data_dir() -> Path:
    """The ``test_data_dir`` setting (FACESAAS_TEST_DATA_DIR, default ../shared/data)."""
    return Settings().test_data_dir


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (or FACESAAS_TEST_DATA_DIR). Skips visibly when absent, fails in CI."""
    path = _data_dir().resolve()
    if not (path / "faces" / "celeba" / "labels.tsv").is_file():
        if os.environ.get("FACESAAS_REQUIRE_TEST_DATA"):
            pytest.fail(f"evaluation data required but missing at {path}")
        pytest.skip(f"evaluation data not found at {path} (set FACESAAS_TEST_DATA_DIR)")
    return path


@pytest.fixture(scope="session")
def celeba(shared_data: Path) -> Path:
    return shared_data / "faces" / "celeba"


@pytest.fixture(scope="session")
def astronaut_jpeg() -> bytes:
    """One real face that ships inside scikit-image (no shared data needed)."""
    import io

    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty metadata database for this test: SQLite in the test's directory, or,
    when FACESAAS_DATABASE_URL names a PostgreSQL server, a new database created on it (and
    dropped afterwards), so the same suite runs against both (``make test-postgres``)."""
    configured = os.environ.get("FACESAAS_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        with fresh_postgres_database(configured) as url:
            # CLI commands run by the test read the environment: point them at this database.
            monkeypatch.setenv("FACESAAS_DATABASE_URL", url)
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'data' / 'facesaas.db'}"


@pytest.fixture
def master_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh master key for this test, set as FACESAAS_MASTER_KEY so that in-process settings,
    CLI commands and ``facesaas serve`` processes the test starts all seal under it (as a
    production deployment does; the zero-configuration key file is tested in tests/vault)."""
    from tests import logscan  # (the plugin pytest_plugins loads: imported there first, so pytest rewrites it)

    key = generate_master_key()
    logscan.register(key, "master key")
    monkeypatch.setenv("FACESAAS_MASTER_KEY", key)
    monkeypatch.delenv("FACESAAS_MASTER_KEYS_PREVIOUS", raising=False)
    return key


@pytest.fixture
def settings(tmp_path: Path, database_url: str, master_key: str) -> Settings:
    """Settings for a fresh data directory, database and master key, with a 1024-bit server
    key (fast to generate)."""
    chosen = Settings(data_dir=tmp_path / "data", database_url=database_url)
    from tests import logscan

    keys = init_keys(chosen.keys_dir, open_vault(chosen), bits=1024)
    logscan.register_pem(keys.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
                         "server private key")  # fmt: skip
    return chosen


@pytest.fixture
def vault(settings: Settings) -> Vault:
    """The vault of the test's settings (its master key)."""
    return open_vault(settings)


@dataclass
class SharedEngines:
    """The production engines of one test: a Redis, a Milvus and a namespace of its own."""

    redis_url: str
    milvus_url: str
    namespace: str

    def apply(self, settings: Settings, **changes: object) -> Settings:
        """``settings`` switched to these engines (the database is the test's own already)."""
        return settings.model_copy(update={"redis_url": self.redis_url, "vector_url": self.milvus_url,
                                           "namespace": self.namespace, "blob_url": "database", **changes})

    def env(self) -> dict[str, str]:
        """The same, as the environment of a ``facesaas serve`` process."""
        return {"FACESAAS_REDIS_URL": self.redis_url, "FACESAAS_VECTOR_URL": self.milvus_url,
                "FACESAAS_NAMESPACE": self.namespace, "FACESAAS_BLOB_URL": "database"}


@pytest.fixture
def engines() -> Iterator[SharedEngines]:
    """Redis and Milvus for a production-topology test (skipped without them, except in CI);
    the test's Milvus collections are dropped afterwards."""
    shared = SharedEngines(redis_or_skip(), milvus_or_skip(), fresh_namespace())
    yield shared
    drop_milvus_namespace(shared.milvus_url, shared.namespace)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The test's own database, migrated, disposed afterwards."""
    db = create_database(settings.resolved_database_url)
    yield db
    db.dispose()


@pytest.fixture
def tenants(settings: Settings) -> Iterator[TenantService]:
    database = create_database(settings.resolved_database_url)
    yield TenantService(database.sessions, open_vault(settings))
    database.dispose()


@pytest.fixture
def credentials(tenants: TenantService) -> NewCredentials:
    return tenants.create("test customer")


@dataclass
class RunningServer:
    url: str
    settings: Settings
    public_pem: str


@pytest.fixture
def server(settings: Settings) -> Iterator[RunningServer]:
    """A real uvicorn server on a free loopback port, with this test's data directory."""
    with BackgroundServer(settings) as url:
        yield RunningServer(url, settings, (settings.keys_dir / "server_public.pem").read_text())


@pytest.fixture
def client(server: RunningServer, credentials: NewCredentials) -> Iterator[Client]:
    """The SDK client of a fresh customer, signing every request."""
    with Client(server.url, credentials.tenant.access_id, credentials.access_key, server.public_pem) as sdk:
        yield sdk


def raw_json(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
