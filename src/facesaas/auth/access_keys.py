"""AccessIDs and AccessKeys: generation and salted hashing.

An AccessID is 16 characters (the manual's maximum) and names its cluster: a private
deployment's are 16 hex digits, staging's start with ``s`` and production's with ``p`` followed
by 15 hex digits, so each cluster recognises the other's AccessIDs even when it does not share
its database (:func:`cluster_of_access_id`).

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

__all__ = ["CLUSTERS", "new_access_id", "cluster_of_access_id", "new_access_key", "hash_access_key", "access_key_matches"]

CLUSTERS = ("private", "staging", "production")
_PREFIX = {"staging": "s", "production": "p"}

_ALPHABET = string.ascii_letters + string.digits


def new_access_id(cluster: str) -> str:
    """A new random AccessID of ``cluster`` (64 or 60 random bits)."""
    prefix = _PREFIX.get(cluster, "")
    return prefix + secrets.token_hex(8)[len(prefix) :]


def cluster_of_access_id(access_id: str) -> str | None:
    """The cluster an AccessID was issued for, as far as its form tells (None: not one of ours)."""
    if len(access_id) != 16:
        return None
    for cluster, prefix in _PREFIX.items():
        if access_id.startswith(prefix) and all(c in "0123456789abcdef" for c in access_id[1:]):
            return cluster
    return "private" if all(c in "0123456789abcdef" for c in access_id) else None


def new_access_key() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(ACCESS_KEY_BYTES))


def hash_access_key(salt: bytes, access_key: bytes) -> bytes:
    return hmac.new(salt, access_key, hashlib.sha256).digest()


def access_key_matches(salt: bytes, stored_hash: bytes, presented: bytes) -> bool:
    """Constant-time comparison of a presented AccessKey with the stored hash."""
    return hmac.compare_digest(hash_access_key(salt, presented), stored_hash)
