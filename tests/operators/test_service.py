"""Operator accounts, passwords, sessions and login throttling (OperatorService), on the test's
own database (SQLite, or PostgreSQL with FACESAAS_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from facesaas.errors import ConsoleLoginFailed, ConsoleLoginThrottled
from facesaas.operators import OperatorService, UnknownOperator
from facesaas.operators.models import Operator, OperatorSession
from facesaas.operators.passwords import hash_password, password_matches
from facesaas.storage.database import Database, create_database

PASSWORD = "correct horse battery"


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = create_database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def operators(database: Database, clock: Clock) -> OperatorService:
    return OperatorService(database, session_hours=8, max_failures=5, lockout_seconds=60, clock=clock)


def test_password_is_stored_as_scrypt_only(operators: OperatorService, database: Database) -> None:
    info = operators.create("Alice", PASSWORD)
    assert info.username == "alice" and info.enabled
    with database.transaction() as session:
        row = session.scalar(select(Operator))
        stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in vars(row).values())
    assert PASSWORD.encode() not in stored
    assert len(row.password_salt) == 16 and len(row.password_hash) == 32
    assert row.password_hash == hash_password(row.password_salt, PASSWORD)
    assert password_matches(row.password_salt, row.password_hash, PASSWORD)
    assert not password_matches(row.password_salt, row.password_hash, PASSWORD + "x")  # negative control
    # A second operator with the same password gets another salt, so another hash.
    operators.create("bob", PASSWORD)
    with database.transaction() as session:
        hashes = {r.password_hash for r in session.scalars(select(Operator))}
    assert len(hashes) == 2


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "short"), ("alice", "x" * 1025), ("alice", " " * 12), ("", PASSWORD), ("has space", PASSWORD),
     ("-dash", PASSWORD), ("x" * 65, PASSWORD)],
)  # fmt: skip
def test_create_enforces_the_rules(operators: OperatorService, username: str, password: str) -> None:
    with pytest.raises(ValueError):
        operators.create(username, password)
    assert operators.list() == []


def test_duplicate_username_is_refused_case_insensitively(operators: OperatorService) -> None:
    operators.create("alice", PASSWORD)
    with pytest.raises(ValueError, match="exists"):
        operators.create("ALICE", PASSWORD)
    assert [o.username for o in operators.list()] == ["alice"]


def test_login_opens_a_session_stored_as_a_hash(operators: OperatorService, database: Database) -> None:
    operators.create("alice", PASSWORD)
    new = operators.login(" Alice ", PASSWORD)
    assert len(new.token) >= 43 and len(new.csrf_token) >= 43 and new.token != new.csrf_token
    with database.transaction() as session:
        row = session.scalar(select(OperatorSession))
        assert row.token_hash != new.token and new.token not in row.token_hash
    found = operators.session(new.token)
    assert found is not None and found.operator.username == "alice" and found.csrf_token == new.csrf_token
    assert operators.session(new.token + "x") is None
    assert operators.session("") is None and operators.session(None) is None and operators.session("a" * 5000) is None


def test_wrong_password_and_unknown_user_fail_alike(operators: OperatorService) -> None:
    operators.create("alice", PASSWORD)
    for username, password in (("alice", "wrong password"), ("nobody", PASSWORD)):
        with pytest.raises(ConsoleLoginFailed) as caught:
            operators.login(username, password)
        assert caught.value.client_message == "wrong operator username or password"


def test_unknown_user_costs_one_hash_like_a_known_one(operators: OperatorService) -> None:
    """Timing: an unknown username is not answered faster than a wrong password (both hash once)."""
    operators.create("alice", PASSWORD)

    def fastest(username: str) -> float:
        times = []
        for attempt in range(3):
            started = time.perf_counter()
            with pytest.raises(ConsoleLoginFailed):
                operators.login(username, f"wrong password {attempt}")
            times.append(time.perf_counter() - started)
        return min(times)

    known, unknown = fastest("alice"), fastest("nobody")
    assert unknown > 0.5 * known, (known, unknown)
    assert known > 0.01  # scrypt n=2**14 takes tens of ms: a check that the hash really runs


def test_session_expires_after_its_lifetime(operators: OperatorService, clock: Clock) -> None:
    operators.create("alice", PASSWORD)
    new = operators.login("alice", PASSWORD)
    assert new.expires_at == clock.now + dt.timedelta(hours=8)
    clock.advance(hours=7, minutes=59)
    assert operators.session(new.token) is not None
    clock.advance(minutes=1)
    assert operators.session(new.token) is None


def test_expired_sessions_are_purged(operators: OperatorService, clock: Clock, database: Database) -> None:
    operators.create("alice", PASSWORD)
    operators.login("alice", PASSWORD)
    clock.advance(hours=9)
    live = operators.login("alice", PASSWORD)  # a login deletes the expired rows
    with database.transaction() as session:
        assert len(session.scalars(select(OperatorSession)).all()) == 1
    clock.advance(hours=9)
    assert operators.purge_expired() == 1
    assert operators.session(live.token) is None


def test_logout_and_disable_end_sessions(operators: OperatorService) -> None:
    operators.create("alice", PASSWORD)
    first, second = operators.login("alice", PASSWORD), operators.login("alice", PASSWORD)
    operators.logout(first.token)
    assert operators.session(first.token) is None and operators.session(second.token) is not None
    assert operators.disable("alice").enabled is False
    assert operators.session(second.token) is None
    with pytest.raises(ConsoleLoginFailed):
        operators.login("alice", PASSWORD)
    assert operators.set_enabled("alice", True).enabled is True
    assert operators.session(operators.login("alice", PASSWORD).token) is not None
    with pytest.raises(UnknownOperator):
        operators.disable("nobody")


def test_five_failures_lock_the_username_for_a_minute(operators: OperatorService, clock: Clock) -> None:
    operators.create("alice", PASSWORD)
    for _ in range(4):
        with pytest.raises(ConsoleLoginFailed):
            operators.login("alice", "wrong password")
    with pytest.raises(ConsoleLoginThrottled, match="retry in 60 s"):
        operators.login("alice", "wrong password")  # the fifth locks
    clock.advance(seconds=30)
    with pytest.raises(ConsoleLoginThrottled, match="retry in 30 s"):
        operators.login("alice", PASSWORD)  # even the right password, while locked
    clock.advance(seconds=30)
    assert operators.login("alice", PASSWORD).operator.username == "alice"


def test_a_success_resets_the_failure_count(operators: OperatorService) -> None:
    operators.create("alice", PASSWORD)
    for _ in range(3):
        for _ in range(4):
            with pytest.raises(ConsoleLoginFailed):
                operators.login("alice", "wrong password")
        operators.login("alice", PASSWORD)  # 4 failures then a success: never locked


def test_unknown_usernames_lock_too_and_locks_are_per_username(operators: OperatorService) -> None:
    operators.create("alice", PASSWORD)
    for _ in range(4):
        with pytest.raises(ConsoleLoginFailed):
            operators.login("mallory", PASSWORD)
    with pytest.raises(ConsoleLoginThrottled):
        operators.login("mallory", PASSWORD)
    assert operators.login("alice", PASSWORD).operator.username == "alice"  # another name is not locked


def test_two_services_share_sessions_and_lockouts(database_url: str, clock: Clock) -> None:
    """Two workers (two engines on one database) see the same sessions and failure counts."""
    first_db, second_db = create_database(database_url), create_database(database_url)
    try:
        first = OperatorService(first_db, clock=clock)
        second = OperatorService(second_db, clock=clock)
        first.create("alice", PASSWORD)
        assert second.session(first.login("alice", PASSWORD).token) is not None
        for service in (first, second, first, second):
            with pytest.raises(ConsoleLoginFailed):
                service.login("alice", "wrong password")
        with pytest.raises(ConsoleLoginThrottled):
            first.login("alice", "wrong password")
        with pytest.raises(ConsoleLoginThrottled):
            second.login("alice", PASSWORD)
    finally:
        first_db.dispose()
        second_db.dispose()
