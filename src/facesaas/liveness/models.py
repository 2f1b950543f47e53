"""Table of the liveness package service: the packages seen (replay protection). The customers'
package keys are theirs, in :mod:`facesaas.tenants.models`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["PackageUse"]


class PackageUse(Base):
    """A package that has been checked once (replay protection): its id per customer, kept
    until it would be refused as expired anyway."""

    __tablename__ = "package_uses"
    __table_args__ = (UniqueConstraint("tenant_id", "package_id", name="uq_package_uses_tenant_package"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"))
    package_id: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
