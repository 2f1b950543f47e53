"""The session's log scan finds what it is meant to find (tests/logscan.py): a planted secret in
an in-process log record and in a service process's stderr fails the run with the lines."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

from tests.logscan import scan_lines

ROOT = Path(__file__).resolve().parents[1]
PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

PLANTED = '''
import logging, os, subprocess, sys
from tests.logscan import register
from tests.processes import LogDrain

def test_plants_secrets_in_the_logs():
    log = logging.getLogger("facesaas.planted")
    log.warning("key file: %s", "-----BEGIN PRIVATE KEY-----")
    register("planted-secret-Value-0123456789", "planted value")
    log.warning("an error about planted-secret-Value-0123456789 here")
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stderr.write('x-signature ' + 'ab' * 128 + chr(10))"],
                             stderr=subprocess.PIPE)
    drain = LogDrain(child.stderr)
    drain.start()
    child.wait()
    assert "x-signature" in drain.text()
'''


def test_the_patterns_find_each_kind_and_spare_ordinary_lines(astronaut_jpeg: bytes) -> None:
    key = base64.b64encode(os.urandom(32)).decode()
    lines = [
        '{"message": "-----BEGIN RSA PRIVATE KEY-----"}',
        f'{{"message": "master {key}"}}',
        f"signature {os.urandom(128).hex()}",
        f"image {base64.b64encode(astronaut_jpeg).decode()[:60]}",
        "png " + base64.b64encode(PNG_START + os.urandom(30)).decode(),
        f"blob {base64.b64encode(os.urandom(300)).decode()}",
        '{"level": "INFO", "message": "POST /face/v1/x 200", "request_id": "eSkrdLifumv0QQUABW8AAAAAAADuhAQA"}',
        "sealed package key pk0123456789abcdef under master key 0123456789abcdef",
        f"registered {'Zq' * 16} here",
    ]
    hits = scan_lines(lines, "planted", {"Zq" * 16: "AccessKey"})
    assert [(h.line_number, h.reason) for h in hits] == [
        (1, "PEM private key"),
        (2, "base64 of 32 bytes (a key)"),
        (3, "long hex (signature, key or digest)"),
        (4, "JPEG bytes in base64"),
        (5, "PNG bytes in base64"),
        (6, "long base64 run"),
        (9, "registered AccessKey"),
    ]


def test_a_planted_secret_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_planted.py").write_text(PLANTED)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FACESAAS_LOG_SCAN": "1"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.logscan", "-p", "no:cacheprovider",
                           str(tmp_path / "test_planted.py")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    out = done.stdout + done.stderr
    assert "1 passed" in out and done.returncode == 1, out
    assert "log scan: secrets in the logs" in out
    assert "inprocess.log:1: PEM private key" in out
    assert "inprocess.log:2: registered planted value" in out
    assert "serve-0.log:1: long hex (signature, key or digest)" in out
