"""kill -9 of a running service during a stream of registers: nothing that answered OK is lost,
nothing is half-written, and the restarted service's index agrees with the database."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from facesaas.face.embedder import DEFAULT_SCHEME, SCHEMES
from facesaas.face.feature import encode_feature
from facesaas.sdk import ApiError, Client
from facesaas.settings import Settings
from facesaas.tenants.service import NewCredentials
from tests.processes import RegisterStream, free_port, start_service

SCHEME = SCHEMES[DEFAULT_SCHEME]
"""The embedding scheme of a server with default settings."""


def test_kill_9_during_registers_loses_nothing_that_answered(settings: Settings, credentials: NewCredentials) -> None:
    """Observed: the kill lands mid-stream; every user_id whose register answered OK is found
    by its own feature after the restart, the database holds exactly those (plus at most the
    one whose answer the kill cut off), and the restarted index counts the same rows."""
    vectors = np.random.default_rng(3).standard_normal((400, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    features = [encode_feature(v[None], SCHEME) for v in vectors]
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_service(settings, port)
    stream = RegisterStream(
        Client(url, credentials.tenant.access_id, credentials.access_key, public_pem, timeout=10), "durable", features
    )
    stream.wait_for(60)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    stream.thread.join()
    answered = stream.answered
    assert 60 <= len(answered) < len(features), "the kill must land mid-stream"
    assert stream.failures, "the stream must have been cut off by the kill"

    engine = create_engine(settings.resolved_database_url)
    with engine.connect() as connection:
        stored = [row[0] for row in connection.execute(text("SELECT user_id FROM faces"))]
    engine.dispose()
    stored_ids = sorted(int(name[1:]) for name in stored)
    assert stored_ids[: len(answered)] == answered  # every OK is there, in order
    assert len(stored_ids) - len(answered) in (0, 1)  # at most the register the kill cut off
    print(f"\nkill -9 after {len(answered)} answered registers: {len(stored_ids)} rows in the database")

    process = start_service(settings, port)
    try:
        with Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as client:
            for i in answered[::7] + answered[-3:]:
                (hit,) = client.retrieval_in_repo(repo_name="durable", feature=features[i])["repo_result"]
                assert (hit["user_id"], hit["confidence"]) == (f"u{i}", 100.0)
            # The stream can resume where it stopped: the next register succeeds or is a 409.
            nxt = len(answered)
            try:
                client.register_in_repo("durable", f"u{nxt}", feature=features[nxt])
            except ApiError as exc:
                assert exc.rtn == -4009
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    # A clean shutdown saved the index; the next start loads it without a repair.
    snapshot = list(Path(settings.index_dir).glob("*.faiss"))
    assert snapshot
