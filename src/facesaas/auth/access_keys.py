"""AccessKeys: generation and salted hashing.

An AccessKey is 32 random alphanumeric characters (~190 bits). Only
HMAC-SHA256(per-customer salt, key) is stored: a leaked database does not reveal keys, and
since a key cannot be guessed a fast hash suffices (authentication stays under a millisecond).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

from facesaas.auth.signature import ACCESS_KEY_BYTES

__all__ = ["new_access_key", "hash_access_key", "access_key_matches"]

_ALPHABET = string.ascii_letters + string.digits


def new_access_key() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(ACCESS_KEY_BYTES))


def hash_access_key(salt: bytes, access_key: bytes) -> bytes:
    return hmac.new(salt, access_key, hashlib.sha256).digest()


def access_key_matches(salt: bytes, stored_hash: bytes, presented: bytes) -> bool:
    """Constant-time comparison of a presented AccessKey with the stored hash."""
    return hmac.compare_digest(hash_access_key(salt, presented), stored_hash)
