"""ID documents (manual 9.4): citizen-ID number rules today; OCR, classification and
authenticity checks are built on them in the documents release."""

from facesaas.documents.citizen_id import CitizenId, Finding, check_digit, parse_citizen_id, validate_citizen_id

__all__ = ["CitizenId", "Finding", "check_digit", "parse_citizen_id", "validate_citizen_id"]
