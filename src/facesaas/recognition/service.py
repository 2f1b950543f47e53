"""What CS201.1 (feature extraction) and CS202.2 (1:1 verification) do, independent of HTTP.

The HTTP routes and the in-process CLI both call :func:`extract_features` and
:func:`verify_pair` with a parsed request; they return the response body without ``rtn``,
``message`` and ``global_request_id`` (the caller adds those). All CPU-heavy; call from a
worker thread.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from facesaas.errors import (
    HolderNotFound,
    InternalError,
    InvalidParameter,
    MissingParameter,
    NoFaceDetected,
    TooManyFaces,
)
from facesaas.face.calibration import TRUE_NEGATIVE_RATES, Calibration
from facesaas.face.engine import Analysis, Face, FaceEngine
from facesaas.face.feature import decode_feature, encode_feature
from facesaas.face.image import encode_jpeg
from facesaas.inputs import ImageLimits, PackageOptions, load_image, require_choice
from facesaas.recognition.image_types import MESH_TYPES, analyze_prepared, faces_to_compare
from facesaas.recognition.schemas import (
    DATABASE_IMAGE_TYPES,
    EXTRACTION_IMAGE_TYPES,
    QUERY_IMAGE_TYPES,
    ExtractionRequest,
    VerificationRequest,
    parse_key_points,
)

if TYPE_CHECKING:
    from facesaas.face.engine import Detection
    from facesaas.recognition.schemas import PackageVerificationRequest

__all__ = [
    "IdCardReader",
    "InfraredCheck",
    "InfraredOutcome",
    "PackageEvidence",
    "database_embedding",
    "extract_features",
    "validate_database_side",
    "verify_pair",
    "verify_package_pair",
]

# --- what CS201.1 and CS202.2 borrow from the other endpoint families ---------------------
# The families sit side by side and never import each other; the api/ and cli/ layers hand
# these in (documents reads the ID card, liveness checks infrared frames and packages).


class IdCardReader(Protocol):
    """Reads an ID card photo (BGR uint8) for ``idcard_ocr``: the ``idcard_ocr_result`` fields
    ``ocr_mode`` asks for plus ``idcard_type`` (``facesaas.documents.service.read_idcard_fields``).
    Cost: one or two OCR reads, 0.3–1.5 s."""

    def __call__(self, bgr: np.ndarray, *, auto_rotate: bool, ocr_mode: int) -> dict[str, Any]: ...


class InfraredOutcome(Protocol):
    """The infrared check's verdict: ``is_live`` and the response object ``as_dict()``."""

    @property
    def is_live(self) -> bool: ...

    def as_dict(self) -> dict[str, Any]: ...


class InfraredCheck(Protocol):
    """Judges an infrared frame against the colour photo's main face
    (``facesaas.liveness.infrared.check_infrared`` with the engine bound)."""

    def __call__(
        self,
        infrared: np.ndarray,
        colour_face: Detection | None,
        colour_shape: tuple[int, ...],
        key_points: np.ndarray | None = None,
    ) -> InfraredOutcome: ...


class PackageEvidence(Protocol):
    """Opens a customer's liveness package and runs the checks ``options`` ask for
    (``facesaas.liveness.service.PackageChecker``)."""

    def evidence(self, tenant_id: int, text: str, options: PackageOptions) -> tuple[np.ndarray | None, dict[str, Any]]:
        """The package's frontal image (None when the package is not valid) and its
        ``query_image_package_result``."""
        ...


def extract_features(
    engine: FaceEngine,
    request: ExtractionRequest,
    limits: ImageLimits,
    read_idcard: IdCardReader | None = None,
) -> dict[str, Any]:
    """CS201.1: the feature of the ``max_faces_allowed`` largest faces, and the face count.
    A mesh-watermarked photo (5/7/9/101) is de-meshed first; with ``remove_watermark`` the
    de-meshed photo comes back as ``processed_image_content``. With ``idcard_ocr`` (image_type 2
    only) also the ID card's fields, read by ``read_idcard``; a card side without a face (the back) then gives face_num 0 and an empty
    feature instead of -3001, since its text was asked for too. With ``return_face_quality``
    also ``face_quality``, one object per face of ``feature`` (:mod:`facesaas.face.quality`)."""
    require_choice(request.image_type, EXTRACTION_IMAGE_TYPES, "image_type")
    require_choice(request.max_faces_allowed, frozenset({1, 2}), "max_faces_allowed")
    require_choice(request.idcard_ocr_mode, frozenset({1, 2, 3}), "idcard_ocr_mode")
    if request.remove_watermark and request.image_type not in MESH_TYPES:
        raise InvalidParameter(f"remove_watermark applies to watermark image types {sorted(MESH_TYPES)} only")
    if request.idcard_ocr and request.image_type != 2:
        raise InvalidParameter("idcard_ocr applies to image_type 2 (证件照翻拍) only")
    bgr = load_image(request.image_content, "image_content", limits)
    prepared, analysis = analyze_prepared(
        engine, bgr, request.image_type, max_faces=request.max_faces_allowed, auto_rotate=request.auto_rotate,
        flip=request.flip_image, quality=request.return_face_quality,
    )
    if not analysis.faces and not request.idcard_ocr:
        raise NoFaceDetected("image_content")
    result: dict[str, Any] = {
        "feature": encode_feature(np.stack([f.embedding for f in analysis.faces]), engine.scheme) if analysis.faces else "",
        "face_num": analysis.face_num,
        "image_type": prepared.image_type,
    }
    if request.remove_watermark:
        result["processed_image_content"] = base64.b64encode(encode_jpeg(prepared.image, 95)).decode("ascii")
    if request.flip_image and analysis.faces:
        result["flip_feature"] = encode_feature(np.stack([f.flip_embedding for f in analysis.faces]), engine.scheme)
    if request.return_face_quality:
        # Measured on the image the faces were embedded from (de-meshed for 5/7/9/101).
        result["face_quality"] = [f.quality.as_dict() for f in analysis.faces if f.quality is not None]
    if request.idcard_ocr:
        if read_idcard is None:
            raise InternalError("idcard_ocr needs the ID-card reader")
        reading = read_idcard(bgr, auto_rotate=request.auto_rotate, ocr_mode=request.idcard_ocr_mode)
        result["idcard_type"] = reading.pop("idcard_type")
        result["idcard_ocr_result"] = reading
    return result


@dataclass(frozen=True)
class _QueryFace:
    embedding: np.ndarray
    flip_embedding: np.ndarray | None
    rect: dict[str, int] | None


@dataclass(frozen=True)
class _Query:
    """The query side: faces to compare (best first after scoring), and for an image the
    decoded photo and its analysis (the infrared check needs both)."""

    faces: list[_QueryFace]
    image: np.ndarray | None = None
    analysis: Analysis | None = None


def _query(engine: FaceEngine, request: VerificationRequest, limits: ImageLimits) -> _Query:
    if request.query_image_feature is not None:
        vectors = decode_feature(request.query_image_feature, "query_image_feature", engine.scheme)
        if len(vectors) > request.max_faces_allowed:
            raise TooManyFaces(f"query_image_feature holds {len(vectors)} faces, max_faces_allowed is {request.max_faces_allowed}")
        return _Query([_QueryFace(v, None, None) for v in vectors])
    assert request.query_image_content is not None
    bgr = load_image(request.query_image_content, "query_image_content", limits)
    compared = faces_to_compare(request.query_image_type, request.max_faces_allowed)
    analysis = engine.analyze(bgr, max_faces=compared, auto_rotate=request.auto_rotate_for_query, flip=request.auto_flip)
    if not analysis.faces:
        raise NoFaceDetected("query_image_content")
    if request.query_image_type == 302 and analysis.face_num < 2:
        raise HolderNotFound(f"{analysis.face_num} face found in query_image_content")
    # Small faces far behind the subject, or on the ID card a 302 holder shows, do not count
    # against the limit (docs/api.md).
    prominent = analysis.prominent_count()
    if prominent > request.max_faces_allowed:
        raise TooManyFaces(f"query image holds {prominent} faces, max_faces_allowed is {request.max_faces_allowed}")
    faces = [_QueryFace(f.embedding, f.flip_embedding, _rect(f)) for f in analysis.faces]
    return _Query(faces, bgr, analysis)


def _rect(face: Face) -> dict[str, int]:
    x, y, w, h = face.box
    return {"x": x, "y": y, "w": w, "h": h}


def _database_face(engine: FaceEngine, request: VerificationRequest, limits: ImageLimits) -> np.ndarray:
    return database_embedding(
        engine, content=request.database_image_content, feature=request.database_image_feature,
        image_type=request.database_image_type, auto_rotate=request.auto_rotate_for_database, limits=limits,
    )  # fmt: skip


def validate_database_side(content: str | None, feature: str | None, image_type: int | None, *,
                           required: bool = True) -> None:  # fmt: skip
    """CS202.2's rules for the database side: an image or a feature (exactly one; neither is
    -2002 only when ``required``), an image needs its type, 101 applies to images only."""
    if content is None and feature is None and required:
        raise MissingParameter("database_image_content or database_image_feature")
    if content is not None and feature is not None:
        raise InvalidParameter("give database_image_content or database_image_feature, not both")
    if content is not None and image_type is None:
        raise MissingParameter("database_image_type")
    if image_type is not None:
        require_choice(image_type, DATABASE_IMAGE_TYPES, "database_image_type")
    if image_type == 101 and feature is not None:
        raise InvalidParameter("database_image_type 101 (detect the mesh kind) applies to images only, as the manual says")


def database_embedding(engine: FaceEngine, *, content: str | None, feature: str | None, image_type: int | None,
                       auto_rotate: bool, limits: ImageLimits) -> np.ndarray:  # fmt: skip
    """The database face of CS202.2 (checked by :func:`validate_database_side` first): the
    first face of ``feature``, or the largest face of the image ``content`` (base64) prepared
    for its ``image_type``; -3001 if it has none. Cost ~30 ms for an image."""
    if feature is not None:
        return decode_feature(feature, "database_image_feature", engine.scheme)[0]
    assert content is not None and image_type is not None
    bgr = load_image(content, "database_image_content", limits)
    _, analysis = analyze_prepared(engine, bgr, image_type, max_faces=1, auto_rotate=auto_rotate)
    if not analysis.faces:
        raise NoFaceDetected("database_image_content")
    # An ID photo holds one person; if several faces are found the largest is the subject
    # (on a type-2 recapture, the card's portrait).
    return analysis.faces[0].embedding


def _validate_verification(request: VerificationRequest, *, package: bool = False) -> None:
    if package and (request.query_image_content is not None or request.query_image_feature is not None):
        raise InvalidParameter("give query_image_package or query_image_content/query_image_feature, not both")
    if not package:
        if request.query_image_content is None and request.query_image_feature is None:
            raise MissingParameter("query_image_content or query_image_feature")
        if request.query_image_content is not None and request.query_image_feature is not None:
            raise InvalidParameter("give query_image_content or query_image_feature, not both")
    validate_database_side(request.database_image_content, request.database_image_feature, request.database_image_type)
    require_choice(request.query_image_type, QUERY_IMAGE_TYPES, "query_image_type")
    info = request.query_image_additional_info
    if info is not None and info.infrared_face_image_content and request.query_image_content is None:
        raise InvalidParameter("query_image_additional_info needs query_image_content (the colour photo taken with it)")
    if info is not None and info.face_key_point_info and not info.infrared_face_image_content:
        raise MissingParameter("query_image_additional_info.infrared_face_image_content (face_key_point_info is about it)")
    if request.true_negative_rate not in TRUE_NEGATIVE_RATES:
        raise InvalidParameter(f"true_negative_rate must be one of {list(TRUE_NEGATIVE_RATES)}")
    if request.max_faces_allowed < 1 or request.max_faces_allowed > 16:
        raise InvalidParameter("max_faces_allowed must be between 1 and 16")


def verify_pair(
    engine: FaceEngine,
    calibration: Calibration,
    request: VerificationRequest,
    limits: ImageLimits,
    check_infrared: InfraredCheck | None = None,
) -> dict[str, Any]:
    """CS202.2: compare every query face with the database face; the best score decides.
    With an infrared frame in ``query_image_additional_info`` the pair is accepted only if
    ``check_infrared`` passes too (``facesaas.liveness.infrared``)."""
    _validate_verification(request)
    key_points, infrared_image = None, None
    info = request.query_image_additional_info
    if info is not None and info.infrared_face_image_content:
        if check_infrared is None:
            raise InternalError("query_image_additional_info needs the infrared check")
        key_points = parse_key_points(info.face_key_point_info)
        field = "query_image_additional_info.infrared_face_image_content"
        infrared_image = load_image(info.infrared_face_image_content, field, limits)
    database = _database_face(engine, request, limits)
    query = _query(engine, request, limits)
    scored = []
    for face in query.faces:
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
    if infrared_image is not None:
        assert query.analysis is not None and query.image is not None
        colour_face = query.analysis.detections[0] if query.analysis.detections else None
        assert check_infrared is not None
        infrared = check_infrared(infrared_image, colour_face, query.image.shape, key_points)
        result["query_image_additional_info_result"] = infrared.as_dict()
        if not infrared.is_live:
            result["pair_verify_result"] = 1  # the score stays as measured; liveness failed
    return result


def verify_package_pair(
    engine: FaceEngine,
    calibration: Calibration,
    packages: PackageEvidence,
    tenant_id: int,
    request: PackageVerificationRequest,
    limits: ImageLimits,
) -> dict[str, Any]:
    """CS202.2 with a liveness package: the package's frontal (first) image is the query photo;
    its checks run as in 101.3 and come back in ``query_image_package_result``. A package
    that is not valid compares nothing: ``pair_verify_result`` 1, similarity 0, and the reason
    in the package result (the manual's answer shape, not an error)."""
    _validate_verification(request, package=True)
    database = _database_face(engine, request, limits)
    frontal, package_result = packages.evidence(tenant_id, request.query_image_package, request)
    if frontal is None:
        return {"pair_verify_result": 1, "pair_verify_similarity": 0.0, "query_image_package_result": package_result}
    analysis = engine.analyze(frontal, max_faces=1, auto_rotate=request.auto_rotate_for_query, flip=request.auto_flip)
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
