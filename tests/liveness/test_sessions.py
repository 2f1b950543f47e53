"""H5 video liveness sessions against the database: the token's one use, expiry, preview
allowance, tenancy, retention, and racing uploads."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from facesaas.errors import LivenessPreviewLimit, LivenessSessionExpired, LivenessSessionNotFound, LivenessSessionUsed
from facesaas.liveness.models import VideoSession
from facesaas.liveness.motion import ACTIONS
from facesaas.liveness.sessions import VideoSessions, choose_actions
from facesaas.storage.database import Database
from facesaas.tenants.service import TenantService
from facesaas.vault import Vault


class Clock:
    """A settable UTC clock."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sessions(database: Database, clock: Clock) -> VideoSessions:
    return VideoSessions(database, clock)


@pytest.fixture
def tenant_ids(database: Database, vault: Vault) -> tuple[int, int]:
    service = TenantService(database.sessions, vault)
    first, second = service.create("bank"), service.create("shop")
    return service.id_of(first.tenant.access_id), service.id_of(second.tenant.access_id)


def _create(sessions: VideoSessions, tenant_id: int, *, lifetime: int = 300, retention: float = 24.0):  # noqa: ANN202
    options = {"customer_defined_content": "order 7", "true_negative_rate": "99.99", "levels": {}}
    return sessions.create(tenant_id, ("nod", "blink"), lifetime_seconds=lifetime, retention_hours=retention,
                           options=options, database_feature=None)  # fmt: skip


def test_choose_actions_draws_distinct_actions_in_random_order() -> None:
    for count in (2, 3, 4):
        drawn = {choose_actions(count) for _ in range(400)}
        assert all(len(seq) == count and len(set(seq)) == count and set(seq) <= set(ACTIONS) for seq in drawn)
        assert len(drawn) > 15  # 20/60/120 possible sequences: many must appear
    for count in (1, 5):
        with pytest.raises(ValueError):
            choose_actions(count)


def test_only_the_tokens_hash_is_stored(sessions: VideoSessions, database: Database, tenant_ids: tuple[int, int]) -> None:
    created = _create(sessions, tenant_ids[0])
    assert len(created.token) == 43 and created.actions == ("nod", "blink")
    with database.connect() as connection:
        row = connection.execute(select(VideoSession.__table__)).one()
    assert created.token not in " ".join(str(value) for value in row)
    assert row.status == "pending" and row.session_id == created.session_id


def test_a_token_admits_one_upload(sessions: VideoSessions, tenant_ids: tuple[int, int]) -> None:
    created = _create(sessions, tenant_ids[0])
    page = sessions.page(created.token, preview_limit=10)
    assert page.actions == ("nod", "blink") and page.preview_frames_left == 10
    claimed = sessions.claim(created.token)
    assert claimed.tenant_id == tenant_ids[0] and claimed.actions == ("nod", "blink")
    assert claimed.options["customer_defined_content"] == "order 7"
    for attempt in (sessions.claim, sessions.check_usable, lambda token: sessions.page(token, 10)):
        with pytest.raises(LivenessSessionUsed):
            attempt(created.token)
    assert sessions.describe(tenant_ids[0], created.session_id)["session_status"] == "judging"
    sessions.finish(claimed, {"is_live": True})
    described = sessions.describe(tenant_ids[0], created.session_id)
    assert described["session_status"] == "done" and described["video_liveness_result"] == {"is_live": True}
    # A finished session is not finished again (only a judging one is).
    sessions.finish(claimed, {"is_live": False})
    assert sessions.describe(tenant_ids[0], created.session_id)["video_liveness_result"] == {"is_live": True}


def test_racing_uploads_one_wins(sessions: VideoSessions, tenant_ids: tuple[int, int]) -> None:
    created = _create(sessions, tenant_ids[0])
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def upload() -> None:
        barrier.wait()
        try:
            sessions.claim(created.token)
            outcomes.append("won")
        except LivenessSessionUsed:
            outcomes.append("used")

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["used"] * 7 + ["won"]


def test_expiry(sessions: VideoSessions, clock: Clock, tenant_ids: tuple[int, int]) -> None:
    created = _create(sessions, tenant_ids[0], lifetime=60)
    clock.advance(59)
    sessions.check_usable(created.token)
    clock.advance(2)
    for attempt in (sessions.claim, sessions.check_usable, lambda token: sessions.count_preview(token, 10)):
        with pytest.raises(LivenessSessionExpired):
            attempt(created.token)
    assert sessions.describe(tenant_ids[0], created.session_id)["session_status"] == "expired"


def test_unknown_tokens_and_other_tenants(sessions: VideoSessions, tenant_ids: tuple[int, int]) -> None:
    created = _create(sessions, tenant_ids[0])
    for token in ("", "x" * 43, created.token[:-1], created.token + "A", "\udcff" * 3):
        with pytest.raises(LivenessSessionNotFound):
            sessions.claim(token)
    with pytest.raises(LivenessSessionNotFound):
        sessions.describe(tenant_ids[1], created.session_id)
    assert sessions.describe(tenant_ids[0], created.session_id)["session_status"] == "pending"


def test_preview_allowance(sessions: VideoSessions, tenant_ids: tuple[int, int]) -> None:
    created = _create(sessions, tenant_ids[0])
    for _ in range(3):
        sessions.count_preview(created.token, limit=3)
    with pytest.raises(LivenessPreviewLimit):
        sessions.count_preview(created.token, limit=3)
    assert sessions.page(created.token, preview_limit=3).preview_frames_left == 0
    sessions.claim(created.token)
    with pytest.raises(LivenessSessionUsed):
        sessions.count_preview(created.token, limit=100)


def test_sessions_are_deleted_after_their_retention(sessions: VideoSessions, clock: Clock, tenant_ids: tuple[int, int]) -> None:
    old = _create(sessions, tenant_ids[0], retention=1.0)
    clock.advance(3599)
    _create(sessions, tenant_ids[0])
    assert sessions.describe(tenant_ids[0], old.session_id)["session_status"] == "expired"
    clock.advance(2)
    _create(sessions, tenant_ids[0])  # creating purges what is past its retention
    with pytest.raises(LivenessSessionNotFound):
        sessions.describe(tenant_ids[0], old.session_id)
