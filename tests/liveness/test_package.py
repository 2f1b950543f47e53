"""The package format: what seals opens, and every other byte string fails with a reason."""

from __future__ import annotations

import base64
import struct

import numpy as np
import pytest

from facesaas.liveness.package import (
    InvalidPackage,
    Limits,
    open_sealed,
    pack,
    package_bytes,
    parse_header,
)

LIMITS = Limits()
KEY = bytes(range(32))
KEY_ID = "pk0011223344556677"


def _open(data: bytes, key: bytes = KEY):  # noqa: ANN202
    return open_sealed(parse_header(data, LIMITS), key, LIMITS)


def test_round_trip_keeps_everything() -> None:
    images = [b"\xff\xd8frontal", b"\x89PNGsecond"]
    data = pack(images, key=KEY, key_id=KEY_ID, customer_defined_content="订单 42", capture={"device": "x"},
                created_at=1_700_000_000.123, package_id="ab" * 16)  # fmt: skip
    package = _open(data)
    assert package.images == images
    assert package.customer_defined_content == "订单 42"
    assert package.capture == {"device": "x"}
    assert package.created_at == pytest.approx(1_700_000_000.123)
    assert (package.package_id, package.key_id) == ("ab" * 16, KEY_ID)
    assert data[:4] == b"FSPK" and data[4] == 1
    assert package_bytes(base64.urlsafe_b64encode(data).decode().rstrip("="), LIMITS) == data


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"FSP", "truncated"),
        (b"XXXX\x01\x02ab" + bytes(40), "bad_magic"),
        (b"FSPK\x02\x02ab" + bytes(40), "unsupported_version"),
        (b"FSPK\x01\x02a!" + bytes(40), "bad_key_id"),
        (b"FSPK\x01\x00" + bytes(40), "bad_key_id"),
        (b"FSPK\x01\x05abcde" + bytes(20), "truncated"),
    ],
)
def test_bad_headers(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidPackage) as caught:
        _open(data)
    assert caught.value.reason == reason


def _seal_content(content: bytes) -> bytes:
    """A package whose plaintext is ``content`` as given (to test content checks)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = bytes(12)
    header = b"FSPK\x01" + bytes([len(KEY_ID)]) + KEY_ID.encode() + nonce
    return header + AESGCM(KEY).encrypt(nonce, content, header)


def _content(meta: object, body: bytes = b"abc") -> bytes:
    import json

    encoded = json.dumps(meta).encode()
    return struct.pack(">I", len(encoded)) + encoded + body


GOOD = {"package_id": "0" * 32, "created_at": 1, "customer_defined_content": "", "capture": {}, "image_sizes": [3]}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x00\x00", "malformed_content"),
        (struct.pack(">I", 99) + b"{}", "malformed_content"),
        (struct.pack(">I", 2) + b"\xff\xfe", "malformed_content"),
        (_content([1, 2]), "malformed_content"),
        (_content({**GOOD, "package_id": "xyz"}), "malformed_content"),
        (_content({**GOOD, "created_at": "now"}), "malformed_content"),
        (_content({**GOOD, "created_at": True}), "malformed_content"),
        (_content({**GOOD, "customer_defined_content": 5}), "malformed_content"),
        (_content({**GOOD, "customer_defined_content": "x" * 5000}), "content_too_large"),
        (_content({**GOOD, "capture": []}), "malformed_content"),
        (_content({**GOOD, "image_sizes": []}), "malformed_content"),
        (_content({**GOOD, "image_sizes": [0]}), "malformed_content"),
        (_content({**GOOD, "image_sizes": [4]}), "malformed_content"),
        (_content({**GOOD, "image_sizes": [1] * 9}, b"a" * 9), "too_many_images"),
        (_content({**GOOD, "image_sizes": [2_000_000]}), "image_too_large"),
        # Found by test_package_fuzz.py (were ValueError / OverflowError / RecursionError, a 500):
        (_content({**GOOD, "created_at": 10**400}), "malformed_content"),
        (_content({**GOOD, "created_at": 2**63}), "malformed_content"),
        (struct.pack(">I", 5020) + b'{"a":' + b"9" * 5000 + b"}" + bytes(14), "malformed_content"),
        (struct.pack(">I", 200_000) + b"[" * 100_000 + b"]" * 100_000, "malformed_content"),
    ],
)
def test_bad_contents(content: bytes, reason: str) -> None:
    with pytest.raises(InvalidPackage) as caught:
        _open(_seal_content(content))
    assert caught.value.reason == reason


def test_wrong_key_and_every_single_byte_change_fail() -> None:
    data = pack([b"\xff\xd8image"], key=KEY, key_id=KEY_ID)
    with pytest.raises(InvalidPackage, match="authentication_failed"):
        _open(data, key=bytes(32))
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] ^= 0x01
        with pytest.raises(InvalidPackage):
            _open(bytes(changed))


def test_random_and_mangled_strings_never_raise_anything_else() -> None:
    rng = np.random.default_rng(0)
    genuine = pack([b"\xff\xd8image" * 20], key=KEY, key_id=KEY_ID)
    candidates: list[bytes] = [rng.bytes(int(n)) for n in rng.integers(0, 400, 300)]
    candidates += [b"FSPK\x01" + rng.bytes(int(n)) for n in rng.integers(0, 200, 300)]
    candidates += [genuine[: int(n)] for n in rng.integers(0, len(genuine), 200)]
    candidates += [genuine + rng.bytes(int(n)) for n in rng.integers(1, 20, 100)]
    for data in candidates:
        with pytest.raises(InvalidPackage):
            _open(data)
    texts = ["", "!!!", "é", "FSPK", "a" * 7, base64.b64encode(b"x" * 10).decode() + "*"]
    for text in texts:
        with pytest.raises(InvalidPackage):
            _open(package_bytes(text, LIMITS))


def test_limits_are_checked_before_decoding() -> None:
    small = Limits(max_package_bytes=1000)
    with pytest.raises(InvalidPackage, match="content_too_large"):
        package_bytes("A" * 4000, small)
    with pytest.raises(InvalidPackage, match="content_too_large"):
        parse_header(b"FSPK" + bytes(2000), small)


def test_pack_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        pack([b"x"], key=bytes(31), key_id=KEY_ID)
    with pytest.raises(ValueError, match="key id"):
        pack([b"x"], key=KEY, key_id="bad id")
    with pytest.raises(ValueError, match="at least one image"):
        pack([], key=KEY, key_id=KEY_ID)
