"""Customers' liveness package keys: created with the customer (``facesaas tenant create``),
rotated by ``facesaas tenant rotate-package-key``, looked up when a package is opened.

A rotation adds a key and, by default, keeps the older ones working, so capture clients can be
updated without a gap; ``retire_previous`` stops them at once. The keys open the FSPK packages
of :mod:`facesaas.liveness.package` (AES-256-GCM, :data:`PACKAGE_KEY_BYTES` bytes). Cost: one
indexed query per lookup.

The server must decrypt with them, so they cannot be hashed: each row holds the key sealed by
the :class:`facesaas.vault.Vault` under the master key, bound to ``package_key:<tenant_id>:<key_id>``
(:func:`key_context`), so a value copied into another customer's row does not open. Rows of a
deployment from before sealing (32 bytes in clear) are sealed at start-up
(:func:`seal_clear_keys`); ``facesaas secrets rotate`` re-seals every row (:func:`reseal_all`).
Cost of the sealing: ~5 µs per key opened.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import logging
import os
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from facesaas.storage.database import Database
from facesaas.tenants.models import PackageKey
from facesaas.vault import Vault, is_sealed, sealed_key_id

__all__ = [
    "PACKAGE_KEY_BYTES",
    "PackageKeyInfo",
    "PackageKeys",
    "add_package_key",
    "key_context",
    "key_states",
    "new_key_id",
    "new_package_key",
    "reseal_all",
    "seal_clear_keys",
]

log = logging.getLogger("facesaas.tenants")

PACKAGE_KEY_BYTES = 32
"""An AES-256 key (``facesaas.liveness.package.KEY_BYTES``, which a test keeps equal)."""


def new_package_key() -> bytes:
    """32 random bytes: an AES-256 key."""
    return os.urandom(PACKAGE_KEY_BYTES)


def new_key_id() -> str:
    """A fresh key id: ``pk`` and 16 hex digits."""
    return "pk" + os.urandom(8).hex()


@dataclass(frozen=True)
class PackageKeyInfo:
    """A package key: ``key_id``, the 32-byte ``key`` (secret), when it was made and retired."""

    key_id: str
    key: bytes
    created_at: dt.datetime
    retired_at: dt.datetime | None = None

    def as_dict(self, *, with_key: bool = False) -> dict:
        """JSON view; the key itself (base64) only when asked, as the CLI does once."""
        out = {
            "package_key_id": self.key_id,
            "created_at": self.created_at.isoformat(),
            "retired_at": self.retired_at.isoformat() if self.retired_at else None,
        }
        if with_key:
            out["package_key"] = base64.b64encode(self.key).decode()
        return out


def key_context(tenant_id: int, key_id: str) -> str:
    """The place a package key is sealed for: its customer and its id."""
    return f"package_key:{tenant_id}:{key_id}"


def add_package_key(session: Session, tenant_id: int, vault: Vault) -> PackageKeyInfo:
    """A new key for ``tenant_id`` inside the caller's transaction, stored sealed by ``vault``."""
    key, key_id = new_package_key(), new_key_id()
    row = PackageKey(tenant_id=tenant_id, key_id=key_id, key=vault.seal(key, key_context(tenant_id, key_id)),
                     created_at=dt.datetime.now(dt.UTC))  # fmt: skip
    session.add(row)
    session.flush()
    return PackageKeyInfo(row.key_id, key, row.created_at, None)


