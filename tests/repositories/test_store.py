"""FaceRepositories on the real metadata database (SQLite, or PostgreSQL under make test-postgres):
atomic writes, concurrency, and the index check at start-up."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import func, select

from facesaas.errors import DuplicateUserId, InternalError, RepoNotFound
from facesaas.repositories import FaceRepositories, NewFace, RepoKey, open_repositories
from facesaas.repositories.models import Face
from facesaas.settings import Settings
from facesaas.storage.database import Database, create_database
from facesaas.tenants.service import NewCredentials


def _unit(rows: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    opened = create_database(settings.resolved_database_url)
    yield opened
    opened.dispose()


@pytest.fixture
def repos(settings: Settings, database: Database) -> Iterator[FaceRepositories]:
    opened = open_repositories(settings.model_copy(update={"index_flat_limit": 300}), database)
    yield opened.repositories
    opened.close()


def _faces(database: Database) -> int:
    with database.engine.connect() as connection:
        return connection.execute(select(func.count(Face.id))).scalar_one()


def test_a_failed_register_leaves_nothing(repos: FaceRepositories, credentials: NewCredentials, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    key = RepoKey(credentials.tenant.id, 1, "r")
    vectors = _unit(2)
    repos.register(key, NewFace("a", vectors[0], image_jpeg=b"first"))

    def broken_put(face_id: int, data: bytes, session: object = None) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(repos._images, "put", broken_put)
    with pytest.raises(OSError):
        repos.register(key, NewFace("b", vectors[1], image_jpeg=b"second"))
    assert _faces(database) == 1
    assert [h.user_id for h in repos.search(key.tenant_id, 1, "r", vectors[1:2], 5)] == ["a"]
    with pytest.raises(DuplicateUserId):
        repos.register(key, NewFace("a", vectors[1]))
    assert _faces(database) == 1


def test_batch_is_all_or_nothing_and_skips_duplicates(repos: FaceRepositories, credentials: NewCredentials, database: Database) -> None:
    key = RepoKey(credentials.tenant.id, 2, "bulk")
    vectors = _unit(10)
    result = repos.register_many(key, [NewFace(f"u{i}", vectors[i]) for i in range(6)])
    assert (result.enrolled, result.duplicates) == (6, 0)
    result = repos.register_many(key, [NewFace(f"u{i}", vectors[i]) for i in range(4, 10)] + [NewFace("u9", vectors[9])])
    assert (result.enrolled, result.duplicates) == (4, 3)
    assert _faces(database) == 10
    with pytest.raises(InternalError):
        repos.register_many(key, [NewFace("good", vectors[0]), NewFace("bad", np.zeros(7, np.float32))])
    assert _faces(database) == 10


def test_concurrent_register_delete_and_search_stay_consistent(repos: FaceRepositories, credentials: NewCredentials, database: Database, settings: Settings) -> None:
    """Four writer threads register 150 faces each (crossing the flat limit of 300, so the
    index is rebuilt mid-way) and delete every third; two readers search all the while. The
    end state must match the database exactly, in memory and after a restart."""
    key = RepoKey(credentials.tenant.id, 1, "busy")
    vectors = _unit(600, seed=1)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(worker: int) -> None:
        try:
            for i in range(worker * 150, worker * 150 + 150):
                repos.register(key, NewFace(f"u{i}", vectors[i]))
                if i % 3 == 0:
                    repos.delete(key, f"u{i}")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                try:
                    for hit in repos.search(key.tenant_id, 1, "busy", vectors[:1], 5):
                        assert hit.user_id.startswith("u")
                except RepoNotFound:
                    pass  # before the first register committed
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)] + [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads[:4]:
        thread.join()
    stop.set()
    for thread in threads[4:]:
        thread.join()
    assert errors == []
    assert _faces(database) == 400
    (stat,) = repos.index_stats()
    assert (stat["count"], stat["kind"]) == (400, "pq-refine")
    for i in (1, 2, 299, 598):
        assert repos.search(key.tenant_id, 1, "busy", vectors[i : i + 1], 1)[0].user_id == f"u{i}"
    assert repos.search(key.tenant_id, 1, "busy", vectors[3:4], 1)[0].user_id != "u3"


def test_a_repository_created_concurrently_by_another_process_is_reused(
    repos: FaceRepositories, credentials: NewCredentials, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = RepoKey(credentials.tenant.id, 1, "race")
    vectors = _unit(2)
    repos.register(key, NewFace("first", vectors[0]))
    # As if another process created the repository between our lookup and our insert.
    real_lookup = FaceRepositories._repo
    calls = {"n": 0}

    def stale_lookup(session, wanted):  # noqa: ANN001, ANN202
        calls["n"] += 1
        return None if calls["n"] == 1 else real_lookup(session, wanted)

    monkeypatch.setattr(FaceRepositories, "_repo", staticmethod(stale_lookup))
    repos.register(key, NewFace("second", vectors[1]))
    monkeypatch.undo()
    assert calls["n"] == 2 and _faces(database) == 2
    assert {h.user_id for h in repos.search(key.tenant_id, 1, "race", vectors, 5)} == {"first", "second"}


def test_a_user_id_registered_concurrently_by_another_process_is_a_duplicate(
    repos: FaceRepositories, credentials: NewCredentials, database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-process lock cannot see another process: the unique constraint is the last word,
    and it must answer DuplicateUserId (409), not a database error, leaving nothing behind."""
    key = RepoKey(credentials.tenant.id, 1, "race")
    vectors = _unit(3)
    repos.register(key, NewFace("taken", vectors[0]))
    # As if another process inserted "taken" after our check for it.
    monkeypatch.setattr(FaceRepositories, "_taken", staticmethod(lambda session, repo_id, user_ids: set()))
    with pytest.raises(DuplicateUserId, match="taken"):
        repos.register(key, NewFace("taken", vectors[1], image_jpeg=b"jpeg"))
    with pytest.raises(DuplicateUserId, match="concurrently"):
        repos.register_many(key, [NewFace("fresh", vectors[2], image_jpeg=b"jpeg"), NewFace("taken", vectors[1])])
    monkeypatch.undo()
    assert _faces(database) == 1
    assert not [p for p in settings.face_images_dir.rglob("*.jpg")]
    assert [h.user_id for h in repos.search(key.tenant_id, 1, "race", vectors, 5)] == ["taken"]
