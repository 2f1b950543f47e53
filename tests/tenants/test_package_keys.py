"""Customers' liveness package keys: fresh keys and ids, of the size the package format needs,
stored sealed and bound to their row, clear rows from before sealing upgraded, re-sealed by a rotation."""

from __future__ import annotations

import base64
import os

import pytest
from sqlalchemy import select, update

from facesaas.errors import SecretIntegrityError, SecretKeyUnavailable
from facesaas.liveness.package import KEY_BYTES, Limits, open_sealed, pack, parse_header
from facesaas.storage.database import Database
from facesaas.tenants.models import PackageKey
from facesaas.tenants.package_keys import (
    PACKAGE_KEY_BYTES,
    PackageKeys,
    key_states,
    new_key_id,
    new_package_key,
    reseal_all,
    seal_clear_keys,
)
from facesaas.tenants.service import TenantService
from facesaas.vault import Vault, sealed_key_id


def test_fresh_keys_and_ids() -> None:
    assert len(new_package_key()) == 32 and new_package_key() != new_package_key()
    assert new_key_id().startswith("pk") and len(new_key_id()) == 18


def test_a_new_key_seals_and_opens_a_package() -> None:
    assert PACKAGE_KEY_BYTES == KEY_BYTES
    key, key_id = new_package_key(), new_key_id()
    data = pack([b"\xff\xd8frontal"], key=key, key_id=key_id)
    limits = Limits()
    assert open_sealed(parse_header(data, limits), key, limits).images == [b"\xff\xd8frontal"]


def test_keys_are_stored_sealed_and_bound_to_their_row(database: Database, vault: Vault, tenants: TenantService) -> None:
    first, second = tenants.create("bank"), tenants.create("shop")
    rows = _rows(database)
    assert len(rows) == 2 and all(len(value) == 72 and sealed_key_id(value) == vault.current_key_id for value in rows.values())
    assert first.package_key.key not in rows[first.package_key.key_id]
    keys = PackageKeys(database, vault)
    first_id, second_id = tenants.id_of(first.tenant.access_id), tenants.id_of(second.tenant.access_id)
    assert keys.key_for(first_id, first.package_key.key_id) == first.package_key.key
    assert [k.key for k in keys.keys_of(second_id)] == [second.package_key.key]
    # The first customer's row given the second's sealed value (swapped rows) does not open.
    _set(database, first.package_key.key_id, rows[second.package_key.key_id])
    with pytest.raises(SecretIntegrityError, match=f"package_key:{first_id}:{first.package_key.key_id}"):
        keys.key_for(first_id, first.package_key.key_id)
    # Nor does a changed ciphertext.
    changed = bytearray(rows[second.package_key.key_id])
    changed[40] ^= 0x80
    _set(database, second.package_key.key_id, bytes(changed))
    with pytest.raises(SecretIntegrityError):
        keys.key_for(second_id, second.package_key.key_id)
    # Nor a value in clear where a sealed one belongs (someone writing a key of their choosing).
    _set(database, second.package_key.key_id, second.package_key.key)
    with pytest.raises(SecretIntegrityError, match="in clear"):
        keys.key_for(second_id, second.package_key.key_id)


def test_clear_keys_from_before_sealing_are_sealed_once_and_rotated(database: Database, vault: Vault,
                                                                    tenants: TenantService) -> None:  # fmt: skip
    created = [tenants.create(f"customer {i}") for i in range(3)]
    for creds in created[:2]:  # a deployment from before sealing stored these as 32 clear bytes
        _set(database, creds.package_key.key_id, creds.package_key.key)
    assert key_states(database) == {"clear": 2, vault.current_key_id: 1}
    assert seal_clear_keys(database, vault) == 2 and seal_clear_keys(database, vault) == 0
    assert key_states(database) == {vault.current_key_id: 3}
    keys = PackageKeys(database, vault)
    for creds in created:
        assert keys.key_for(tenants.id_of(creds.tenant.access_id), creds.package_key.key_id) == creds.package_key.key
    # Rotation: the new key current, the old one previous; all or nothing.
    rotated = Vault(os.urandom(32), [os.urandom(32)])  # lacks the key the rows are under
    with pytest.raises(SecretKeyUnavailable):
        reseal_all(database, rotated)
    assert key_states(database) == {vault.current_key_id: 3}  # nothing changed
    _set(database, created[2].package_key.key_id, created[2].package_key.key)  # one clear again
    new_key = os.urandom(32)
    rotating = Vault(new_key, [_master(vault)])
    assert reseal_all(database, rotating) == {vault.current_key_id: 2, "clear": 1}
    assert key_states(database) == {rotating.current_key_id: 3}
    assert reseal_all(database, rotating) == {rotating.current_key_id: 3}
    only_new = PackageKeys(database, Vault(new_key))
    for creds in created:
        assert only_new.key_for(tenants.id_of(creds.tenant.access_id), creds.package_key.key_id) == creds.package_key.key


def _master(vault: Vault) -> bytes:
    """The test's master key (FACESAAS_MASTER_KEY, set by the ``master_key`` fixture)."""
    key = base64.b64decode(os.environ["FACESAAS_MASTER_KEY"])
    assert Vault(key).current_key_id == vault.current_key_id
    return key


def _rows(database: Database) -> dict[str, bytes]:
    with database.connect() as connection:
        return {r.key_id: bytes(r.key) for r in connection.execute(select(PackageKey.key_id, PackageKey.key))}


def _set(database: Database, key_id: str, value: bytes) -> None:
    with database.engine.begin() as connection:
        connection.execute(update(PackageKey).where(PackageKey.key_id == key_id).values(key=value))
