"""The master key from settings: FACESAAS_MASTER_KEY, previous keys, the private cluster's key
file, and staging/production refusing to start without the setting."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from facesaas.errors import MasterKeyError
from facesaas.settings import Settings
from facesaas.vault import MASTER_KEY_FILE, generate_master_key, key_id_of, open_vault


@pytest.fixture(autouse=True)
def _no_master_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FACESAAS_MASTER_KEY", raising=False)
    monkeypatch.delenv("FACESAAS_MASTER_KEYS_PREVIOUS", raising=False)


def test_the_setting_and_previous_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    current, old1, old2 = generate_master_key(), generate_master_key(), generate_master_key()
    assert len(base64.b64decode(current, validate=True)) == 32 and current != old1
    monkeypatch.setenv("FACESAAS_MASTER_KEY", current)
    monkeypatch.setenv("FACESAAS_MASTER_KEYS_PREVIOUS", f"{old1}, {old2},")
    settings = Settings(data_dir=tmp_path, cluster="production")
    assert current not in repr(settings) and current not in str(settings.model_dump())
    vault = open_vault(settings)
    assert vault.key_ids == [key_id_of(base64.b64decode(k)) for k in (current, old1, old2)]
    assert not (tmp_path / "keys" / MASTER_KEY_FILE).exists()


@pytest.mark.parametrize("cluster", ["staging", "production"])
def test_staging_and_production_refuse_to_run_without_it(tmp_path: Path, cluster: str) -> None:
    with pytest.raises(MasterKeyError, match="FACESAAS_MASTER_KEY must be set") as caught:
        open_vault(Settings(data_dir=tmp_path, cluster=cluster))
    assert caught.value.rtn == -5012
    assert not (tmp_path / "keys").exists()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"x" * 16).decode(), ""])
def test_malformed_keys_are_named_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FACESAAS_MASTER_KEY", generate_master_key())
    monkeypatch.setenv("FACESAAS_MASTER_KEYS_PREVIOUS", f"{generate_master_key()},{value or 'AAAA'}")
    with pytest.raises(MasterKeyError, match="FACESAAS_MASTER_KEYS_PREVIOUS entry 2") as caught:
        open_vault(Settings(data_dir=tmp_path))
    assert (value or "AAAA") not in str(caught.value)
    monkeypatch.setenv("FACESAAS_MASTER_KEY", value or " ")
    monkeypatch.delenv("FACESAAS_MASTER_KEYS_PREVIOUS")
    with pytest.raises(MasterKeyError, match="FACESAAS_MASTER_KEY"):
        open_vault(Settings(data_dir=tmp_path))


def test_a_private_cluster_without_it_generates_a_key_file_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with caplog.at_level("WARNING", logger="facesaas.vault"):
        first = open_vault(settings)
    path = settings.keys_dir / MASTER_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "FACESAAS_MASTER_KEY" in caplog.text and first.current_key_id in caplog.text
    assert path.read_text().strip() not in caplog.text
    assert [p.name for p in settings.keys_dir.iterdir()] == [MASTER_KEY_FILE]  # no temporary file left
    caplog.clear()
    with caplog.at_level("WARNING", logger="facesaas.vault"):
        again = open_vault(settings)
    assert again.current_key_id == first.current_key_id and caplog.text == ""
    sealed = first.seal(b"x", "ctx")
    assert again.open(sealed, "ctx") == b"x"


def test_processes_starting_at_once_agree_on_the_key_file(tmp_path: Path) -> None:
    import subprocess
    import sys

    settings = Settings(data_dir=tmp_path / "data")
    code = ("from facesaas.settings import Settings; from facesaas.vault import open_vault; "
            f"print(open_vault(Settings(data_dir={str(settings.data_dir)!r})).current_key_id)")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACESAAS_MASTER_KEY")}
    processes = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env) for _ in range(4)]
    ids = {process.communicate(timeout=60)[0].decode().strip() for process in processes}
    assert len(ids) == 1 and all(process.returncode == 0 for process in processes)
    assert key_id_of(base64.b64decode((settings.keys_dir / MASTER_KEY_FILE).read_text())) in ids


def test_an_unreadable_key_file_is_a_master_key_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.keys_dir.mkdir(parents=True)
    (settings.keys_dir / MASTER_KEY_FILE).write_bytes(os.urandom(32))
    with pytest.raises(MasterKeyError, match=MASTER_KEY_FILE):
        open_vault(settings)
