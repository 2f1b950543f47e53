"""Storage faults against a real ``facesaas serve``: the data directory's file system full, and a
damaged vector index snapshot (docs/reliability.md "Faults")."""

from __future__ import annotations

import hashlib
import shutil
import signal
from pathlib import Path

import httpx
import numpy as np
import pytest

from facesaas.auth.keys import init_keys
from facesaas.face.calibration import similarity_from_cosine
from facesaas.face.embedder import DEFAULT_SCHEME, SCHEMES
from facesaas.face.feature import decode_feature, encode_feature
from facesaas.repositories import NewFace, RepoKey, open_repositories
from facesaas.sdk import ApiError, Client
from facesaas.settings import Settings
from facesaas.storage.database import create_database
from facesaas.tenants.service import NewCredentials, TenantService
from facesaas.vault import open_vault
from tests.faults import celeba_photos, face_embeddings, face_rows, fill, image_files, small_filesystem
from tests.processes import free_port, start_service

SCHEME = SCHEMES[DEFAULT_SCHEME]


def _unit(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _snapshot(settings: Settings) -> dict[str, str]:
    """The index directory's snapshot files and their SHA-256."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(settings.index_dir.iterdir())
        if path.suffix in (".faiss", ".manifest", ".tmp")
    }


def _stop(process) -> str:  # noqa: ANN001
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    return process.log.text()


def test_a_full_disk_refuses_writes_keeps_reads_and_recovers(database_url: str, tmp_path: Path, celeba: Path, master_key: str) -> None:
    """The data directory (and, on SQLite, the database) on a 24 MB tmpfs, filled to the last
    page while the service runs. Registers answer StorageFull (-5007, 507), never 500: a photo
    (its crop cannot be written) and, on SQLite, a feature (SQLITE_FULL at the commit); nothing
    is half-written (rows and crop files agree, no temporary file is left). Searches and
    extraction keep working where the database is elsewhere (PostgreSQL); with SQLite on the full
    disk they answer AuditUnavailable (-5013), their audit rows having nowhere to go. Space freed, registers work again in the same process. A snapshot
    at shutdown on the full disk fails, is logged and leaves the previous snapshot byte for byte;
    the next start repairs the index from the database and finds every face."""
    photos = celeba_photos(celeba, 8)
    with small_filesystem(tmp_path / "small", 24) as mount:
        sqlite = not database_url.startswith("postgresql")
        url = f"sqlite:///{mount / 'data' / 'facesaas.db'}" if sqlite else database_url
        settings = Settings(data_dir=mount / "data", database_url=url)
        init_keys(settings.keys_dir, open_vault(settings), bits=1024)
        database = create_database(url)
        credentials = TenantService(database.sessions, open_vault(settings)).create("full disk customer")
        database.dispose()
        env = {"FACESAAS_ENROL_QUALITY": "off", "FACESAAS_INDEX_SNAPSHOT_SECONDS": "0"}
        port = free_port()
        service = f"http://127.0.0.1:{port}"
        access = (credentials.tenant.access_id, credentials.access_key, (settings.keys_dir / "server_public.pem").read_text())
        feature = encode_feature(_unit(1, seed=31), SCHEME)

        process = start_service(settings, port, env=env)
        try:
            with Client(service, *access) as client:
                for user_id, image in photos[:3]:
                    client.register_in_repo("full", user_id, image=image)
        finally:
            _stop(process)
        before = _snapshot(settings)
        assert any(name.endswith(".manifest") for name in before)

        process = start_service(settings, port, env=env)
        try:
            with Client(service, *access) as client:
                for user_id, image in photos[3:5]:
                    client.register_in_repo("full", user_id, image=image)
                filler = fill(mount)
                with pytest.raises(ApiError) as photo_refused:
                    client.register_in_repo("full", photos[5][0], image=photos[5][1])
                assert (photo_refused.value.rtn, photo_refused.value.http_status) == (-5007, 507)
                assert "face images" in str(photo_refused.value)
                if sqlite:
                    with pytest.raises(ApiError) as feature_refused:
                        client.register_in_repo("full", "byfeature", feature=feature)
                    assert (feature_refused.value.rtn, feature_refused.value.http_status) == (-5007, 507)
                    assert "database" in str(feature_refused.value)
                else:
                    client.register_in_repo("full", "byfeature", feature=feature)  # PostgreSQL is not on this disk
                # Nothing half-written: the rows and the crop files agree, no temporary file is left.
                rows = face_rows(url)
                assert set(rows) == {user for user, _ in photos[:5]} | (set() if sqlite else {"byfeature"})
                files, temporaries = image_files(settings)
                assert files == {face_id for face_id, has_image, _ in rows.values() if has_image} and not temporaries
                if sqlite:
                    # The audit log lives in the database on the full disk: a decision whose row
                    # cannot be stored is withheld (AuditUnavailable, docs/security.md), reads included.
                    with pytest.raises(ApiError) as unrecorded:
                        client.retrieval_in_repo(repo_name="full", image=photos[0][1], return_topk_face=1)
                    assert (unrecorded.value.rtn, unrecorded.value.http_status) == (-5013, 503)
                else:
                    # Reads keep working: the database (and its audit log) is not on this disk.
                    for user_id, image in photos[:5]:
                        (hit,) = client.retrieval_in_repo(repo_name="full", image=image, return_topk_face=1)["repo_result"]
                        assert hit["user_id"] == user_id
                    assert client.feature_extraction(photos[6][1])["rtn"] == 0
                assert httpx.get(service + "/readyz").status_code == 200
                # Space freed: reads and writes work again, same process.
                filler.unlink()
                for user_id, image in photos[:5]:
                    (hit,) = client.retrieval_in_repo(repo_name="full", image=image, return_topk_face=1)["repo_result"]
                    assert hit["user_id"] == user_id
                assert client.feature_extraction(photos[6][1])["rtn"] == 0
                client.register_in_repo("full", photos[5][0], image=photos[5][1])
                if sqlite:
                    client.register_in_repo("full", "byfeature", feature=feature)
                (hit,) = client.retrieval_in_repo(repo_name="full", image=photos[5][1], return_topk_face=1)["repo_result"]
                assert hit["user_id"] == photos[5][0]
                filler = fill(mount)  # full again for the snapshot at shutdown
            log = _stop(process)
        finally:
            if process.poll() is None:
                process.kill()
        assert "not written" in log and "previous snapshot is kept" in log
        assert _snapshot(settings) == before, "a failed snapshot must leave the previous one as it was"

        filler.unlink()
        process = start_service(settings, port, env=env)
        try:
            with Client(service, *access) as client:
                for user_id, image in photos[:6]:
                    found = client.retrieval_in_repo(repo_name="full", image=image, return_topk_face=1)
                    assert found["repo_result"][0]["user_id"] == user_id
                assert found["gallery_size"] == len(face_rows(url)) == 7
        finally:
            log = _stop(process)
        assert "repaired from the database: +4 -0" in log
        print(f"\nfull disk: rows {sorted(face_rows(url))}, snapshot kept {before}")


# --- a damaged snapshot ------------------------------------------------------------------


def _register(settings: Settings, keys: list[RepoKey], first: int, count: int, vectors: np.ndarray, delete: tuple[int, ...] = ()) -> None:
    """Faces ``first``..``first + count`` (user ids ``u<n>``) into each of ``keys``' repositories,
    in process, then delete ``delete`` from each; the index is saved on close."""
    database = create_database(settings.resolved_database_url)
    try:
        opened = open_repositories(settings, database)
        try:
            for key in keys:
                opened.repositories.register_many(key, [NewFace(f"u{i}", vectors[i]) for i in range(first, first + count)])
                for i in delete:
                    opened.repositories.delete(key, f"u{i}")
        finally:
            opened.close()
    finally:
        database.dispose()


def _damage(kind: str, collection: int, index: Path, older: Path, other: int) -> str:
    """Damage ``collection``'s snapshot in ``index`` the way ``kind`` says; returns the log line
    expected at the next start."""
    target = index / f"{collection}-0.faiss"
    if kind == "truncated":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
        return f"vector snapshot of collection {collection} is damaged"
    if kind == "random-bytes":
        data = bytearray(target.read_bytes())
        data[len(data) // 2 : len(data) // 2 + 4096] = np.random.default_rng(5).bytes(4096)
        target.write_bytes(bytes(data))
        import faiss

        assert faiss.read_index(str(target)).ntotal > 0, "FAISS reads the damaged file without complaint"
        return f"vector snapshot of collection {collection} is damaged"
    if kind == "older-state":  # a whole, valid snapshot (manifest included) of an earlier state
        for name in (target.name, f"{collection}.manifest"):
            shutil.copy(older / name, index / name)
        return f"collection {collection} repaired from the database"
    if kind == "other-repository":  # another repository's valid index file under this one's name
        shutil.copy(index / f"{other}-0.faiss", target)
        return f"vector snapshot of collection {collection} is damaged"
    raise AssertionError(kind)


def list_repos_of(settings: Settings) -> list:  # noqa: ANN201
    from facesaas.repositories.store import list_repos

    database = create_database(settings.resolved_database_url)
    try:
        return list_repos(database)
    finally:
        database.dispose()


DAMAGES = ("truncated", "random-bytes", "older-state", "other-repository")


def _exact_top5(settings: Settings, repo: str, queries: list[str]) -> list[list[tuple[str, float]]]:
    """For each feature query, the top 5 (user_id, similarity) of an exact search of the
    repository's embeddings as the database holds them."""
    users, embeddings = face_embeddings(settings.resolved_database_url, repo)
    assert len(users) == 195
    result = []
    for query in queries:
        cosines = embeddings @ decode_feature(query, "q", SCHEME)[0]
        top = np.argsort(-cosines, kind="stable")[:5]
        result.append([(users[i], round(float(similarity_from_cosine(cosines[i])), 4)) for i in top])
    return result


def test_a_damaged_index_snapshot_is_rebuilt_from_the_database(settings: Settings, credentials: NewCredentials) -> None:
    """Four repositories of 200 faces (5 then deleted) and a fifth of 50, saved; then one
    repository's snapshot is truncated, one's is overwritten in its middle with 4 KiB of random
    bytes (FAISS still reads it, and without the manifest 103.1 then misses true top-5 faces),
    one's is replaced by an older valid snapshot, one's by the fifth repository's file. The next
    start logs each damage (or the stale state) and rebuilds (repairs) those indexes from the
    database; 103.1's top 5 for 12 queries per repository equal an exact search of the database's
    embeddings, similarity for similarity, with the database's gallery size."""
    vectors = _unit(250, seed=41)
    keys = [RepoKey(credentials.tenant.id, 2, kind.replace("-", "")[:18]) for kind in DAMAGES]
    other = RepoKey(credentials.tenant.id, 2, "other")
    _register(settings, keys, 0, 150, vectors)
    older = settings.data_dir / "older-index"
    shutil.copytree(settings.index_dir, older)
    _register(settings, keys, 150, 50, vectors, delete=(3, 70, 120, 160, 199))
    _register(settings, [other], 200, 50, vectors)
    ids = {info.name: info.repo_id for info in list_repos_of(settings)}
    rng = np.random.default_rng(6)
    queries = []
    for face in rng.choice([i for i in range(200) if i not in (3, 70, 120, 160, 199)], 12, replace=False):
        noisy = vectors[face] + 0.9 * _unit(1, seed=int(face) + 500)[0]
        queries.append(encode_feature((noisy / np.linalg.norm(noisy))[None], SCHEME))
    expected = {key.name: _exact_top5(settings, key.name, queries) for key in keys}
    lines = [_damage(kind, ids[key.name], settings.index_dir, older, ids["other"]) for kind, key in zip(DAMAGES, keys, strict=True)]

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    process = start_service(settings, port)
    try:
        with Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as client:
            for key in keys:
                for query, want in zip(queries, expected[key.name], strict=True):
                    found = client.retrieval_in_repo(repo_name=key.name, feature=query, return_topk_face=5)
                    assert [(hit["user_id"], hit["confidence"]) for hit in found["repo_result"]] == want, key.name
                    assert found["gallery_size"] == 195, key.name
    finally:
        log = _stop(process)
    for kind, line in zip(DAMAGES, lines, strict=True):
        assert line in log, (kind, line, log[-3000:])
    print("\n" + "\n".join(line for line in log.splitlines() if "collection" in line))
