"""Tables of the liveness package service: customers' package keys and the packages seen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["PackageKey", "PackageUse"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


class PackageUse(Base):
    """A package that has been checked once (replay protection): its id per customer, kept
    until it would be refused as expired anyway."""

    __tablename__ = "package_uses"
    __table_args__ = (UniqueConstraint("tenant_id", "package_id", name="uq_package_uses_tenant_package"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"))
    package_id: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
