"""Audit tables (schema: migration 0012): ``audit_log`` holds one hash-chained row per decision,
``audit_chain`` the one row that says where the chain ends (head) and where what is left of it
starts after pruning (anchor)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["AuditRow", "AuditChain", "CHAIN_ID"]

CHAIN_ID = 1
"""The id of the single ``audit_chain`` row."""


class AuditRow(Base):
    """One decision. ``seq`` numbers the chain 1, 2, 3… without gaps; ``row_hash`` is SHA-256
    over the canonical encoding of every other column (:func:`facesaas.audit.chain.row_hash`),
    ``prev_hash`` the ``row_hash`` of ``seq - 1`` (or the anchor's). ``decision`` is canonical
    JSON text (the result, scores, thresholds and calibration; never images, features or
    secrets) hashed as stored; ``model`` names the package version, embedding scheme and model
    files that decided."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_tenant_seq", "tenant_id", "seq"),  # facesaas audit show --tenant
        Index("ix_audit_log_request_id", "request_id"),  # facesaas audit show --request-id
        Index("ix_audit_log_at", "at"),  # retention: facesaas audit prune
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    tenant_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    access_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    endpoint: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(40))
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rtn: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decision: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The chain's state, one row (``id`` = :data:`CHAIN_ID`). Every writer updates it first,
    which serialises writers across threads, processes and hosts (a row lock on PostgreSQL, the
    write lock on SQLite). ``head_seq``/``head_hash``: the newest row; ``anchor_seq``/
    ``anchor_hash``: the last pruned row, which the oldest remaining row's ``prev_hash`` names
    (0 and 64 zeros before any pruning)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    anchor_seq: Mapped[int] = mapped_column(BigInteger)
    anchor_hash: Mapped[str] = mapped_column(String(64))
    anchor_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When the last prune ran (None: never)."""
