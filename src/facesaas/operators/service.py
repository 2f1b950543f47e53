"""Operator accounts, console sessions and login throttling, over the metadata database.

Logins cost one scrypt hash (~50 ms) whether or not the username exists, is disabled or the
password is right, so the answer time tells nothing. Failed logins are counted per username in
the database (every worker and host shares the count): ``max_failures`` in a row lock the
username for ``lockout_seconds``; while locked, even the right password is refused without
hashing; a successful login clears the count. Unknown usernames are counted and locked the same
way, so locking reveals nothing about which accounts exist.

Sessions are rows keyed by the SHA-256 of a 256-bit random token (the cookie's value, returned
once by :meth:`OperatorService.login`). A session lasts ``session_hours`` from its login (use
does not extend it); logging out, disabling the operator or expiry end it. Expired rows are
deleted at each login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from facesaas.errors import ConsoleLoginFailed, ConsoleLoginThrottled, InternalError
from facesaas.operators.models import LoginFailures, Operator, OperatorSession
from facesaas.operators.passwords import check_password_rules, hash_password, new_salt, password_matches
from facesaas.settings import Settings
from facesaas.storage.database import Database, as_utc

__all__ = ["OperatorInfo", "OperatorService", "NewSession", "SessionInfo", "UnknownOperator", "normalize_username"]

T = TypeVar("T")

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,63}$")
_DUMMY_SALT = b"\0" * 16
_DUMMY_HASH = b"\0" * 32
_MAX_TOKEN_LENGTH = 128


class UnknownOperator(LookupError):
    """No operator has this username (CLI-side error)."""


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: stripped and lower-cased."""
    return username.strip().lower()


