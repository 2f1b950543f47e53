"""Metering exactness with real processes: ``facesaas serve --workers 2`` on production counts
every call made by concurrent clients exactly once, across two hosts too, and a host killed with
-9 mid-stream leaves every answered call completed with its rtn, at most the calls in flight
unanswered (never billed), and no call twice."""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import func, select

from facesaas.metering.models import Call
from facesaas.sdk import Client
from facesaas.sdk.client import EXTRACTION_PATH, VERIFICATION_PATH
from facesaas.settings import Settings
from facesaas.storage.database import create_database
from facesaas.tenants.service import TenantService
from tests.conftest import SharedEngines
from tests.processes import free_port, start_service


def _rows(settings: Settings) -> list[Call]:
    database = create_database(settings.resolved_database_url)
    try:
        with database.transaction() as session:
            return list(session.scalars(select(Call)))
    finally:
        database.dispose()


class Caller(threading.Thread):
    """Sends ``count`` calls (or until the service goes away), alternating an extraction that
    succeeds and a verification missing its fields, and records (request id, rtn) of each
    answer."""

    def __init__(self, url: str, creds, public_pem: str, image: bytes, count: int) -> None:  # noqa: ANN001
        super().__init__()
        self.answers: list[tuple[str, int]] = []
        self.failed: list[str] = []
        self._client = Client(url, creds.tenant.access_id, creds.access_key, public_pem, timeout=60)
        self._good = json.dumps({"image_content": base64.b64encode(image).decode(), "image_type": 3}).encode()
        self._count = count

    def run(self) -> None:
        with self._client as client:
            for i in range(self._count):
                path, body = (EXTRACTION_PATH, self._good) if i % 2 == 0 else (VERIFICATION_PATH, b"{}")
                try:
                    answer = client.post_raw(path, body).json()
                except httpx.HTTPError as exc:
                    self.failed.append(f"{exc.__class__.__name__}: {exc}")
                    return
                self.answers.append((answer["global_request_id"], answer["rtn"]))


def test_two_workers_and_two_hosts_count_every_concurrent_call_once(
    settings: Settings, engines: SharedEngines, tenants: TenantService, tmp_path: Path, astronaut_jpeg: bytes
) -> None:
    creds = tenants.create("acme", "production")
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    env = {**engines.env(), "FACESAAS_CLUSTER": "production", "FACESAAS_KEYS_PATH": str(settings.keys_dir)}
    ports = [free_port(), free_port()]
    processes = [
        start_service(settings, ports[0], args=("--workers", "2"), env=env),
        start_service(settings.model_copy(update={"data_dir": tmp_path / "host-b"}), ports[1], env=env),
    ]
    try:
        callers = [Caller(f"http://127.0.0.1:{ports[i % 2]}", creds, public_pem, astronaut_jpeg, 30) for i in range(6)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=600)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=60)
    answers = dict(answer for caller in callers for answer in caller.answers)
    failed = [failure for caller in callers for failure in caller.failed]
    logs = "\n".join(process.log.text()[-4000:] for process in processes)
    assert failed == [] and len(answers) == 180, f"{failed}\n{logs}"
    rows = _rows(settings)
    assert len(rows) == 180 and {r.request_id: r.rtn for r in rows} == answers
    assert Counter(r.rtn for r in rows) == {0: 90, -2002: 90}
    assert sum(r.billable for r in rows) == 90 and all(r.finished_at is not None for r in rows)


def test_kill_9_mid_stream_leaves_answered_calls_completed_and_none_twice(
    settings: Settings, tenants: TenantService, astronaut_jpeg: bytes
) -> None:
    creds = tenants.create("acme", "production")
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    env = {"FACESAAS_CLUSTER": "production"}
    port = free_port()
    process = start_service(settings, port, env=env)
    callers = [Caller(f"http://127.0.0.1:{port}", creds, public_pem, astronaut_jpeg, 10_000) for _ in range(3)]
    for caller in callers:
        caller.start()
    try:
        while sum(len(c.answers) for c in callers) < 30:
            threading.Event().wait(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        for caller in callers:
            caller.join(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    answers = dict(answer for caller in callers for answer in caller.answers)
    rows = {r.request_id: r for r in _rows(settings)}
    assert all(rows[request_id].rtn == rtn and rows[request_id].finished_at is not None for request_id, rtn in answers.items())
    unanswered = [r for r in rows.values() if r.finished_at is None]
    assert len(unanswered) <= len(callers) and not any(r.billable for r in unanswered)
    # A completed row the client never saw: its answer was on the wire when the process died.
    assert len(rows) - len(unanswered) - len(answers) <= len(callers)
    # A new host over the same database carries on; the killed calls stay unbilled, none is counted twice.
    port = free_port()
    process = start_service(settings, port, env=env)
    try:
        with Client(f"http://127.0.0.1:{port}", creds.tenant.access_id, creds.access_key, public_pem) as client:
            assert client.post_raw(VERIFICATION_PATH, b"{}").json()["rtn"] == -2002
    finally:
        process.terminate()
        process.wait(timeout=60)
    database = create_database(settings.resolved_database_url)
    with database.connect() as connection:
        total, distinct = connection.execute(select(func.count(), func.count(func.distinct(Call.request_id)))).one()
        still_open = connection.execute(select(func.count()).where(Call.finished_at.is_(None))).scalar()
    database.dispose()
    assert total == distinct == len(rows) + 1 and still_open == len(unanswered)
