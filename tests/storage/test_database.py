"""How database failures reach clients (storage/database.py): out of space is StorageFull,
unreachable is ServiceUnavailable, both raised by the real database drivers."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from facesaas.errors import ServiceUnavailable, StorageFull
from facesaas.storage.database import Database


def test_a_full_database_is_storage_full(database: Database) -> None:
    """SQLite: the file may not grow past its current pages (``PRAGMA max_page_count``), so the
    insert fails with SQLITE_FULL, as on a full disk. PostgreSQL: the server raises SQLSTATE
    53100 (disk_full), as when it cannot extend a table's file; the server, not the test,
    chooses the code here, because filling the disk of a shared PostgreSQL is not done in
    tests (docs/reliability.md)."""
    with pytest.raises(StorageFull) as caught:
        with database.connect() as connection:
            if database.engine.dialect.name == "sqlite":
                connection.execute(text("CREATE TABLE IF NOT EXISTS filler (data BLOB)"))
                connection.commit()
                pages = connection.execute(text("PRAGMA page_count")).scalar_one()
                connection.execute(text(f"PRAGMA max_page_count = {pages}"))
                connection.execute(text("INSERT INTO filler VALUES (zeroblob(1048576))"))
            else:
                connection.execute(text("DO $$ BEGIN RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$"))
    assert (caught.value.rtn, caught.value.http_status, caught.value.detail) == (-5007, 507, "database")


def test_an_unreachable_database_is_service_unavailable(database: Database) -> None:
    """A server that refuses connections (nothing listens on port 1)."""
    if database.engine.dialect.name == "sqlite":
        pytest.skip("a SQLite database is a file: it cannot be unreachable")
    url = database.engine.url.set(host="127.0.0.1", port=1)
    engine = create_engine(url, pool_pre_ping=True)
    unreachable = Database(engine=engine, sessions=None)  # type: ignore[arg-type]
    try:
        with pytest.raises(ServiceUnavailable):
            unreachable.ping()
    finally:
        engine.dispose()


def test_a_database_error_never_carries_the_statements_values(database: Database) -> None:
    """The text of a failed statement's error is logged with the request id; the values bound to
    it (a face crop, a sealed key, an audit row) must not be in it: the engine hides them."""
    secret = "5ecre7" * 12
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the driver's error, wrapped or not: the chain is checked
        with database.connect() as connection:
            connection.execute(text("INSERT INTO no_such_table (value) VALUES (:value)"), {"value": secret})
    texts = []
    error: BaseException | None = caught.value
    while error is not None:
        texts += [str(error), repr(error)]
        error = error.__cause__ or error.__context__
    assert any("no_such_table" in t for t in texts)
    assert not any(secret in t for t in texts)
