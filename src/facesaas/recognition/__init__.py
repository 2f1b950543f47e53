"""The 1:1 endpoints' semantics (CS201.1 extraction, CS202.2 verification), without HTTP.

What they borrow from the other endpoint families (the ID-card reader, the infrared and package
checks) is handed in by the caller as :class:`IdCardReader`, :class:`InfraredCheck` and
:class:`PackageEvidence`; this package imports none of them."""

from facesaas.recognition.schemas import ExtractionRequest, PackageVerificationRequest, VerificationRequest
from facesaas.recognition.service import (
    IdCardReader,
    InfraredCheck,
    PackageEvidence,
    database_embedding,
    extract_features,
    validate_database_side,
    verify_package_pair,
    verify_pair,
)

__all__ = [
    "ExtractionRequest",
    "IdCardReader",
    "InfraredCheck",
    "PackageEvidence",
    "PackageVerificationRequest",
    "database_embedding",
    "validate_database_side",
    "VerificationRequest",
    "extract_features",
    "verify_package_pair",
    "verify_pair",
]
