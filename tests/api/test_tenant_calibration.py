"""A customer's own threshold table through signed HTTP with real celeba photos: it decides that
customer's CS202.2 and 103.1 answers and nobody else's; one of another embedding scheme is
ignored; 103.1 reports the gallery size and the expected FPIR."""

from __future__ import annotations

from pathlib import Path

import pytest

from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES, load_calibration
from facesaas.face.embedder import DEFAULT_SCHEME
from facesaas.sdk import Client
from facesaas.storage.database import Database
from facesaas.tenants.calibration import TenantCalibrations, TenantTable
from facesaas.tenants.service import NewCredentials, TenantService
from tests.conftest import RunningServer

ALICE = ("7437/084788.jpg", "7437/097369.jpg")
BOB = "7201/001085.jpg"
CAROL = "7292/067624.jpg"


def _strict_table(scheme: str) -> TenantTable:
    """Thresholds from cosine 0.90 up: two photos of one person (cosine ~0.5–0.7) fail them."""
    thresholds = {rate: {"cosine": round(0.90 + 0.01 * i, 6), "source": "tenant measured"}
                  for i, rate in enumerate(SEARCH_TRUE_NEGATIVE_RATES)}  # fmt: skip
    return TenantTable(scheme=scheme, thresholds=thresholds, identities=2, images=4, genuine_pairs=2,
                       impostor_pairs=4, failure_to_enroll=0.0, source="test")  # fmt: skip


@pytest.fixture
def other(server: RunningServer, tenants: TenantService) -> Client:
    """A second customer of the same server, without a table of its own."""
    created = tenants.create("other customer")
    with Client(server.url, created.tenant.access_id, created.access_key, server.public_pem) as sdk:
        yield sdk


def _store(database: Database, credentials: NewCredentials, scheme: str) -> None:
    TenantCalibrations(database, load_calibration(), DEFAULT_SCHEME).save(credentials.tenant.id, _strict_table(scheme))


def _verify(client: Client, celeba: Path) -> dict:
    return client.face_pair_verification(query_image=(celeba / ALICE[1]).read_bytes(),
                                         database_image=(celeba / ALICE[0]).read_bytes(), true_negative_rate="99.99")  # fmt: skip


def _search(client: Client, celeba: Path) -> dict:
    client.register_in_repo("staff", "alice", label=2, image=(celeba / ALICE[0]).read_bytes())
    return client.retrieval_in_repo(label=2, repo_name="staff", image=(celeba / ALICE[1]).read_bytes(),
                                    true_negative_rate="99.99")  # fmt: skip


def test_the_tenant_table_decides_for_its_tenant_only(
    client: Client, other: Client, credentials: NewCredentials, database: Database, celeba: Path
) -> None:
    _store(database, credentials, DEFAULT_SCHEME)
    mine, theirs = _verify(client, celeba), _verify(other, celeba)
    assert mine["pair_verify_similarity"] == pytest.approx(theirs["pair_verify_similarity"])
    assert load_calibration().similarity_threshold("99.99") <= mine["pair_verify_similarity"] < 95.0
    assert (mine["pair_verify_result"], theirs["pair_verify_result"]) == (1, 0)
    (hit,) = _search(client, celeba)["repo_result"]
    (their_hit,) = _search(other, celeba)["repo_result"]
    assert hit["user_id"] == their_hit["user_id"] == "alice"
    assert (hit["is_same_person"], their_hit["is_same_person"]) == (False, True)


def test_a_table_of_another_scheme_is_ignored(
    client: Client, credentials: NewCredentials, database: Database, celeba: Path
) -> None:
    _store(database, credentials, "sface")
    assert _verify(client, celeba)["pair_verify_result"] == 0
    (hit,) = _search(client, celeba)["repo_result"]
    assert hit["is_same_person"] is True


def test_retrieval_reports_gallery_size_and_expected_fpir(client: Client, celeba: Path) -> None:
    photos = {"alice": ALICE[0], "bob": BOB, "carol": CAROL}
    for user_id, name in photos.items():
        client.register_in_repo("bl", user_id, label=1, image=(celeba / name).read_bytes())
    client.register_in_repo("vip", "alice", label=1, image=(celeba / ALICE[0]).read_bytes())
    probe = (celeba / ALICE[1]).read_bytes()
    for rate in ("99.99", "99.9999999"):
        result = client.retrieval_in_repo(label=1, repo_name="bl", image=probe, true_negative_rate=rate)
        far = 1 - float(rate) / 100
        assert result["gallery_size"] == 3
        assert result["expected_fpir"] == pytest.approx(1 - (1 - far) ** 3, rel=1e-3)
    assert client.retrieval_in_repo(label=1, repo_name="bl", image=probe)["expected_fpir"] == pytest.approx(3e-7, rel=1e-3)
    # Every repository of the label: 4 faces; auto_flip searches two vectors: 8 comparisons.
    every = client.retrieval_in_repo(label=1, image=probe, true_negative_rate="99.9")
    assert every["gallery_size"] == 4 and every["expected_fpir"] == pytest.approx(1 - 0.999**4, rel=1e-3)
    flipped = client.retrieval_in_repo(label=1, image=probe, true_negative_rate="99.9", auto_flip=True)
    assert flipped["gallery_size"] == 4 and flipped["expected_fpir"] == pytest.approx(1 - 0.999**8, rel=1e-3)
    client.delete_from_repo("bl", "bob", label=1)
    assert client.retrieval_in_repo(label=1, repo_name="bl", image=probe)["gallery_size"] == 2
    # A label without repositories: nothing searched, nothing to fear.
    empty = client.retrieval_in_repo(label=3, image=probe)
    assert (empty["repo_result"], empty["gallery_size"], empty["expected_fpir"]) == ([], 0, 0.0)

