"""Operator tables: console accounts, their sessions, and failed-login counters.

Everything lives in the metadata database so that every worker and host sees the same accounts,
sessions and lockouts (docs/console.md).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from facesaas.storage.database import Base

__all__ = ["Operator", "OperatorSession", "LoginFailures"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Operator(Base):
    """A console account. The password is stored only as scrypt(salt, password) (32 bytes)."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    password_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class OperatorSession(Base):
    """A logged-in browser. The cookie's token is stored only as its SHA-256 (hex): a leaked
    database does not let anyone take over a session. The CSRF token is stored as is: it must be
    handed back to the page, and without the cookie it is worth nothing."""

    __tablename__ = "operator_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    operator_id: Mapped[int] = mapped_column(Integer, ForeignKey("operators.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginFailures(Base):
    """Failed logins in a row for one username (known or not: an attacker must not learn which
    usernames exist from which ones lock), and until when it is locked."""

    __tablename__ = "operator_login_failures"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
