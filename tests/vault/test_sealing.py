"""The sealed format: round trip, binding to its context, tampering, unknown and previous keys."""

from __future__ import annotations

import os

import pytest

from facesaas.errors import MasterKeyError, SecretIntegrityError, SecretKeyUnavailable
from facesaas.vault import OVERHEAD, Vault, is_sealed, key_id_of, sealed_key_id


def test_a_sealed_value_opens_in_its_context_and_names_its_key() -> None:
    key = os.urandom(32)
    vault = Vault(key)
    secret = os.urandom(32)
    sealed = vault.seal(secret, "package_key:1:pkabc")
    assert len(sealed) == 32 + OVERHEAD == 72 and is_sealed(sealed)
    assert sealed[:4] == b"FSV1" and sealed_key_id(sealed) == key_id_of(key) == vault.current_key_id
    assert secret not in sealed and key not in sealed and key.hex() not in repr(vault)
    assert vault.open(sealed, "package_key:1:pkabc") == secret
    assert vault.seal(secret, "package_key:1:pkabc") != sealed  # a fresh nonce each time


def test_another_context_or_changed_bytes_do_not_open() -> None:
    vault = Vault(os.urandom(32))
    sealed = vault.seal(b"s" * 32, "package_key:1:pkabc")
    for context in ("package_key:2:pkabc", "package_key:1:pkabd", "server_private_key", ""):
        with pytest.raises(SecretIntegrityError, match="moved from another place"):
            vault.open(sealed, context)
    for position in (4, 12, 20, 30, len(sealed) - 1):  # key id, nonce, ciphertext, tag
        changed = bytearray(sealed)
        changed[position] ^= 0x01
        with pytest.raises((SecretIntegrityError, SecretKeyUnavailable)):
            vault.open(bytes(changed), "package_key:1:pkabc")
    with pytest.raises(SecretIntegrityError, match="not a sealed value"):
        vault.open(sealed[:30], "package_key:1:pkabc")
    with pytest.raises(SecretIntegrityError, match="in clear"):
        vault.open(b"s" * 32, "package_key:1:pkabc")


def test_previous_keys_open_and_reseal_moves_values_to_the_current_key() -> None:
    old, new = os.urandom(32), os.urandom(32)
    sealed_old = Vault(old).seal(b"secret", "ctx")
    rotating = Vault(new, [old])
    assert rotating.key_ids == [key_id_of(new), key_id_of(old)]
    assert rotating.open(sealed_old, "ctx") == b"secret" and not rotating.is_current(sealed_old)
    moved = rotating.reseal(sealed_old, "ctx")
    assert rotating.is_current(moved) and Vault(new).open(moved, "ctx") == b"secret"
    with pytest.raises(SecretKeyUnavailable, match=key_id_of(old)) as caught:
        Vault(new).open(sealed_old, "ctx")
    assert caught.value.rtn == -5010 and caught.value.http_status == 500
    assert rotating.reseal(b"clear", "ctx", clear_ok=True) != b"clear"
    with pytest.raises(SecretIntegrityError):
        rotating.reseal(b"clear", "ctx")


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(MasterKeyError):
        Vault(os.urandom(16))
    with pytest.raises(MasterKeyError):
        Vault(os.urandom(32), [b"short"])
