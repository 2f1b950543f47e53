"""Server-side request authentication (manual 7.3.1, DESIGN.md "Authentication").

Checks, in order, each with its own error: both headers present; AccessID known and enabled;
AccessID issued for this deployment's cluster; signature decrypts to a content block; the AccessKey in it matches; the MD5 in it matches the
body; the timestamp, read big- or little-endian (:mod:`facesaas.auth.signature`), is within the
window; the (AccessID, random, decoded timestamp) was not seen before. Nothing here logs keys or
signatures.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import rsa

from facesaas.auth.access_keys import access_key_matches, cluster_of_access_id
from facesaas.auth.quotas import QuotaLimits
from facesaas.auth.replay import ReplayStore
from facesaas.auth.signature import decrypt_signature, parse_content
from facesaas.errors import (
    BodyDigestMismatch,
    DisabledAccessId,
    MissingAuthHeaders,
    ReplayedRequest,
    StaleTimestamp,
    UnknownAccessId,
    WrongAccessKey,
    WrongCluster,
)

__all__ = ["Principal", "RequestAuthenticator", "CustomerRecord", "MAX_ACCESS_ID_BYTES"]

MAX_ACCESS_ID_BYTES = 16


class CustomerRecord(Protocol):
    """What authentication needs to know of a customer (a tenant row satisfies it)."""

    id: int
    enabled: bool
    key_salt: bytes
    key_hash: bytes
    cluster: str
    quota: QuotaLimits


@dataclass(frozen=True)
class Principal:
    """The authenticated caller and its customer record (quotas read their limits from it)."""

    tenant_id: int
    access_id: str
    customer: CustomerRecord | None = None


class RequestAuthenticator:
    """Verifies signed requests. ``find_tenant`` looks an AccessID up (None if unknown)."""

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey,
        find_tenant: Callable[[str], CustomerRecord | None],
        replay_store: ReplayStore,
        *,
        cluster: str = "private",
        window_seconds: int = 300,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._cluster = cluster
        self._private_key = private_key
        self._find_tenant = find_tenant
        self._replay = replay_store
        self._window = window_seconds
        self._clock = clock

    def authenticate(self, access_id: str | None, signature: str | None, body: bytes) -> Principal:
        """Return the caller or raise the AuthError that says what is wrong.

        Cost: one indexed tenant lookup and one RSA decryption (~1.5 ms with 2048-bit keys).
        """
        if not access_id or not signature:
            raise MissingAuthHeaders()
        if len(access_id.encode("utf-8", errors="replace")) > MAX_ACCESS_ID_BYTES:
            raise UnknownAccessId("AccessID longer than 16 bytes")
        tenant = self._find_tenant(access_id)
        issued_for = tenant.cluster if tenant is not None else cluster_of_access_id(access_id)
        if issued_for in ("staging", "production") and issued_for != self._cluster and self._cluster != "private":
            raise WrongCluster(f"issued for {issued_for}, this is the {self._cluster} cluster")
        if tenant is None:
            raise UnknownAccessId()
        if tenant.cluster != self._cluster:
            raise WrongCluster(f"issued for {tenant.cluster}, this is the {self._cluster} cluster")
        if not tenant.enabled:
            raise DisabledAccessId()
        content = parse_content(decrypt_signature(self._private_key, signature.strip().lower()))
        if not access_key_matches(tenant.key_salt, tenant.key_hash, content.access_key):
            raise WrongAccessKey()
        digest = hashlib.md5(body, usedforsecurity=False).hexdigest().encode("ascii")
        if not hmac.compare_digest(digest, content.body_md5_hex):
            raise BodyDigestMismatch()
        now = self._clock()
        readings = content.timestamps()
        timestamp = next((stamp for stamp in readings if abs(now - stamp) <= self._window), None)
        if timestamp is None:
            raise StaleTimestamp(f"server time {int(now)}, signature time {readings[0]} (big-endian) or {readings[1]} (little-endian)")
        # The decoded time, not the raw bytes, names the request: the same instant sent in the
        # other byte order with the same random is the same request.
        replay_key = f"{access_id}:{content.random.hex()}:{timestamp}"
        # Remember for twice the window: a timestamp accepted now stays acceptable that long.
        if not self._replay.check_and_remember(replay_key, 2 * self._window + 1):
            raise ReplayedRequest()
        return Principal(tenant_id=tenant.id, access_id=access_id, customer=tenant)
