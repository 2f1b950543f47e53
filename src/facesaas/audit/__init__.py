"""The tamper-evident audit log of decisions (docs/security.md, "The audit log"): one
hash-chained row per authenticated call of the manual's endpoints — who, which endpoint, the
request id, the answer (rtn and the decision), the scores and thresholds used and which
calibration, the model version; never images, features or secrets. :class:`AuditLog` writes
(serialised across threads, processes and hosts), shows, verifies and prunes it.

Tenants are named by id and AccessID here (the callers resolve them): this package stands
beside ``tenants`` and ``metering`` and imports neither.
"""

from facesaas.audit.chain import GENESIS, canonical_row, row_hash
from facesaas.audit.log import PRUNE_ENDPOINT, AuditEntry, AuditLog, ChainHead, Problem, PruneReport, VerifyReport
from facesaas.audit.version import model_version

__all__ = [
    "GENESIS",
    "PRUNE_ENDPOINT",
    "AuditEntry",
    "AuditLog",
    "ChainHead",
    "Problem",
    "PruneReport",
    "VerifyReport",
    "canonical_row",
    "model_version",
    "row_hash",
]
