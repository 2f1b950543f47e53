"""Creating, listing, disabling and rotating customers.

The AccessKey is shown exactly once, when it is created or rotated; only its salted hash is
stored. :func:`check_access_key` compares in constant time.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from facesaas.auth.access_keys import CLUSTERS, access_key_matches, hash_access_key, new_access_id, new_access_key
from facesaas.auth.quotas import QuotaLimits
from facesaas.auth.verifier import CustomerRecord
from facesaas.errors import ConfigurationError
from facesaas.storage.database import database_error
from facesaas.tenants.models import Tenant
from facesaas.tenants.package_keys import PackageKeyInfo, add_package_key
from facesaas.vault import Vault

__all__ = ["QuotaLimits", "TenantInfo", "CustomerCredentials", "NewCredentials", "TenantService", "UnknownTenant", "check_access_key"]


MAX_LIMIT = 2**31 - 1
"""The largest quota a tenant row holds (a 32-bit integer column)."""


class UnknownTenant(LookupError):
    """No tenant has this AccessID (CLI-side error; the API maps it to UnknownAccessId)."""

    def __str__(self) -> str:
        return f"no customer with AccessID {self.args[0]}" if self.args else "no such customer"


@dataclass(frozen=True)
class TenantInfo:
    """What may be shown about a tenant (never the key or its hash)."""

    id: int
    access_id: str
    name: str
    enabled: bool
    created_at: dt.datetime
    key_rotated_at: dt.datetime
    cluster: str = "private"
    promoted_from: str | None = None
    quota: QuotaLimits = QuotaLimits()
    """The tenant's own limits (None: the deployment's default, 0: unlimited)."""

    @classmethod
    def of(cls, row: Tenant) -> TenantInfo:
        quota = QuotaLimits(row.limit_per_second, row.limit_per_day, row.limit_concurrent)
        return cls(row.id, row.access_id, row.name, row.enabled, row.created_at, row.key_rotated_at,
                   row.cluster, row.promoted_from, quota)  # fmt: skip

    def as_dict(self) -> dict:
        return {
            "access_id": self.access_id,
            "name": self.name,
            "enabled": self.enabled,
            "cluster": self.cluster,
            "promoted_from": self.promoted_from,
            "per_second": self.quota.per_second,
            "per_day": self.quota.per_day,
            "concurrent": self.quota.concurrent,
            "created_at": self.created_at.isoformat(),
            "key_rotated_at": self.key_rotated_at.isoformat(),
        }


@dataclass(frozen=True)
class CustomerCredentials:
    """The authentication view of a tenant (satisfies auth.verifier.CustomerRecord)."""

    id: int
    enabled: bool
    key_salt: bytes
    key_hash: bytes
    cluster: str
    quota: QuotaLimits


@dataclass(frozen=True)
class NewCredentials:
    """Returned once by create and rotate; ``package_key`` (the liveness package key) by create."""

    tenant: TenantInfo
    access_key: str
    package_key: PackageKeyInfo | None = None

    def as_dict(self, public_pem: str) -> dict:
        """What the customer needs to call, given once (``facesaas tenant create --json``, the
        console's credentials download): the tenant, its AccessKey, the server public key and,
        when one was issued, the liveness package key and its id."""
        payload = {**self.tenant.as_dict(), "access_key": self.access_key, "public_key_pem": public_pem}
        if self.package_key is not None:
            package = self.package_key.as_dict(with_key=True)
            payload.update({k: package[k] for k in ("package_key", "package_key_id") if k in package})
        return payload


def check_access_key(tenant: CustomerRecord, access_key: bytes) -> bool:
    """Whether ``access_key`` is this tenant's current key (constant time)."""
    return access_key_matches(tenant.key_salt, tenant.key_hash, access_key)


class TenantService:
    """Tenant operations over a session factory. ``vault`` seals the package key a new
    customer gets (:meth:`create`, :meth:`promote`); lookups do without it."""

    def __init__(self, sessions: sessionmaker[Session], vault: Vault | None = None) -> None:
        self._sessions = sessions
        self._engine = sessions.kw["bind"]
        self._vault = vault

    def _sealing(self) -> Vault:
        if self._vault is None:  # a programming error: every caller that creates customers passes it
            raise ConfigurationError("creating a customer needs the vault (its package key is stored sealed)")
        return self._vault

    def _run(self, action):  # noqa: ANN001, ANN202
        try:
            with self._sessions.begin() as session:
                return action(session)
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc

    def create(self, name: str, cluster: str = "private") -> NewCredentials:
        """A new customer of ``cluster`` with a new AccessKey and package key."""
        if not name.strip() or len(name) > 128:
            raise ValueError("name must be 1–128 characters")
        if cluster not in CLUSTERS:
            raise ValueError(f"cluster must be one of {', '.join(CLUSTERS)}")
        return self._run(lambda session: self._insert(session, name.strip(), cluster, None))

    def _insert(self, session: Session, name: str, cluster: str, promoted_from: str | None) -> NewCredentials:
        access_key = new_access_key()
        while True:
            access_id = new_access_id(cluster)
            if session.scalar(select(Tenant.id).where(Tenant.access_id == access_id)) is None:
                break
        salt = os.urandom(16)
        row = Tenant(access_id=access_id, name=name, key_salt=salt, key_hash=hash_access_key(salt, access_key.encode()),
                     cluster=cluster, promoted_from=promoted_from)  # fmt: skip
        session.add(row)
        session.flush()
        return NewCredentials(TenantInfo.of(row), access_key, add_package_key(session, row.id, self._sealing()))

    def promote(self, access_id: str) -> NewCredentials:
        """The go-live (manual 7.3.3): issue production credentials for the staging customer
        ``access_id``. The staging AccessID keeps working on staging; the production one is a
        new customer record (its own key, package key and repositories) that remembers where
        it came from and takes over the staging customer's limits. Raises UnknownTenant, or
        ValueError when ``access_id`` is not a staging customer or was promoted already."""

        def action(session: Session) -> NewCredentials:
            staging = session.scalar(select(Tenant).where(Tenant.access_id == access_id))
            if staging is None:
                raise UnknownTenant(access_id)
            if staging.cluster != "staging":
                raise ValueError(f"{access_id} is a {staging.cluster} customer; only staging customers go live")
            done = session.scalar(select(Tenant.access_id).where(Tenant.promoted_from == access_id))
            if done is not None:
                raise ValueError(f"{access_id} went live already as {done}; rotate that AccessID's key instead")
            issued = self._insert(session, staging.name, "production", access_id)
            row = session.scalar(select(Tenant).where(Tenant.access_id == issued.tenant.access_id))
            row.limit_per_second, row.limit_per_day = staging.limit_per_second, staging.limit_per_day
            row.limit_concurrent = staging.limit_concurrent
            session.flush()
            return NewCredentials(TenantInfo.of(row), issued.access_key, issued.package_key)

        return self._run(action)

    def credentials_of(self, access_id: str) -> CustomerCredentials | None:
        """What request authentication needs, read with one Core query on every request (no
        ORM session or transaction: ~0.15 ms instead of ~0.6 ms on SQLite). Never cached, so
        disabling or rotating takes effect on the next request."""
        columns = select(
            Tenant.id, Tenant.enabled, Tenant.key_salt, Tenant.key_hash, Tenant.cluster,
            Tenant.limit_per_second, Tenant.limit_per_day, Tenant.limit_concurrent,
        ).where(Tenant.access_id == access_id)  # fmt: skip
        try:
            with self._engine.connect() as connection:
                row = connection.execute(columns).first()
        except SQLAlchemyError as exc:
            raise database_error(exc) from exc
        if row is None:
            return None
        quota = QuotaLimits(row.limit_per_second, row.limit_per_day, row.limit_concurrent)
        return CustomerCredentials(row.id, bool(row.enabled), bytes(row.key_salt), bytes(row.key_hash), row.cluster, quota)

    def id_of(self, access_id: str) -> int:
        """The internal id of ``access_id``; raises UnknownTenant."""
        row = self._run(lambda session: session.scalar(select(Tenant.id).where(Tenant.access_id == access_id)))
        if row is None:
            raise UnknownTenant(access_id)
        return int(row)

    def get(self, access_id: str) -> TenantInfo:
        """The tenant ``access_id``; raises UnknownTenant."""
        row = self._run(lambda session: session.scalar(select(Tenant).where(Tenant.access_id == access_id)))
        if row is None:
            raise UnknownTenant(access_id)
        return TenantInfo.of(row)

    def list(self, cluster: str | None = None) -> list[TenantInfo]:
        """Every tenant (of ``cluster`` if given), oldest first."""
        query = select(Tenant).order_by(Tenant.id)
        if cluster is not None:
            query = query.where(Tenant.cluster == cluster)
        return self._run(lambda session: [TenantInfo.of(t) for t in session.scalars(query)])

    def _update(self, access_id: str, change) -> Tenant:  # noqa: ANN001
        def action(session: Session) -> Tenant:
            row = session.scalar(select(Tenant).where(Tenant.access_id == access_id))
            if row is None:
                raise UnknownTenant(access_id)
            change(row)
            session.flush()
            return row

        return self._run(action)

    def set_enabled(self, access_id: str, enabled: bool) -> TenantInfo:
        return TenantInfo.of(self._update(access_id, lambda row: setattr(row, "enabled", enabled)))

    def set_limits(
        self, access_id: str, per_second: int | None = None, per_day: int | None = None, concurrent: int | None = None
    ) -> TenantInfo:
        """Set the tenant's quotas (0: unlimited, None: the deployment's default); every worker
        applies them from the next request on."""
        for value in (per_second, per_day, concurrent):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LIMIT):
                raise ValueError(f"limits are whole numbers from 0 to {MAX_LIMIT} (0: unlimited)")

        def change(row: Tenant) -> None:
            row.limit_per_second, row.limit_per_day, row.limit_concurrent = per_second, per_day, concurrent

        return TenantInfo.of(self._update(access_id, change))

    def rotate(self, access_id: str) -> NewCredentials:
        """Issue a new AccessKey; the old one stops working at once."""
        access_key = new_access_key()

        def change(row: Tenant) -> None:
            row.key_salt = os.urandom(16)
            row.key_hash = hash_access_key(row.key_salt, access_key.encode())
            row.key_rotated_at = dt.datetime.now(dt.UTC)

        return NewCredentials(TenantInfo.of(self._update(access_id, change)), access_key)
