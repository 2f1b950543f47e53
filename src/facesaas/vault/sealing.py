"""AES-256-GCM sealing of server-side secrets under a master key.

A sealed value is self-describing bytes::

    b"FSV1" | key id (8 bytes) | nonce (12 bytes) | ciphertext | GCM tag (16 bytes)

``FSV1`` is the magic and format version; the key id is a fingerprint of the master key that
sealed it (the first 8 bytes of HMAC-SHA256(key, "facesaas vault key id"), never the key), so
the right key is picked among the current and previous ones and ``facesaas secrets status``
can count values per key. The value is bound to its place by the GCM associated data: the
context string (e.g. ``package_key:<tenant_id>:<key_id>``) and the header are authenticated,
so a sealed value copied into another row, a changed header or a changed ciphertext does not
open. A 32-byte secret seals into 72 bytes. Cost: ~5 µs per seal or open (a shared 2-core host).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from facesaas.errors import MasterKeyError, SecretIntegrityError, SecretKeyUnavailable

__all__ = ["MAGIC", "MASTER_KEY_BYTES", "OVERHEAD", "Vault", "is_sealed", "key_id_of", "sealed_key_id"]

MAGIC = b"FSV1"
MASTER_KEY_BYTES = 32
_KEY_ID_BYTES = 8
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER = len(MAGIC) + _KEY_ID_BYTES + _NONCE_BYTES
OVERHEAD = _HEADER + _TAG_BYTES
"""Bytes a sealed value adds to its plaintext (40)."""


def key_id_of(master_key: bytes) -> str:
    """The public fingerprint of ``master_key``: 16 hex digits. It names the key in sealed
    values, logs and ``facesaas secrets status``; it does not reveal the key (HMAC-SHA256)."""
    return hmac.new(master_key, b"facesaas vault key id", hashlib.sha256).digest()[:_KEY_ID_BYTES].hex()


def is_sealed(value: bytes) -> bool:
    """Whether ``value`` has the sealed format's header (not whether it opens)."""
    return len(value) >= OVERHEAD and value[: len(MAGIC)] == MAGIC


def sealed_key_id(value: bytes) -> str | None:
    """The key id in a sealed value's header, or None for a value in clear."""
    if not is_sealed(value):
        return None
    return value[len(MAGIC) : len(MAGIC) + _KEY_ID_BYTES].hex()


class Vault:
    """Seals under the current master key, opens under the current or any previous one.
    Thread-safe (AESGCM objects are stateless); never logs or shows a key."""

    def __init__(self, current: bytes, previous: Iterable[bytes] = ()) -> None:
        keys = [current, *previous]
        for key in keys:
            if len(key) != MASTER_KEY_BYTES:
                raise MasterKeyError(f"a master key must be {MASTER_KEY_BYTES} bytes")
        self._current_id = bytes.fromhex(key_id_of(current))
        self._ciphers: dict[bytes, AESGCM] = {}
        for key in keys:
            self._ciphers.setdefault(bytes.fromhex(key_id_of(key)), AESGCM(key))

    def __repr__(self) -> str:
        return f"Vault(current={self.current_key_id}, accepted={self.key_ids})"

    @property
    def current_key_id(self) -> str:
        """The id (fingerprint) of the key new values are sealed under."""
        return self._current_id.hex()

    @property
    def key_ids(self) -> list[str]:
        """The ids of every key values may be opened with, current first."""
        return [key_id.hex() for key_id in self._ciphers]

    def seal(self, plaintext: bytes, context: str) -> bytes:
        """``plaintext`` sealed under the current key and bound to ``context`` (a fresh random
        nonce each time: sealing the same value twice gives different bytes)."""
        header = MAGIC + self._current_id + os.urandom(_NONCE_BYTES)
        return header + self._ciphers[self._current_id].encrypt(header[-_NONCE_BYTES:], plaintext, _aad(header, context))

    def open(self, sealed: bytes, context: str) -> bytes:
        """The plaintext of ``sealed``. Raises :class:`SecretKeyUnavailable` when its key is not
        configured, :class:`SecretIntegrityError` when it is in clear, truncated, changed, or
        sealed for another ``context``. The detail names the context and key id, never bytes."""
        if not is_sealed(sealed):
            raise SecretIntegrityError(f"{_place(context)} is not a sealed value (stored in clear or truncated)")
        key_id = sealed[len(MAGIC) : len(MAGIC) + _KEY_ID_BYTES]
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise SecretKeyUnavailable(
                f"{_place(context)} is sealed under master key {key_id.hex()}; this server has {', '.join(self.key_ids)}"
            )
        header = sealed[:_HEADER]
        try:
            return cipher.decrypt(header[-_NONCE_BYTES:], sealed[_HEADER:], _aad(header, context))
        except InvalidTag as exc:
            raise SecretIntegrityError(
                f"{_place(context)} does not authenticate under master key {key_id.hex()} (changed, or moved from another place)"
            ) from exc

    def is_current(self, sealed: bytes) -> bool:
        """Whether ``sealed`` is sealed under the current key (rotation leaves it alone)."""
        return is_sealed(sealed) and sealed[len(MAGIC) : len(MAGIC) + _KEY_ID_BYTES] == self._current_id

    def reseal(self, value: bytes, context: str, *, clear_ok: bool = False) -> bytes:
        """``value`` sealed under the current key: opened first if sealed (any accepted key),
        taken as the plaintext if in clear and ``clear_ok`` (upgrading a deployment from
        before sealing). Raises as :meth:`open` does."""
        if clear_ok and not is_sealed(value):
            return self.seal(value, context)
        return self.seal(self.open(value, context), context)


def _aad(header: bytes, context: str) -> bytes:
    return header + b"\x00" + context.encode("utf-8")


def _place(context: str) -> str:
    return f"the secret of {context!r}"
