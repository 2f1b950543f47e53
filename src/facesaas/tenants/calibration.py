"""Customers' own threshold tables: stored, read back, and resolved per request.

A table is built by ``facesaas calibrate --tenant`` (:mod:`facesaas.evaluation.tenantcal`,
which applies the choice rule of docs/accuracy.md) and stored here, one per tenant. At request
time :meth:`TenantCalibrations.calibration_for` gives the :class:`Calibration` that tenant's 1:1
verification and 1:N retrieval thresholds come from: its own table when it has a usable one,
else the shipped table. A table is *not* usable — and the shipped one is used — when it was
measured with another embedding scheme than the server's (``FACESAAS_EMBEDDING_SCHEME``), or when
it lacks a rate or its thresholds do not rise with the rate (a damaged row).

Caching: each process keeps the resolved calibration per tenant for ``ttl_seconds`` (10 s by
default). A table stored or dropped through this object is seen at once by this process; other
workers and hosts (and a running service when the CLI changes a table) see it within the TTL.
A time-to-live rather than a notification, because the CLI writes the database directly and
the deployment may have no Redis; 10 s keeps the cost at one indexed row read per tenant per
10 s per worker.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select

from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES, Calibration
from facesaas.storage.database import Database, as_utc
from facesaas.tenants.models import TenantCalibration

__all__ = ["TenantTable", "TenantCalibrations", "table_problem", "DEFAULT_TTL_SECONDS"]

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 10.0


@dataclass(frozen=True)
class TenantTable:
    """One tenant's threshold table.

    ``thresholds`` maps every true_negative_rate of :data:`SEARCH_TRUE_NEGATIVE_RATES` to a dict
    with at least ``cosine`` (the threshold used, −1..1) and ``source`` (where it came from:
    "tenant measured", "tenant tail fit", "shipped", "shipped, raised with the rate before");
    :mod:`facesaas.evaluation.tenantcal` adds the evidence (TAR, false accepts, FAR bound).
    Counts are of the calibration data: ``images`` offered, ``identities`` among the enrolled
    ones, all-pairs ``genuine_pairs`` and ``impostor_pairs``, ``failure_to_enroll`` a share 0–1.
    """

    scheme: str
    thresholds: dict[str, dict[str, Any]]
    identities: int
    images: int
    genuine_pairs: int
    impostor_pairs: int
    failure_to_enroll: float
    source: str
    created_at: dt.datetime | None = None

    def cosines(self) -> dict[str, float]:
        """true_negative_rate → cosine threshold."""
        return {rate: float(entry["cosine"]) for rate, entry in self.thresholds.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "source": self.source,
            "created_at": None if self.created_at is None else self.created_at.isoformat(),
            "identities": self.identities,
            "images": self.images,
            "genuine_pairs": self.genuine_pairs,
            "impostor_pairs": self.impostor_pairs,
            "failure_to_enroll": self.failure_to_enroll,
            "thresholds": self.thresholds,
        }


def table_problem(table: TenantTable, scheme: str) -> str | None:
    """Why ``table`` cannot serve a server computing ``scheme`` embeddings, or None if it can."""
    if table.scheme != scheme:
        return f"measured with embedding scheme {table.scheme!r}, the server computes {scheme!r}"
    missing = [rate for rate in SEARCH_TRUE_NEGATIVE_RATES if rate not in table.thresholds]
    if missing:
        return f"no threshold for true_negative_rate {', '.join(missing)}"
    try:
        cosines = [float(table.thresholds[rate]["cosine"]) for rate in SEARCH_TRUE_NEGATIVE_RATES]
    except (KeyError, TypeError, ValueError):
        return "a threshold without a cosine"
    if any(low >= high for low, high in zip(cosines, cosines[1:], strict=False)) or not -1 <= cosines[0] <= cosines[-1] <= 1:
        return "thresholds do not rise with true_negative_rate within −1..1"
    return None


def _from_row(row: TenantCalibration) -> TenantTable:
    return TenantTable(
        scheme=row.scheme,
        thresholds=json.loads(row.thresholds),
        identities=int(row.identities),
        images=int(row.images),
        genuine_pairs=int(row.genuine_pairs),
        impostor_pairs=int(row.impostor_pairs),
        failure_to_enroll=float(row.failure_to_enroll),
        source=row.source,
        created_at=as_utc(row.created_at),
    )


@dataclass
class TenantCalibrations:
    """Stored tables over ``database``, resolved against the ``shipped`` calibration for a
    server computing ``scheme`` embeddings. Thread-safe."""

    database: Database
    shipped: Calibration
    scheme: str
    ttl_seconds: float = DEFAULT_TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _cache: dict[int, tuple[float, Calibration]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- storage ---------------------------------------------------------------------------

    def save(self, tenant_id: int, table: TenantTable) -> TenantTable:
        """Store ``table`` as the tenant's (replacing any earlier one) in one transaction."""
        with self.database.transaction() as session:
            session.execute(delete(TenantCalibration).where(TenantCalibration.tenant_id == tenant_id))
            row = TenantCalibration(
                tenant_id=tenant_id,
                scheme=table.scheme,
                thresholds=json.dumps(table.thresholds, ensure_ascii=False),
                identities=table.identities,
                images=table.images,
                genuine_pairs=table.genuine_pairs,
                impostor_pairs=table.impostor_pairs,
                failure_to_enroll=table.failure_to_enroll,
                source=table.source,
            )
            session.add(row)
            session.flush()
            stored = _from_row(row)
        self.forget(tenant_id)
        return stored

    def get(self, tenant_id: int) -> TenantTable | None:
        """The tenant's stored table, usable or not. Cost: one indexed row read."""
        with self.database.transaction() as session:
            row = session.scalar(select(TenantCalibration).where(TenantCalibration.tenant_id == tenant_id))
            return None if row is None else _from_row(row)

    def delete(self, tenant_id: int) -> bool:
        """Drop the tenant's table (it goes back to the shipped one); False if it had none."""
        with self.database.transaction() as session:
            result = session.execute(delete(TenantCalibration).where(TenantCalibration.tenant_id == tenant_id))
            removed = bool(result.rowcount)
        self.forget(tenant_id)
        return removed

    # --- resolution ------------------------------------------------------------------------

    def resolve(self, tenant_id: int) -> tuple[Calibration, str | None]:
        """The calibration for the tenant now (no cache) and, when it is the shipped one
        although a table is stored, why that table is not used."""
        table = self.get(tenant_id)
        if table is None:
            return self.shipped, None
        problem = table_problem(table, self.scheme)
        if problem is not None:
            return self.shipped, problem
        source = {"tenant": True, "scheme": table.scheme, "source": table.source,
                  "created_at": table.created_at.isoformat() if table.created_at else None}  # fmt: skip
        return Calibration(thresholds=table.cosines(), source=source, roc=self.shipped.roc), None

    def cached(self, tenant_id: int) -> Calibration | None:
        """The cached calibration if it is fresh (no database access), else None."""
        with self._lock:
            entry = self._cache.get(tenant_id)
        if entry is not None and entry[0] > self.clock():
            return entry[1]
        return None

    def calibration_for(self, tenant_id: int) -> Calibration:
        """The calibration whose thresholds the tenant's verification and retrieval use: cached
        for ``ttl_seconds``; on a miss one indexed row read."""
        found = self.cached(tenant_id)
        if found is not None:
            return found
        calibration, problem = self.resolve(tenant_id)
        if problem is not None:
            log.warning("tenant %s threshold table ignored: %s", tenant_id, problem)
        with self._lock:
            self._cache[tenant_id] = (self.clock() + self.ttl_seconds, calibration)
        return calibration

    def forget(self, tenant_id: int) -> None:
        """Drop the tenant's cached calibration (after a change through this object)."""
        with self._lock:
            self._cache.pop(tenant_id, None)
