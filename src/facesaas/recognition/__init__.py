"""The 1:1 endpoints' semantics (CS201.1 extraction, CS202.2 verification), without HTTP."""

from facesaas.recognition.schemas import ExtractionRequest, VerificationRequest
from facesaas.recognition.service import ImageLimits, extract_features, parse_request, verify_pair

__all__ = [
    "ExtractionRequest",
    "ImageLimits",
    "VerificationRequest",
    "extract_features",
    "parse_request",
    "verify_pair",
]
