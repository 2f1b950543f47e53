"""Embedding schemes in the repositories: each repository records the scheme of its vectors, a
server of another scheme refuses to serve it (at start-up, and on register from another host),
and ``re-embed`` remakes the vectors from the stored face images, all or nothing per repository."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from facesaas.cli.main import cli
from facesaas.errors import RepoSchemeMismatch
from facesaas.face.embedder import get_scheme
from facesaas.face.engine import FaceEngine, get_engine
from facesaas.face.image import decode_image
from facesaas.repositories import NewFace, RepoKey, open_repositories
from facesaas.repositories.factory import blob_store, vector_store
from facesaas.repositories.models import Repo
from facesaas.repositories.reembed import reembed_repositories
from facesaas.repositories.service import registration_face
from facesaas.settings import Settings
from facesaas.storage.database import Database
from facesaas.tenants.service import NewCredentials


def _engine(scheme: str) -> FaceEngine:
    base = get_engine()
    return FaceEngine(base.detector, base.embedder, get_scheme(scheme))


def _schemes(database: Database) -> dict[str, str]:
    with database.connect() as connection:
        return dict(connection.execute(select(Repo.name, Repo.embedding_scheme)).all())


def test_a_repository_records_the_scheme_that_created_it(settings: Settings, database: Database, credentials: NewCredentials) -> None:
    opened = open_repositories(settings.model_copy(update={"embedding_scheme": "sface"}), database)
    opened.repositories.register(RepoKey(credentials.tenant.id, 1, "old"), NewFace("u", np.eye(128, dtype=np.float32)[0]))
    opened.repositories.register(RepoKey(credentials.tenant.id, 1, "empty"), NewFace("u", np.eye(128, dtype=np.float32)[0]))
    opened.repositories.delete(RepoKey(credentials.tenant.id, 1, "empty"), "u")
    opened.close()
    assert _schemes(database) == {"old": "sface", "empty": "sface"}


def test_a_server_of_another_scheme_refuses_its_repositories(settings: Settings, database: Database, credentials: NewCredentials, caplog: pytest.LogCaptureFixture) -> None:
    plain = settings.model_copy(update={"embedding_scheme": "sface"})
    tenant = credentials.tenant.id
    opened = open_repositories(plain, database)
    opened.repositories.register(RepoKey(tenant, 2, "staff"), NewFace("u", np.eye(128, dtype=np.float32)[1]))
    opened.close()
    opened = open_repositories(settings.model_copy(update={"embedding_scheme": "sface-mirror"}), database)
    try:
        assert "1 repositories hold vectors of another scheme" in caplog.text and "staff (sface)" in caplog.text
        query = np.eye(128, dtype=np.float32)[1:2]
        for name in ("staff", None):  # the repository, or every repository of its label
            with pytest.raises(RepoSchemeMismatch, match="staff holds sface vectors, this server makes sface-mirror"):
                opened.repositories.search(tenant, 2, name, query, 5)
        with pytest.raises(RepoSchemeMismatch):
            opened.repositories.register(RepoKey(tenant, 2, "staff"), NewFace("v", np.eye(128, dtype=np.float32)[2]))
        opened.repositories.register(RepoKey(tenant, 2, "fresh"), NewFace("v", np.eye(128, dtype=np.float32)[2]))
        assert opened.repositories.search(tenant, 2, "fresh", query, 5)[0].user_id == "v"
        opened.repositories.delete(RepoKey(tenant, 2, "staff"), "u")  # deleting needs no comparison
        assert [hit.user_id for hit in opened.repositories.search(tenant, 2, None, query, 5)] == ["v"]
    finally:
        opened.close()
    assert _schemes(database) == {"staff": "sface", "fresh": "sface-mirror"}


def test_register_from_a_host_of_another_scheme_is_refused(settings: Settings, database: Database, credentials: NewCredentials, tmp_path: Path) -> None:
    plain = open_repositories(settings.model_copy(update={"embedding_scheme": "sface"}), database)
    other_host = settings.model_copy(update={"embedding_scheme": "sface-mirror", "data_dir": tmp_path / "host2"})
    mirror = open_repositories(other_host, database)  # both start on an empty database
    key = RepoKey(credentials.tenant.id, 1, "shared")
    try:
        plain.repositories.register(key, NewFace("a", np.eye(128, dtype=np.float32)[2]))
        with pytest.raises(RepoSchemeMismatch, match="shared holds sface vectors, this server makes sface-mirror"):
            mirror.repositories.register(key, NewFace("b", np.eye(128, dtype=np.float32)[3]))
        plain.repositories.delete(key, "a")
        # Emptied, the repository takes the scheme of whoever registers next.
        mirror.repositories.register(key, NewFace("b", np.eye(128, dtype=np.float32)[3]))
        assert _schemes(database) == {"shared": "sface-mirror"}
    finally:
        plain.close()
        mirror.close()


def test_reembed_remakes_vectors_from_stored_images(settings: Settings, database: Database, credentials: NewCredentials, celeba: Path) -> None:
    """Two photos of one person registered under sface; after re-embedding under sface-mirror,
    searching with a third photo of that person finds them at the mirror scheme's scores, and a
    repository holding a face without an image is left as it was."""
    from facesaas.evaluation.calibrate import read_labels

    rows = read_labels(celeba)
    person = rows[0][1]
    photos = [celeba / name for name, identity in rows if identity == person][:3]
    images = [decode_image(path.read_bytes(), field="f", max_bytes=1 << 30, max_pixels=1 << 30) for path in photos]
    plain_settings = settings.model_copy(update={"embedding_scheme": "sface"})
    opened = open_repositories(plain_settings, database)
    tenant = credentials.tenant.id
    for index, bgr in enumerate(images[:2]):
        opened.repositories.register(RepoKey(tenant, 1, "photos"), registration_face(_engine("sface"), bgr, f"p{index}", "f"))
    opened.repositories.register(RepoKey(tenant, 1, "features"), NewFace("x", np.eye(128, dtype=np.float32)[4]))
    opened.close()

    mirror_settings = settings.model_copy(update={"embedding_scheme": "sface-mirror"})
    mirror = _engine("sface-mirror")
    report = reembed_repositories(database, blob_store(mirror_settings, database), lambda: vector_store(mirror_settings), mirror)
    assert report.reembedded == {f"1/photos (tenant {tenant})": 2}
    assert report.skipped == {f"1/features (tenant {tenant})": {"no stored image": ["x"]}}
    assert _schemes(database) == {"photos": "sface-mirror", "features": "sface"}

    opened = open_repositories(mirror_settings, database)
    try:
        with pytest.raises(RepoSchemeMismatch, match="features holds sface vectors"):
            opened.repositories.search(tenant, 1, None, np.eye(128, dtype=np.float32)[4:5], 2)
        opened.repositories.delete(RepoKey(tenant, 1, "features"), "x")
        query = mirror.analyze(images[2]).faces[0].embedding
        hits = opened.repositories.search(tenant, 1, "photos", query[None], 2)
        stored = blob_store(mirror_settings, database)
        for hit in hits:  # each vector is now the mirror scheme's of the stored crop
            crop = decode_image(stored.get(hit.face_id), field="crop", max_bytes=1 << 24, max_pixels=1 << 22)
            assert hit.cosine == pytest.approx(float(query @ mirror.analyze(crop).faces[0].embedding), abs=1e-5)
        assert sorted(hit.user_id for hit in hits) == ["p0", "p1"]
    finally:
        opened.close()


def test_reembed_command_reports_and_fails_on_skipped(settings: Settings, database: Database, credentials: NewCredentials, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = open_repositories(settings.model_copy(update={"embedding_scheme": "sface"}), database)
    opened.repositories.register(RepoKey(credentials.tenant.id, 3, "fs"), NewFace("x", np.eye(128, dtype=np.float32)[5]))
    opened.close()
    monkeypatch.setenv("FACESAAS_EMBEDDING_SCHEME", "sface-mirror")
    result = CliRunner().invoke(cli, ["repo", "re-embed", "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 1, result.output
    assert '"no stored image": [\n        "x"' in result.output or '"x"' in result.output
    assert _schemes(database) == {"fs": "sface"}
