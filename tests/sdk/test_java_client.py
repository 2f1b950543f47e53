"""The Java client (``sdk/java/``) compiled with javac for Java 8 and run against a live server:
the manual's SampleCodeV1PairVerify prints "check ok", and a harness calls every endpoint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from facesaas.sdk import build_package
from facesaas.tenants.service import NewCredentials
from tests.conftest import RunningServer
from tests.tools import require_tool

JAVA_SDK = Path(__file__).resolve().parents[2] / "sdk" / "java"
HARNESS = Path(__file__).resolve().parent / "java" / "AllEndpoints.java"
SAME = ("7437/084788.jpg", "7437/097369.jpg")
OTHER = "7292/067624.jpg"


def _tool(name: str) -> str:
    return require_tool(name, install="Debian: apt-get install -y default-jdk-headless")


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdk/java and the harness compiled for Java 8 (warnings are errors: the client stays clean)."""
    javac = _tool("javac")
    out = tmp_path_factory.mktemp("java-classes")
    sources = [*sorted(JAVA_SDK.glob("*.java")), HARNESS]
    done = subprocess.run(
        [javac, "--release", "8", "-Xlint:all", "-Xlint:-options", "-Werror", "-encoding", "UTF-8", "-d", str(out), *map(str, sources)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def _config(tmp_path: Path, server: RunningServer, credentials: NewCredentials, access_key: str | None = None) -> Path:
    (tmp_path / "server_public.pem").write_text(server.public_pem)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "url": server.url, "access_id": credentials.tenant.access_id,
        "access_key": access_key or credentials.access_key, "public_key_file": "server_public.pem",
    }))  # fmt: skip
    return config


def _java(classes: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("java"), "-Dfile.encoding=UTF-8", "-cp", str(classes), *map(str, args)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_sample_code_prints_check_ok(java_classes: Path, server: RunningServer, credentials: NewCredentials,
                                     celeba: Path, tmp_path: Path) -> None:  # fmt: skip
    config = _config(tmp_path, server, credentials)
    same = _java(java_classes, "SampleCodeV1PairVerify", config, celeba / SAME[0], celeba / SAME[1], "3")
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.splitlines()[0] == "check ok"
    other = _java(java_classes, "SampleCodeV1PairVerify", config, celeba / SAME[0], celeba / OTHER, "3")
    assert other.returncode == 1 and other.stdout.startswith("check failed: not the same person")
    wrong = _java(java_classes, "SampleCodeV1PairVerify", _config(tmp_path, server, credentials, "W" * 32),
                  celeba / SAME[0], celeba / SAME[1])  # fmt: skip
    assert wrong.returncode == 1 and "rtn -1005" in wrong.stdout


def test_every_endpoint_from_java(java_classes: Path, server: RunningServer, credentials: NewCredentials,
                                  celeba: Path, shared_data: Path, tmp_path: Path) -> None:  # fmt: skip
    assert credentials.package_key is not None
    face1, face2 = celeba / SAME[0], celeba / SAME[1]
    package = build_package([face1.read_bytes(), face2.read_bytes()], key=credentials.package_key.key,
                            key_id=credentials.package_key.key_id, customer_defined_content="java")  # fmt: skip
    (tmp_path / "package.b64").write_text(package)
    card = shared_data / "idcards" / "id_front" / "cardocr_test0.png"
    done = _java(java_classes, "AllEndpoints", _config(tmp_path, server, credentials), face1, face2, card, tmp_path / "package.b64")
    assert done.returncode == 0, done.stderr
    lines = {line["call"]: line for line in map(json.loads, done.stdout.splitlines())}

    def ok(call: str) -> dict:
        assert "response" in lines[call], lines[call]
        response = lines[call]["response"]
        assert response["rtn"] == 0 and response["message"] == "OK" and len(response["global_request_id"]) == 32
        return response

    assert ok("feature_extraction")["feature"]
    assert ok("pair_verify")["pair_verify_result"] == 0
    assert ok("pair_verify_feature")["pair_verify_result"] == 0
    ok("register_image")
    ok("register_feature")
    assert (lines["register_duplicate"]["error"]["rtn"], lines["register_duplicate"]["error"]["http_status"]) == (-4009, 409)
    found = ok("retrieval")["repo_result"]
    assert [hit["user_id"] for hit in found] in (["u1", "u2"], ["u2", "u1"])
    described = next(hit for hit in found if hit["user_id"] == "u1")["description"]
    assert described == {"name": "张三", "note": "quote\" and \\ \n"}  # the Java JSON writer's escapes
    ok("delete")
    assert [hit["user_id"] for hit in ok("retrieval_after_delete")["repo_result"]] == ["u2"]
    checked = ok("check_image_package")["query_image_package_result"]
    assert checked["is_valid_package"] is True and checked["is_same_person"] is True
    assert checked["customer_defined_content"] == "java"
    fields = ok("ocr")["idcard_ocr_result"]
    assert (fields["citizen_id"], fields["idcard_type"]) == ("445281198606095334", 1)
    assert ok("distinguish")["idcard_distinguish_result"]["result"] == 1
    assert ok("license_classification")["classification_result"]["result"] == 1
    assert lines["not_an_image"]["error"]["rtn"] < -2000 and lines["not_an_image"]["error"]["http_status"] == 400
