"""The face engine: numpy image in, faces with embeddings out.

A deliberately small surface in the spirit of ``face_recognition``'s api.py::

    engine = FaceEngine.load()                 # models loaded and checked once
    analysis = engine.analyze(bgr, max_faces=2, auto_rotate=True, flip=True)
    analysis.faces[0].embedding                # (128,) float32, unit length, of engine.scheme
    engine.similarity(a, b)                    # 0–100

Per-request options are arguments; the engine holds no per-request state and is thread-safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from facesaas.errors import InternalError
from facesaas.face._models import SFACE, YUNET, load_session
from facesaas.face.calibration import similarity_from_cosine
from facesaas.face.detector import Detection, YuNetDetector
from facesaas.face.embedder import DEFAULT_SCHEME, EmbeddingScheme, SFaceEmbedder, align_face, get_scheme
from facesaas.face.quality import Quality, assess

__all__ = ["Face", "Analysis", "Detection", "FaceEngine", "get_engine"]

_ROTATIONS = (0, 90, 180, 270)


@dataclass(frozen=True)
class Face:
    """One face: box ``(x, y, w, h)`` in integer pixels of the image as given (after EXIF
    orientation), detector ``score`` 0–1, unit ``embedding`` (of the engine's scheme),
    ``flip_embedding`` (of the mirrored face, same scheme) and ``quality``
    (:mod:`facesaas.face.quality`) when requested. Under a mirror scheme the embedding and the
    flipped one are the same vector: the mean of a face and its mirror is its mirror's too."""

    box: tuple[int, int, int, int]
    score: float
    embedding: np.ndarray
    flip_embedding: np.ndarray | None = None
    quality: Quality | None = None


@dataclass(frozen=True)
class Analysis:
    """Result of :meth:`FaceEngine.analyze`: the kept faces (largest first), how many faces the
    image holds in all, and the clockwise rotation in degrees that found them."""

    faces: list[Face]
    face_num: int
    rotation: int = 0
    detections: list[Detection] = field(default_factory=list, repr=False)

    def prominent_count(self, ratio: float = 0.5) -> int:
        """Faces at least ``ratio`` as tall as the tallest one: the people a photo is *of*,
        not bystanders far behind them (121 of celeba's 2,487 portraits show such bystanders)."""
        tallest = max((d.box[3] for d in self.detections), default=0.0)
        return sum(1 for d in self.detections if d.box[3] >= ratio * tallest)


def _rotate(bgr: np.ndarray, degrees: int) -> np.ndarray:
    import cv2

    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return bgr if degrees == 0 else cv2.rotate(bgr, codes[degrees])


def _unrotate_box(box: tuple[float, float, float, float], degrees: int, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """Map a box found in the image rotated clockwise by ``degrees`` back to the original.

    ``shape`` is the original ``(height, width)``.
    """
    height, width = shape
    x, y, w, h = box
    corners = np.array([[x, y], [x + w, y + h]], dtype=np.float64)
    if degrees == 90:  # rotated (x', y') = (H - y, x)  →  x = y', y = H - x'
        corners = np.stack([corners[:, 1], height - corners[:, 0]], axis=1)
    elif degrees == 180:
        corners = np.stack([width - corners[:, 0], height - corners[:, 1]], axis=1)
    elif degrees == 270:  # rotated (x', y') = (y, W - x)  →  x = W - y', y = x'
        corners = np.stack([width - corners[:, 1], corners[:, 0]], axis=1)
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    return int(round(x0)), int(round(y0)), int(round(x1 - x0)), int(round(y1 - y0))


class FaceEngine:
    """YuNet detection + ArcFace alignment + SFace embedding under one embedding scheme."""

    def __init__(self, detector: YuNetDetector, embedder: SFaceEmbedder, scheme: EmbeddingScheme | None = None) -> None:
        self.detector = detector
        self.embedder = embedder
        self.scheme = scheme or get_scheme(DEFAULT_SCHEME)

    @classmethod
    def load(cls, *, threads: int = 2, detection_threshold: float = 0.7, scheme: str = DEFAULT_SCHEME) -> FaceEngine:
        """Load both models (SHA-256 checked). Cost ~0.6 s; use :func:`get_engine` to share one.
        ``scheme`` names the embedding scheme (:data:`facesaas.face.embedder.SCHEMES`)."""
        embedding_scheme = get_scheme(scheme)
        detector = YuNetDetector(load_session(YUNET, threads=threads), score_threshold=detection_threshold)
        embedder = SFaceEmbedder(load_session(SFACE, threads=threads))
        return cls(detector, embedder, embedding_scheme)

    def analyze(
        self, bgr: np.ndarray, *, max_faces: int = 1, auto_rotate: bool = False, flip: bool = False,
        quality: bool = False,
    ) -> Analysis:
        """Detect all faces and embed the ``max_faces`` largest.

        ``auto_rotate`` tries 0/90/180/270° clockwise and keeps the rotation whose best face
        scores highest (4 detector passes). ``flip`` also embeds each face's mirror image.
        ``quality`` also assesses each embedded face on the crop the embedder saw (~0.3 ms).
        Cost: one detection (~9 ms) plus ~20 ms per embedded face, ×2 with ``flip`` or a mirror
        scheme (not ×4: under a mirror scheme the flipped vector is the same one).
        Raises InternalError if onnxruntime or OpenCV fail (never for a merely odd image).
        """
        try:
            return self._analyze(bgr, max_faces=max_faces, auto_rotate=auto_rotate, flip=flip, quality=quality)
        except Exception as exc:  # onnxruntime and OpenCV raise their own, unrelated types
            raise InternalError("face engine failed") from exc

    def detect(self, bgr: np.ndarray) -> list[Detection]:
        """Faces in ``bgr`` (BGR uint8), largest first, without embeddings: one detector pass,
        ~9 ms. Raises InternalError if onnxruntime or OpenCV fail, as :meth:`analyze` does."""
        try:
            return self.detector.detect(bgr)
        except Exception as exc:  # onnxruntime and OpenCV raise their own, unrelated types
            raise InternalError("face detector failed") from exc

    def embed(self, bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """The unit embedding ``(128,)`` float32 (of the engine's scheme) of the face whose five
        landmarks ``landmarks`` (``(5, 2)`` pixels of ``bgr``: right eye, left eye, nose tip, right
        and left mouth corner, as :meth:`detect` gives them) mark, after ArcFace alignment. Cost
        ~20 ms (~40 ms under a mirror scheme). Raises InternalError if onnxruntime or OpenCV
        fail, as :meth:`analyze` does."""
        try:
            return self.embedder.embed_scheme(align_face(bgr, landmarks), self.scheme)
        except Exception as exc:  # onnxruntime and OpenCV raise their own, unrelated types
            raise InternalError("face embedder failed") from exc

    def _analyze(self, bgr: np.ndarray, *, max_faces: int, auto_rotate: bool, flip: bool, quality: bool) -> Analysis:
        best: tuple[float, int, np.ndarray, list[Detection]] | None = None
        for degrees in _ROTATIONS if auto_rotate else (0,):
            rotated = _rotate(bgr, degrees)
            detections = self.detector.detect(rotated)
            top = max((d.score for d in detections), default=-1.0)
            if best is None or top > best[0]:
                best = (top, degrees, rotated, detections)
        assert best is not None
        _, degrees, rotated, detections = best
        faces = []
        for detection in detections[:max_faces]:
            crop = align_face(rotated, detection.landmarks)
            embedding = self.embedder.embed_scheme(crop, self.scheme)
            if not flip:
                flipped = None
            elif self.scheme.mirror:
                flipped = embedding
            else:
                flipped = self.embedder.embed_scheme(crop[:, ::-1].copy(), self.scheme)
            # Measured on the rotated image the face was found in: pose is then relative to upright.
            assessed = assess(rotated, detection, crop) if quality else None
            box = _unrotate_box(detection.box, degrees, bgr.shape[:2])
            faces.append(Face(box=box, score=detection.score, embedding=embedding, flip_embedding=flipped, quality=assessed))
        return Analysis(faces=faces, face_num=len(detections), rotation=degrees, detections=detections)

    @staticmethod
    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        """Similarity 0–100 of two unit embeddings (see :mod:`facesaas.face.calibration`)."""
        return float(similarity_from_cosine(float(np.dot(a, b))))


@lru_cache(maxsize=4)
def get_engine(threads: int = 2, detection_threshold: float = 0.7, scheme: str = DEFAULT_SCHEME) -> FaceEngine:
    """The process-wide engine for these options, loaded on first use."""
    return FaceEngine.load(threads=threads, detection_threshold=detection_threshold, scheme=scheme)
