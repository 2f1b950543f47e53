"""Face repositories: durable register/delete and top-k search, independent of HTTP.

Write path (register): embedding computed by the caller → under the repository's lock: insert
the row (unique (repo, user_id): a duplicate is :class:`DuplicateUserId`), write the face image
file, commit, then add the vector to the index. A register that returned has committed; one that
did not leaves no row (the transaction rolls back, or was never committed when the process
died). The index is a cache: if the process dies between commit and index update, the next
start repairs it from the database (:meth:`FaceRepositories.open`).

Read path (search): the vector index proposes candidates by approximate score; their exact
embeddings are read from the database and re-scored, so a repository search gives exactly the
similarity a 1:1 comparison of the same two faces gives, and faces deleted meanwhile drop out.

Tenant isolation is structural: every query is filtered by the caller's tenant id, and vector
collections are per repository.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from facesaas.errors import DuplicateUserId, FaceSaaSError, InternalError, RepoNotFound, UserNotFound
from facesaas.repositories.models import Face, Repo
from facesaas.storage.blobs import LocalBlobStore
from facesaas.storage.database import Database
from facesaas.tenants.models import Tenant
from facesaas.vectors import DIMENSION, CollectionState, VectorStore

__all__ = ["FaceRepositories", "RepoKey", "NewFace", "Hit", "RepoInfo", "BatchResult", "list_repos"]

_RERANK_EXTRA = 20
"""Candidates beyond k re-scored exactly, so approximate-score errors at the cut cannot drop a face."""

_CHUNK = 5_000


@dataclass(frozen=True)
class RepoKey:
    """Identifies a repository: its owner, label (1 blacklist, 2 users, 3 portraits) and name."""

    tenant_id: int
    label: int
    name: str


@dataclass(frozen=True)
class NewFace:
    """A face to register: a unit 128-d float32 ``embedding`` and the client's metadata."""

    user_id: str
    embedding: np.ndarray
    timestamp: int | None = None
    description: dict[str, Any] | None = None
    image_jpeg: bytes | None = None


@dataclass(frozen=True)
class Hit:
    """One search result; ``cosine`` is exact (from the stored embedding)."""

    face_id: int
    user_id: str
    repo_name: str
    cosine: float
    description: dict[str, Any] | None
    timestamp: int | None
    has_image: bool


@dataclass(frozen=True)
class RepoInfo:
    access_id: str
    label: int
    name: str
    faces: int
    created_at: str


@dataclass
class BatchResult:
    """Outcome of :meth:`FaceRepositories.register_many`."""

    enrolled: int = 0
    duplicates: int = 0


def _to_bytes(embedding: np.ndarray) -> bytes:
    vector = np.asarray(embedding, dtype="<f4").reshape(-1)
    if vector.shape != (DIMENSION,):
        raise InternalError(f"embedding must have {DIMENSION} values")
    return vector.tobytes()


def _from_bytes(blobs: Sequence[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), DIMENSION).astype(np.float32)


