"""ID documents (manual 9.4): OCR of ID cards, driving and vehicle licences (105.1),
authenticity (105.2) and classification (105.3), and the ID-card reading CS201.1's
``idcard_ocr`` borrows (:func:`idcard_reader`). The services take the OCR engine
(:func:`get_ocr`, loaded on first use) and a parsed request."""

from facesaas.documents.citizen_id import CitizenId, Finding, check_digit, parse_citizen_id, validate_citizen_id
from facesaas.documents.ocr import OcrEngine, get_ocr
from facesaas.documents.service import (
    classify_document,
    distinguish_document,
    idcard_reader,
    ocr_document,
    read_idcard_fields,
)

__all__ = [
    "CitizenId",
    "Finding",
    "OcrEngine",
    "check_digit",
    "classify_document",
    "distinguish_document",
    "get_ocr",
    "idcard_reader",
    "ocr_document",
    "parse_citizen_id",
    "read_idcard_fields",
    "validate_citizen_id",
]
