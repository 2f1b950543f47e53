"""Customers' liveness package keys: fresh keys and ids, of the size the package format needs."""

from __future__ import annotations

from facesaas.liveness.package import KEY_BYTES, Limits, open_sealed, pack, parse_header
from facesaas.tenants.package_keys import PACKAGE_KEY_BYTES, new_key_id, new_package_key


def test_fresh_keys_and_ids() -> None:
    assert len(new_package_key()) == 32 and new_package_key() != new_package_key()
    assert new_key_id().startswith("pk") and len(new_key_id()) == 18


def test_a_new_key_seals_and_opens_a_package() -> None:
    assert PACKAGE_KEY_BYTES == KEY_BYTES
    key, key_id = new_package_key(), new_key_id()
    data = pack([b"\xff\xd8frontal"], key=key, key_id=key_id)
    limits = Limits()
    assert open_sealed(parse_header(data, limits), key, limits).images == [b"\xff\xd8frontal"]
