"""The facesaas command, run through click's runner against per-test data directories."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from facesaas.cli import cli
from facesaas.face.embedder import DEFAULT_SCHEME, SCHEMES
from facesaas.face.feature import decode_feature
from tests.conftest import RunningServer

SCHEME = SCHEMES[DEFAULT_SCHEME]
"""The embedding scheme of a server with default settings."""


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_keys_and_tenant_lifecycle(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    code, out = _run("keys", "init", "--bits", "1024", "--data-dir", data)
    assert code == 0 and out.startswith("-----BEGIN PUBLIC KEY-----")
    code, out = _run("keys", "init", "--data-dir", data)
    assert code == 1 and "--force" in out
    code, out = _run("tenant", "create", "bank one", "--json", "--data-dir", data)
    created = json.loads(out)
    assert {"access_id", "access_key", "public_key_pem", "name", "enabled"} <= created.keys()
    assert created["public_key_pem"] == _run("keys", "show", "--data-dir", data)[1]
    access_id = created["access_id"]
    assert _run("tenant", "disable", access_id, "--data-dir", data) == (0, f"{access_id} disabled\n")
    listed = json.loads(_run("tenant", "list", "--json", "--data-dir", data)[1])
    assert listed[0]["enabled"] is False and "access_key" not in listed[0]
    rotated = json.loads(_run("tenant", "rotate", access_id, "--json", "--data-dir", data)[1])
    assert rotated["access_key"] != created["access_key"]
    assert _run("tenant", "enable", "nobody", "--data-dir", data)[0] == 1


def test_extract_and_compare_in_process(celeba: Path) -> None:
    code, out = _run("extract", str(celeba / "7437/084788.jpg"))
    assert code == 0
    assert decode_feature(json.loads(out)["feature"], "f", SCHEME).shape == (1, 128)
    code, out = _run("compare", str(celeba / "7437/084788.jpg"), str(celeba / "7437/097369.jpg"))
    assert code == 0 and json.loads(out)["pair_verify_result"] == 0
    code, out = _run("compare", str(celeba / "7437/084788.jpg"), str(celeba / "7292/067624.jpg"))
    assert json.loads(out)["pair_verify_result"] == 1


def test_compare_through_a_server(server: RunningServer, celeba: Path, tmp_path: Path) -> None:
    created = json.loads(_run("tenant", "create", "remote", "--json", "--data-dir", str(server.settings.data_dir))[1])
    pem = tmp_path / "server.pem"
    pem.write_text(created["public_key_pem"])
    code, out = _run(
        "compare", str(celeba / "7437/084788.jpg"), str(celeba / "7437/097369.jpg"), "--url", server.url,
        "--access-id", created["access_id"], "--access-key", created["access_key"], "--public-key", str(pem),
    )
    assert code == 0
    result = json.loads(out)
    assert result["pair_verify_result"] == 0 and result["global_request_id"]
    code, out = _run(
        "extract", str(celeba / "7437/084788.jpg"), "--url", server.url,
        "--access-id", created["access_id"], "--access-key", "W" * 32, "--public-key", str(pem),
    )
    assert code == 1 and "rtn -1005" in out


def test_extract_reports_no_face(shared_data: Path) -> None:
    code, out = _run("extract", str(shared_data / "multi_face/no_face/facenet_pilatus800.jpg"))
    assert code == 1 and json.loads(out)["rtn"] == -3001


def test_errors_markdown_lists_all_codes() -> None:
    code, out = _run("errors", "--markdown")
    assert code == 0 and "| -1008 |" in out and "| -3002 |" in out


def test_package_key_rotation_and_package_build(tmp_path: Path, astronaut_jpeg: bytes) -> None:
    import base64

    from facesaas.liveness.package import Limits, open_sealed, package_bytes, parse_header

    data = str(tmp_path / "d")
    created = json.loads(_run("tenant", "create", "shop", "--json", "--data-dir", data)[1])
    key, key_id = base64.b64decode(created["package_key"]), created["package_key_id"]
    assert len(key) == 32 and key_id.startswith("pk")
    image = tmp_path / "face.jpg"
    image.write_bytes(astronaut_jpeg)
    code, out = _run("package", "build", "--package-key", created["package_key"], "--key-id", key_id,
                     "--customer-content", "order 9", str(image), str(image))  # fmt: skip
    assert code == 0
    limits = Limits()
    package = open_sealed(parse_header(package_bytes(out.strip(), limits), limits), key, limits)
    assert package.images == [astronaut_jpeg, astronaut_jpeg] and package.customer_defined_content == "order 9"
    assert _run("package", "build", "--package-key", "short", "--key-id", key_id, str(image))[0] != 0
    rotated = json.loads(_run("tenant", "rotate-package-key", created["access_id"], "--json", "--data-dir", data)[1])
    assert rotated["package_key_id"] != key_id and rotated["package_key"] != created["package_key"]
    assert _run("tenant", "rotate-package-key", "nobody", "--data-dir", data)[0] == 1
