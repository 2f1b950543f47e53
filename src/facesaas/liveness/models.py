"""Tables of the liveness services: the packages seen (replay protection) and the H5 video
sessions. The customers' package keys are theirs, in :mod:`facesaas.tenants.models`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["PackageUse", "VideoSession"]


class PackageUse(Base):
    """A package that has been checked once (replay protection): its id per customer, kept
    until it would be refused as expired anyway."""

    __tablename__ = "package_uses"
    __table_args__ = (UniqueConstraint("tenant_id", "package_id", name="uq_package_uses_tenant_package"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"))
    package_id: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class VideoSession(Base):
    """One H5 video liveness session (docs/liveness.md): created by the customer's back end,
    used once by the page that holds its token, judged, read back, deleted after its
    retention. Only the token's SHA-256 is stored; ``options`` and ``result`` are JSON."""

    __tablename__ = "video_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    actions: Mapped[str] = mapped_column(String(128))
    options: Mapped[str] = mapped_column(Text)
    database_feature: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    preview_frames: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    uploaded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    delete_after: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
