"""What CS201.1 (feature extraction) and CS202.2 (1:1 verification) do, independent of HTTP.

The HTTP routes and the in-process CLI both call :func:`extract_features` and
:func:`verify_pair` with a parsed request; they return the response body without ``rtn``,
``message`` and ``global_request_id`` (the caller adds those). All CPU-heavy; call from a
worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from facesaas.errors import (
    InternalError,
    InvalidParameter,
    MissingParameter,
    NoFaceDetected,
    NotSupportedYet,
    TooManyFaces,
)
from facesaas.face.calibration import TRUE_NEGATIVE_RATES, Calibration
from facesaas.face.engine import Face, FaceEngine
from facesaas.face.feature import decode_feature, encode_feature
from facesaas.face.image import decode_base64, decode_image
from facesaas.recognition.schemas import (
    DATABASE_IMAGE_TYPES,
    EXTRACTION_IMAGE_TYPES,
    QUERY_IMAGE_TYPES,
    WATERMARK_TYPES,
    ExtractionRequest,
    VerificationRequest,
)

if TYPE_CHECKING:
    from facesaas.documents.ocr import OcrEngine
    from facesaas.liveness.service import PackageChecker
    from facesaas.recognition.schemas import PackageVerificationRequest

__all__ = ["ImageLimits", "parse_request", "extract_features", "verify_pair", "verify_package_pair", "reject_unsupported"]

# Manual fields whose capability belongs to a later release: present → NotSupportedYet.
_LATER_FIELDS = ("query_image_additional_info",)


@dataclass(frozen=True)
class ImageLimits:
    """Decoded-size and pixel limits for one endpoint."""

    max_bytes: int
    max_pixels: int


def parse_request(model: type[BaseModel], body: Any) -> Any:
    """Validate a decoded JSON body against ``model``; map pydantic errors to our codes."""
    if not isinstance(body, Mapping):
        raise InvalidParameter("body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        missing = [".".join(map(str, e["loc"])) for e in exc.errors() if e["type"] == "missing"]
        if missing:
            raise MissingParameter(", ".join(missing)) from exc
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidParameter(problems) from exc


def reject_unsupported(body: Mapping[str, Any]) -> None:
    """Refuse manual inputs this release does not implement yet (never ignore them)."""
    for key in body:
        if key in _LATER_FIELDS:
            raise NotSupportedYet(f"{key} (infrared input comes in a later release)")


def _require_choice(value: int, allowed: frozenset[int], name: str) -> None:
    if value not in allowed:
        raise InvalidParameter(f"{name} must be one of {sorted(allowed)}, got {value}")


def _reject_watermark(value: int, name: str) -> None:
    if value in WATERMARK_TYPES:
        raise NotSupportedYet(f"{name}={value}: watermarked ID photos come in a later release")


def _load_image(content: str, field: str, limits: ImageLimits) -> np.ndarray:
    return decode_image(decode_base64(content, field), field=field, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels)


def extract_features(
    engine: FaceEngine,
    request: ExtractionRequest,
    limits: ImageLimits,
    ocr: Callable[[], OcrEngine] | None = None,
) -> dict[str, Any]:
    """CS201.1: the feature of the ``max_faces_allowed`` largest faces, and the face count.
    With ``idcard_ocr`` (image_type 2 only) also the ID card's fields, read by the engine
    ``ocr`` returns; a card side without a face (the back) then gives face_num 0 and an empty
    feature instead of -3001, since its text was asked for too."""
    _require_choice(request.image_type, EXTRACTION_IMAGE_TYPES, "image_type")
    _require_choice(request.max_faces_allowed, frozenset({1, 2}), "max_faces_allowed")
    _require_choice(request.idcard_ocr_mode, frozenset({1, 2, 3}), "idcard_ocr_mode")
    _reject_watermark(request.image_type, "image_type")
    if request.remove_watermark:
        raise NotSupportedYet("remove_watermark (watermarked ID photos come in a later release)")
    if request.idcard_ocr and request.image_type != 2:
        raise InvalidParameter("idcard_ocr applies to image_type 2 (证件照翻拍) only")
    bgr = _load_image(request.image_content, "image_content", limits)
    analysis = engine.analyze(
        bgr, max_faces=request.max_faces_allowed, auto_rotate=request.auto_rotate, flip=request.flip_image
    )
    if not analysis.faces and not request.idcard_ocr:
        raise NoFaceDetected("image_content")
    result: dict[str, Any] = {
        "feature": encode_feature(np.stack([f.embedding for f in analysis.faces])) if analysis.faces else "",
        "face_num": analysis.face_num,
        "image_type": request.image_type,
    }
    if request.flip_image and analysis.faces:
        result["flip_feature"] = encode_feature(np.stack([f.flip_embedding for f in analysis.faces]))
    if request.idcard_ocr:
        from facesaas.documents.reader import read_id_card, read_page
        from facesaas.documents.service import idcard_ocr_result

        if ocr is None:
            raise InternalError("idcard_ocr needs the OCR engine")
        page = read_page(ocr(), bgr, auto_rotate=request.auto_rotate)
        reading = idcard_ocr_result(read_id_card(page.lines), request.idcard_ocr_mode)
        result["idcard_type"] = reading.pop("idcard_type")
        result["idcard_ocr_result"] = reading
    return result


@dataclass(frozen=True)
class _QueryFace:
    embedding: np.ndarray
    flip_embedding: np.ndarray | None
    rect: dict[str, int] | None


def _query_faces(engine: FaceEngine, request: VerificationRequest, limits: ImageLimits) -> list[_QueryFace]:
    if request.query_image_feature is not None:
        vectors = decode_feature(request.query_image_feature, "query_image_feature")
        if len(vectors) > request.max_faces_allowed:
            raise TooManyFaces(f"query_image_feature holds {len(vectors)} faces, max_faces_allowed is {request.max_faces_allowed}")
        return [_QueryFace(v, None, None) for v in vectors]
    assert request.query_image_content is not None
    bgr = _load_image(request.query_image_content, "query_image_content", limits)
    analysis = engine.analyze(
        bgr, max_faces=request.max_faces_allowed, auto_rotate=request.auto_rotate_for_query, flip=request.auto_flip
    )
    if not analysis.faces:
        raise NoFaceDetected("query_image_content")
    # Small faces far behind the subject do not count against the limit (docs/api.md).
    prominent = analysis.prominent_count()
    if prominent > request.max_faces_allowed:
        raise TooManyFaces(f"query image holds {prominent} faces, max_faces_allowed is {request.max_faces_allowed}")
    return [_QueryFace(f.embedding, f.flip_embedding, _rect(f)) for f in analysis.faces]


def _rect(face: Face) -> dict[str, int]:
    x, y, w, h = face.box
    return {"x": x, "y": y, "w": w, "h": h}


def _database_face(engine: FaceEngine, request: VerificationRequest, limits: ImageLimits) -> np.ndarray:
    if request.database_image_feature is not None:
        return decode_feature(request.database_image_feature, "database_image_feature")[0]
    assert request.database_image_content is not None
    bgr = _load_image(request.database_image_content, "database_image_content", limits)
    analysis = engine.analyze(bgr, max_faces=1, auto_rotate=request.auto_rotate_for_database)
    if not analysis.faces:
        raise NoFaceDetected("database_image_content")
    # An ID photo holds one person; if several faces are found the largest is the subject.
    return analysis.faces[0].embedding


def _validate_verification(request: VerificationRequest, *, package: bool = False) -> None:
    if package and (request.query_image_content is not None or request.query_image_feature is not None):
        raise InvalidParameter("give query_image_package or query_image_content/query_image_feature, not both")
    for side in ("database",) if package else ("query", "database"):
        content = getattr(request, f"{side}_image_content")
        feature = getattr(request, f"{side}_image_feature")
        if content is None and feature is None:
            raise MissingParameter(f"{side}_image_content or {side}_image_feature")
        if content is not None and feature is not None:
            raise InvalidParameter(f"give {side}_image_content or {side}_image_feature, not both")
    _require_choice(request.query_image_type, QUERY_IMAGE_TYPES, "query_image_type")
    if request.database_image_content is not None and request.database_image_type is None:
        raise MissingParameter("database_image_type")
    if request.database_image_type is not None:
        _require_choice(request.database_image_type, DATABASE_IMAGE_TYPES, "database_image_type")
        _reject_watermark(request.database_image_type, "database_image_type")
    if request.true_negative_rate not in TRUE_NEGATIVE_RATES:
        raise InvalidParameter(f"true_negative_rate must be one of {list(TRUE_NEGATIVE_RATES)}")
    if request.max_faces_allowed < 1 or request.max_faces_allowed > 16:
        raise InvalidParameter("max_faces_allowed must be between 1 and 16")


def verify_pair(
    engine: FaceEngine, calibration: Calibration, request: VerificationRequest, limits: ImageLimits
) -> dict[str, Any]:
    """CS202.2: compare every query face with the database face; the best score decides."""
    _validate_verification(request)
    database = _database_face(engine, request, limits)
    faces = _query_faces(engine, request, limits)
    scored = []
    for face in faces:
        score = engine.similarity(face.embedding, database)
        if face.flip_embedding is not None:
            score = max(score, engine.similarity(face.flip_embedding, database))
        scored.append((score, face))
    scored.sort(key=lambda item: item[0], reverse=True)
    best = scored[0][0]
    threshold = calibration.similarity_threshold(request.true_negative_rate)
    result: dict[str, Any] = {
        # Decided on the exact score; the reported one is rounded to 4 decimals.
        "pair_verify_result": 0 if best >= threshold else 1,
        "pair_verify_similarity": round(best, 4),
    }
    if request.enable_verify_detail:
        detail: dict[str, Any] = {"score_list": [round(score, 4) for score, _ in scored]}
        if request.return_face_rect and request.query_image_content is not None:
            detail["query_face_rect"] = [face.rect for _, face in scored]
        result["verify_detail"] = detail
    return result


def verify_package_pair(
    engine: FaceEngine,
    calibration: Calibration,
    checker: PackageChecker,
    tenant_id: int,
    request: PackageVerificationRequest,
    limits: ImageLimits,
) -> dict[str, Any]:
    """CS202.2 with a liveness package: the package's frontal (first) image is the query photo;
    its checks run as in 101.3 and come back in ``query_image_package_result``. A package
    that is not valid compares nothing: ``pair_verify_result`` 1, similarity 0, and the reason
    in the package result (the manual's answer shape, not an error)."""
    from facesaas.liveness.package import InvalidPackage
    from facesaas.liveness.service import invalid_result

    _validate_verification(request, package=True)
    database = _database_face(engine, request, limits)
    try:
        opened = checker.open(tenant_id, request.query_image_package)
    except InvalidPackage as exc:
        return {"pair_verify_result": 1, "pair_verify_similarity": 0.0, "query_image_package_result": invalid_result(exc)}
    package_result = checker.describe(opened, request)
    analysis = engine.analyze(opened.images[0], max_faces=1, auto_rotate=request.auto_rotate_for_query, flip=request.auto_flip)
    if not analysis.faces:
        raise NoFaceDetected("query_image_package (its frontal image)")
    face = analysis.faces[0]
    score = engine.similarity(face.embedding, database)
    if face.flip_embedding is not None:
        score = max(score, engine.similarity(face.flip_embedding, database))
    threshold = calibration.similarity_threshold(request.true_negative_rate)
    result: dict[str, Any] = {
        "pair_verify_result": 0 if score >= threshold else 1,
        "pair_verify_similarity": round(score, 4),
        "query_image_package_result": package_result,
    }
    if request.enable_verify_detail:
        result["verify_detail"] = {"score_list": [round(score, 4)]}
        if request.return_face_rect:
            result["verify_detail"]["query_face_rect"] = [_rect(face)]
    return result
