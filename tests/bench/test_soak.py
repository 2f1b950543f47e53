"""bench/soak_load.py (the load generator of ``make soak``) as its own process against a real
``facesaas serve`` process forced into overload (one engine worker, one waiting request, eight
clients): some answers are 503 with the documented rtn -5003, no other 5xx, every body well
formed, the report parses. No timing is asserted. And the answer check itself flags what it must."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from facesaas.settings import Settings
from facesaas.tenants.service import NewCredentials
from tests.processes import free_port, start_service

_PATH = Path(__file__).resolve().parents[2] / "bench" / "soak_load.py"
_spec = importlib.util.spec_from_file_location("bench_soak_load", _PATH)
assert _spec is not None and _spec.loader is not None
soak_load = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = soak_load
_spec.loader.exec_module(soak_load)


def test_forced_overload_is_answered_with_documented_503s(settings: Settings, credentials: NewCredentials,
                                                          shared_data: Path, tmp_path: Path) -> None:  # fmt: skip
    port = free_port()
    process = start_service(settings, port, env={"FACESAAS_ENGINE_WORKERS": "1", "FACESAAS_MAX_PENDING": "1"})
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    (tmp_path / "credentials.json").write_text(json.dumps(credentials.as_dict(public_pem)))
    out = tmp_path / "report.json"
    try:
        subprocess.run(
            [sys.executable, str(_PATH), "--url", f"http://127.0.0.1:{port}", "--credentials", str(tmp_path / "credentials.json"),
             "--workload", str(tmp_path / "workload.json"), "--concurrency", "8", "--seconds", "4", "--out", str(out),
             "--identities", "3", "--cards", "1", "--data", str(shared_data)],
            check=True, timeout=600, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=60)
    report = json.loads(out.read_text())
    summary, records = report["summary"], report["records"]
    assert summary["requests"] == len(records) > 0 and report["concurrency"] == 8
    assert summary["defects"] == {}, summary["defect_examples"]
    assert summary["overloaded"]["count"] > 0 and summary["codes"]["503 / -5003"] == summary["overloaded"]["count"]
    assert summary["ok"] > 0
    assert all(r[2] < 500 or (r[2], r[3]) == (503, -5003) for r in records)
    assert all(r[3] is not None and r[5] == "" for r in records)  # every body had rtn, message and a request id
    assert all(r[6] in ("full", "waited") for r in records if r[2] == 503) and any(r[6] == "full" for r in records)
    assert {r[1] for r in records} <= {op for op, _ in soak_load.MIX}
    assert sum(v["count"] for v in summary["per_op"].values()) == len(records)
    workload = json.loads((tmp_path / "workload.json").read_text())
    assert workload["idcards"] and any(p["enrollable"] for p in workload["people"])


DOCUMENTED = soak_load._errors()


@pytest.mark.parametrize(("status", "body", "expected"), [
    (200, b'{"rtn":0,"message":"OK","global_request_id":"abc"}', (0, "")),
    (503, b'{"rtn":-5003,"message":"server overloaded","global_request_id":"abc"}', (-5003, "")),
    (400, b'{"rtn":-2002,"message":"missing","global_request_id":"abc"}', (-2002, "")),
    (500, b'{"rtn":-5000,"message":"internal error","global_request_id":"abc"}', (-5000, "HTTP 500 rtn -5000: a server error")),
    (503, b'<html>Service Unavailable</html>', (None, "HTTP 503: body is not JSON")),
    (200, b'[0]', (None, "HTTP 200: body is not a JSON object")),
    (200, b'{"rtn":0,"message":"OK"}', (0, "HTTP 200 rtn 0: no global_request_id")),
    (200, b'{"rtn":0,"global_request_id":"x"}', (0, "HTTP 200 rtn 0: no message")),
    (400, b'{"rtn":-5003,"message":"m","global_request_id":"x"}', (-5003, "HTTP 400: rtn -5003 is documented as HTTP 503")),
    (400, b'{"rtn":-42,"message":"m","global_request_id":"x"}', (-42, "HTTP 400: undocumented rtn -42")),
    (500, b'{"rtn":0,"message":"OK","global_request_id":"x"}', (0, "HTTP 500 with rtn 0")),
])  # fmt: skip
def test_the_answer_check_flags_every_kind_of_defect(status: int, body: bytes, expected: tuple) -> None:
    assert soak_load.check_answer(status, body, DOCUMENTED) == expected
