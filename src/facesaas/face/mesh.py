"""468-point face mesh and eyelids: MediaPipe's Face Mesh and Iris landmark networks.

The networks (``models/face_mesh.onnx`` and ``models/iris.onnx``, Apache-2.0, converted from
the PyPI wheel ``mediapipe==0.10.21`` by ``scripts/convert_face_mesh.py``; SHA-256 pinned
below) take a 192×192 RGB crop of one face, upright, and return 468 points ``(x, y, z)`` and a
face presence logit; and a 64×64 crop of one eye, returning its contour (71 points, the first 16
the lids). The mesh alone barely follows a closing eye (its lid gap fell only to ~75 % of the
open value on a fully shut eye in our clips); the eye network follows it to ~30 %, which is
why blinks are measured with it. This module cuts the face crop out of a frame for a region of interest
(:class:`Roi`: centre, side and in-plane rotation), runs the network, and maps the points back
to the frame's pixels:

- ``x``, ``y``: pixels of the frame, top-left origin;
- ``z``: depth in the same pixel scale as ``x`` (smaller = nearer the camera), relative to
  the face's centre; only differences of ``z`` are meaningful.

A region comes from a YuNet detection (:func:`roi_from_detection`) for the first frame and
from the previous frame's points afterwards (:func:`roi_from_points`), as MediaPipe itself
tracks. Cost: ~5 ms per face for the mesh and ~3 ms for both eyes on one core (a batch of
crops shares one call).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from facesaas.errors import InternalError
from facesaas.face.detector import Detection

__all__ = ["FaceMesh", "MeshResult", "Roi", "get_mesh", "roi_from_detection", "roi_from_points", "MESH_SHA256",
           "IRIS_SHA256"]

_MODEL = Path(__file__).with_name("models") / "face_mesh.onnx"
MESH_SHA256 = "64b834e35633195e389786880e3d1e2eefcac6640eca306025e9fa16e72d796a"
_IRIS = Path(__file__).with_name("models") / "iris.onnx"
IRIS_SHA256 = "a0ee708f06eec86d9a4255dd6051c62ec7f881d22d2f7bf3a284cf03383d9f68"
_EYE_SIDE = 64
_EYE_SCALE = 2.3
"""The eye crop's side is 2.3 × the corner-to-corner distance, as MediaPipe's graph cuts it."""
# Each eye by its mesh corners (outer, inner) and whether its crop is mirrored: the eye network
# expects the outer corner on the crop's left, as the eye on the image's left has it.
_EYES = ((33, 133, False), (263, 362, True))
# In the eye network's contour: 0 and 8 the outer and inner corner, 1–7 the lower lid and 9–15
# the upper lid, each from outer to inner; the three middle pairs give the lid gap.
_LID_PAIRS = ((11, 3), (12, 4), (13, 5))
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

    def to_crop(self, side: int = _SIDE) -> np.ndarray:
        """The 2×3 affine matrix from frame pixels to the pixels of a ``side``² crop."""
        scale = side / self.side
        cos, sin = math.cos(-self.angle) * scale, math.sin(-self.angle) * scale
        return np.array(
            [[cos, -sin, side / 2 - cos * self.cx + sin * self.cy],
             [sin, cos, side / 2 - sin * self.cx - cos * self.cy]],
            dtype=np.float64,
        )  # fmt: skip


@dataclass(frozen=True)
class MeshResult:
    """The mesh of one face: ``points`` (468, 3) float32 as described in the module,
    ``presence`` 0–1, the network's belief that the crop holds a face, and ``eye`` the eye
    opening by the eye network (lid gap over eye width, both eyes averaged: ~0.35–0.4 open,
    ~0.1 shut; None when not asked for or no face)."""

    points: np.ndarray
    presence: float
    eye: float | None = None


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

    def __init__(self, session, iris) -> None:  # noqa: ANN001 - onnxruntime types are imported lazily
        self._session = session
        self._iris = iris

    @classmethod
    def load(cls, *, threads: int = 1) -> FaceMesh:
        """Load the shipped models (SHA-256 checked). Cost ~80 ms; use :func:`get_mesh`."""
        from facesaas.face._models import load_pinned_session

        sessions = [load_pinned_session(path, digest, threads=threads) for path, digest in ((_MODEL, MESH_SHA256), (_IRIS, IRIS_SHA256))]
        return cls(*sessions)

    def run(self, frames: list[np.ndarray], rois: list[Roi], *, eyes: bool = False) -> list[MeshResult]:
        """The mesh of the face in each ``frames[i]`` (BGR uint8) within ``rois[i]``, and with
        ``eyes`` the eye opening of each face found; one call of each network for the whole
        batch. Raises InternalError if OpenCV or onnxruntime fail."""
        if not frames:
            return []
        results = self._mesh(frames, rois)
        if not eyes:
            return results
        found = [i for i, result in enumerate(results) if result.presence >= 0.5]
        openings = self.eye_openness([frames[i] for i in found], [results[i].points for i in found])
        for i, opening in zip(found, openings, strict=True):
            results[i] = MeshResult(results[i].points, results[i].presence, opening)
        return results

    def eye_openness(self, frames: list[np.ndarray], meshes: list[np.ndarray]) -> list[float]:
        """The eye network's opening (see :class:`MeshResult`) of the face whose mesh is
        ``meshes[i]`` in ``frames[i]``; one network call for all. Cost ~3 ms per face. Raises
        InternalError if OpenCV or onnxruntime fail."""
        if not frames:
            return []
        try:
            return self._eyes(frames, meshes)
        except Exception as exc:  # onnxruntime and OpenCV raise their own, unrelated types
            raise InternalError("eye landmarks failed") from exc

    def _eyes(self, frames: list[np.ndarray], meshes: list[np.ndarray]) -> list[float]:
        crops = []
        for frame, points in zip(frames, meshes, strict=True):
            for outer, inner, mirrored in _EYES:
                a, b = points[outer, :2].astype(np.float64), points[inner, :2].astype(np.float64)
                if mirrored:  # the crop's axis runs inner → outer, then the crop is mirrored
                    a, b = b, a
                width = max(float(np.linalg.norm(b - a)), 1.0)
                centre = (a + b) / 2
                roi = Roi(float(centre[0]), float(centre[1]), _EYE_SCALE * width, math.atan2(b[1] - a[1], b[0] - a[0]))
                crop = cv2.warpAffine(frame, roi.to_crop(_EYE_SIDE), (_EYE_SIDE, _EYE_SIDE), flags=cv2.INTER_LINEAR)
                crops.append((crop[:, ::-1] if mirrored else crop)[:, :, ::-1])
        batch = np.stack(crops).astype(np.float32).transpose(0, 3, 1, 2) / np.float32(255.0)
        contours, _ = self._iris.run(None, {"image": np.ascontiguousarray(batch)})
        openings = []
        for contour in contours.reshape(-1, 71, 3)[:, :16, :2]:
            width = float(np.linalg.norm(contour[0] - contour[8]))
            gap = np.mean([np.linalg.norm(contour[up] - contour[down]) for up, down in _LID_PAIRS])
            openings.append(float(gap / width) if width > 0 else 0.0)
        return [float(np.mean(openings[i : i + 2])) for i in range(0, len(openings), 2)]

    def _mesh(self, frames: list[np.ndarray], rois: list[Roi]) -> list[MeshResult]:
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
