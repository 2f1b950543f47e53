"""Customers' liveness package keys: created with the customer (``facesaas tenant create``),
rotated by ``facesaas tenant rotate-package-key``, looked up when a package is opened.

A rotation adds a key and, by default, keeps the older ones working, so capture clients can be
updated without a gap; ``retire_previous`` stops them at once. The keys open the FSPK packages
of :mod:`facesaas.liveness.package` (AES-256-GCM, :data:`PACKAGE_KEY_BYTES` bytes). Cost: one
indexed query per lookup.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from facesaas.storage.database import Database
from facesaas.tenants.models import PackageKey

__all__ = ["PACKAGE_KEY_BYTES", "PackageKeyInfo", "PackageKeys", "add_package_key", "new_key_id", "new_package_key"]

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


def add_package_key(session: Session, tenant_id: int) -> PackageKeyInfo:
    """A new key for ``tenant_id`` inside the caller's transaction."""
    row = PackageKey(tenant_id=tenant_id, key_id=new_key_id(), key=new_package_key(), created_at=dt.datetime.now(dt.UTC))
    session.add(row)
    session.flush()
    return PackageKeyInfo(row.key_id, bytes(row.key), row.created_at, None)


class PackageKeys:
    """Lookup and rotation of package keys; thread-safe (one short transaction per call)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def key_for(self, tenant_id: int, key_id: str) -> bytes | None:
        """The key ``key_id`` of ``tenant_id`` if it exists and is not retired. A key id of
        another customer is unknown here: one customer's packages never open with another's."""
        query = select(PackageKey.key).where(
            PackageKey.tenant_id == tenant_id, PackageKey.key_id == key_id, PackageKey.retired_at.is_(None)
        )
        with self._database.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else bytes(row.key)

    def keys_of(self, tenant_id: int) -> list[PackageKeyInfo]:
        """Every key of ``tenant_id``, oldest first."""
        with self._database.transaction() as session:
            rows = session.scalars(select(PackageKey).where(PackageKey.tenant_id == tenant_id).order_by(PackageKey.id))
            return [PackageKeyInfo(r.key_id, bytes(r.key), r.created_at, r.retired_at) for r in rows]

    def rotate(self, tenant_id: int, *, retire_previous: bool = False) -> PackageKeyInfo:
        """Add a key; with ``retire_previous`` every older key stops opening packages at once."""
        with self._database.transaction() as session:
            if retire_previous:
                session.execute(
                    update(PackageKey)
                    .where(PackageKey.tenant_id == tenant_id, PackageKey.retired_at.is_(None))
                    .values(retired_at=dt.datetime.now(dt.UTC))
                )
            return add_package_key(session, tenant_id)
