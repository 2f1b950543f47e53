"""Customer (tenant) tables: the customer and its liveness package keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["Tenant", "PackageKey"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Tenant(Base):
    """A customer. The AccessKey is stored only as HMAC-SHA256(salt, key): a leaked database
    does not reveal it, and since keys are 190-bit random strings a fast hash is enough."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_id: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(128))
    key_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    key_rotated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    cluster: Mapped[str] = mapped_column(String(16), default="private", server_default="private")
    """The cluster whose deployments accept this AccessID: private, staging or production."""
    promoted_from: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    """For a production tenant issued by a go-live: the staging AccessID it was promoted from."""
    limit_per_second: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    limit_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    limit_concurrent: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    """Quotas; None: the deployment's default (settings), 0: unlimited."""


class PackageKey(Base):
    """A customer's AES-256 package key. Unlike the AccessKey it must be stored as is: the
    server decrypts with it. ``retired_at`` set: packages sealed with it are refused."""

    __tablename__ = "package_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
