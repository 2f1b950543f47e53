import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from facesaas.auth.signature import build_content, decrypt_signature, load_public_key, parse_content, sign
from facesaas.errors import BadSignature

KEY = "A" * 32


@pytest.fixture(scope="module")
def key_1024() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def test_content_layout_is_the_manuals() -> None:
    body = b'{"image_type":3}'
    content = build_content(KEY, body, timestamp=1_700_000_000, random=b"12345678", custom=b"shop-7")
    assert content[:32] == KEY.encode()
    assert content[32:64] == hashlib.md5(body).hexdigest().encode()
    assert content[64:68] == struct.pack(">I", 1_700_000_000)
    assert content[68:76] == b"12345678"
    assert content[76:] == b"shop-7"
    assert len(build_content(KEY, body, custom=b"x" * 41)) == 117  # the 1024-bit PKCS#1 maximum


def test_little_endian_time_and_both_readings() -> None:
    content = build_content(KEY, b"{}", timestamp=1_700_000_000, random=b"12345678", byte_order="little")
    assert content[64:68] == struct.pack("<I", 1_700_000_000)
    parsed = parse_content(content)
    assert parsed.timestamp_bytes == struct.pack("<I", 1_700_000_000)
    big, little = parsed.timestamps()
    assert little == 1_700_000_000 and big == struct.unpack(">I", struct.pack("<I", 1_700_000_000))[0]
    assert parse_content(build_content(KEY, b"{}", timestamp=1_700_000_000)).timestamps()[0] == 1_700_000_000
    with pytest.raises(ValueError):
        build_content(KEY, b"{}", byte_order="middle")  # type: ignore[arg-type]


def test_uppercase_md5_is_read_lower_case() -> None:
    content = build_content(KEY, b"{}")
    upper = content[:32] + content[32:64].upper() + content[64:]
    assert parse_content(upper).body_md5_hex == hashlib.md5(b"{}").hexdigest().encode()


def test_roundtrip_1024_gives_256_hex(key_1024: rsa.RSAPrivateKey) -> None:
    content = build_content(KEY, b"{}", custom=b"c" * 41)
    signature = sign(key_1024.public_key(), content)
    assert len(signature) == 256 and signature == signature.lower()
    parsed = parse_content(decrypt_signature(key_1024, signature))
    assert parsed.access_key == KEY.encode() and parsed.custom == b"c" * 41


def test_2048_gives_512_hex() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = sign(key.public_key(), build_content(KEY, b"{}"))
    assert len(signature) == 512
    assert parse_content(decrypt_signature(key, signature)).body_md5_hex == hashlib.md5(b"{}").hexdigest().encode()


@pytest.mark.parametrize(
    "bad",
    [
        "e4305df7e61b38adbd59eabef7f8b706",  # the manual's 32-char sample
        "zz" * 128,  # right length, not hex
        "",
    ],
)
def test_malformed_signatures_raise_bad_signature(key_1024: rsa.RSAPrivateKey, bad: str) -> None:
    with pytest.raises(BadSignature):
        decrypt_signature(key_1024, bad)


def test_signature_for_another_key_is_rejected(key_1024: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    signature = sign(other.public_key(), build_content(KEY, b"{}"))
    with pytest.raises(BadSignature):
        parse_content(decrypt_signature(key_1024, signature))


@pytest.mark.parametrize("kwargs", [{"custom": b"x" * 42}, {"random": b"short"}])
def test_build_content_rejects_out_of_spec_parts(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        build_content(KEY, b"{}", **kwargs)


def test_access_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        build_content("short", b"{}")


def test_load_public_key_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        load_public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
