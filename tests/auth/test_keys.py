import stat

import pytest

from facesaas.auth.keys import init_keys, load_keys
from facesaas.errors import ConfigurationError


def test_init_writes_private_key_0600_and_refuses_overwrite(tmp_path) -> None:
    keys = init_keys(tmp_path / "keys", bits=1024)
    private = tmp_path / "keys" / "server_private.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_keys(tmp_path / "keys").public_pem == keys.public_pem
    with pytest.raises(ConfigurationError):
        init_keys(tmp_path / "keys", bits=1024)
    assert init_keys(tmp_path / "keys", bits=1024, force=True).public_pem != keys.public_pem


def test_bad_sizes_and_missing_keys_are_configuration_errors(tmp_path) -> None:
    with pytest.raises(ConfigurationError):
        init_keys(tmp_path, bits=512)
    with pytest.raises(ConfigurationError, match="facesaas keys init"):
        load_keys(tmp_path / "nothing")
