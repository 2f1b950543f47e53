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
A shared index whose reads may lag its writes by a few seconds (``staleness_seconds``, Milvus)
gets the faces created in that window added to its candidates from the database, so a face
registered through one worker is found through any other as soon as the register answered.

Tenant isolation: every query is filtered by the caller's tenant id, and every vector search
names the caller's repositories only (an embedded collection, or a Milvus partition-key value,
per repository).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from facesaas.errors import (
    DuplicateUserId,
    InternalError,
    RepoNotFound,
    RepoSchemeMismatch,
    UserNotFound,
)
from facesaas.face.embedder import DEFAULT_SCHEME
from facesaas.repositories.models import Face, Repo
from facesaas.storage.blobs import BlobStore
from facesaas.storage.database import Database
from facesaas.tenants.models import Tenant
from facesaas.vectors import DIMENSION, CollectionState, VectorStore

__all__ = ["FaceRepositories", "RepoKey", "NewFace", "Hit", "RepoInfo", "BatchResult", "list_repos", "repository_faces", "RepoState", "repo_states"]

log = logging.getLogger(__name__)

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
    """A repository as the database lists it; ``repo_id`` is also its vector collection."""

    repo_id: int
    access_id: str
    label: int
    name: str
    faces: int
    created_at: str


@dataclass(frozen=True)
class RepoState:
    """A repository's identity, the embedding scheme of its vectors, and what the vector index
    check compares: its face count and the sum of its face ids."""

    repo_id: int
    tenant_id: int
    label: int
    name: str
    scheme: str
    faces: int
    id_sum: int

    @property
    def collection(self) -> CollectionState:
        return CollectionState(self.faces, self.id_sum)