def token_hash(token: str) -> str:
    """The stored form of a session token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OperatorInfo:
    """What may be shown about an operator (never the password hash)."""

    id: int
    username: str
    enabled: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, row: Operator) -> OperatorInfo:
        return cls(row.id, row.username, bool(row.enabled), as_utc(row.created_at))

    def as_dict(self) -> dict[str, object]:
        return {"username": self.username, "enabled": self.enabled, "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class SessionInfo:
    """A live session: who, its CSRF token, and when it ends (UTC)."""

    operator: OperatorInfo
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class NewSession(SessionInfo):
    """Returned once by :meth:`OperatorService.login`: ``token`` goes into the cookie and is
    stored nowhere else."""

    token: str = ""


class OperatorService:
    """Operator operations over the metadata database. ``clock`` (UTC now) is for tests."""

    def __init__(
        self,
        database: Database,
        *,
        session_hours: float = 8.0,
        max_failures: int = 5,
        lockout_seconds: float = 60.0,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._database = database
        self.session_lifetime = dt.timedelta(hours=session_hours)
        self.max_failures = max_failures
        self.lockout = dt.timedelta(seconds=lockout_seconds)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))

    @classmethod
    def from_settings(cls, database: Database, settings: Settings) -> OperatorService:
        return cls(
            database,
            session_hours=settings.console_session_hours,
            max_failures=settings.console_login_failures,
            lockout_seconds=settings.console_lockout_seconds,
        )

    def _transaction(self, action: Callable[[Session], T]) -> T:
        with self._database.transaction() as session:
            return action(session)

    # --- accounts --------------------------------------------------------------------------

    def create(self, username: str, password: str) -> OperatorInfo:
        """A new enabled operator. ValueError for a bad or taken username (1–64 of a-z 0-9 _ . @ -,
        case-insensitive) or a password outside the rules (10–1024 characters). Cost: one scrypt."""
        name = normalize_username(username)
        if not _USERNAME.match(name):
            raise ValueError("the username must be 1-64 characters of a-z, 0-9, _ . @ - (starting with a letter or digit)")
        check_password_rules(password)
        salt = new_salt()
        digest = hash_password(salt, password)

        def action(session: Session) -> OperatorInfo:
            if session.scalar(select(Operator.id).where(Operator.username == name)) is not None:
                raise ValueError(f"operator {name!r} exists already")
            row = Operator(username=name, password_salt=salt, password_hash=digest, enabled=True, created_at=self._clock())
            session.add(row)
            session.flush()
            return OperatorInfo.of(row)

        try:
            return self._transaction(action)
        except InternalError as exc:
            if isinstance(exc.__cause__, IntegrityError):  # a concurrent create of the same name
                raise ValueError(f"operator {name!r} exists already") from exc
            raise

    def list(self) -> list[OperatorInfo]:
        return self._transaction(lambda s: [OperatorInfo.of(r) for r in s.scalars(select(Operator).order_by(Operator.id))])

    def set_enabled(self, username: str, enabled: bool) -> OperatorInfo:
        """Enable or disable; disabling also ends every session of the operator at once.
        Raises UnknownOperator."""
        name = normalize_username(username)

        def action(session: Session) -> OperatorInfo:
            row = session.scalar(select(Operator).where(Operator.username == name))
            if row is None:
                raise UnknownOperator(name)
            row.enabled = enabled
            if not enabled:
                session.execute(delete(OperatorSession).where(OperatorSession.operator_id == row.id))
            session.flush()
            return OperatorInfo.of(row)

        return self._transaction(action)

    def disable(self, username: str) -> OperatorInfo:
        return self.set_enabled(username, False)

    # --- login and sessions ----------------------------------------------------------------

    def _locked_for(self, name: str, now: dt.datetime) -> float:
        """Seconds the username stays locked (0: not locked). One indexed read."""
        with self._database.connect() as connection:
            until = connection.execute(select(LoginFailures.locked_until).where(LoginFailures.username == name)).scalar()
        return max(0.0, (as_utc(until) - now).total_seconds()) if until is not None else 0.0

    def login(self, username: str, password: str) -> NewSession:
        """Check the password and open a session. Raises ConsoleLoginThrottled while the username
        is locked (and on the failure that locks it), ConsoleLoginFailed otherwise. Cost: one
        scrypt (~50 ms) and two short transactions."""
        name = normalize_username(username)[:64]
        now = self._clock()
        locked = self._locked_for(name, now)
        if locked > 0:
            raise ConsoleLoginThrottled(f"retry in {math.ceil(locked)} s")
        with self._database.connect() as connection:
            row = connection.execute(
                select(Operator.id, Operator.username, Operator.enabled, Operator.created_at, Operator.password_salt,
                       Operator.password_hash).where(Operator.username == name)
            ).first()  # fmt: skip
        # One scrypt in every case: an unknown user costs the same as a wrong password.
        salt, stored = (bytes(row.password_salt), bytes(row.password_hash)) if row is not None else (_DUMMY_SALT, _DUMMY_HASH)
        matches = password_matches(salt, stored, password[: 4 * 1024])
        if row is None or not row.enabled or not matches:
            if self._record_failure(name, now):
                raise ConsoleLoginThrottled(f"retry in {math.ceil(self.lockout.total_seconds())} s")
            raise ConsoleLoginFailed()
        operator = OperatorInfo(row.id, row.username, True, as_utc(row.created_at))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + self.session_lifetime

        def action(session: Session) -> None:
            session.execute(delete(LoginFailures).where(LoginFailures.username == name))
            session.execute(delete(OperatorSession).where(OperatorSession.expires_at <= now))
            session.add(OperatorSession(token_hash=token_hash(token), operator_id=row.id, csrf_token=csrf,
                                        created_at=now, expires_at=expires))  # fmt: skip

        self._transaction(action)
        return NewSession(operator=operator, csrf_token=csrf, expires_at=expires, token=token)

    def _record_failure(self, name: str, now: dt.datetime) -> bool:
        """Count a failed login of ``name``; True when this failure locks it."""

        def action(session: Session) -> bool:
            row = session.scalar(select(LoginFailures).where(LoginFailures.username == name).with_for_update())
            if row is None:
                row = LoginFailures(username=name, failures=0, locked_until=None)
                session.add(row)
            row.failures += 1
            if row.failures >= self.max_failures:
                row.failures, row.locked_until = 0, now + self.lockout
                return True
            return False

        try:
            return self._transaction(action)
        except InternalError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
            return self._transaction(action)  # another worker inserted this name's first failure at once

    def session(self, token: str | None) -> SessionInfo | None:
        """The live session of a cookie's token, or None (unknown, expired, or its operator
        disabled). One indexed read."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        query = (
            select(OperatorSession.csrf_token, OperatorSession.expires_at, Operator.id, Operator.username,
                   Operator.enabled, Operator.created_at)
            .join(Operator, Operator.id == OperatorSession.operator_id)
            .where(OperatorSession.token_hash == token_hash(token))
        )  # fmt: skip
        with self._database.connect() as connection:
            row = connection.execute(query).first()
        if row is None or not row.enabled or as_utc(row.expires_at) <= self._clock():
            return None
        operator = OperatorInfo(row.id, row.username, True, as_utc(row.created_at))
        return SessionInfo(operator=operator, csrf_token=row.csrf_token, expires_at=as_utc(row.expires_at))

    def logout(self, token: str | None) -> None:
        """End the session of ``token`` (nothing if there is none)."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return
        self._transaction(lambda s: s.execute(delete(OperatorSession).where(OperatorSession.token_hash == token_hash(token))))

    def purge_expired(self) -> int:
        """Delete expired sessions; how many. (Logins do this too.)"""
        now = self._clock()
        return self._transaction(lambda s: s.execute(delete(OperatorSession).where(OperatorSession.expires_at <= now)).rowcount)
