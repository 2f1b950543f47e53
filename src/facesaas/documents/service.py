"""What 105.1 (OCR), 105.2 (distinguish) and 105.3 (classification) do, independent of HTTP,
and the ID-card reading CS201.1 adds with ``idcard_ocr``.

Each function takes the loaded OCR engine, the parsed request (the routes parse with
:func:`facesaas.inputs.parse_request`) and the image limits, and returns the response body
without ``rtn``/``message``/``global_request_id``. CPU-heavy (one
or two OCR reads, 0.3–1.5 s on 2 cores): call from a worker thread.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from facesaas.documents.authenticity import Verdict, distinguish_driving_licence, distinguish_id_card
from facesaas.documents.idcard import BACK_FIELDS, FRONT_FIELDS, UNKNOWN
from facesaas.documents.licences import parse_driving, parse_vehicle
from facesaas.documents.ocr import OcrEngine
from facesaas.documents.reader import IdCardReading, read_id_card, read_page
from facesaas.documents.schemas import ClassificationRequest, DistinguishRequest, DocumentUserInfo, OcrRequest
from facesaas.errors import DocumentNeedsImage, InvalidParameter, MissingParameter
from facesaas.face.image import encode_jpeg
from facesaas.inputs import ImageLimits, load_image

__all__ = [
    "ocr_document",
    "distinguish_document",
    "classify_document",
    "idcard_ocr_result",
    "read_idcard_fields",
    "idcard_reader",
]

_DEBUG_IMAGE_SIDE = 1280
"""The debug image is scaled down to at most this many pixels on its longer side."""


def _image(mode: int, info: DocumentUserInfo, limits: ImageLimits) -> np.ndarray:
    if mode == 2:
        raise DocumentNeedsImage("mode 2")
    if mode != 1:
        raise InvalidParameter(f"mode must be 1 (image) or 2 (feature), got {mode}")
    if info.image_content is None:
        raise MissingParameter("user_info.image_content")
    return load_image(info.image_content, "user_info.image_content", limits)


def idcard_ocr_result(reading: IdCardReading, ocr_mode: int) -> dict[str, Any]:
    """The ``idcard_ocr_result`` object: the fields ``ocr_mode`` asks for (1 front, 2 back,
    3 the sides found, 4 both), "?" for any not read, and ``idcard_type`` as found."""
    front = reading.front.as_dict() if reading.front else dict.fromkeys(FRONT_FIELDS, UNKNOWN)
    back = reading.back.as_dict() if reading.back else dict.fromkeys(BACK_FIELDS, UNKNOWN)
    if ocr_mode == 1:
        fields = front
    elif ocr_mode == 2:
        fields = back
    elif ocr_mode == 3 and reading.idcard_type in (1, 2):
        fields = front if reading.idcard_type == 1 else back
    else:
        fields = front | back
    return {**fields, "idcard_type": reading.idcard_type}


def read_idcard_fields(ocr: OcrEngine, bgr: np.ndarray, *, auto_rotate: bool, ocr_mode: int) -> dict[str, Any]:
    """CS201.1's ``idcard_ocr``: read the ID card photo ``bgr`` (BGR uint8) and return
    :func:`idcard_ocr_result` for ``ocr_mode``. One or two OCR reads, 0.3–1.5 s."""
    page = read_page(ocr, bgr, auto_rotate=auto_rotate)
    return idcard_ocr_result(read_id_card(page.lines), ocr_mode)


def idcard_reader(ocr: Callable[[], OcrEngine]) -> Callable[..., dict[str, Any]]:
    """:func:`read_idcard_fields` over the engine ``ocr()`` returns, fetched only when a card
    is read: what CS201.1's service takes as its ``read_idcard``
    (``facesaas.recognition.IdCardReader``)."""

    def read(bgr: np.ndarray, *, auto_rotate: bool, ocr_mode: int) -> dict[str, Any]:
        return read_idcard_fields(ocr(), bgr, auto_rotate=auto_rotate, ocr_mode=ocr_mode)

    return read


def ocr_document(
    ocr: OcrEngine, request: OcrRequest, limits: ImageLimits, today: dt.date | None = None
) -> dict[str, Any]:
    """105.1: the fields of an ID card (ocr_type 1), driving licence (2) or vehicle licence (3)."""
    options = request.options
    if options.ocr_type not in (1, 2, 3):
        raise InvalidParameter(f"options.ocr_type must be 1 (ID card), 2 (driving licence) or 3 (vehicle licence), got {options.ocr_type}")
    if options.ocr_type == 1 and options.ocr_mode not in (1, 2, 3, 4):
        raise InvalidParameter(f"options.ocr_mode must be 1, 2, 3 or 4, got {options.ocr_mode}")
    today = today or dt.date.today()
    page = read_page(ocr, _image(request.mode, request.user_info, limits), auto_rotate=options.auto_rotate)
    if options.ocr_type == 1:
        return {"idcard_ocr_result": idcard_ocr_result(read_id_card(page.lines, today), options.ocr_mode)}
    if options.ocr_type == 2:
        return {"driving_license_ocr_result": parse_driving(page.lines, today).as_dict()}
    return {"vehicle_license_ocr_result": parse_vehicle(page.lines, today).as_dict()}


def _encode_debug(image: np.ndarray | None) -> str:
    if image is None:
        return ""
    scale = _DEBUG_IMAGE_SIDE / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return base64.b64encode(encode_jpeg(image, quality=85)).decode("ascii")


def _verdict_body(verdict: Verdict) -> dict[str, Any]:
    return {
        "is_valid": verdict.result == 1,
        "confidence": verdict.confidence,
        "result": verdict.result,
        "reason": verdict.reason,
        "checks": [check.as_dict() for check in verdict.checks],
        "debug_image": _encode_debug(verdict.debug_image),
    }


def distinguish_document(
    ocr: OcrEngine, request: DistinguishRequest, limits: ImageLimits, today: dt.date | None = None
) -> dict[str, Any]:
    """105.2: is the ID card (distinguish_type 1) or driving licence (2) genuine, and why not.
    The page is always turned upright first (``options.auto_rotate`` is validated, not needed)."""
    kind = request.options.distinguish_type
    if kind not in (1, 2):
        raise InvalidParameter(f"options.distinguish_type must be 1 (ID card) or 2 (driving licence), got {kind}")
    today = today or dt.date.today()
    # The rules compare where fields sit on the card, so they judge the upright page whatever
    # auto_rotate says: a sideways page read as it lies would be a verdict on misplaced fields.
    page = read_page(ocr, _image(request.mode, request.user_info, limits), auto_rotate=True)
    if kind == 1:
        return {"idcard_distinguish_result": _verdict_body(distinguish_id_card(page, today))}
    return {"driving_license_distinguish_result": _verdict_body(distinguish_driving_licence(page, today))}


def classify_document(ocr: OcrEngine, request: ClassificationRequest, limits: ImageLimits) -> dict[str, Any]:
    """105.3: 1 ID front, 2 back, 3 both sides, -1 not an ID card."""
    if request.options.license_type != 1:
        raise InvalidParameter(f"options.license_type must be 1 (ID card), got {request.options.license_type}")
    page = read_page(ocr, _image(request.mode, request.user_info, limits), auto_rotate=request.options.auto_rotate)
    return {"classification_result": {"result": read_id_card(page.lines).idcard_type}}
