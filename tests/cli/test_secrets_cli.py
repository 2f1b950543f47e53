"""Rotating the master key end to end (docs/security.md, "Secrets at rest"): customers' package
keys and the server private key sealed under key A; the operator makes B current with A
previous; everything still opens (signed HTTP, packages from the SDK's builder); ``facesaas
secrets rotate``; A removed; everything still opens. A package key the server cannot open is
answered with its own rtn, never a traceback. A deployment from before sealing (schema 0010,
clear package keys, a clear PEM) is sealed when it starts."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import sessionmaker

from facesaas.api.server import BackgroundServer
from facesaas.cli import cli
from facesaas.sdk import ApiError, Client, build_package
from facesaas.sdk.client import VERIFICATION_PATH
from facesaas.settings import Settings
from facesaas.storage.database import create_database
from facesaas.storage.migrations import upgrade
from facesaas.tenants.models import PackageKey
from facesaas.tenants.service import TenantService
from facesaas.vault import Vault, generate_master_key, open_vault


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _check(settings: Settings, customers: list[dict], astronaut_jpeg: bytes) -> None:
    """A server of ``settings`` (the environment's master keys) verifies each customer's signed
    calls and opens a package built with its package key."""
    with BackgroundServer(Settings(data_dir=settings.data_dir, database_url=settings.database_url)) as url:
        for creds in customers:
            with Client(url, creds["access_id"], creds["access_key"], creds["public_key_pem"]) as sdk:
                package = build_package([astronaut_jpeg], key=_b64(creds["package_key"]), key_id=creds["package_key_id"])
                result = sdk.check_image_package(package, return_image_list=False)["query_image_package_result"]
                assert result["is_valid_package"] is True, result


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def test_rotation_end_to_end(settings: Settings, master_key: str, monkeypatch: pytest.MonkeyPatch,
                             astronaut_jpeg: bytes) -> None:  # fmt: skip
    data = ("--data-dir", str(settings.data_dir))
    key_a = open_vault(settings).current_key_id
    code, out = _cli("tenant", "create", "bank", "--json", *data)
    assert code == 0, out
    customers = [json.loads(out)]
    _check(settings, customers, astronaut_jpeg)

    # The operator generates B, makes it current and keeps A as previous.
    code, key_b_text = _cli("secrets", "generate-key")
    key_b_text = key_b_text.strip()
    assert code == 0 and len(_b64(key_b_text)) == 32 and key_b_text != master_key
    monkeypatch.setenv("FACESAAS_MASTER_KEY", key_b_text)
    monkeypatch.setenv("FACESAAS_MASTER_KEYS_PREVIOUS", master_key)
    key_b = Vault(_b64(key_b_text)).current_key_id
    code, out = _cli("tenant", "create", "shop", "--json", *data)  # sealed under B already
    customers.append(json.loads(out))
    _check(settings, customers, astronaut_jpeg)
    code, out = _cli("secrets", "status", *data)
    assert code == 0, out
    status = json.loads(out)
    assert status["current_key_id"] == key_b and status["accepted_key_ids"] == [key_b, key_a]
    assert status["package_keys"] == {key_a: 1, key_b: 1} and status["server_private_key"] == key_a

    code, out = _cli("secrets", "rotate", *data)
    assert code == 0, out
    report = json.loads(out)
    assert report["package_keys"] == {"total": 2, "resealed": 1, "before": {key_a: 1, key_b: 1}}
    assert report["server_private_key"] == {"before": key_a, "after": key_b}
    assert master_key not in out and key_b_text not in out

    # A removed: everything still opens.
    monkeypatch.delenv("FACESAAS_MASTER_KEYS_PREVIOUS")
    status = json.loads(_cli("secrets", "status", *data)[1])
    assert status["package_keys"] == {key_b: 2} and status["server_private_key"] == key_b and status["problems"] == []
    _check(settings, customers, astronaut_jpeg)

    # Without B the server refuses to start: its private key is sealed under B.
    monkeypatch.setenv("FACESAAS_MASTER_KEY", generate_master_key())
    code, out = _cli("secrets", "rotate", *data)
    assert code == 1 and "-5010" not in out and key_b in out and "sealed under master key" in out
    code, out = _cli("secrets", "status", *data)
    assert code == 1 and json.loads(out)["problems"]


def test_a_package_key_the_server_cannot_open_is_a_clean_server_error(settings: Settings, astronaut_jpeg: bytes) -> None:
    data = ("--data-dir", str(settings.data_dir))
    customers = [json.loads(_cli("tenant", "create", name, "--json", *data)[1]) for name in ("bank", "shop")]
    database = create_database(settings.resolved_database_url)
    try:
        with database.engine.begin() as connection:
            rows = {r.key_id: bytes(r.key) for r in connection.execute(select(PackageKey.key_id, PackageKey.key))}
            bank, shop = customers[0]["package_key_id"], customers[1]["package_key_id"]
            # The bank's row under a master key this server does not have; the shop's row the bank's value.
            foreign = Vault(_b64(generate_master_key())).seal(b"k" * 32, "elsewhere")
            connection.execute(update(PackageKey).where(PackageKey.key_id == bank).values(key=foreign))
            connection.execute(update(PackageKey).where(PackageKey.key_id == shop).values(key=rows[bank]))
    finally:
        database.dispose()
    with BackgroundServer(settings) as url:
        for creds, rtn in ((customers[0], -5010), (customers[1], -5011)):
            with Client(url, creds["access_id"], creds["access_key"], creds["public_key_pem"]) as sdk:
                package = build_package([astronaut_jpeg], key=_b64(creds["package_key"]), key_id=creds["package_key_id"])
                with pytest.raises(ApiError) as caught:
                    sdk.check_image_package(package)
                assert (caught.value.rtn, caught.value.http_status) == (rtn, 500)
                assert "Traceback" not in caught.value.message and creds["package_key"] not in caught.value.message
                # CS202.2 with a package as the query side: the same answer.
                answer = sdk.post_raw(VERIFICATION_PATH, json.dumps({
                    "query_image_package": package, "database_image_content": base64.b64encode(astronaut_jpeg).decode(),
                    "database_image_type": 3}).encode())  # fmt: skip
                assert (answer.status_code, answer.json()["rtn"]) == (500, rtn), answer.text
    # A rotation cannot re-seal them either: it changes nothing, the key file included.
    key_file = (settings.keys_dir / "server_private.sealed").read_bytes()
    before = json.loads(_cli("secrets", "status", *data)[1])
    code, out = _cli("secrets", "rotate", *data)
    assert code == 1 and "sealed under master key" in out
    assert json.loads(_cli("secrets", "status", *data)[1]) == before
    assert (settings.keys_dir / "server_private.sealed").read_bytes() == key_file


def test_serve_and_cli_refuse_production_without_the_master_key(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACESAAS_MASTER_KEY")
    monkeypatch.setenv("FACESAAS_CLUSTER", "production")
    for args in (("serve",), ("tenant", "create", "x"), ("secrets", "status"), ("secrets", "rotate")):
        code, out = _cli(*args, "--data-dir", str(settings.data_dir))
        assert code == 1 and "FACESAAS_MASTER_KEY must be set on a production cluster" in out, (args, out)


def test_a_deployment_from_before_sealing_is_upgraded_at_start(tmp_path: Path, database_url: str, master_key: str,
                                                               astronaut_jpeg: bytes) -> None:  # fmt: skip
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    # The deployment as it was: schema 0010, package keys and the private key in clear.
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    engine = create_engine(database_url)
    upgrade(engine, "0010")
    old = TenantService(sessionmaker(engine, expire_on_commit=False), Vault(os.urandom(32))).create("old bank")
    with engine.begin() as connection:
        connection.execute(update(PackageKey).values(key=old.package_key.key))
        assert connection.execute(select(PackageKey.key)).scalar() == old.package_key.key
    engine.dispose()
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    settings.keys_dir.mkdir(parents=True)
    (settings.keys_dir / "server_private.pem").write_bytes(private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    public_pem = private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()  # fmt: skip
    (settings.keys_dir / "server_public.pem").write_text(public_pem)
    code, out = _cli("secrets", "status", "--data-dir", str(settings.data_dir))
    assert code == 1 and json.loads(out)["package_keys"] == {"clear": 1} and json.loads(out)["server_private_key"] == "clear"

    with BackgroundServer(settings) as url, Client(url, old.tenant.access_id, old.access_key, public_pem) as sdk:
        package = build_package([astronaut_jpeg], key=old.package_key.key, key_id=old.package_key.key_id)
        assert sdk.check_image_package(package, return_image_list=False)["query_image_package_result"]["is_valid_package"]
    current = open_vault(settings).current_key_id
    status = json.loads(_cli("secrets", "status", "--data-dir", str(settings.data_dir))[1])
    assert status["package_keys"] == {current: 1} and status["server_private_key"] == current and status["problems"] == []
    assert not (settings.keys_dir / "server_private.pem").exists()


def test_make_run_needs_no_master_key(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch,
                                      astronaut_jpeg: bytes) -> None:  # fmt: skip
    """The embedded default (``make run``: ``facesaas serve``, private cluster, nothing set)
    generates its master key once, seals with it, and says so in its log."""
    import stat

    from tests.processes import free_port, start_service

    monkeypatch.delenv("FACESAAS_MASTER_KEY", raising=False)
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    assert settings.master_key is None and settings.cluster == "private"
    port = free_port()
    process = start_service(settings, port)
    try:
        key_file = settings.keys_dir / "master.key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert (settings.keys_dir / "server_private.sealed").is_file()
        code, out = _cli("tenant", "create", "demo", "--json", "--data-dir", str(settings.data_dir))
        creds = json.loads(out)
        with Client(f"http://127.0.0.1:{port}", creds["access_id"], creds["access_key"], creds["public_key_pem"]) as sdk:
            package = build_package([astronaut_jpeg], key=_b64(creds["package_key"]), key_id=creds["package_key_id"])
            assert sdk.check_image_package(package)["query_image_package_result"]["is_valid_package"] is True
    finally:
        process.terminate()
        process.wait(timeout=60)
    log = process.log.text()
    key_id = open_vault(settings).current_key_id
    assert f"generated master key {key_id}" in log and "FACESAAS_MASTER_KEY" in log
    assert key_file.read_text().strip() not in log
