"""SQLAlchemy engine and session factories (SQLite by default, PostgreSQL in production).

Engines are created by :func:`create_database` when the app or a CLI command starts, never
at import time. SQLAlchemy errors are wrapped at this boundary: :meth:`Database.connect` and
:meth:`Database.transaction` turn a database that cannot be reached (connection refused or
lost) into ServiceUnavailable (503: nothing was changed, retry) and any other database error
into InternalError (callers that must tell an integrity error apart, such as a duplicate key,
catch it inside the block); a database out of space (SQLite's SQLITE_FULL, PostgreSQL's
disk_full) is StorageFull. Pooled connections are checked before use, so the service recovers
by itself when the database is back.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from facesaas.errors import ConfigurationError, InternalError, ServiceUnavailable, StorageFull

__all__ = ["Base", "Database", "as_utc", "create_database", "database_error", "is_disk_full"]

_SQLITE_FULL = 13
"""SQLite's primary result code for "database or disk is full"."""

_PG_DISK_FULL = "53100"
"""PostgreSQL's SQLSTATE disk_full (a table, WAL or temporary file could not be extended)."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the storage ran out of space: an OSError ENOSPC (no space) or EDQUOT
    (quota), SQLite's SQLITE_FULL or PostgreSQL's disk_full, directly or as a DBAPI error
    wrapped by SQLAlchemy."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OSError):
        return orig.errno in (errno.ENOSPC, errno.EDQUOT)
    if getattr(orig, "sqlite_errorcode", None) is not None:
        return int(orig.sqlite_errorcode) & 0xFF == _SQLITE_FULL
    return getattr(orig, "sqlstate", None) == _PG_DISK_FULL


def database_error(exc: SQLAlchemyError) -> ServiceUnavailable | InternalError | StorageFull:
    """Our error for a SQLAlchemy one: out of space is StorageFull; unreachable (connection
    refused, dropped, timed out) is ServiceUnavailable; anything else InternalError. SQLite's
    "database is locked" (an OperationalError) is a busy database, not an absent one:
    InternalError."""
    if is_disk_full(exc):
        return StorageFull("database")
    if isinstance(exc, (OperationalError, InterfaceError)) and "locked" not in str(exc.orig or exc):
        return ServiceUnavailable("database")
    return InternalError("database error")


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime: every time is stored in UTC, and SQLite gives
    them back naive (PostgreSQL aware)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


@dataclass
class Database:
    """An engine and its session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A Core connection for reads; database errors become InternalError, our own errors
        raised inside the block pass through."""
        try:
            with self.engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """An ORM session in a transaction, committed when the block ends and rolled back if it
        raises; database errors become InternalError."""
        try:
            with self.sessions.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc

    def ping(self) -> None:
        """``SELECT 1``; raises ServiceUnavailable when the database cannot be reached."""
        with self.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    cursor = dbapi_connection.cursor()
    # WAL lets readers run during a write; synchronous=NORMAL is durable across process
    # crashes (kill -9) in WAL mode; the busy timeout serialises concurrent writers.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_database(url: str) -> Database:
    """Create the engine for ``url`` and migrate the schema to the latest revision."""
    from facesaas.storage.migrations import upgrade

    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    # hide_parameters: a database error's text (logged with the request id) would otherwise carry
    # the statement's values: face crops of the database blob store, sealed package keys, audit
    # rows. The statement itself is still there, which is what an operator needs.
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConfigurationError(f"cannot migrate the database: {exc.__class__.__name__}") from exc
    return Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))
