"""Moving an embedded deployment's repositories to the production engines: the vectors into a
shared vector service (Milvus), the face images into the database.

The database is the source of truth, so moving vectors is building the target index from the
``faces`` table (the same repair every start-up runs: what the target lacks is added, what the
database no longer has is removed), and can be re-run until it reports nothing to do. Images are
copied face by face (rows with ``has_image``), skipping those the target holds already; the
source is left as it was. Run with the service stopped or serving from the *old* settings; then
restart it with the new ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from facesaas.repositories.models import Face
from facesaas.repositories.store import FaceRepositories
from facesaas.storage.blobs import BlobStore
from facesaas.storage.database import Database
from facesaas.vectors import VectorStore

__all__ = ["ImageCopy", "migrate_vectors", "migrate_images"]

_BATCH = 1_000


def migrate_vectors(database: Database, target: VectorStore, images: BlobStore, scheme: str) -> dict[str, int]:
    """Make ``target`` hold every face of the database (and nothing else); returns the repair
    report (collections rebuilt or repaired, vectors added and removed). ``scheme`` is the
    deployment's embedding scheme (repositories of another refuse, as at start-up). Cost: one
    read of every embedding the target lacks (~512 bytes a face) and its insertion."""
    repositories = FaceRepositories(database, target, images, scheme)
    try:
        return repositories.open()
    finally:
        repositories.close()


@dataclass
class ImageCopy:
    """What :func:`migrate_images` did: images ``copied``, ``present`` in the target already,
    and ``missing`` in the source (rows whose image was lost; they are served without one)."""

    copied: int = 0
    present: int = 0
    missing: int = 0


def migrate_images(
    database: Database, source: BlobStore, target: BlobStore, progress: Callable[[int], None] | None = None
) -> ImageCopy:
    """Copy the image of every face that has one from ``source`` to ``target``, in id order,
    ``_BATCH`` rows per database read. Idempotent."""
    result = ImageCopy()
    last = 0
    while True:
        with database.connect() as connection:
            ids = connection.execute(
                select(Face.id).where(Face.has_image.is_(True), Face.id > last).order_by(Face.id).limit(_BATCH)
            ).scalars().all()
        if not ids:
            return result
        for face_id in ids:
            if target.get(face_id) is not None:
                result.present += 1
                continue
            data = source.get(face_id)
            if data is None:
                result.missing += 1
                continue
            target.put(face_id, data)
            result.copied += 1
        last = ids[-1]
        if progress:
            progress(len(ids))
