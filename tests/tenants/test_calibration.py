"""Stored per-tenant threshold tables: round trip, resolution, scheme mismatch and the cache."""

from __future__ import annotations

import dataclasses

import pytest

from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES, load_calibration
from facesaas.face.embedder import DEFAULT_SCHEME
from facesaas.storage.database import Database
from facesaas.tenants.calibration import TenantCalibrations, TenantTable
from facesaas.tenants.service import TenantService


def table(base: float = 0.6, scheme: str | None = None) -> TenantTable:
    """A table whose thresholds are ``base``, ``base`` + 0.03, … (rising)."""
    thresholds = {rate: {"cosine": round(base + 0.03 * i, 6), "source": "tenant measured"}
                  for i, rate in enumerate(SEARCH_TRUE_NEGATIVE_RATES)}  # fmt: skip
    return TenantTable(scheme=scheme or DEFAULT_SCHEME, thresholds=thresholds, identities=12, images=40,
                       genuine_pairs=3_000_000_000, impostor_pairs=12_345_678_901, failure_to_enroll=0.025,
                       source="folder /customer/staff")  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def two(tenants: TenantService) -> tuple[int, int]:
    return tenants.create("with table").tenant.id, tenants.create("without").tenant.id


def test_a_stored_table_round_trips_and_serves_its_tenant_only(database: Database, two: tuple[int, int]) -> None:
    mine, other = two
    shipped = load_calibration()
    store = TenantCalibrations(database, shipped, DEFAULT_SCHEME)
    assert store.get(mine) is None and store.calibration_for(mine) is shipped
    stored = store.save(mine, table())
    read = store.get(mine)
    assert read == stored and read.created_at is not None and read.created_at.tzinfo is not None
    assert (read.identities, read.images, read.genuine_pairs, read.impostor_pairs) == (12, 40, 3_000_000_000, 12_345_678_901)
    assert read.failure_to_enroll == pytest.approx(0.025) and read.source == "folder /customer/staff"
    own = store.calibration_for(mine)
    assert own.cosine_threshold("99.99") == pytest.approx(0.63) and own.source["tenant"] is True
    assert own.similarity_threshold("99.9") == pytest.approx(80.0)
    assert store.calibration_for(other) is shipped
    # Saving again replaces (one table per tenant); delete goes back to the shipped table.
    store.save(mine, table(0.5))
    assert store.calibration_for(mine).cosine_threshold("99.9") == pytest.approx(0.5)
    assert store.delete(mine) is True and store.delete(mine) is False
    assert store.calibration_for(mine) is shipped


def test_a_table_of_another_scheme_is_ignored(database: Database, two: tuple[int, int]) -> None:
    mine, _ = two
    shipped = load_calibration()
    store = TenantCalibrations(database, shipped, DEFAULT_SCHEME)
    store.save(mine, table(scheme="sface"))
    calibration, problem = store.resolve(mine)
    assert calibration is shipped and "sface" in problem
    assert store.calibration_for(mine) is shipped
    # The same row serves a server computing that scheme.
    mirror = TenantCalibrations(database, shipped, "sface")
    assert mirror.calibration_for(mine).cosine_threshold("99.9") == pytest.approx(0.6)


def test_a_damaged_table_is_ignored(database: Database, two: tuple[int, int]) -> None:
    mine, _ = two
    broken = table()
    thresholds = dict(broken.thresholds)
    del thresholds["99.9999999"]
    store = TenantCalibrations(database, load_calibration(), DEFAULT_SCHEME)
    store.save(mine, dataclasses.replace(broken, thresholds=thresholds))
    calibration, problem = store.resolve(mine)
    assert calibration is store.shipped and "99.9999999" in problem


def test_other_workers_see_a_new_table_within_the_ttl(database: Database, two: tuple[int, int]) -> None:
    mine, _ = two
    clock = Clock()
    worker = TenantCalibrations(database, load_calibration(), DEFAULT_SCHEME, ttl_seconds=10.0, clock=clock)
    cli = TenantCalibrations(database, load_calibration(), DEFAULT_SCHEME)
    assert worker.calibration_for(mine) is worker.shipped  # cached: no table
    cli.save(mine, table())
    clock.now = 9.9
    assert worker.calibration_for(mine) is worker.shipped  # still within the TTL
    clock.now = 10.1
    assert worker.calibration_for(mine).cosine_threshold("99.9") == pytest.approx(0.6)
    cli.delete(mine)
    clock.now = 20.3
    assert worker.calibration_for(mine) is worker.shipped


def test_deleting_the_tenant_deletes_its_table(database: Database, tenants: TenantService) -> None:
    from sqlalchemy import delete

    from facesaas.tenants.models import Tenant

    tenant_id = tenants.create("leaving").tenant.id
    store = TenantCalibrations(database, load_calibration(), DEFAULT_SCHEME)
    store.save(tenant_id, table())
    with database.transaction() as session:
        session.execute(delete(Tenant).where(Tenant.id == tenant_id))
    assert store.get(tenant_id) is None
