"""Face repository tables: ``repos`` (one per AccessID, label and repo_name) and ``faces``.

The database is the source of truth for repository faces: each row holds the exact float32
embedding, so the vector index (:mod:`facesaas.vectors`) is a cache that can always be rebuilt
from it. ``faces.id`` is also the face's id in the vector index and the name of its stored face
image.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["Repo", "Face"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Repo(Base):
    """A named face repository of one customer. Created by its first register."""

    __tablename__ = "repos"
    __table_args__ = (UniqueConstraint("tenant_id", "label", "name", name="uq_repos_tenant_label_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    label: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(18))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    embedding_scheme: Mapped[str] = mapped_column(String(32), server_default="sface")
    """The embedding scheme of every vector in the repository (facesaas.face.embedder.SCHEMES);
    set by the server that created it."""


class Face(Base):
    """One registered face: the key (repo, user_id), the embedding and the client's metadata."""

    __tablename__ = "faces"
    # AUTOINCREMENT: SQLite must never reuse the id of a deleted face, because ids name
    # vectors (a deleted id may still sit in an index as a tombstone) and image files.
    __table_args__ = (
        UniqueConstraint("repo_id", "user_id", name="uq_faces_repo_user"),
        # The faces a shared index may not show yet: created in the last seconds (store.search).
        Index("ix_faces_repo_created", "repo_id", "created_at"),
        {"sqlite_autoincrement": True},
    )

    # BigInteger (with SQLite's INTEGER rowid affinity) so PostgreSQL ids never run out at 10 M+.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    repo_id: Mapped[int] = mapped_column(ForeignKey("repos.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(18))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    """128 float32 little-endian values, L2-normalised (512 bytes)."""
    timestamp: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The client's capture time, milliseconds since the epoch."""
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The client's JSON object, serialised."""
    has_image: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