class PackageKeys:
    """Lookup and rotation of package keys; thread-safe (one short transaction per call)."""

    def __init__(self, database: Database, vault: Vault) -> None:
        self._database = database
        self._vault = vault

    def key_for(self, tenant_id: int, key_id: str) -> bytes | None:
        """The key ``key_id`` of ``tenant_id`` if it exists and is not retired. A key id of
        another customer is unknown here: one customer's packages never open with another's.
        A row that does not open raises :class:`facesaas.errors.SecretKeyUnavailable` (-5010)
        or :class:`facesaas.errors.SecretIntegrityError` (-5011): a server problem."""
        query = select(PackageKey.key).where(
            PackageKey.tenant_id == tenant_id, PackageKey.key_id == key_id, PackageKey.retired_at.is_(None)
        )
        with self._database.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else self._vault.open(bytes(row.key), key_context(tenant_id, key_id))

    def keys_of(self, tenant_id: int) -> list[PackageKeyInfo]:
        """Every key of ``tenant_id``, oldest first, opened."""
        with self._database.transaction() as session:
            rows = session.scalars(select(PackageKey).where(PackageKey.tenant_id == tenant_id).order_by(PackageKey.id))
            return [PackageKeyInfo(r.key_id, self._vault.open(bytes(r.key), key_context(tenant_id, r.key_id)),
                                   r.created_at, r.retired_at) for r in rows]  # fmt: skip

    def rotate(self, tenant_id: int, *, retire_previous: bool = False) -> PackageKeyInfo:
        """Add a key; with ``retire_previous`` every older key stops opening packages at once."""
        with self._database.transaction() as session:
            if retire_previous:
                session.execute(
                    update(PackageKey)
                    .where(PackageKey.tenant_id == tenant_id, PackageKey.retired_at.is_(None))
                    .values(retired_at=dt.datetime.now(dt.UTC))
                )
            return add_package_key(session, tenant_id, self._vault)


def key_states(database: Database) -> collections.Counter[str]:
    """How many package keys are sealed under each master key id, and how many are ``"clear"``
    (a deployment from before sealing that has not started since). Never opens a key. Cost:
    one scan of package_keys (72 bytes a row)."""
    with database.connect() as connection:
        values = connection.execute(select(PackageKey.key)).scalars()
        return collections.Counter(sealed_key_id(bytes(v)) or "clear" for v in values)


def seal_clear_keys(database: Database, vault: Vault) -> int:
    """Seal every package key still stored in clear (run at start-up: upgrading a deployment
    from before sealing); returns how many. Each row is changed only if it still holds the
    clear value it was read with, so several processes starting at once seal it once. Cost: one
    scan of package_keys (~3 ms per thousand keys on SQLite), an update per clear row (~1 ms:
    the one-off upgrade of a thousand keys took 1.1 s)."""
    sealed = 0
    with database.transaction() as session:
        rows = session.execute(select(PackageKey.id, PackageKey.tenant_id, PackageKey.key_id, PackageKey.key)).all()
        for row in rows:
            clear = bytes(row.key)
            if is_sealed(clear):
                continue
            value = vault.seal(clear, key_context(row.tenant_id, row.key_id))
            changed = session.execute(
                update(PackageKey).where(PackageKey.id == row.id, PackageKey.key == clear).values(key=value)
            )
            sealed += changed.rowcount
    if sealed:
        log.warning("sealed %d package key(s) stored in clear under master key %s", sealed, vault.current_key_id)
    return sealed


def reseal_all(database: Database, vault: Vault) -> collections.Counter[str]:
    """Re-seal every package key under the vault's current key, in one transaction: all or
    nothing (one row that does not open, under any accepted key, raises and changes nothing).
    Returns the count per master key id (or ``"clear"``) the rows had before. Cost: one
    update per row not yet under the current key."""
    before: collections.Counter[str] = collections.Counter()
    with database.transaction() as session:
        rows = session.execute(select(PackageKey.id, PackageKey.tenant_id, PackageKey.key_id, PackageKey.key)).all()
        for row in rows:
            value = bytes(row.key)
            before[sealed_key_id(value) or "clear"] += 1
            if vault.is_current(value):
                vault.open(value, key_context(row.tenant_id, row.key_id))  # proves it still opens
                continue
            resealed = vault.reseal(value, key_context(row.tenant_id, row.key_id), clear_ok=True)
            session.execute(update(PackageKey).where(PackageKey.id == row.id).values(key=resealed))
    return before
