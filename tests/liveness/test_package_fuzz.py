"""Property tests of the package opener (facesaas.liveness.package): any text, any bytes, any
truncation or bit flip of a real package, and any content sealed with the customer's own key
either opens to a well-formed Package or raises InvalidPackage with one of the documented
reasons; an altered package is never accepted. Examples per run: the hypothesis profile
(tests/conftest.py)."""

from __future__ import annotations

import base64
import json
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from facesaas.liveness.package import InvalidPackage, Limits, Package, open_sealed, pack, package_bytes, parse_header

LIMITS = Limits(max_images=4, max_image_bytes=4096, max_customer_content=256, max_package_bytes=64 * 1024)
KEY = bytes(range(32))
KEY_ID = "pk-fuzz_01"
REASONS = {
    "not_base64", "truncated", "bad_magic", "unsupported_version", "bad_key_id", "unknown_key",
    "authentication_failed", "malformed_content", "too_many_images", "image_too_large",
    "content_too_large", "expired", "from_the_future", "replayed", "image_undecodable",
}  # fmt: skip
"""The stable reasons of docs/liveness.md."""

images = st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=4)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _open(data: bytes) -> Package:
    return open_sealed(parse_header(data, LIMITS), KEY, LIMITS)


def _refused(call, *args) -> InvalidPackage | None:  # noqa: ANN001
    """The InvalidPackage ``call(*args)`` raised (with a documented reason), or None if it
    returned."""
    try:
        call(*args)
    except InvalidPackage as exc:
        assert exc.reason in REASONS, exc.reason
        return exc
    return None


def _seal(content: bytes, nonce: bytes = bytes(12)) -> bytes:
    header = b"FSPK\x01" + bytes([len(KEY_ID)]) + KEY_ID.encode() + nonce
    return header + AESGCM(KEY).encrypt(nonce, content, header)


@given(st.text(max_size=400))
def test_any_text_is_base64_or_not_base64(text: str) -> None:
    _refused(package_bytes, text, LIMITS)


@given(st.binary(max_size=600))
def test_any_bytes_are_refused(data: bytes) -> None:
    exc = _refused(_open, data)
    assert exc is not None  # random bytes never authenticate


@given(images, st.text(max_size=40), st.data())
def test_truncated_packages_are_refused(chosen: list[bytes], text: str, data: st.DataObject) -> None:
    sealed = pack(chosen, key=KEY, key_id=KEY_ID, customer_defined_content=text)
    cut = data.draw(st.integers(0, len(sealed) - 1))
    assert _refused(_open, sealed[:cut]) is not None
    assert _refused(_open, sealed + data.draw(st.binary(min_size=1, max_size=8))) is not None


@given(images, st.data())
def test_flipped_bits_are_never_accepted(chosen: list[bytes], data: st.DataObject) -> None:
    sealed = bytearray(pack(chosen, key=KEY, key_id=KEY_ID))
    for position in data.draw(st.lists(st.integers(0, len(sealed) * 8 - 1), min_size=1, max_size=6, unique=True)):
        sealed[position // 8] ^= 1 << (position % 8)
    exc = _refused(_open, bytes(sealed))
    assert exc is not None and exc.reason in {
        "bad_magic", "unsupported_version", "bad_key_id", "truncated", "authentication_failed"
    }  # fmt: skip


@given(images, st.text(max_size=40), json_values)
def test_what_is_packed_opens_unchanged(chosen: list[bytes], text: str, capture: object) -> None:
    capture = {"x": capture}
    package = _open(pack(chosen, key=KEY, key_id=KEY_ID, customer_defined_content=text, capture=capture))
    assert package.images == chosen and package.customer_defined_content == text and package.capture == capture
    assert package.key_id == KEY_ID


@given(st.binary(max_size=2000))
def test_any_sealed_content_opens_or_is_malformed(content: bytes) -> None:
    """What a holder of the key seals is authentic, but need not be a package's content."""
    _refused(_open, _seal(content))


metadata = st.fixed_dictionaries(
    {},
    optional={
        "package_id": st.sampled_from(["ab" * 16, "AB" * 16, "", "x"]) | st.text(max_size=40) | json_values,
        "created_at": st.integers() | st.integers(min_value=10**300) | st.floats() | json_values,
        "customer_defined_content": st.text(max_size=300) | json_values,
        "capture": st.dictionaries(st.text(max_size=5), json_values, max_size=3) | json_values,
        "image_sizes": st.lists(st.integers(-5, 5000) | json_values, max_size=6) | json_values,
    },
)


@given(metadata, st.binary(max_size=400), st.sampled_from(["json", "deep", "huge-int", "raw"]))
def test_any_metadata_opens_or_is_malformed(meta: dict, tail: bytes, form: str) -> None:
    """Metadata a buggy or hostile client built with its own key: any JSON, nesting past the
    parser's recursion limit, integers past Python's 4,300-digit limit."""
    if form == "json":
        encoded = json.dumps(meta, allow_nan=True).encode()
    elif form == "deep":
        encoded = b'{"capture": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    elif form == "huge-int":
        encoded = b'{"package_id": "' + b"ab" * 16 + b'", "created_at": ' + b"9" * 5000 + b', "image_sizes": [1]}'
    else:
        encoded = tail
    exc = _refused(_open, _seal(struct.pack(">I", len(encoded)) + encoded + tail))
    if exc is None:
        assert form == "json" and isinstance(meta.get("created_at"), int)


@given(st.text(max_size=60))
def test_any_text_as_base64_package_is_refused(text: str) -> None:
    try:
        data = package_bytes(text, LIMITS)
    except InvalidPackage as exc:
        assert exc.reason in REASONS
        return
    assert _refused(_open, data) is not None
    assert _refused(_open, base64.b64decode(base64.b64encode(data))) is not None
