"""``facesaas serve`` as operators run it: JSON log lines carrying the request id (never a key
or a signature), and SIGTERM finishing the request in flight before the process exits."""

from __future__ import annotations

import json
import signal
import threading
import time

from facesaas.sdk import Client
from facesaas.settings import Settings
from facesaas.tenants.service import NewCredentials
from tests.processes import free_port, start_service


def test_sigterm_finishes_the_request_in_flight_and_logs_are_json(
    settings: Settings, credentials: NewCredentials, astronaut_jpeg: bytes
) -> None:
    port = free_port()
    process = start_service(settings, port)
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    answers: list[dict] = []
    with Client(f"http://127.0.0.1:{port}", credentials.tenant.access_id, credentials.access_key, public_pem,
                timeout=60) as client:  # fmt: skip
        client.feature_extraction(astronaut_jpeg)
        # An OCR request is slow the first time (the OCR models load, then the page is read):
        # the signal arrives while it runs.
        slow = threading.Thread(target=lambda: answers.append(client.ocr(astronaut_jpeg, ocr_type=1)))
        slow.start()
        time.sleep(0.4)
        process.send_signal(signal.SIGTERM)
        slow.join(timeout=60)
    # uvicorn exits by the signal it handled (re-raised after the graceful shutdown).
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    assert answers and answers[0]["rtn"] == 0, "the request in flight was answered in full"
    log = process.log.text()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [r for r in records if r.get("logger") == "facesaas.access"]
    assert [r["path"] for r in access if r["rtn"] == 0][-2:] == [
        "/face/v1/algorithm/recognition/feature_extraction", "/face/basic/ocr",
    ]
    assert access[-1]["request_id"] == answers[0]["global_request_id"]
    assert all(r["access_id"] == credentials.tenant.access_id for r in access if r["path"].startswith("/face/"))
    assert credentials.access_key not in log
    assert "x-signature" not in log.lower()
    assert astronaut_jpeg[:64].hex() not in log
