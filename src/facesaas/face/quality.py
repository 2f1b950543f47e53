"""Face quality: is this face good enough to enrol? Size, blur, pose, exposure, occlusion.

Plain numpy in and out: :func:`assess` takes the image (BGR uint8), one YuNet
:class:`~facesaas.face.detector.Detection` of it and, if the caller has it already, the face's
112×112 ArcFace-aligned crop (:func:`~facesaas.face.embedder.align_face`); it returns a
:class:`Quality` holding the raw measures, a 0–100 score and, per gate level, the checks that
failed. Cost: 0.3–0.7 ms per face with the crop given (0.32 ms alone, 0.71 ms with the machine
shared), ~0.05 ms more without (one more warp); the detector (~9–14 ms) and embedder (~20–30 ms)
it rides on are not counted (bench/quality.py, docs/accuracy.md).

The measures (all on the aligned crop unless said otherwise, so they do not depend on where
or how large the face is in the photo):

- **size**: inter-ocular distance (IOD) in pixels of the photo, between the two eye landmarks,
  and the detector box's height. The aligned crop puts the eyes 35.2 px apart; a face with a
  smaller IOD is enlarged into it and has less detail than the embedder was trained on.
- **blur**: ``sharpness`` = mean absolute Laplacian over the face region divided by the
  standard deviation of its grey levels. Dividing by the contrast makes it independent of
  exposure (a darker face has proportionally smaller Laplacians), so only the loss of fine
  detail lowers it. Taken on the aligned crop, so a face enlarged from few pixels reads as
  blurred — which, for the embedder, it is.
- **pose**: yaw, pitch, roll in degrees from the 5 landmarks with a weak-perspective model of
  a generic face (see :func:`pose_from_landmarks` for the geometry and docs/accuracy.md for its
  measured error).
- **exposure**: mean grey level of the face region (0–255) and the shares of its pixels
  clipped dark (≤ 10) and bright (≥ 245).
- **occlusion**: how much of the texture expected at the eyes and the mouth is missing. Eyes
  and lips are the most textured parts of a face; sunglasses, masks, hands and scarves replace
  them with a smooth surface. Per region, the mean gradient magnitude is divided by that of the
  whole face (so blur and exposure, which scale both, cancel) and by its typical value on clear
  faces; ``occlusion`` is 1 minus the lower of the two eyes' mean and the mouth's, clipped to
  0–1 (the eyes' mean, not the lower eye: hair or a shadow over one eye is common on clear
  faces, while glasses cover both). The detector's score is reported too (it falls on
  occluded faces, but also on turned and small ones, so it is not the occlusion measure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from facesaas.face.detector import Detection

__all__ = [
    "CHECKS",
    "GATE_LEVELS",
    "GateLevel",
    "Quality",
    "Thresholds",
    "THRESHOLDS",
    "assess",
    "pose_from_landmarks",
]

GateLevel = Literal["off", "lenient", "strict"]
GATE_LEVELS: tuple[str, ...] = ("off", "lenient", "strict")
CHECKS: tuple[str, ...] = ("size", "blur", "pose", "exposure", "occlusion")
"""The checks, in the order they are reported."""

# --- geometry of the aligned crop (the ArcFace 112×112 template of embedder.py, eyes 35.2 px apart)
# Regions of the aligned crop, (x0, y0, x1, y1) in crop pixels around the template's points.
_FACE = (22, 34, 90, 108)
"""Eyebrows to chin, cheek to cheek: the face without hair and background."""
_EYES = ((28, 45, 49, 58), (63, 45, 84, 58))
"""The two eyes: ±10 px across and ±6 px up/down of the template's eye points (the lids and
brow base, not the frame of a pair of glasses around them)."""
_MOUTH = (40, 86, 72, 99)
"""Between the mouth corners (41.5 and 70.7 px across, 92.3 px down), lips included."""
_DARK, _BRIGHT = 10, 245
"""Grey levels counted as clipped: sensor black and the top of the JPEG range."""
# Typical region/face gradient ratios of clear faces (medians on 310 celeba faces, every 8th
# from the 4th); the occlusion measure is how far below these a region falls.
_EYE_TEXTURE = 1.66
_MOUTH_TEXTURE = 1.45
# Weak-perspective model of a generic face, in units of the IOD (docs/accuracy.md):
_NOSE_DEPTH = 0.64
"""How far the nose tip stands in front of the eyes and mouth corners, in IODs: fitted on every
other celeba face against the face mesh's 3D head pose (0.64; anthropometry says ~0.5, but
YuNet's landmarks lean towards a frontal mean shape, which a deeper nose undoes)."""
_NOSE_DROP = 0.57
"""Where the nose tip lies between the eye line (0) and the mouth line (1) on a level face: the
median of celeba's portraits (the ArcFace template's 0.495 reads them 10° tilted down)."""


@dataclass(frozen=True)
class Thresholds:
    """The limits of one gate level; a face fails a check when a measure is outside them."""

    min_iod: float
    """Inter-ocular distance in photo pixels."""
    min_sharpness: float
    max_yaw: float
    max_pitch: float
    max_roll: float
    min_brightness: float
    max_brightness: float
    max_clipped: float
    """Share of the face region clipped dark or bright (each)."""
    max_occlusion: float


THRESHOLDS: dict[str, Thresholds] = {
    # Measured units throughout (the landmarks' roll, the 5-point pose); the share of celeba and
    # of synthetic defects each limit refuses is in docs/accuracy.md (bench/quality.py).
    # lenient: refuse only faces that are clearly defective: tiny, smeared, turned far, nearly
    # black or white, eyes or mouth covered. 0.2–1.9 % of celeba's photos fail each, 4.1 % any.
    "lenient": Thresholds(
        min_iod=16.0,  # the crop enlarges the face > 2.2×: detail the embedder needs is not there
        min_sharpness=0.10,  # a Gaussian blur of σ 2 crop px reads 0.07 (94 % refused), clear faces 0.35
        max_yaw=45.0,  # about half the face hidden beyond; celeba's 99th percentile is 50°
        max_pitch=30.0,
        max_roll=30.0,  # alignment undoes roll; YuNet reads a 30° turn as ~16–21°, so this means broken landmarks
        min_brightness=30.0,  # a face at 15 % of its light reads 20, at 30 % 40
        max_brightness=220.0,  # overexposed ×2.5 reads 229; celeba's brightest face 196
        max_clipped=0.40,  # of the face region at 0–10 or 245–255 (each)
        max_occlusion=0.60,  # synthetic masks 1.0, sunglasses 0.9 (median); 0.3 % of clear faces above
    ),
    # strict: an ID-photo-like enrolment: frontal, sharp, evenly lit, the face large in the photo.
    # 23.6 % of celeba's in-the-wild photos fail it (mostly size and yaw).
    "strict": Thresholds(
        min_iod=30.0,  # the crop barely enlarges the face (template IOD 35 px)
        min_sharpness=0.15,  # σ 1 crop px reads 0.13
        max_yaw=25.0,
        max_pitch=20.0,
        max_roll=15.0,
        min_brightness=60.0,
        max_brightness=200.0,
        max_clipped=0.20,
        max_occlusion=0.50,
    ),
}


@dataclass(frozen=True)
class Quality:
    """The quality measures of one face (units in the module docstring)."""

    inter_ocular: float
    """Eye-to-eye distance, pixels of the photo."""
    face_height: float
    """The detector box's height, pixels of the photo."""
    sharpness: float
    yaw: float
    """Degrees; positive: the nose points to the image's right (the subject turned to their left)."""
    pitch: float
    """Degrees; positive: the face tilted down (nose tip below where a frontal face has it)."""
    roll: float
    """Degrees; positive: the eye line turned clockwise in the image."""
    brightness: float
    dark_share: float
    bright_share: float
    occlusion: float
    """0 (eyes and mouth as textured as on clear faces) to 1 (one of them flat)."""
    detector_score: float

    def failed(self, level: str) -> list[str]:
        """The checks (of :data:`CHECKS`) this face fails at gate ``level`` ("off": none)."""
        if level == "off":
            return []
        return [check for check, reason in self._reasons(THRESHOLDS[level]) if reason]

    def reasons(self, level: str) -> list[str]:
        """Why each failed check failed, e.g. ``"pose: yaw 52° beyond 45°"``."""
        if level == "off":
            return []
        return [f"{check}: {reason}" for check, reason in self._reasons(THRESHOLDS[level]) if reason]

    def _reasons(self, t: Thresholds) -> list[tuple[str, str]]:
        size = f"inter-ocular {self.inter_ocular:.0f} px below {t.min_iod:.0f}" if self.inter_ocular < t.min_iod else ""
        blur = f"sharpness {self.sharpness:.2f} below {t.min_sharpness:.2f}" if self.sharpness < t.min_sharpness else ""
        pose = "; ".join(
            f"{name} {value:.0f}° beyond {limit:.0f}°"
            for name, value, limit in (
                ("yaw", self.yaw, t.max_yaw),
                ("pitch", self.pitch, t.max_pitch),
                ("roll", self.roll, t.max_roll),
            )  # fmt: skip
            if abs(value) > limit
        )
        exposure = []
        if not t.min_brightness <= self.brightness <= t.max_brightness:
            exposure.append(f"brightness {self.brightness:.0f} outside {t.min_brightness:.0f}–{t.max_brightness:.0f}")
        if self.dark_share > t.max_clipped:
            exposure.append(f"{self.dark_share:.0%} clipped dark")
        if self.bright_share > t.max_clipped:
            exposure.append(f"{self.bright_share:.0%} clipped bright")
        occlusion = (
            f"occlusion {self.occlusion:.2f} above {t.max_occlusion:.2f}" if self.occlusion > t.max_occlusion else ""
        )
        return [
            ("size", size),
            ("blur", blur),
            ("pose", pose),
            ("exposure", "; ".join(exposure)),
            ("occlusion", occlusion),
        ]

    @property
    def score(self) -> int:
        """0–100: the geometric mean of one 0–1 sub-score per check, each a linear ramp from
        the lenient limit (0) to a comfortably good value (1), floored at 0.01. One check at
        its lenient limit with the others perfect gives 40, two give 16; a clear, frontal,
        sharp, well-lit face 90–100."""
        lenient = THRESHOLDS["lenient"]

        def ramp(value: float, bad: float, good: float) -> float:
            return min(1.0, max(0.01, (value - bad) / (good - bad)))

        worst_angle = max(abs(self.yaw) / lenient.max_yaw, abs(self.pitch) / lenient.max_pitch,
                          abs(self.roll) / lenient.max_roll)  # fmt: skip
        exposure = min(
            ramp(self.brightness, lenient.min_brightness, 80.0),
            ramp(-self.brightness, -lenient.max_brightness, -180.0),
            ramp(-max(self.dark_share, self.bright_share), -lenient.max_clipped, -0.05),
        )
        parts = (
            ramp(self.inter_ocular, lenient.min_iod, 40.0),
            ramp(self.sharpness, lenient.min_sharpness, 0.25),
            ramp(-worst_angle, -1.0, -0.33),
            exposure,
            ramp(-self.occlusion, -lenient.max_occlusion, -0.30),
        )
        return int(round(100.0 * math.prod(parts) ** (1.0 / len(parts))))

    def as_dict(self) -> dict[str, Any]:
        """The wire object (docs/api.md ``face_quality``): the score, each measure rounded, and
        the failed checks at both gate levels."""
        return {
            "score": self.score,
            "inter_ocular": round(self.inter_ocular, 1),
            "face_height": round(self.face_height, 1),
            "sharpness": round(self.sharpness, 3),
            "yaw": round(self.yaw, 1),
            "pitch": round(self.pitch, 1),
            "roll": round(self.roll, 1),
            "brightness": round(self.brightness, 1),
            "dark_share": round(self.dark_share, 3),
            "bright_share": round(self.bright_share, 3),
            "occlusion": round(self.occlusion, 3),
            "detector_score": round(self.detector_score, 4),
            "failed_lenient": self.failed("lenient"),
            "failed_strict": self.failed("strict"),
        }


