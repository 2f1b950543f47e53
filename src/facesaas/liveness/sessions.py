"""H5 video liveness sessions: created by a customer's back end, used once by a browser page.

A session holds the action sequence the server chose (at random, without repeats, from
:data:`facesaas.liveness.motion.ACTIONS`), an expiry, the options of its judgement and the
one-time page token. The token is 32 random bytes (URL-safe base64, 43 characters); only its
SHA-256 is stored, so a database reader cannot use a pending session. Its life:

``pending`` → (clip uploaded with the token, atomically, once) → ``judging`` → ``done``
(or ``failed`` if the judge itself broke). A pending session past its expiry is ``expired``;
every session is deleted ``h5_result_hours`` after its creation (its result holds a face image).

Every state change is one conditional UPDATE, so two uploads racing for one token cannot both
win, on SQLite or PostgreSQL, in one process or many. Cost: one indexed statement per call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from facesaas.errors import LivenessPreviewLimit, LivenessSessionExpired, LivenessSessionNotFound, LivenessSessionUsed
from facesaas.liveness.models import VideoSession
from facesaas.liveness.motion import ACTIONS
from facesaas.storage.database import Database, as_utc, database_error

_SESSION_ID = re.compile(r"[0-9a-f]{32}")

__all__ = ["VideoSessions", "NewSession", "PageSession", "ClaimedSession", "choose_actions"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def choose_actions(count: int, rng: secrets.SystemRandom | None = None) -> tuple[str, ...]:
    """``count`` (2–4) distinct actions in random order: 20, 60 or 120 possible sequences."""
    if not 2 <= count <= 4:
        raise ValueError("action count must be 2–4")
    return tuple((rng or secrets.SystemRandom()).sample(ACTIONS, count))


@dataclass(frozen=True)
class NewSession:
    """What the create call answers: ``token`` is shown this once."""

    session_id: str
    token: str
    actions: tuple[str, ...]
    expires_at: dt.datetime


@dataclass(frozen=True)
class PageSession:
    """What the page may know of its session: the prompts and the time left. No customer data."""

    actions: tuple[str, ...]
    expires_at: dt.datetime
    preview_frames_left: int


@dataclass(frozen=True)
class ClaimedSession:
    """A session whose token an upload has just used: what the judge needs."""

    row_id: int
    tenant_id: int
    actions: tuple[str, ...]
    options: dict[str, Any]
    database_feature: str | None


@dataclass
class VideoSessions:
    """The sessions table; thread-safe (one short transaction per call)."""

    database: Database
    clock: Callable[[], dt.datetime] = _now

    def create(self, tenant_id: int, actions: tuple[str, ...], *, lifetime_seconds: int, retention_hours: float,
               options: dict[str, Any], database_feature: str | None) -> NewSession:  # fmt: skip
        """Store a new pending session; expired sessions past their retention are purged first."""
        now = self.clock()
        token = secrets.token_urlsafe(32)
        session_id = uuid.uuid4().hex
        expires = now + dt.timedelta(seconds=lifetime_seconds)
        row = {
            "session_id": session_id, "tenant_id": tenant_id, "token_hash": _hash(token),
            "actions": ",".join(actions), "options": json.dumps(options, ensure_ascii=False),
            "database_feature": database_feature, "status": "pending", "preview_frames": 0,
            "created_at": now, "expires_at": expires,
            "delete_after": max(now + dt.timedelta(hours=retention_hours), expires),
        }  # fmt: skip
        try:
            with self.database.engine.begin() as connection:
                connection.execute(delete(VideoSession).where(VideoSession.delete_after < now))
                connection.execute(insert(VideoSession).values(**row))
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc
        return NewSession(session_id, token, actions, expires)

    def _diagnose(self, token: str) -> Any:
        """The row of ``token``'s session if it is pending and unexpired; otherwise raise the
        error that explains why the token cannot be used now."""
        row = self._row(VideoSession.token_hash == _hash(token))
        if row is None:
            raise LivenessSessionNotFound("unknown page token")
        if row.status != "pending":
            raise LivenessSessionUsed()
        if as_utc(row.expires_at) <= self.clock():
            raise LivenessSessionExpired()
        return row

    def _row(self, condition) -> Any:  # noqa: ANN001 - a SQLAlchemy expression
        """The one matching row (a Core Row: columns as attributes) or None."""
        with self.database.connect() as connection:
            return connection.execute(select(VideoSession.__table__).where(condition)).first()

    def _update(self, condition, **values: Any) -> int:  # noqa: ANN001 - a SQLAlchemy expression
        try:
            with self.database.engine.begin() as connection:
                return connection.execute(update(VideoSession).where(condition).values(**values)).rowcount
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc

    def page(self, token: str, preview_limit: int) -> PageSession:
        """The page's view of its pending session; raises -6001/-6002/-6003 otherwise."""
        row = self._diagnose(token)
        return PageSession(tuple(row.actions.split(",")), as_utc(row.expires_at),
                           max(preview_limit - row.preview_frames, 0))  # fmt: skip

    def count_preview(self, token: str, limit: int) -> None:
        """Count one live-feedback frame of a pending session; -6004 past ``limit``."""
        pending = (VideoSession.token_hash == _hash(token)) & (VideoSession.status == "pending")
        fresh = VideoSession.expires_at > self.clock()
        if self._update(pending & fresh & (VideoSession.preview_frames < limit),
                        preview_frames=VideoSession.preview_frames + 1):  # fmt: skip
            return
        self._diagnose(token)
        raise LivenessPreviewLimit(f"{limit} frames")

    def check_usable(self, token: str) -> None:
        """Raise unless ``token`` names a pending, unexpired session (before decoding a clip)."""
        self._diagnose(token)

    def claim(self, token: str) -> ClaimedSession:
        """Use ``token`` for its one upload: pending → judging, atomically; the loser of a race,
        a second upload, or a late one gets -6003/-6002."""
        now = self.clock()
        usable = (VideoSession.token_hash == _hash(token)) & (VideoSession.status == "pending")
        if not self._update(usable & (VideoSession.expires_at > now), status="judging", uploaded_at=now):
            self._diagnose(token)
            raise LivenessSessionUsed()
        row = self._row(VideoSession.token_hash == _hash(token))
        assert row is not None
        return ClaimedSession(row.id, row.tenant_id, tuple(row.actions.split(",")), json.loads(row.options),
                              row.database_feature)  # fmt: skip

    def finish(self, claimed: ClaimedSession, result: dict[str, Any], *, failed: bool = False) -> None:
        """Store the judgement (or, ``failed``, what broke) of a claimed session."""
        self._update((VideoSession.id == claimed.row_id) & (VideoSession.status == "judging"),
                     status="failed" if failed else "done", result=json.dumps(result, ensure_ascii=False))  # fmt: skip

    def describe(self, tenant_id: int, session_id: str) -> dict[str, Any]:
        """The result call's fields for one of ``tenant_id``'s sessions; -6001 if not theirs."""
        # Session ids are uuid4().hex: anything else is no session, and is not sent to the
        # database (PostgreSQL refuses a NUL in text: a 500 found while fuzzing, docs/reliability.md).
        row = None
        if _SESSION_ID.fullmatch(session_id):
            row = self._row((VideoSession.session_id == session_id) & (VideoSession.tenant_id == tenant_id))
        if row is None:
            raise LivenessSessionNotFound(f"session_id {session_id!r}")
        status = row.status
        if status == "pending" and as_utc(row.expires_at) <= self.clock():
            status = "expired"
        options = json.loads(row.options)
        described: dict[str, Any] = {
            "session_id": row.session_id,
            "session_status": status,
            "actions": row.actions.split(","),
            "customer_defined_content": options.get("customer_defined_content", ""),
            "created_at": int(as_utc(row.created_at).timestamp() * 1000),
            "expires_at": int(as_utc(row.expires_at).timestamp() * 1000),
        }
        if row.uploaded_at is not None:
            described["uploaded_at"] = int(as_utc(row.uploaded_at).timestamp() * 1000)
        if row.result is not None:
            described["video_liveness_result"] = json.loads(row.result)
        return described
