"""What 102.1 (register/delete) and 103.1 (retrieval) do, independent of HTTP.

Each function takes the parsed request and the caller's tenant id and returns the response
fields (without rtn/message/global_request_id). CPU-heavy when an image is given (face
detection and embedding, ~40 ms); call from a worker thread.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

from facesaas.errors import FaceQualityTooPoor, InvalidParameter, MissingParameter, NoFaceDetected, TooManyFaces
from facesaas.face.calibration import (
    SEARCH_TRUE_NEGATIVE_RATES,
    Calibration,
    expected_fpir,
    far_from_true_negative_rate,
    similarity_from_cosine,
)
from facesaas.face.engine import FaceEngine
from facesaas.face.feature import decode_feature
from facesaas.face.image import encode_jpeg
from facesaas.face.quality import GATE_LEVELS, Quality
from facesaas.inputs import ImageLimits, load_image
from facesaas.repositories.schemas import LABELS, REGISTER_IMAGE_TYPES, RegisterRequest, RetrievalRequest
from facesaas.repositories.store import FaceRepositories, NewFace, RepoKey

__all__ = ["register_or_delete", "retrieve", "check_name", "face_crop", "registration_face", "enrolment_face",
           "MAX_DESCRIPTION_BYTES", "MAX_TIMESTAMP", "MAX_TOPK"]

MAX_DESCRIPTION_BYTES = 4096
MAX_TIMESTAMP = 2**63 - 1
"""The largest timestamp a 64-bit database column holds (a bigger int would fail to store)."""
MAX_TOPK = 10
_CROP_MARGIN = 0.4
_CROP_MAX_SIDE = 256


def check_name(value: str, field: str) -> str:
    """The manual's rule for user_id and repo_name: 1–18 bytes, no underscore (and, ours, no
    control characters, which would make CLI listings and logs ambiguous)."""
    size = len(value.encode("utf-8"))
    if size == 0:
        raise InvalidParameter(f"{field} must not be empty")
    if size > 18:
        raise InvalidParameter(f"{field} is {size} bytes, at most 18")
    if "_" in value:
        raise InvalidParameter(f"{field} must not contain an underscore")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidParameter(f"{field} must not contain control characters")
    return value


def _check_label(label: int) -> int:
    if label not in LABELS:
        raise InvalidParameter(f"label must be one of {sorted(LABELS)}, got {label}")
    return label


def face_crop(bgr: np.ndarray, box: tuple[int, int, int, int], rotation: int) -> bytes:
    """The stored face image: the face box plus a 40 % margin, upright, at most 256 px a side,
    JPEG. ``box`` is (x, y, w, h) in pixels of ``bgr``; ``rotation`` the clockwise degrees that
    made the face upright."""
    import cv2

    x, y, w, h = box
    height, width = bgr.shape[:2]
    mx, my = int(w * _CROP_MARGIN), int(h * _CROP_MARGIN)
    crop = bgr[max(0, y - my) : min(height, y + h + my), max(0, x - mx) : min(width, x + w + mx)]
    crop = np.ascontiguousarray(np.rot90(crop, k=-(rotation // 90)))
    scale = _CROP_MAX_SIDE / max(crop.shape[:2])
    if scale < 1:
        crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    return encode_jpeg(crop, quality=90)


def _user_image(content: str | None, limits: ImageLimits) -> np.ndarray:
    """The decoded ``user_info.image_content`` (BGR uint8), required in mode 1."""
    if content is None:
        raise MissingParameter("user_info.image_content (mode 1)")
    return load_image(content, "user_info.image_content", limits)


def _register_face(
    engine: FaceEngine, request: RegisterRequest, mode: int, limits: ImageLimits, gate: str
) -> tuple[NewFace, Quality | None]:
    info = request.user_info
    if request.options.image_type not in REGISTER_IMAGE_TYPES:
        raise InvalidParameter(f"options.image_type must be one of {sorted(REGISTER_IMAGE_TYPES)}")
    if info.timestamp is not None and not 0 <= info.timestamp <= MAX_TIMESTAMP:
        raise InvalidParameter(f"user_info.timestamp must be 0–{MAX_TIMESTAMP} (milliseconds since the epoch)")
    if info.description is not None:
        size = len(json.dumps(info.description, ensure_ascii=False).encode("utf-8"))
        if size > MAX_DESCRIPTION_BYTES:
            raise InvalidParameter(f"user_info.description is {size} bytes serialised, at most {MAX_DESCRIPTION_BYTES}")
    if mode == 2:
        if info.feature_content is None:
            raise MissingParameter("user_info.feature_content (mode 2)")
        vectors = decode_feature(info.feature_content, "user_info.feature_content", engine.scheme)
        if len(vectors) != 1:
            raise TooManyFaces(f"user_info.feature_content holds {len(vectors)} faces; register one face per user_id")
        # A feature has no pixels to judge: registering by feature is never gated (docs/api.md).
        return NewFace(info.user_id, vectors[0], info.timestamp, info.description, None), None
    bgr = _user_image(info.image_content, limits)
    return enrolment_face(engine, bgr, info.user_id, "user_info.image_content", info.timestamp, info.description, gate=gate)


def registration_face(
    engine: FaceEngine,
    bgr: np.ndarray,
    user_id: str,
    field: str,
    timestamp: int | None = None,
    description: dict[str, Any] | None = None,
) -> NewFace:
    """The face a registration photo (BGR uint8) enrols, without the quality gate (the bulk
    import's path): :func:`enrolment_face` with ``gate="off"``."""
    return enrolment_face(engine, bgr, user_id, field, timestamp, description, gate="off")[0]


def enrolment_face(
    engine: FaceEngine,
    bgr: np.ndarray,
    user_id: str,
    field: str,
    timestamp: int | None = None,
    description: dict[str, Any] | None = None,
    *,
    gate: str,
) -> tuple[NewFace, Quality]:
    """The face a registration photo (BGR uint8) enrols and its quality: exactly one prominent
    face, else NoFaceDetected / TooManyFaces naming ``field``; a face failing a check of gate
    level ``gate`` ("off", "lenient", "strict") is FaceQualityTooPoor naming the checks.
    Cost: one detection and embedding (~40 ms) and the quality measures (~0.3 ms)."""
    analysis = engine.analyze(bgr, max_faces=1, quality=True)
    if not analysis.faces:
        raise NoFaceDetected(field)
    if analysis.prominent_count() > 1:
        # A registration photo must show one person: which of two would the blacklist hold?
        raise TooManyFaces(f"{field} shows {analysis.prominent_count()} people; register one face per user_id")
    face = analysis.faces[0]
    assert face.quality is not None
    reasons = face.quality.reasons(gate)
    if reasons:
        raise FaceQualityTooPoor(f"{field} at gate {gate!r} (score {face.quality.score}): " + "; ".join(reasons))
    new = NewFace(user_id, face.embedding, timestamp, description, face_crop(bgr, face.box, analysis.rotation))
    return new, face.quality


def register_or_delete(
    engine: FaceEngine,
    repositories: FaceRepositories,
    tenant_id: int,
    request: RegisterRequest,
    limits: ImageLimits,
    quality_gate: str = "off",
) -> dict[str, Any]:
    """102.1: register (mode 1 image / 2 feature) or delete (mode 3, or the manual's form: no
    mode and neither image_content nor feature_content). Returns {} on success, and for an
    image ``face_quality`` (docs/api.md). ``quality_gate`` is the deployment's enrolment gate
    (FACESAAS_ENROL_QUALITY); the request's ``options.quality_gate`` overrides it."""
    info = request.user_info
    check_name(info.user_id, "user_info.user_id")
    check_name(info.repo_name, "user_info.repo_name")
    key = RepoKey(tenant_id, _check_label(info.label), info.repo_name)
    mode = request.mode
    if mode is None:
        mode = 3 if info.image_content is None and info.feature_content is None else 1
    if mode not in (1, 2, 3):
        raise InvalidParameter(f"mode must be 1 (image), 2 (feature) or 3 (delete), got {mode}")
    if mode == 3:
        repositories.delete(key, info.user_id)
        return {}
    gate = request.options.quality_gate if request.options.quality_gate is not None else quality_gate
    if gate not in GATE_LEVELS:
        raise InvalidParameter(f"options.quality_gate must be one of {list(GATE_LEVELS)}, got {gate!r}")
    face, quality = _register_face(engine, request, mode, limits, gate)
    repositories.register(key, face)
    return {} if quality is None else {"face_quality": quality.as_dict()}


def _query_vectors(engine: FaceEngine, request: RetrievalRequest, limits: ImageLimits) -> np.ndarray:
    info = request.user_info
    if request.mode == 2:
        if info.feature_content is None:
            raise MissingParameter("user_info.feature_content (mode 2)")
        # A multi-face feature searches its first (largest) face, as 1:1 uses its first face.
        return decode_feature(info.feature_content, "user_info.feature_content", engine.scheme)[:1]
    bgr = _user_image(info.image_content, limits)
    analysis = engine.analyze(bgr, max_faces=1, auto_rotate=request.options.auto_rotate, flip=request.options.auto_flip)
    if not analysis.faces:
        raise NoFaceDetected("user_info.image_content")
    face = analysis.faces[0]  # the largest face is the one searched (docs/api.md)
    vectors = [face.embedding] if face.flip_embedding is None else [face.embedding, face.flip_embedding]
    return np.stack(vectors)


def retrieve(
    engine: FaceEngine,
    repositories: FaceRepositories,
    calibration: Calibration,
    tenant_id: int,
    request: RetrievalRequest,
    limits: ImageLimits,
) -> dict[str, Any]:
    """103.1: the ``return_topk_face`` most similar faces, best first, with is_same_person,
    and next to them ``gallery_size`` (faces in the searched repositories) and
    ``expected_fpir``: the chance that someone enrolled in none of them still gets a result
    passing the threshold, ``1 − (1 − FAR)^comparisons`` with FAR the per-comparison rate the
    threshold of ``calibration`` was chosen for (the tenant's own table or the shipped one) and
    one comparison per gallery face and query vector (``auto_flip`` searches two)."""
    options = request.options
    if request.mode not in (1, 2):
        raise InvalidParameter(f"mode must be 1 (image) or 2 (feature), got {request.mode}")
    _check_label(request.user_info.label)
    repo_name = request.user_info.repo_name
    if repo_name:
        check_name(repo_name, "user_info.repo_name")
    if options.image_type != 301:
        raise InvalidParameter("options.image_type must be 301 (类证件照)")
    if options.true_negative_rate not in SEARCH_TRUE_NEGATIVE_RATES:
        raise InvalidParameter(f"options.true_negative_rate must be one of {list(SEARCH_TRUE_NEGATIVE_RATES)}")
    if not 1 <= options.return_topk_face <= MAX_TOPK:
        raise InvalidParameter(f"options.return_topk_face must be 1–{MAX_TOPK}, got {options.return_topk_face}")
    queries = _query_vectors(engine, request, limits)
    hits, gallery = repositories.search_gallery(
        tenant_id, request.user_info.label, repo_name or None, queries, options.return_topk_face
    )
    threshold = calibration.cosine_threshold(options.true_negative_rate)
    results = []
    for hit in hits:
        result: dict[str, Any] = {
            # Decided on the exact cosine; the reported confidence is rounded to 4 decimals.
            "is_same_person": hit.cosine >= threshold,
            "user_id": hit.user_id,
            "repo_name": hit.repo_name,
            "confidence": round(float(similarity_from_cosine(hit.cosine)), 4),
            "description": hit.description or {},
        }
        if options.return_face_image:
            image = repositories.face_image(hit.face_id) if hit.has_image else None
            result["face_image_content"] = base64.b64encode(image).decode("ascii") if image else ""
        results.append(result)
    fpir = expected_fpir(far_from_true_negative_rate(options.true_negative_rate), gallery * len(queries))
    return {"repo_result": results, "gallery_size": gallery, "expected_fpir": float(f"{fpir:.4g}")}
