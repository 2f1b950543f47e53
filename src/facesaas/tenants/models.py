"""Customer (tenant) tables: the customer, its liveness package keys and its own threshold table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["Tenant", "PackageKey", "TenantCalibration"]


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
    """A customer's AES-256 package key. Unlike the AccessKey it cannot be hashed: the server
    decrypts with it. ``key`` holds it sealed by the vault under the master key (72 bytes;
    :mod:`facesaas.tenants.package_keys`). ``retired_at`` set: packages sealed with it are refused."""

    __tablename__ = "package_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    key: Mapped[bytes] = mapped_column(LargeBinary(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    retired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)


class TenantCalibration(Base):
    """A customer's own threshold table (``facesaas calibrate --tenant``; docs/accuracy.md,
    "Calibrating on your own data"), at most one per tenant. ``thresholds`` is JSON: per
    true_negative_rate the cosine used and which source it came from. ``scheme`` names the
    embedding scheme the scores were measured with; a row of another scheme is ignored."""

    __tablename__ = "tenant_calibrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), unique=True, index=True)
    scheme: Mapped[str] = mapped_column(String(32))
    thresholds: Mapped[str] = mapped_column(Text)
    identities: Mapped[int] = mapped_column(Integer)
    images: Mapped[int] = mapped_column(Integer)
    genuine_pairs: Mapped[int] = mapped_column(BigInteger)
    impostor_pairs: Mapped[int] = mapped_column(BigInteger)
    failure_to_enroll: Mapped[float] = mapped_column(Float)
    """Share of the images with no detectable face (0–1; 0 for a repository's stored faces)."""
    source: Mapped[str] = mapped_column(Text)
    """What the table was measured on, e.g. ``folder /data/staff`` or ``repository staff (label 2)``."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
