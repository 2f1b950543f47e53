"""Operator passwords: scrypt (RFC 7914) from ``cryptography``, compared in constant time.

Parameters n=2**14, r=8, p=1 (the RFC's interactive-login setting): ~16 MiB of memory and
~50 ms of one core per hash, so a stolen table costs an attacker the same per guess, and a
login costs the server one hash whether the username exists or not.
"""

from __future__ import annotations

import hmac
import os

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = ["MIN_PASSWORD_LENGTH", "MAX_PASSWORD_LENGTH", "hash_password", "password_matches", "new_salt", "check_password_rules"]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""Bounds on a password in characters; the upper one keeps a login's cost bounded."""

_N, _R, _P, _LENGTH = 2**14, 8, 1, 32


def new_salt() -> bytes:
    """16 random bytes."""
    return os.urandom(16)


def hash_password(salt: bytes, password: str) -> bytes:
    """scrypt(salt, UTF-8 password) → 32 bytes. Cost ~50 ms and 16 MiB (see the module doc)."""
    return Scrypt(salt=salt, length=_LENGTH, n=_N, r=_R, p=_P).derive(password.encode("utf-8"))


def password_matches(salt: bytes, stored_hash: bytes, password: str) -> bool:
    """Whether ``password`` hashes to ``stored_hash`` (one scrypt, constant-time comparison)."""
    return hmac.compare_digest(hash_password(salt, password), stored_hash)


def check_password_rules(password: str) -> None:
    """ValueError unless the password is 10–1024 characters and not only whitespace."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if not password.strip():
        raise ValueError("the password must not be only whitespace")
