"""What opening a package needs of the database: the customer's package keys (owned by
:mod:`facesaas.tenants.package_keys`) and the record of packages seen (replay protection).
Cost: one indexed query per package checked, one insert for the replay record.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from facesaas.liveness.models import PackageUse
from facesaas.storage.database import database_error
from facesaas.tenants.package_keys import PackageKeys

__all__ = ["PackageKeyStore"]


class PackageKeyStore(PackageKeys):
    """The customers' package keys (:class:`facesaas.tenants.package_keys.PackageKeys`) and the
    record of packages seen; thread-safe (one short transaction per call)."""

    def remember(self, tenant_id: int, package_id: str, expires_at: dt.datetime) -> bool:
        """Record that ``package_id`` was checked; False if it already was (a replay). Records
        past their ``expires_at`` are pruned first: such packages are refused as expired."""
        now = dt.datetime.now(dt.UTC)
        try:
            with self._database.engine.begin() as connection:  # a replay rolls the pruning back too: harmless
                connection.execute(delete(PackageUse).where(PackageUse.expires_at < now))
                connection.execute(
                    insert(PackageUse).values(tenant_id=tenant_id, package_id=package_id, expires_at=expires_at)
                )
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc
        return True
