"""The manual's request signature (7.3.1), used by the SDK to sign and the server to verify.

``x-signature`` = lowercase hex of RSA-PKCS#1-v1.5-encrypt(content, server public key), where
content (≤ 117 bytes for a 1024-bit key) is::

    AccessKey (32 B) ‖ hex MD5 of the exact body bytes (32 B) ‖ Unix time, uint32 (4 B)
    ‖ random (8 B) ‖ customer content (0–41 B)

The manual does not say the time's byte order. DESIGN.md chose big-endian (network order); Yitu's
own SDKs write it in host order, little-endian on every phone and PC. The content therefore keeps
the 4 raw bytes and :meth:`SignedContent.timestamps` offers both readings: the verifier takes the
one inside its window (both readings of one block are never within 600 s of each other unless
they are equal, so the choice is unambiguous). MD5 and signature hex are accepted in either case.

A 1024-bit key gives the manual's 256 hex characters, a 2048-bit key 512.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from facesaas.errors import BadSignature

__all__ = [
    "ACCESS_KEY_BYTES",
    "MAX_CUSTOM_BYTES",
    "ByteOrder",
    "SignedContent",
    "build_content",
    "sign",
    "decrypt_signature",
    "parse_content",
    "load_public_key",
]

ACCESS_KEY_BYTES = 32
MAX_CUSTOM_BYTES = 41
_FIXED = ACCESS_KEY_BYTES + 32 + 4 + 8  # 76 bytes before the customer content

ByteOrder = Literal["big", "little"]
"""How the 4-byte Unix time is written: ``big`` (DESIGN.md) or ``little`` (Yitu's SDKs, host order)."""


@dataclass(frozen=True)
class SignedContent:
    """The decrypted content of a signature."""

    access_key: bytes
    body_md5_hex: bytes
    """Lower-cased, whatever case the client wrote."""
    timestamp_bytes: bytes
    """The 4 bytes of the Unix time as sent; read them with :meth:`timestamps`."""
    random: bytes
    custom: bytes

    def timestamps(self) -> tuple[int, int]:
        """The time read big-endian, then little-endian (seconds since 1970, UTC)."""
        return int.from_bytes(self.timestamp_bytes, "big"), int.from_bytes(self.timestamp_bytes, "little")


def build_content(
    access_key: str | bytes,
    body: bytes,
    *,
    timestamp: int | None = None,
    random: bytes | None = None,
    custom: bytes = b"",
    byte_order: ByteOrder = "big",
) -> bytes:
    """Assemble the plaintext content block for ``body``; ``timestamp`` (Unix seconds, default
    now) is written in ``byte_order``."""
    key = access_key.encode("ascii") if isinstance(access_key, str) else access_key
    if len(key) != ACCESS_KEY_BYTES:
        raise ValueError(f"AccessKey must be {ACCESS_KEY_BYTES} bytes")
    if len(custom) > MAX_CUSTOM_BYTES:
        raise ValueError(f"customer content is limited to {MAX_CUSTOM_BYTES} bytes")
    stamp = int(time.time()) if timestamp is None else timestamp
    nonce = os.urandom(8) if random is None else random
    if len(nonce) != 8:
        raise ValueError("random must be 8 bytes")
    digest = hashlib.md5(body, usedforsecurity=False).hexdigest().encode("ascii")
    if byte_order not in ("big", "little"):
        raise ValueError("byte_order must be 'big' or 'little'")
    return key + digest + (stamp & 0xFFFFFFFF).to_bytes(4, byte_order) + nonce + custom


def load_public_key(public_key_pem: str | bytes) -> rsa.RSAPublicKey:
    """Parse the server's RSA public key from PEM."""
    pem = public_key_pem.encode("ascii") if isinstance(public_key_pem, str) else public_key_pem
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def sign(public_key: rsa.RSAPublicKey, content: bytes) -> str:
    """Encrypt ``content`` with the server public key: the ``x-signature`` header value."""
    return public_key.encrypt(content, padding.PKCS1v15()).hex()


def decrypt_signature(private_key: rsa.RSAPrivateKey, signature: str) -> bytes:
    """Hex-decode and decrypt an ``x-signature``; raise BadSignature on any malformation.

    Cost: one RSA private-key operation, ~0.3 ms (1024-bit) to ~1.5 ms (2048-bit).
    """
    expected_hex = private_key.key_size // 4
    if len(signature) != expected_hex:
        raise BadSignature(f"expected {expected_hex} hex characters, got {len(signature)}")
    try:
        ciphertext = bytes.fromhex(signature)
    except ValueError as exc:
        raise BadSignature("not hexadecimal") from exc
    try:
        return private_key.decrypt(ciphertext, padding.PKCS1v15())
    except ValueError as exc:
        raise BadSignature() from exc


def parse_content(content: bytes) -> SignedContent:
    """Split a decrypted content block; raise BadSignature if it cannot be one."""
    if not _FIXED <= len(content) <= _FIXED + MAX_CUSTOM_BYTES:
        raise BadSignature("content block has the wrong length")
    digest = content[32:64]
    try:
        int(digest, 16)
    except ValueError as exc:
        # Random plaintext (a ciphertext made with another key decrypts to noise under
        # implicit rejection) almost never has 32 hex digits here.
        raise BadSignature("content block is malformed") from exc
    return SignedContent(content[:32], digest.lower(), content[64:68], content[68:76], content[76:])
