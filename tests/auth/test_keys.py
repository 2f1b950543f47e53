import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from facesaas.auth.keys import init_keys, load_keys, read_sealed_private_key
from facesaas.errors import ConfigurationError, SecretIntegrityError, SecretKeyUnavailable
from facesaas.vault import Vault, sealed_key_id


@pytest.fixture
def sealer() -> Vault:
    return Vault(os.urandom(32))


def test_init_writes_the_private_key_sealed_0600_and_refuses_overwrite(tmp_path, sealer: Vault) -> None:
    keys = init_keys(tmp_path / "keys", sealer, bits=1024)
    private = tmp_path / "keys" / "server_private.sealed"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert not (tmp_path / "keys" / "server_private.pem").exists()
    blob = private.read_bytes()
    assert sealed_key_id(blob) == sealer.current_key_id and b"PRIVATE KEY" not in blob
    assert _der(keys.private_key) not in blob
    assert load_keys(tmp_path / "keys", sealer).public_pem == keys.public_pem
    with pytest.raises(ConfigurationError):
        init_keys(tmp_path / "keys", sealer, bits=1024)
    assert init_keys(tmp_path / "keys", sealer, bits=1024, force=True).public_pem != keys.public_pem


def test_bad_sizes_and_missing_keys_are_configuration_errors(tmp_path, sealer: Vault) -> None:
    with pytest.raises(ConfigurationError):
        init_keys(tmp_path, sealer, bits=512)
    with pytest.raises(ConfigurationError, match="facesaas keys init"):
        load_keys(tmp_path / "nothing", sealer)


def test_a_clear_pem_from_before_sealing_is_sealed_on_load(tmp_path, sealer: Vault) -> None:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())  # fmt: skip
    (keys_dir / "server_private.pem").write_bytes(pem)
    loaded = load_keys(keys_dir, sealer)
    assert loaded.private_key.private_numbers() == private_key.private_numbers()
    assert not (keys_dir / "server_private.pem").exists()
    assert sealed_key_id(read_sealed_private_key(keys_dir)) == sealer.current_key_id
    assert load_keys(keys_dir, sealer).private_key.private_numbers() == private_key.private_numbers()


def test_the_sealed_key_opens_only_with_its_master_key_and_intact(tmp_path, sealer: Vault) -> None:
    keys_dir = tmp_path / "keys"
    init_keys(keys_dir, sealer, bits=1024)
    with pytest.raises(SecretKeyUnavailable, match=sealer.current_key_id):
        load_keys(keys_dir, Vault(os.urandom(32)))
    blob = bytearray((keys_dir / "server_private.sealed").read_bytes())
    blob[-40] ^= 1
    (keys_dir / "server_private.sealed").write_bytes(bytes(blob))
    with pytest.raises(SecretIntegrityError):
        load_keys(keys_dir, sealer)


def _der(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())  # fmt: skip
