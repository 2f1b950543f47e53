"""Stored face images (JPEG crops of registered faces), keyed by face id, behind one interface.

:class:`LocalBlobStore` (the embedded default) keeps one file per face under the data
directory: ``<root>/<id // 10000>/<id>.jpg`` (at most 10,000 files a folder), written
atomically. :class:`DatabaseBlobStore` keeps them in the ``face_images`` table of the metadata
database, so every host behind a load balancer serves the same images (PostgreSQL in
production; ``FACESAAS_BLOB_URL=database``).

Either way an image is written *before* the row that refers to it commits — the database
store writes it in the row's own transaction (``put(..., session)``), so both commit or neither
— and removed after the row's delete commits, so a committed row always has its image; a crash
can leave an unreferenced image at worst, never a row without its image. Unreferenced images
are never served (only rows are), and face ids are never reused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import BigInteger, Integer, LargeBinary, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from facesaas.errors import StorageFull
from facesaas.storage.database import Base, database_error, is_disk_full

if TYPE_CHECKING:
    from facesaas.storage.database import Database

__all__ = ["BlobStore", "LocalBlobStore", "DatabaseBlobStore", "FaceImage"]


class BlobStore(Protocol):
    """JPEG bytes keyed by an integer face id."""

    def put(self, key: int, data: bytes, session: Session | None = None) -> None:
        """Store ``data`` durably before ``session`` (the face row's transaction) commits."""

    def get(self, key: int) -> bytes | None: ...

    def delete(self, key: int) -> None:
        """Remove the image (after its row's delete has committed); missing is not an error."""


class LocalBlobStore:
    """Files under ``root``, one per id."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: int) -> Path:
        return self.root / str(key // 10_000) / f"{key}.jpg"

    def put(self, key: int, data: bytes, session: Session | None = None) -> None:
        """Write atomically and durably: temporary file, fsync, rename. Cost: one fsync.
        ``session`` is not used: the file is on disk before the caller commits. A full file
        system is StorageFull, and the partial temporary file is removed (it would hold space
        and, after a crash, is never read: only ``<id>.jpg`` is)."""
        path = self._path(key)
        temporary = path.with_suffix(".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            if is_disk_full(exc):
                raise StorageFull("face images") from exc
            raise

    def get(self, key: int) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: int) -> None:
        self._path(key).unlink(missing_ok=True)


class FaceImage(Base):
    """A stored face image of :class:`DatabaseBlobStore` (no foreign key: the image is written in
    the face row's transaction and deleted after it, see the module docstring)."""

    __tablename__ = "face_images"

    face_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DatabaseBlobStore:
    """Images in the ``face_images`` table. ``put`` joins the caller's transaction; ``get`` and
    ``delete`` use their own short one. Cost: one indexed row per call (~10 kB)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def put(self, key: int, data: bytes, session: Session | None = None) -> None:
        if session is None:
            with self._database.transaction() as own:
                own.execute(insert(FaceImage).values(face_id=key, data=data))
            return
        session.execute(insert(FaceImage).values(face_id=key, data=data))

    def get(self, key: int) -> bytes | None:
        with self._database.connect() as connection:
            row = connection.execute(select(FaceImage.data).where(FaceImage.face_id == key)).first()
        return None if row is None else bytes(row.data)

    def delete(self, key: int) -> None:
        try:
            with self._database.engine.begin() as connection:
                connection.execute(delete(FaceImage).where(FaceImage.face_id == key))
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc
