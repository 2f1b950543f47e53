"""The six checks on a package's images (manual 9.1, 101.3): same person, anti-screen, dark
illumination, anti-picture, eye blockage, anti-hole.

Every check returns a :class:`CheckResult`: ``valid`` (it could judge: a face large enough was
found where it needs one), ``passed`` (the images look live on this count) and ``score``.
Scores are oriented alike: **higher means more live-looking**, and a check passes when its
score reaches the threshold its level names (:data:`THRESHOLDS`; the levels are the manual's
"high"/"medium"/"low", "high" being the strictest, except for dark illumination, where the
level is the darkness allowed). How each threshold was chosen, and the APCER/BPCER it gives
on real and generated attacks, is in docs/liveness.md.

Pure functions over decoded frames (BGR uint8, frontal first) and their face detections;
cost ~10 ms per frame for the detection (done once by :func:`observe`), ~20 ms per face for
same-person embeddings, ~15 ms per frame for the spectrum of anti-screen, the rest < 1 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from facesaas.face.detector import Detection
from facesaas.face.engine import FaceEngine

__all__ = [
    "CheckResult",
    "Frame",
    "observe",
    "THRESHOLDS",
    "MIN_FACE_PX",
    "same_person",
    "anti_screen",
    "dark_illumination",
    "anti_picture",
    "eye_blockage",
    "anti_hole",
]

MIN_FACE_PX = 64
"""Faces shorter than this (pixels) are too small for the pixel-level checks to judge."""

THRESHOLDS: dict[str, dict[str, float]] = {
    # Similarity 0–100 between the frontal face and each other face; "high" = FAR 1e-4,
    # "medium" (default) = 1e-3, "low" = 1e-2 of the shipped calibration (filled in at use).
    "same_person": {},
    # Negated spectral grid-peak height (see facesaas.documents.forensics.grid_peak).
    "anti_screen": {"high": -0.55, "low": -0.9},
    # Face luminance 0–255 that must be reached; the level is the darkness *allowed*.
    "dark_illumination": {"high": 8.0, "medium": 25.0, "low": 50.0},
    # Nose parallax across frames, in inter-ocular distances.
    "anti_picture": {"high": 0.06, "medium": 0.04, "low": 0.025},
    # Eye-region contrast relative to the face's (the weaker eye).
    "anti_eye_blockage": {"high": 0.55, "medium": 0.45, "low": 0.35},
    # 1 − the share of a ring around the eye that is a sharp closed edge (the weaker eye).
    "anti_hole": {"high": 0.45, "medium": 0.35, "low": 0.25},
}


@dataclass(frozen=True)
class CheckResult:
    """``valid``: the check could judge; ``passed``: live on this count; ``score``: the
    measure (higher = more live), 0 when not valid."""

    valid: bool
    passed: bool
    score: float

    @classmethod
    def cannot_judge(cls) -> CheckResult:
        return cls(False, False, 0.0)


@dataclass(frozen=True)
class Frame:
    """One decoded image and its largest face (None if none was found)."""

    image: np.ndarray
    face: Detection | None

    @property
    def judgeable(self) -> bool:
        return self.face is not None and self.face.box[3] >= MIN_FACE_PX

    @property
    def inter_ocular(self) -> float:
        assert self.face is not None
        return float(np.linalg.norm(self.face.landmarks[1] - self.face.landmarks[0]))


def observe(engine: FaceEngine, images: list[np.ndarray]) -> list[Frame]:
    """Detect the largest face of each image (one detector pass each, ~10 ms)."""
    frames = []
    for image in images:
        detections = engine.detector.detect(image)
        frames.append(Frame(image, detections[0] if detections else None))
    return frames


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)


def _face_region(frame: Frame, shrink: float = 0.2) -> np.ndarray:
    """The face box without its outer ``shrink`` on each side (skin, not hair or background)."""
    assert frame.face is not None
    x, y, w, h = frame.face.box
    height, width = frame.image.shape[:2]
    x0, y0 = int(max(0, x + shrink * w)), int(max(0, y + shrink * h))
    x1, y1 = int(min(width, x + (1 - shrink) * w)), int(min(height, y + (1 - shrink) * h))
    return frame.image[y0:y1, x0:x1] if x1 > x0 + 4 and y1 > y0 + 4 else frame.image


def same_person(engine: FaceEngine, frames: list[Frame], threshold: float) -> CheckResult:
    """The lowest similarity (0–100) between the frontal (first) face and each other image's
    face; needs a face in every image and at least two images."""
    if len(frames) < 2 or any(frame.face is None for frame in frames):
        return CheckResult.cannot_judge()
    from facesaas.face.embedder import align_face

    embeddings = [engine.embedder.embed(align_face(frame.image, frame.face.landmarks)) for frame in frames]  # type: ignore[union-attr]
    score = min(engine.similarity(embeddings[0], other) for other in embeddings[1:])
    return CheckResult(True, score >= threshold, round(score, 4))


def anti_screen(frames: list[Frame], threshold: float) -> CheckResult:
    """A display's pixel grid or moiré: the highest spectral peak over the frames (negated,
    so live photos score high). Judged on whole frames: a screen shows no face-size limit."""
    from facesaas.documents.forensics import grid_peak

    usable = [frame for frame in frames if min(frame.image.shape[:2]) >= 64]
    if not usable:
        return CheckResult.cannot_judge()
    peak = max(grid_peak(frame.image)[0] for frame in usable)
    score = -peak
    return CheckResult(True, score >= threshold, round(score, 4))


def dark_illumination(frames: list[Frame], threshold: float) -> CheckResult:
    """Mean luminance (0–255) of the frontal face's skin, or of the image centre when no face
    is found (a scene too dark to find a face in is still judged: it is dark)."""
    frame = frames[0]
    region = _face_region(frame) if frame.face is not None else _centre(frame.image)
    score = float(_grey(region).mean())
    return CheckResult(True, score >= threshold, round(score, 2))


def _centre(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return image[h // 4 : h - h // 4, w // 4 : w - w // 4]


_OUTER = (0, 1, 3, 4)  # eyes and mouth corners: the corners of a homography
_NOSE = 2


def anti_picture(frames: list[Frame], threshold: float) -> CheckResult:
    """How far the nose moves off the plane of the eyes and mouth corners between the frontal
    image and the others: the homography through the four outer landmarks predicts where a
    flat picture's nose goes; a real head's nose (in front of that plane) goes elsewhere when
    the head turns. Score: the largest miss, in inter-ocular distances; needs ≥ 2 images with a
    judgeable face."""
    usable = [frame for frame in frames if frame.judgeable]
    if len(usable) < 2:
        return CheckResult.cannot_judge()
    first = usable[0]
    source = first.face.landmarks[list(_OUTER)].astype(np.float32)  # type: ignore[union-attr]
    misses = []
    for frame in usable[1:]:
        target = frame.face.landmarks[list(_OUTER)].astype(np.float32)  # type: ignore[union-attr]
        homography = cv2.getPerspectiveTransform(source, target)
        predicted = cv2.perspectiveTransform(first.face.landmarks[_NOSE].reshape(1, 1, 2).astype(np.float32), homography)  # type: ignore[union-attr]
        miss = float(np.linalg.norm(predicted.reshape(2) - frame.face.landmarks[_NOSE]))  # type: ignore[union-attr]
        misses.append(miss / max(frame.inter_ocular, 1.0))
    score = max(misses)
    return CheckResult(True, score >= threshold, round(score, 4))


def _eye_patch(frame: Frame, eye: int, scale: float) -> np.ndarray:
    assert frame.face is not None
    cx, cy = frame.face.landmarks[eye]
    half = max(2, int(scale * frame.inter_ocular))
    grey = _grey(frame.image)
    y0, y1 = int(max(0, cy - half * 0.6)), int(min(grey.shape[0], cy + half * 0.6))
    x0, x1 = int(max(0, cx - half)), int(min(grey.shape[1], cx + half))
    return grey[y0:y1, x0:x1]


def eye_blockage(frames: list[Frame], threshold: float) -> CheckResult:
    """An open, uncovered eye has the face's strongest local contrast (dark iris on white
    sclera, lashes); sunglasses, a hand or a sticker are flat. Score: the weaker eye's
    grey-level standard deviation over the face's, on the frontal image."""
    frame = frames[0]
    if not frame.judgeable:
        return CheckResult.cannot_judge()
    face_std = float(_grey(_face_region(frame, 0.1)).std()) + 1e-3
    ratios = []
    for eye in (0, 1):
        patch = _eye_patch(frame, eye, 0.3)
        if patch.size < 16:
            return CheckResult.cannot_judge()
        ratios.append(float(patch.std()) / face_std)
    score = min(ratios)
    return CheckResult(True, score >= threshold, round(score, 4))


def anti_hole(frames: list[Frame], threshold: float) -> CheckResult:
    """A hole cut in a photo mask is a sharp edge all the way round the eye; a real eye has
    eyelids and a brow, not a closed outline. On a ring of 0.28–0.45 inter-ocular distances
    around each eye, the share of 24 angular sectors whose strongest gradient exceeds 2.5× the
    face's median is measured. Score: 1 − that share for the more enclosed eye."""
    frame = frames[0]
    if not frame.judgeable:
        return CheckResult.cannot_judge()
    grey = cv2.GaussianBlur(_grey(frame.image), (0, 0), 0.8)
    magnitude = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    face = _face_region(frame, 0.1)
    x, y, w, h = frame.face.box  # type: ignore[union-attr]
    x0, y0 = int(max(0, x + 0.1 * w)), int(max(0, y + 0.1 * h))
    face_magnitude = magnitude[y0 : y0 + face.shape[0], x0 : x0 + face.shape[1]]
    reference = float(np.median(face_magnitude)) + 1.0
    iod = frame.inter_ocular
    shares = []
    for eye in (0, 1):
        cx, cy = frame.face.landmarks[eye]  # type: ignore[union-attr]
        reach = int(0.5 * iod) + 2
        x0, y0 = int(max(0, cx - reach)), int(max(0, cy - reach))
        window = magnitude[y0 : int(cy + reach) + 1, x0 : int(cx + reach) + 1]
        yy, xx = np.mgrid[0 : window.shape[0], 0 : window.shape[1]].astype(np.float32)
        dx, dy = xx + x0 - cx, yy + y0 - cy
        radius = np.hypot(dx, dy * 1.3)  # the holes are wider than tall
        ring = (radius >= 0.28 * iod) & (radius <= 0.45 * iod)
        if ring.sum() < 48:
            return CheckResult.cannot_judge()
        sector = ((np.arctan2(dy, dx) + np.pi) / (2 * np.pi) * 24).astype(int) % 24
        strong = np.zeros(24, bool)
        for index in range(24):
            values = window[ring & (sector == index)]
            strong[index] = values.size > 0 and float(values.max()) > 2.5 * reference
        shares.append(float(strong.mean()))
    score = 1.0 - max(shares)
    return CheckResult(True, score >= threshold, round(score, 4))