def pose_from_landmarks(landmarks: np.ndarray) -> tuple[float, float, float]:
    """``(yaw, pitch, roll)`` in degrees from the 5 YuNet landmarks (``(5, 2)`` pixels: eye on
    the image's left, eye on the image's right, nose tip, left and right mouth corner).

    Geometry (weak perspective: the face is far from the camera compared with its depth):

    - roll is the angle of the eye line, ``atan2(dy, dx)`` — exact up to landmark noise;
    - the points are turned by −roll about the eye midpoint and scaled so the IOD is 1;
    - the midline is the line through the eye midpoint and the mouth midpoint (both on the eye
      and mouth plane, so they stay on the midline whatever the pose). A nose tip standing
      ``_NOSE_DEPTH`` IODs in front of that plane moves sideways by ``depth · sin(yaw)`` while
      the IOD shrinks by ``cos(yaw)``: its offset from the midline is ``depth · tan(yaw)``, so
      ``yaw = atan(offset / depth)``;
    - likewise the nose tip moves up or down by ``depth · sin(pitch)`` from where a level face
      has it (``_NOSE_DROP`` of the way from the eye line to the mouth line, a point of the eye
      and mouth plane, so it moves with that plane); the IOD does not change with pitch, so
      ``pitch = asin(offset / depth)`` with the offset in IODs.

    Error: roll is as good as the landmarks (~1°); yaw and pitch assume a generic face, so a
    long or short nose reads as pitch and a nose tip pushed off the midline by a smile as yaw
    (measured against the face mesh's 3D pose in docs/accuracy.md). Cost: microseconds.
    """
    points = landmarks.astype(np.float64)
    eye_a, eye_b, nose, mouth_a, mouth_b = points
    dx, dy = eye_b - eye_a
    roll = math.degrees(math.atan2(dy, dx))
    iod = math.hypot(dx, dy)
    if iod < 1e-6:
        return 0.0, 0.0, roll
    cos, sin = dx / iod, dy / iod
    eye_mid = (eye_a + eye_b) / 2

    def upright(p: np.ndarray) -> np.ndarray:  # turned by −roll about the eye midpoint, IOD = 1
        v = (p - eye_mid) / iod
        return np.array([v[0] * cos + v[1] * sin, -v[0] * sin + v[1] * cos])

    n, m = upright(nose), upright((mouth_a + mouth_b) / 2)
    if m[1] <= 1e-6:  # mouth above the eyes: landmarks unusable for pose
        return 0.0, 0.0, roll
    # The midline at the nose's height: from the eye midpoint (0, 0) towards the mouth midpoint.
    midline_x = m[0] * (n[1] / m[1])
    yaw = math.degrees(math.atan((n[0] - midline_x) / _NOSE_DEPTH))
    pitch = math.degrees(math.asin(min(1.0, max(-1.0, (n[1] - _NOSE_DROP * m[1]) / _NOSE_DEPTH))))
    return yaw, pitch, roll


def _region(array: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return array[y0:y1, x0:x1]


def assess(bgr: np.ndarray, detection: Detection, aligned_crop: np.ndarray | None = None) -> Quality:
    """The quality of the face ``detection`` found in ``bgr`` (BGR uint8, the image the
    detection's pixels refer to). ``aligned_crop`` is its 112×112 aligned crop if the caller
    made one (as the embedder does); otherwise it is made here. Cost 0.3–0.7 ms (see the module docstring)."""
    import cv2

    if aligned_crop is None:
        from facesaas.face.embedder import align_face

        aligned_crop = align_face(bgr, detection.landmarks)
    grey = cv2.cvtColor(aligned_crop, cv2.COLOR_BGR2GRAY).astype(np.float32)
    face = _region(grey, _FACE)

    laplacian = np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=1))
    contrast = float(face.std())
    sharpness = float(_region(laplacian, _FACE).mean()) / max(contrast, 1.0)

    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    gradient = cv2.magnitude(gx, gy)
    face_gradient = max(float(_region(gradient, _FACE).mean()), 1e-3)
    eye_texture = sum(float(_region(gradient, box).mean()) for box in _EYES) / 2 / face_gradient / _EYE_TEXTURE
    mouth_texture = float(_region(gradient, _MOUTH).mean()) / face_gradient / _MOUTH_TEXTURE
    occlusion = min(1.0, max(0.0, 1.0 - min(eye_texture, mouth_texture)))

    yaw, pitch, roll = pose_from_landmarks(detection.landmarks)
    eyes = detection.landmarks[:2].astype(np.float64)
    return Quality(
        inter_ocular=float(np.hypot(*(eyes[1] - eyes[0]))),
        face_height=float(detection.box[3]),
        sharpness=sharpness,
        yaw=yaw,
        pitch=pitch,
        roll=roll,
        brightness=float(face.mean()),
        dark_share=float((face <= _DARK).mean()),
        bright_share=float((face >= _BRIGHT).mean()),
        occlusion=occlusion,
        detector_score=float(detection.score),
    )
