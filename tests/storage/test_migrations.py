"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from facesaas.audit import models as _audit_models  # noqa: F401 - registers the tables
from facesaas.liveness import models as _liveness_models  # noqa: F401 - registers the tables
from facesaas.metering import models as _metering_models  # noqa: F401 - registers the tables
from facesaas.operators import models as _operator_models  # noqa: F401 - registers the tables
from facesaas.repositories import models as _repo_models  # noqa: F401 - registers the tables
from facesaas.storage.database import Base, create_database
from facesaas.tenants import models as _models  # noqa: F401 - registers the tables
from facesaas.tenants.service import TenantService
from facesaas.vault import Vault
from tests.storage_fixtures import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


def test_migrated_schema_matches_models_and_is_idempotent(database_url: str) -> None:
    database = create_database(database_url)
    database.dispose()
    database = create_database(database_url)  # a second start migrates nothing
    try:
        with database.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        service = TenantService(database.sessions, Vault(os.urandom(32)))
        created = service.create("pg or sqlite")
        assert service.credentials_of(created.tenant.access_id).enabled is True
    finally:
        database.dispose()