class _DatabaseSource:
    """Reads embeddings back from the ``faces`` table for index builds and repairs."""

    def __init__(self, database: Database) -> None:
        self._engine = database.engine

    def ids(self, collection: int) -> np.ndarray:
        with self._engine.connect() as connection:
            rows = connection.execute(select(Face.id).where(Face.repo_id == collection).order_by(Face.id)).scalars()
            return np.fromiter(rows, dtype=np.int64)

    def embeddings(self, collection: int, ids: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        with self._engine.connect() as connection:
            if ids is None:
                query = select(Face.id, Face.embedding).where(Face.repo_id == collection).order_by(Face.id)
                result = connection.execution_options(stream_results=True, yield_per=_CHUNK).execute(query)
                for rows in result.partitions():
                    yield np.array([r[0] for r in rows], np.int64), _from_bytes([r[1] for r in rows])
                return
            for start in range(0, len(ids), _CHUNK):
                chunk = [int(i) for i in ids[start : start + _CHUNK]]
                rows = connection.execute(
                    select(Face.id, Face.embedding).where(Face.repo_id == collection, Face.id.in_(chunk))
                ).all()
                if rows:
                    yield np.array([r[0] for r in rows], np.int64), _from_bytes([r[1] for r in rows])


class FaceRepositories:
    """Register, delete and search faces in the repositories of every tenant. Thread-safe."""

    def __init__(self, database: Database, vectors: VectorStore, images: LocalBlobStore) -> None:
        self._database = database
        self._vectors = vectors
        self._images = images
        self._locks: dict[RepoKey, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # --- plumbing --------------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A transaction; database errors become InternalError (client errors pass through)."""
        try:
            with self._database.sessions.begin() as session:
                yield session
        except FaceSaaSError:
            raise
        except SQLAlchemyError as exc:
            raise InternalError("database error") from exc

    def _lock(self, key: RepoKey) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    @staticmethod
    def _repo(session: Session, key: RepoKey) -> Repo | None:
        return session.scalar(
            select(Repo).where(Repo.tenant_id == key.tenant_id, Repo.label == key.label, Repo.name == key.name)
        )

    def _repo_or_create(self, session: Session, key: RepoKey) -> Repo:
        repo = self._repo(session, key)
        if repo is not None:
            return repo
        try:
            with session.begin_nested():  # a savepoint: another process may create it first
                repo = Repo(tenant_id=key.tenant_id, label=key.label, name=key.name)
                session.add(repo)
        except IntegrityError:
            repo = self._repo(session, key)
            if repo is None:
                raise
        return repo

    def open(self) -> dict[str, int]:
        """Check the vector index against the database and repair it. Cost: one grouped
        count over ``faces`` (seconds at 10 M), plus the repair of what differs."""
        query = (
            select(Repo.id, func.count(Face.id), func.coalesce(func.sum(Face.id), 0))
            .select_from(Repo)
            .outerjoin(Face, Face.repo_id == Repo.id)
            .group_by(Repo.id)
        )
        try:
            with self._database.engine.connect() as connection:
                states = {row[0]: CollectionState(int(row[1]), int(row[2])) for row in connection.execute(query)}
        except SQLAlchemyError as exc:
            raise InternalError("database error") from exc
        return self._vectors.open(states, _DatabaseSource(self._database))

    def close(self) -> None:
        self._vectors.close()

    def save(self) -> int:
        """Snapshot changed vector collections (the periodic snapshot calls this)."""
        return self._vectors.save()

    # --- writes ----------------------------------------------------------------------------

    def register(self, key: RepoKey, face: NewFace) -> int:
        """Register one face; returns its id. Raises DuplicateUserId if user_id exists."""
        with self._lock(key):
            written: int | None = None
            try:
                with self._session() as session:
                    repo = self._repo_or_create(session, key)
                    exists = session.scalar(select(Face.id).where(Face.repo_id == repo.id, Face.user_id == face.user_id))
                    if exists is not None:
                        raise DuplicateUserId(face.user_id)
                    row = Face(
                        repo_id=repo.id,
                        user_id=face.user_id,
                        embedding=_to_bytes(face.embedding),
                        timestamp=face.timestamp,
                        description=None if face.description is None else json.dumps(face.description, ensure_ascii=False),
                        has_image=face.image_jpeg is not None,
                    )
                    session.add(row)
                    session.flush()
                    if face.image_jpeg is not None:
                        self._images.put(row.id, face.image_jpeg)
                        written = row.id
                    face_id, repo_id = row.id, repo.id
            except IntegrityError as exc:  # another process registered the same user_id first
                raise DuplicateUserId(face.user_id) from exc
            except BaseException:
                if written is not None:
                    self._images.delete(written)
                raise
            self._vectors.add(repo_id, np.array([face_id]), face.embedding.reshape(1, -1))
            return face_id

    def register_many(self, key: RepoKey, faces: Sequence[NewFace]) -> BatchResult:
        """Register a batch in one transaction (bulk import); user_ids already present are
        skipped and counted as duplicates. All of the batch is committed, or none of it."""
        result = BatchResult()
        if not faces:
            return result
        with self._lock(key):
            written: list[int] = []
            try:
                with self._session() as session:
                    repo = self._repo_or_create(session, key)
                    names = [face.user_id for face in faces]
                    taken = set(session.scalars(select(Face.user_id).where(Face.repo_id == repo.id, Face.user_id.in_(names))))
                    fresh, seen = [], set()
                    for face in faces:
                        if face.user_id in taken or face.user_id in seen:
                            result.duplicates += 1
                            continue
                        seen.add(face.user_id)
                        fresh.append(face)
                    if not fresh:
                        return result
                    rows = session.execute(
                        insert(Face).returning(Face.id, sort_by_parameter_order=True),
                        [
                            {
                                "repo_id": repo.id,
                                "user_id": face.user_id,
                                "embedding": _to_bytes(face.embedding),
                                "timestamp": face.timestamp,
                                "description": None if face.description is None else json.dumps(face.description, ensure_ascii=False),
                                "has_image": face.image_jpeg is not None,
                            }
                            for face in fresh
                        ],
                    ).all()
                    ids = np.array([row[0] for row in rows], dtype=np.int64)
                    for face_id, face in zip(ids, fresh, strict=True):
                        if face.image_jpeg is not None:
                            self._images.put(int(face_id), face.image_jpeg)
                            written.append(int(face_id))
                    repo_id = repo.id
            except IntegrityError as exc:
                raise DuplicateUserId("a user_id of the batch was registered concurrently") from exc
            except BaseException:
                for face_id in written:
                    self._images.delete(face_id)
                raise
            self._vectors.add(repo_id, ids, np.stack([face.embedding for face in fresh]))
            result.enrolled = len(fresh)
            return result

    def delete(self, key: RepoKey, user_id: str) -> None:
        """Delete ``user_id`` from the repository: row, image and vector."""
        with self._lock(key):
            with self._session() as session:
                repo = self._repo(session, key)
                if repo is None:
                    raise RepoNotFound(f"label {key.label}, repo_name {key.name!r}")
                row = session.scalar(select(Face).where(Face.repo_id == repo.id, Face.user_id == user_id))
                if row is None:
                    raise UserNotFound(user_id)
                face_id, repo_id = row.id, repo.id
                session.delete(row)
            self._images.delete(face_id)
            self._vectors.remove(repo_id, np.array([face_id]))

    # --- reads -----------------------------------------------------------------------------

    def search(self, tenant_id: int, label: int, repo_name: str | None, queries: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` faces most similar to any of ``queries`` (n, 128) in one repository, or in
        every repository of ``label`` when ``repo_name`` is None; best first."""
        # Core statements on one connection (no ORM session): ~0.5 ms less per search.
        condition = [Repo.tenant_id == tenant_id, Repo.label == label]
        if repo_name is not None:
            condition.append(Repo.name == repo_name)
        try:
            with self._database.engine.connect() as connection:
                repos = {row[0]: row[1] for row in connection.execute(select(Repo.id, Repo.name).where(*condition))}
                if not repos and repo_name is not None:
                    raise RepoNotFound(f"label {label}, repo_name {repo_name!r}")
                candidates: set[int] = set()
                for query in queries:
                    candidates.update(c.face_id for c in self._vectors.search(repos, query, k + _RERANK_EXTRA))
                if not candidates:
                    return []
                rows = connection.execute(
                    select(Face.id, Face.user_id, Face.repo_id, Face.embedding, Face.description, Face.timestamp, Face.has_image).where(
                        Face.id.in_(candidates), Face.repo_id.in_(list(repos))
                    )
                ).all()
        except SQLAlchemyError as exc:
            raise InternalError("database error") from exc
        if not rows:
            return []
        scores = (_from_bytes([row.embedding for row in rows]) @ np.asarray(queries, np.float32).T).max(axis=1)
        order = np.argsort(-scores, kind="stable")[:k]
        return [
            Hit(
                face_id=rows[i].id,
                user_id=rows[i].user_id,
                repo_name=repos[rows[i].repo_id],
                cosine=float(scores[i]),
                description=None if rows[i].description is None else json.loads(rows[i].description),
                timestamp=rows[i].timestamp,
                has_image=bool(rows[i].has_image),
            )
            for i in order
        ]

    def face_image(self, face_id: int) -> bytes | None:
        return self._images.get(face_id)

    def list_repos(self, tenant_id: int | None = None) -> list[RepoInfo]:
        """Every repository (of one tenant, or all) with its face count."""
        return list_repos(self._database, tenant_id)

    def index_stats(self) -> list[dict[str, Any]]:
        """Per-collection size, kind and estimated index memory."""
        return [stat.__dict__ for stat in self._vectors.stats()]



def list_repos(database: Database, tenant_id: int | None = None) -> list[RepoInfo]:
    """Every repository (of one tenant, or all) with its face count, from the database alone
    (no vector index, no lock: works while a service runs). Cost: one grouped count."""
    query = (
        select(Tenant.access_id, Repo.label, Repo.name, func.count(Face.id), Repo.created_at)
        .select_from(Repo)
        .join(Tenant, Tenant.id == Repo.tenant_id)
        .outerjoin(Face, Face.repo_id == Repo.id)
        .group_by(Repo.id, Tenant.access_id, Repo.label, Repo.name, Repo.created_at)
        .order_by(Tenant.access_id, Repo.label, Repo.name)
    )
    if tenant_id is not None:
        query = query.where(Repo.tenant_id == tenant_id)
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(query).all()
    except SQLAlchemyError as exc:
        raise InternalError("database error") from exc
    return [RepoInfo(a, int(label), name, int(count), created.isoformat()) for a, label, name, count, created in rows]
