"""Re-embedding repositories after a change of embedding scheme (``facesaas repo re-embed``).

A repository records the scheme of its vectors (``repos.embedding_scheme``) and a server whose
``FACESAAS_EMBEDDING_SCHEME`` differs refuses to start on it: vectors of two schemes are never
compared. Re-embedding makes every face of such a repository again from its stored face image
(the upright crop kept at registration) with the server's scheme. It is all or nothing per
repository: if a face has no stored image (registered from a feature string, or its image was
lost) or no face is found in its image any more, the repository is left exactly as it was and
reported, so that the customer can re-register those user_ids. Each repository is rewritten in
one transaction; then its vector collection is dropped and rebuilt from the database.

Run it with the service stopped (it takes the embedded index's lock, as a service does).
Cost: one detection and embedding per face (~55 ms on 2 cores under sface-mirror), so ~15 hours
per million faces on one 2-core host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import bindparam, select, update

from facesaas.errors import FaceSaaSError
from facesaas.face.engine import FaceEngine
from facesaas.face.image import decode_image
from facesaas.repositories.models import Face, Repo
from facesaas.repositories.store import _DatabaseSource, _to_bytes, repo_states
from facesaas.storage.blobs import BlobStore
from facesaas.storage.database import Database
from facesaas.vectors import VectorStore

__all__ = ["ReembedReport", "reembed_repositories"]

_BATCH = 500
_MAX_LISTED = 20


@dataclass
class ReembedReport:
    """What :func:`reembed_repositories` did: repositories (``label/name (tenant id)``) re-embedded
    with their face counts, and those left alone with the user_ids that stopped them."""

    scheme: str
    reembedded: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def _embed_repo(
    database: Database, images: BlobStore, engine: FaceEngine, repo_id: int, progress: Callable[[int], None] | None
) -> tuple[dict[int, np.ndarray], dict[str, list[str]]]:
    """New vectors by face id, and the user_ids that cannot be re-embedded by reason."""
    vectors: dict[int, np.ndarray] = {}
    problems: dict[str, list[str]] = {"no stored image": [], "no face found": []}
    last = 0
    while True:
        with database.connect() as connection:
            rows = connection.execute(
                select(Face.id, Face.user_id, Face.has_image)
                .where(Face.repo_id == repo_id, Face.id > last)
                .order_by(Face.id)
                .limit(_BATCH)
            ).all()
        if not rows:
            return vectors, {reason: users for reason, users in problems.items() if users}
        for face_id, user_id, has_image in rows:
            data = images.get(face_id) if has_image else None
            if data is None:
                problems["no stored image"].append(user_id)
                continue
            try:
                # Stored crops are ours (at most 256 px a side), so no client limits apply.
                bgr = decode_image(data, field="stored face image", max_bytes=1 << 24, max_pixels=1 << 22)
                analysis = engine.analyze(bgr, max_faces=1)
            except FaceSaaSError:
                analysis = None
            if analysis is None or not analysis.faces:
                problems["no face found"].append(user_id)
                continue
            vectors[face_id] = analysis.faces[0].embedding
        last = rows[-1][0]
        if progress:
            progress(len(rows))


def reembed_repositories(
    database: Database,
    images: BlobStore,
    vectors: Callable[[], VectorStore],
    engine: FaceEngine,
    progress: Callable[[int], None] | None = None,
) -> ReembedReport:
    """Re-embed every repository whose scheme is not ``engine.scheme`` (see the module's
    docstring); ``vectors`` makes a fresh, unopened vector store of the deployment. Returns the
    report; the caller holds the index lock."""
    scheme = engine.scheme.name
    report = ReembedReport(scheme)
    done: list[int] = []
    for state in repo_states(database):
        if state.scheme == scheme:
            continue
        repo_id, title, count = state.repo_id, f"{state.label}/{state.name} (tenant {state.tenant_id})", state.faces
        new, problems = _embed_repo(database, images, engine, repo_id, progress)
        if problems:
            report.skipped[title] = {reason: users[:_MAX_LISTED] for reason, users in problems.items()}
            continue
        with database.transaction() as session:
            if new:
                statement = update(Face).where(Face.id == bindparam("face_id")).values(embedding=bindparam("vector"))
                session.connection().execute(
                    statement, [{"face_id": face_id, "vector": _to_bytes(vector)} for face_id, vector in new.items()]
                )
            session.execute(update(Repo).where(Repo.id == repo_id).values(embedding_scheme=scheme))
        report.reembedded[title] = count
        done.append(repo_id)
    if done:
        _rebuild(database, vectors, done)
    return report


def _rebuild(database: Database, vectors: Callable[[], VectorStore], repo_ids: list[int]) -> None:
    """Drop the collections of ``repo_ids`` from the index; the next start rebuilds them from
    the database (their ids did not change, so the start-up check alone would not notice)."""
    kept = {state.repo_id: state.collection for state in repo_states(database) if state.repo_id not in repo_ids}
    store = vectors()
    try:
        store.open(kept, _DatabaseSource(database))
        store.save()
    finally:
        store.close()
