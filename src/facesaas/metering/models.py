"""Metering tables: one ``calls`` row per authenticated call on staging and production, and the
``prices`` of each endpoint (schema: migration 0006)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["Call", "Price"]


class Call(Base):
    """One authenticated call. Written when it is admitted (``finished_at`` None) and completed
    just before its answer is sent; ``request_id`` is the primary key, so a call is one row
    whatever happens to the worker. ``day`` is the billing day (FACESAAS_BILLING_UTC_OFFSET_HOURS)
    and ``second`` the Unix second it started in (peak-rate queries)."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_tenant_day", "tenant_id", "day"),  # usage per month
        Index("ix_calls_tenant_second", "tenant_id", "second"),  # peak rate of the review
    )

    request_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer, ForeignKey("tenants.id"))
    cluster: Mapped[str] = mapped_column(String(16))
    endpoint: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    day: Mapped[dt.date] = mapped_column(Date)
    second: Mapped[int] = mapped_column(BigInteger)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    duration_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rtn: Mapped[int | None] = mapped_column(Integer, nullable=True)
    billable: Mapped[bool] = mapped_column(Boolean, default=False)


class Price(Base):
    """The unit price of ``endpoint`` from ``effective_from`` (a billing day) until the next
    price of the same endpoint. Stored as a decimal string: amounts are exact."""

    __tablename__ = "prices"

    endpoint: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    unit_price: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
