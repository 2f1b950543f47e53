"""Customer (tenant) table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["Tenant"]


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