def repo_states(database: Database) -> list[RepoState]:
    """Every repository's :class:`RepoState`, by id. Cost: one grouped count over ``faces``
    (seconds at 10 M)."""
    query = (
        select(Repo.id, Repo.tenant_id, Repo.label, Repo.name, Repo.embedding_scheme,
               func.count(Face.id), func.coalesce(func.sum(Face.id), 0))
        .select_from(Repo)
        .outerjoin(Face, Face.repo_id == Repo.id)
        .group_by(Repo.id, Repo.tenant_id, Repo.label, Repo.name, Repo.embedding_scheme)
        .order_by(Repo.id)
    )  # fmt: skip
    with database.connect() as connection:
        rows = connection.execute(query).all()
    return [RepoState(int(r[0]), int(r[1]), int(r[2]), r[3], r[4], int(r[5]), int(r[6])) for r in rows]


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
        self._database = database

    def ids(self, collection: int) -> np.ndarray:
        with self._database.connect() as connection:
            rows = connection.execute(select(Face.id).where(Face.repo_id == collection).order_by(Face.id)).scalars()
            return np.fromiter(rows, dtype=np.int64)

    def embeddings(self, collection: int, ids: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        with self._database.connect() as connection:
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

    def __init__(self, database: Database, vectors: VectorStore, images: BlobStore, scheme: str = DEFAULT_SCHEME) -> None:
        self._database = database
        self._vectors = vectors
        self._images = images
        self._scheme = scheme
        self._locks: dict[RepoKey, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    @property
    def vectors(self) -> VectorStore:
        """The vector backend (for its statistics and, when shared, its readiness probe)."""
        return self._vectors

    # --- plumbing --------------------------------------------------------------------------

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
        if repo is None:
            try:
                with session.begin_nested():  # a savepoint: another process may create it first
                    repo = Repo(tenant_id=key.tenant_id, label=key.label, name=key.name, embedding_scheme=self._scheme)
                    session.add(repo)
            except IntegrityError:
                repo = self._repo(session, key)
                if repo is None:
                    raise
        if repo.embedding_scheme != self._scheme:
            if session.scalar(select(Face.id).where(Face.repo_id == repo.id).limit(1)) is not None:
                # Never mix vectors of two schemes in one repository: their scores are not comparable.
                raise RepoSchemeMismatch(f"{key.name} holds {repo.embedding_scheme} vectors, this server makes {self._scheme}")
            repo.embedding_scheme = self._scheme  # an emptied repository takes the server's scheme
        return repo

    def open(self) -> dict[str, int]:
        """Check the vector index against the database and repair it. Cost: one grouped
        count over ``faces`` (seconds at 10 M), plus the repair of what differs."""
        rows = repo_states(self._database)
        other = sorted({(row.scheme, row.name) for row in rows if row.faces and row.scheme != self._scheme})
        if other:
            # Served all the same: these repositories answer -4010 until re-embedded or emptied.
            names = ", ".join(f"{name} ({scheme})" for scheme, name in other[:5]) + (" …" if len(other) > 5 else "")
            log.warning(
                "FACESAAS_EMBEDDING_SCHEME is %s but %d repositories hold vectors of another scheme and will be refused "
                "(rtn -4010) until re-embedded (`facesaas repo re-embed`): %s", self._scheme, len(other), names,
            )
        return self._vectors.open({row.repo_id: row.collection for row in rows}, _DatabaseSource(self._database))

    def close(self) -> None:
        self._vectors.close()

    def save(self) -> int:
        """Snapshot changed vector collections (the periodic snapshot calls this)."""
        return self._vectors.save()

    # --- writes ----------------------------------------------------------------------------

    @staticmethod
    def _taken(session: Session, repo_id: int, user_ids: list[str]) -> set[str]:
        """Which of ``user_ids`` the repository holds already."""
        return set(session.scalars(select(Face.user_id).where(Face.repo_id == repo_id, Face.user_id.in_(user_ids))))

    def _write(self, key: RepoKey, faces: Sequence[NewFace], *, skip_taken: bool) -> tuple[np.ndarray, list[NewFace]]:
        """Insert ``faces`` in one transaction under the repository's lock, write their images
        before the commit, then index them. A user_id already present (or twice in ``faces``) is
        skipped with ``skip_taken``, else DuplicateUserId. Returns the new ids and the faces
        written; on any failure nothing is left behind (rows roll back, images are removed)."""
        with self._lock(key):
            images: list[int] = []
            try:
                with self._database.transaction() as session:
                    repo = self._repo_or_create(session, key)
                    taken = self._taken(session, repo.id, [face.user_id for face in faces])
                    fresh: list[NewFace] = []
                    for face in faces:
                        if face.user_id in taken:
                            if not skip_taken:
                                raise DuplicateUserId(face.user_id)
                            continue
                        taken.add(face.user_id)
                        fresh.append(face)
                    if not fresh:
                        return np.empty(0, np.int64), []
                    rows = [
                        {
                            "repo_id": repo.id,
                            "user_id": face.user_id,
                            "embedding": _to_bytes(face.embedding),
                            "timestamp": face.timestamp,
                            "description": None if face.description is None else json.dumps(face.description, ensure_ascii=False),
                            "has_image": face.image_jpeg is not None,
                        }
                        for face in fresh
                    ]
                    try:
                        inserted = session.execute(insert(Face).returning(Face.id, sort_by_parameter_order=True), rows).all()
                    except IntegrityError as exc:  # another process registered one of them first
                        detail = fresh[0].user_id if len(fresh) == 1 else "a user_id of the batch was registered concurrently"
                        raise DuplicateUserId(detail) from exc
                    ids = np.array([row[0] for row in inserted], dtype=np.int64)
                    for face_id, face in zip(ids.tolist(), fresh, strict=True):
                        if face.image_jpeg is not None:
                            self._images.put(face_id, face.image_jpeg, session)
                            images.append(face_id)
                    repo_id = repo.id
            except BaseException:
                for face_id in images:
                    self._images.delete(face_id)
                raise
            self._vectors.add(repo_id, ids, np.stack([face.embedding for face in fresh]))
            return ids, fresh

    def register(self, key: RepoKey, face: NewFace) -> int:
        """Register one face; returns its id. Raises DuplicateUserId if user_id exists."""
        ids, _ = self._write(key, [face], skip_taken=False)
        return int(ids[0])

    def register_many(self, key: RepoKey, faces: Sequence[NewFace]) -> BatchResult:
        """Register a batch in one transaction (bulk import); user_ids already present are
        skipped and counted as duplicates. All of the batch is committed, or none of it."""
        if not faces:
            return BatchResult()
        _, fresh = self._write(key, faces, skip_taken=True)
        return BatchResult(enrolled=len(fresh), duplicates=len(faces) - len(fresh))

    def delete(self, key: RepoKey, user_id: str) -> None:
        """Delete ``user_id`` from the repository: row, image and vector."""
        with self._lock(key):
            with self._database.transaction() as session:
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
        return self.search_gallery(tenant_id, label, repo_name, queries, k)[0]

    def search_gallery(
        self, tenant_id: int, label: int, repo_name: str | None, queries: np.ndarray, k: int
    ) -> tuple[list[Hit], int]:
        """:meth:`search`, and how many faces the searched repositories hold (the gallery size N
        of the expected FPIR). The size comes from the vector backend (:meth:`VectorStore.size`:
        O(1) in-process, a count reused for 30 s on Milvus), never from a COUNT over ``faces``."""
        # Core statements on one connection (no ORM session): ~0.5 ms less per search.
        condition = [Repo.tenant_id == tenant_id, Repo.label == label]
        if repo_name is not None:
            condition.append(Repo.name == repo_name)
        with self._database.connect() as connection:
            found = connection.execute(select(Repo.id, Repo.name, Repo.embedding_scheme).where(*condition)).all()
            if not found and repo_name is not None:
                raise RepoNotFound(f"label {label}, repo_name {repo_name!r}")
            repos = {row[0]: row[1] for row in found}
            other = {row[0]: f"{row[1]} holds {row[2]} vectors" for row in found if row[2] != self._scheme}
            if other and connection.execute(select(Face.repo_id).where(Face.repo_id.in_(list(other))).limit(1)).first():
                # Never score a query against vectors of another scheme, nor leave them out silently.
                raise RepoSchemeMismatch(f"{'; '.join(sorted(other.values()))}, this server makes {self._scheme}")
            candidates: set[int] = set()
            for query in queries:
                candidates.update(c.face_id for c in self._vectors.search(repos, query, k + _RERANK_EXTRA))
            staleness = self._vectors.staleness_seconds
            if staleness:
                # A shared index may not show the last seconds' inserts yet (other workers'
                # included): the database does, and they are re-scored exactly below.
                since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=staleness)
                candidates.update(connection.execute(
                    select(Face.id).where(Face.repo_id.in_(list(repos)), Face.created_at >= since)
                ).scalars())  # fmt: skip
            gallery = sum(self._vectors.size(repo_id) for repo_id in repos)
            if not candidates:
                return [], gallery
            rows = connection.execute(
                select(Face.id, Face.user_id, Face.repo_id, Face.embedding, Face.description, Face.timestamp, Face.has_image).where(
                    Face.id.in_(candidates), Face.repo_id.in_(list(repos))
                )
            ).all()
        if not rows:
            return [], gallery
        scores = (_from_bytes([row.embedding for row in rows]) @ np.asarray(queries, np.float32).T).max(axis=1)
        order = np.argsort(-scores, kind="stable")[:k]
        hits = [
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
        return hits, gallery

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
        select(Repo.id, Tenant.access_id, Repo.label, Repo.name, func.count(Face.id), Repo.created_at)
        .select_from(Repo)
        .join(Tenant, Tenant.id == Repo.tenant_id)
        .outerjoin(Face, Face.repo_id == Repo.id)
        .group_by(Repo.id, Tenant.access_id, Repo.label, Repo.name, Repo.created_at)
        .order_by(Tenant.access_id, Repo.label, Repo.name)
    )
    if tenant_id is not None:
        query = query.where(Repo.tenant_id == tenant_id)
    with database.connect() as connection:
        rows = connection.execute(query).all()
    return [
        RepoInfo(int(repo_id), access_id, int(label), name, int(count), created.isoformat())
        for repo_id, access_id, label, name, count, created in rows
    ]


def repository_faces(
    database: Database, tenant_id: int, name: str, label: int | None = None, scheme: str = DEFAULT_SCHEME
) -> tuple[list[str], np.ndarray]:
    """The user_ids and stored embeddings ((n, 128) float32, unit) of the tenant's repository
    ``name`` (of ``label``, or of whichever label has a repository of that name), for
    calibration. RepoNotFound if there is none; ValueError if several labels have one and
    ``label`` is not given; RepoSchemeMismatch if its vectors are not of ``scheme`` (thresholds
    of one scheme mean nothing for another). Cost: one read of the repository's rows (~140 bytes a face)."""
    query = select(Repo.id, Repo.label, Repo.embedding_scheme).where(Repo.tenant_id == tenant_id, Repo.name == name)
    if label is not None:
        query = query.where(Repo.label == label)
    with database.connect() as connection:
        found = connection.execute(query).all()
        if not found:
            raise RepoNotFound(f"label {label if label is not None else 'any'}, repo_name {name!r}")
        if len(found) > 1:
            labels = sorted(int(row[1]) for row in found)
            raise ValueError(f"repositories named {name!r} exist under labels {labels}: give the label")
        if found[0][2] != scheme:
            raise RepoSchemeMismatch(f"{name} holds {found[0][2]} vectors, the thresholds are for {scheme}")
        rows = connection.execute(
            select(Face.user_id, Face.embedding).where(Face.repo_id == found[0][0]).order_by(Face.id)
        ).all()
    if not rows:
        return [], np.zeros((0, DIMENSION), np.float32)
    return [row[0] for row in rows], _from_bytes([row[1] for row in rows])
