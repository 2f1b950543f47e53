"""468-point face mesh: MediaPipe's Face Mesh landmark network on a face region.

The network (``models/face_mesh.onnx``, Apache-2.0, converted from the PyPI wheel
``mediapipe==0.10.21`` by ``scripts/convert_face_mesh.py``; SHA-256 pinned below) takes a
192×192 RGB crop of one face, upright, and returns 468 points ``(x, y, z)`` and a face
presence logit. This module cuts that crop out of a frame for a region of interest
(:class:`Roi`: centre, side and in-plane rotation), runs the network, and maps the points back
to the frame's pixels:

- ``x``, ``y``: pixels of the frame, top-left origin;
- ``z``: depth in the same pixel scale as ``x`` (smaller = nearer the camera), relative to
  the face's centre; only differences of ``z`` are meaningful.

A region comes from a YuNet detection (:func:`roi_from_detection`) for the first frame and
from the previous frame's points afterwards (:func:`roi_from_points`), as MediaPipe itself
tracks. Cost: ~2.5 ms per face on one core (a batch of crops shares one call).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from facesaas.errors import ConfigurationError, InternalError
from facesaas.face.detector import Detection

__all__ = ["FaceMesh", "MeshResult", "Roi", "get_mesh", "roi_from_detection", "roi_from_points", "MESH_SHA256"]

_MODEL = Path(__file__).with_name("models") / "face_mesh.onnx"
MESH_SHA256 = "9c4a86bc381280da9cfb5a251859eb620cf1384076346004c1f97cc9aad1b02e"
_SIDE = 192
_SCALE = 1.5
"""The crop's side is 1.5 × the face's extent, as MediaPipe's own graph cuts it."""
# Eye-corner indices of the mesh: 33 is the outer corner of the eye on the image's left, 263 of
# the one on the image's right (for an upright, unmirrored face).
_EYE_LEFT_OF_IMAGE, _EYE_RIGHT_OF_IMAGE = 33, 263


@dataclass(frozen=True)
class Roi:
    """A square face region: centre ``(cx, cy)`` and ``side`` in frame pixels, ``angle`` the
    face's in-plane rotation in radians (0 = eyes level; positive = the eye line runs down to
    the image's right)."""

    cx: float
    cy: float
    side: float
    angle: float

    def to_crop(self) -> np.ndarray:
        """The 2×3 affine matrix from frame pixels to crop pixels (192×192)."""
        scale = _SIDE / self.side
        cos, sin = math.cos(-self.angle) * scale, math.sin(-self.angle) * scale
        return np.array(
            [[cos, -sin, _SIDE / 2 - cos * self.cx + sin * self.cy],
             [sin, cos, _SIDE / 2 - sin * self.cx - cos * self.cy]],
            dtype=np.float64,
        )  # fmt: skip


@dataclass(frozen=True)
class MeshResult:
    """The mesh of one face: ``points`` (468, 3) float32 as described in the module, and
    ``presence`` 0–1, the network's belief that the crop holds a face."""

    points: np.ndarray
    presence: float


def roi_from_detection(detection: Detection) -> Roi:
    """The region for a YuNet detection: its box centre, 1.5 × its longer side, rotated so the
    eyes are level."""
    x, y, w, h = detection.box
    (lx, ly), (rx, ry) = detection.landmarks[0], detection.landmarks[1]
    return Roi(x + w / 2, y + h / 2, _SCALE * max(w, h), math.atan2(ry - ly, rx - lx))


def roi_from_points(points: np.ndarray) -> Roi:
    """The region for the next frame from this frame's mesh: the points' extent in the face's
    own upright frame, 1.5 × its longer side, rotated by the eye-corner line."""
    left, right = points[_EYE_LEFT_OF_IMAGE, :2], points[_EYE_RIGHT_OF_IMAGE, :2]
    angle = math.atan2(float(right[1] - left[1]), float(right[0] - left[0]))
    cos, sin = math.cos(angle), math.sin(angle)
    xy = points[:, :2].astype(np.float64)
    upright = xy @ np.array([[cos, -sin], [sin, cos]])  # rotate by -angle
    low, high = upright.min(axis=0), upright.max(axis=0)
    centre_upright = (low + high) / 2
    cx = centre_upright[0] * cos - centre_upright[1] * sin
    cy = centre_upright[0] * sin + centre_upright[1] * cos
    return Roi(float(cx), float(cy), float(_SCALE * (high - low).max()), angle)


class FaceMesh:
    """The landmark network in an onnxruntime session; thread-safe, no per-call state."""

    def __init__(self, session) -> None:  # noqa: ANN001 - onnxruntime type is imported lazily
        self._session = session

    @classmethod
    def load(cls, *, threads: int = 1) -> FaceMesh:
        """Load the shipped model (SHA-256 checked). Cost ~50 ms; use :func:`get_mesh`."""
        import onnxruntime as ort

        from facesaas.face._models import _session_options

        data = _MODEL.read_bytes() if _MODEL.is_file() else b""
        if hashlib.sha256(data).hexdigest() != MESH_SHA256:
            raise ConfigurationError(f"face mesh model {_MODEL} is missing or altered")
        try:
            session = ort.InferenceSession(data, _session_options(threads), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types
            raise ConfigurationError(f"cannot load {_MODEL.name}: {exc}") from exc
        return cls(session)

    def run(self, frames: list[np.ndarray], rois: list[Roi]) -> list[MeshResult]:
        """The mesh of the face in each ``frames[i]`` (BGR uint8) within ``rois[i]``; one
        network call for the whole batch. Raises InternalError if OpenCV or onnxruntime fail."""
        if not frames:
            return []
        try:
            crops, inverses = [], []
            for frame, roi in zip(frames, rois, strict=True):
                matrix = roi.to_crop()
                crop = cv2.warpAffine(frame, matrix, (_SIDE, _SIDE), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_CONSTANT)  # fmt: skip
                crops.append(crop[:, :, ::-1])
                inverses.append(cv2.invertAffineTransform(matrix))
            batch = np.stack(crops).astype(np.float32).transpose(0, 3, 1, 2) / np.float32(255.0)
            landmarks, logits = self._session.run(None, {"image": np.ascontiguousarray(batch)})
        except Exception as exc:  # onnxruntime and OpenCV raise their own, unrelated types
            raise InternalError("face mesh failed") from exc
        results = []
        for raw, logit, inverse, roi in zip(landmarks, logits, inverses, rois, strict=True):
            points = raw.reshape(468, 3).astype(np.float64)
            xy = points[:, :2] @ inverse[:, :2].T + inverse[:, 2]
            z = points[:, 2] * (roi.side / _SIDE)
            presence = 1.0 / (1.0 + math.exp(-float(np.clip(logit[0], -30, 30))))
            results.append(MeshResult(np.column_stack([xy, z]).astype(np.float32), presence))
        return results


@lru_cache(maxsize=2)
def get_mesh(threads: int = 1) -> FaceMesh:
    """The process-wide mesh network, loaded on first use."""
    return FaceMesh.load(threads=threads)
