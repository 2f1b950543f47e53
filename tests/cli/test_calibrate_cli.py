"""``facesaas calibrate --tenant``: from a labelled folder of real photos and from a repository,
--dry-run, --show (including a table of another scheme) and --reset, against the test's database."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from facesaas.cli import cli
from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES, load_calibration
from facesaas.face.embedder import DEFAULT_SCHEME
from facesaas.repositories import FaceRepositories, NewFace, RepoKey
from facesaas.settings import Settings
from facesaas.storage.blobs import LocalBlobStore
from facesaas.storage.database import Database
from facesaas.tenants.calibration import TenantCalibrations
from facesaas.tenants.service import NewCredentials, TenantService
from facesaas.vectors import FaissVectorStore


def _invoke(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--data-dir", str(settings.data_dir)],
                              env={"FACESAAS_DATABASE_URL": settings.resolved_database_url}, catch_exceptions=False)  # fmt: skip


def _store(database: Database) -> TenantCalibrations:
    return TenantCalibrations(database, load_calibration(), DEFAULT_SCHEME)


@pytest.fixture
def staff(celeba: Path, tmp_path: Path) -> Path:
    """One sub-folder per identity (4 celeba identities, 5 photos each, symlinked)."""
    folder = tmp_path / "staff"
    identities = sorted(p.name for p in celeba.iterdir() if p.is_dir())[:4]
    for identity in identities:
        (folder / identity).mkdir(parents=True)
        for photo in sorted((celeba / identity).glob("*.jpg"))[:5]:
            (folder / identity / photo.name).symlink_to(photo)
    return folder


def test_from_a_folder_dry_run_store_show_reset(
    settings: Settings, database: Database, credentials: NewCredentials, staff: Path
) -> None:
    access_id, tenant_id = credentials.tenant.access_id, credentials.tenant.id
    dry = _invoke(settings, "calibrate", "--tenant", access_id, str(staff), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert shown["stored"] is False and _store(database).get(tenant_id) is None
    table = shown["table"]
    assert table["images"] == 20 and table["identities"] <= 4 and table["scheme"] == DEFAULT_SCHEME
    enrolled = round(table["images"] * (1 - table["failure_to_enroll"]))
    assert table["genuine_pairs"] + table["impostor_pairs"] == enrolled * (enrolled - 1) // 2
    # ~150 impostor pairs check no rate: every threshold stays the shipped one.
    assert {row["source"] for row in table["thresholds"].values()} == {"shipped"}
    assert all(row["tar"] is not None and 0 <= row["tar"] <= 1 for row in table["thresholds"].values())

    by_name = _invoke(settings, "calibrate", "--tenant", "test customer", str(staff))  # the customer's name
    assert by_name.exit_code == 0 and "| 99.99 |" in by_name.output and "stored" in by_name.output
    stored = _store(database).get(tenant_id)
    assert stored is not None and stored.source == f"folder {staff.resolve()}"
    assert set(stored.thresholds) == set(SEARCH_TRUE_NEGATIVE_RATES)

    show = _invoke(settings, "calibrate", "--tenant", access_id, "--show")
    assert show.exit_code == 0 and "the service uses this table" in show.output
    reset = _invoke(settings, "calibrate", "--tenant", access_id, "--reset")
    assert reset.exit_code == 0 and "dropped" in reset.output and _store(database).get(tenant_id) is None
    assert "no table of its own" in _invoke(settings, "calibrate", "--tenant", access_id, "--show").output


def test_show_says_when_a_table_is_ignored(settings: Settings, database: Database, credentials: NewCredentials) -> None:
    from tests.tenants.test_calibration import table

    _store(database).save(credentials.tenant.id, table(scheme="sface"))
    show = _invoke(settings, "calibrate", "--tenant", credentials.tenant.access_id, "--show")
    assert show.exit_code == 0 and "IGNORED, the shipped thresholds apply" in show.output and "sface" in show.output
    as_json = json.loads(_invoke(settings, "calibrate", "--tenant", credentials.tenant.access_id, "--show", "--json").stdout)
    assert as_json["used"] == "shipped" and "sface" in as_json["ignored_because"]


def test_from_a_repository_with_user_ids_sharing_an_identity(
    settings: Settings, database: Database, credentials: NewCredentials, tenants: TenantService, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    faces = []
    for person in range(30):
        centre = rng.normal(size=128)
        for photo in range(3):
            vector = centre + rng.normal(scale=0.3, size=128)
            faces.append(NewFace(f"p{person}#{photo}", (vector / np.linalg.norm(vector)).astype(np.float32)))
    repositories = FaceRepositories(database, FaissVectorStore(tmp_path / "index"), LocalBlobStore(tmp_path / "faces"))
    tenant_id = credentials.tenant.id
    repositories.register_many(RepoKey(tenant_id, 2, "staff"), faces)
    repositories.register_many(RepoKey(tenant_id, 3, "both"), faces[:6])
    repositories.register_many(RepoKey(tenant_id, 1, "both"), faces[:6])
    stranger = tenants.create("stranger").tenant.access_id  # another customer's repository of that name: none
    access_id = credentials.tenant.access_id

    result = _invoke(settings, "calibrate", "--tenant", access_id, "--repository", "staff", "--json")
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)["table"]
    assert (table["images"], table["identities"], table["failure_to_enroll"]) == (90, 30, 0.0)
    assert (table["genuine_pairs"], table["impostor_pairs"]) == (30 * 3, 90 * 89 // 2 - 90)
    assert "repository staff" in table["source"] and _store(database).get(tenant_id) is not None

    ambiguous = _invoke(settings, "calibrate", "--tenant", access_id, "--repository", "both", "--dry-run")
    assert ambiguous.exit_code == 1 and "labels [1, 3]" in ambiguous.output
    labelled = _invoke(settings, "calibrate", "--tenant", access_id, "--repository", "both", "--label", "3", "--dry-run")
    assert labelled.exit_code == 0 and "2 identities" in labelled.output
    missing = _invoke(settings, "calibrate", "--tenant", stranger, "--repository", "staff")
    assert missing.exit_code == 1 and "staff" in missing.output


def test_usage_errors(settings: Settings, credentials: NewCredentials, tmp_path: Path) -> None:
    access_id = credentials.tenant.access_id
    assert _invoke(settings, "calibrate", "--tenant", access_id).exit_code == 1  # nothing to do
    assert _invoke(settings, "calibrate", "--tenant", access_id, "--show", "--reset").exit_code == 1
    assert _invoke(settings, "calibrate", "--tenant", access_id, str(tmp_path), "--out", "x.json").exit_code == 1
    assert _invoke(settings, "calibrate", "--dry-run").exit_code == 1  # the shipped table needs DATA_DIR
    unknown = _invoke(settings, "calibrate", "--tenant", "nobody", "--show")
    assert unknown.exit_code == 1 and "no customer is named 'nobody'" in unknown.output
    empty = _invoke(settings, "calibrate", "--tenant", access_id, str(tmp_path), "--dry-run")
    assert empty.exit_code == 1 and "no labels.tsv" in empty.output
