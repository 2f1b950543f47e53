"""A wide random family of mesh-watermark styles, for training and judging de-meshers (issue 17).

:mod:`tests.watermark.generator` draws the three renderings the manual's kinds are tuned on;
this module draws meshes from eight named *families*, each with wide random ranges of line
period, amplitude, phase, angle, spacing, width, colour and opacity, on ID photos of the two
size classes (178 × 220 and 102 × 126), then JPEG at quality 30–95. Seeded through the ``rng``
given; sizes below are px at 178 px width and scale with the photo.

Families (all lines are sinusoids across the whole photo):

- ``dark-waves``: one set of parallel dark waves (colour 10–80, opacity 0.6–0.95);
- ``pale-waves``: the same, pale (215–255, opacity 0.4–0.8), like the finance mesh;
- ``grey-waves``: the same, mid grey (90–170) at partial opacity (0.3–0.65);
- ``zigzag-bands``: 3–8 bands of tight, tall dark zig-zags, like the police mesh;
- ``dark-lattice``: two crossing sets of dark waves (a wire mesh);
- ``pale-lattice``: two crossing sets of pale waves;
- ``double-waves`` (HOLD-OUT): each line is a pair of sinusoids on one baseline, a quarter to a
  half period apart, so they braid; dark, grey or pale;
- ``grey-lattice`` (HOLD-OUT): two crossing sets of grey waves at partial opacity.

:data:`HOLDOUT` are the families the issue names as failing (double sinusoidal lines, grey
lines at partial opacity) in forms no tuning family has: they are never used for training
(``scripts/train_demesher.py`` takes :data:`TRAINING` only) nor for tuning, only for judging
(``bench/demesh.py``, ``tests/face/test_demesher.py``). Faces are split by identity too:
:func:`training_identity` (even CelebA identity number) for training, odd for evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tests.images import jpeg_roundtrip

__all__ = ["FAMILIES", "HOLDOUT", "TRAINING", "SIZES", "Mesh", "draw_family", "training_identity"]

SIZES = ((178, 220), (102, 126))
"""Width, height of the two ID-photo size classes (px)."""

HOLDOUT = ("double-waves", "grey-lattice")
"""Families kept out of training and tuning."""

TRAINING = ("dark-waves", "pale-waves", "grey-waves", "zigzag-bands", "dark-lattice", "pale-lattice")
"""Families the learned de-mesher is trained on."""

FAMILIES = TRAINING + HOLDOUT


def training_identity(identity: str) -> bool:
    """True for the CelebA identities whose photos may be used for training (even number)."""
    return int(identity) % 2 == 0


@dataclass(frozen=True)
class Mesh:
    """A meshed photo: ``image`` (BGR uint8, after JPEG), the ``alpha`` the mesh was blended
    with per pixel (float32 0–1, H × W), its ``colour`` (grey level) and the JPEG ``quality``."""

    image: np.ndarray
    alpha: np.ndarray
    colour: float
    quality: int


def _wave(
    shape: tuple[int, int], angle: float, offset: float, amplitude: float, period: float, phase: float
) -> np.ndarray:
    """Points (x, y) px of a sinusoid crossing a photo of ``shape`` (h, w) along ``angle``
    (radians), ``offset`` px from the centre across it."""
    h, w = shape
    length = float(np.hypot(h, w))
    t = np.linspace(-length / 2, length / 2, int(length * 2))
    across = offset + amplitude * np.sin(2 * np.pi * t / period + phase)
    direction, normal = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle), np.cos(angle)])
    return np.array([w / 2, h / 2]) + t[:, None] * direction + across[:, None] * normal


def _line_set(rng: np.random.Generator, shape: tuple[int, int], scale: float, *, angle: float, spacing: tuple[float, float],
              amplitude: tuple[float, float], period: tuple[float, float], width: tuple[float, float],
              double: bool = False) -> list[tuple[np.ndarray, float]]:  # fmt: skip
    """Parallel waves covering the photo: one amplitude, period and width per set (as a mesh
    generator draws them), each line its own phase; ``double`` adds a second sinusoid on each
    baseline, a quarter to a half period out of phase."""
    h, w = shape
    step = rng.uniform(*spacing) * scale
    a, p, lw = rng.uniform(*amplitude) * scale, rng.uniform(*period) * scale, rng.uniform(*width) * scale
    shift = rng.uniform(0.25, 0.5) * 2 * np.pi
    lines = []
    reach = 0.5 * float(np.hypot(h, w)) + a
    for offset in np.arange(-reach + rng.uniform(0, step), reach, step):
        phase = rng.uniform(0, 2 * np.pi)
        lines.append((_wave(shape, angle, offset, a, p, phase), lw))
        if double:
            lines.append((_wave(shape, angle, offset, a, p, phase + shift), lw))
    return lines


def _colour(rng: np.random.Generator, tone: str) -> tuple[float, float]:
    """(grey level, opacity) of a ``tone``: dark, pale or grey."""
    if tone == "dark":
        return rng.uniform(10, 80), rng.uniform(0.6, 0.95)
    if tone == "pale":
        return rng.uniform(215, 255), rng.uniform(0.4, 0.8)
    return rng.uniform(90, 170), rng.uniform(0.3, 0.65)


def _lines(rng: np.random.Generator, family: str, shape: tuple[int, int], scale: float) -> tuple[list, float, float]:
    """The lines, colour and opacity of one mesh of ``family``."""
    angle = rng.uniform(-np.pi / 2, np.pi / 2)
    waves = {"spacing": (10, 35), "amplitude": (1.5, 12), "period": (8, 60), "width": (0.8, 2.4)}
    if family in ("dark-waves", "pale-waves", "grey-waves"):
        colour, alpha = _colour(rng, family.split("-")[0])
        return _line_set(rng, shape, scale, angle=angle, **waves), colour, alpha
    if family == "zigzag-bands":
        # Bands of tight, tall zig-zags far apart (the police kind), drawn thick.
        lines = _line_set(
            rng, shape, scale, angle=angle, spacing=(28, 55), amplitude=(5, 11), period=(7, 15), width=(1.4, 2.6)
        )
        colour, alpha = _colour(rng, "dark")
        return lines, colour, alpha
    if family in ("dark-lattice", "pale-lattice", "grey-lattice"):
        colour, alpha = _colour(rng, family.split("-")[0])
        second = angle + rng.uniform(0.6, 1.4) * np.sign(rng.uniform(-1, 1))
        lattice = {**waves, "spacing": (14, 40), "amplitude": (1.5, 6)}
        lines = _line_set(rng, shape, scale, angle=angle, **lattice) + _line_set(
            rng, shape, scale, angle=second, **lattice
        )
        return lines, colour, alpha
    if family == "double-waves":
        tone = ("dark", "grey", "pale")[int(rng.integers(3))]
        colour, alpha = _colour(rng, tone)
        lines = _line_set(rng, shape, scale, angle=angle, spacing=(16, 40), amplitude=(3, 10), period=(12, 50),
                          width=(0.8, 2.0), double=True)  # fmt: skip
        return lines, colour, alpha
    raise ValueError(f"unknown mesh family {family!r}; expected one of {list(FAMILIES)}")


def draw_family(bgr: np.ndarray, rng: np.random.Generator, family: str, *, jpeg: int | None = None) -> Mesh:
    """``bgr`` (BGR uint8, any size) with a random mesh of ``family`` blended over it, then
    JPEG-compressed at ``jpeg`` (None: a random quality 30–95). Lines are drawn at 4× and
    area-averaged for anti-aliased sub-pixel strokes. Cost ~2–5 ms at 178 × 220."""
    h, w = bgr.shape[:2]
    scale = min(h, w) / 178.0
    lines, colour, alpha = _lines(rng, family, (h, w), scale)
    layer = np.zeros((h * 4, w * 4), np.uint8)
    for points, width in lines:
        cv2.polylines(layer, [np.round(points * 4 * 16).astype(np.int32)], False, 255, max(1, int(round(width * 4))),
                      cv2.LINE_AA, shift=4)  # fmt: skip
    mask = cv2.resize(layer, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0 * alpha
    out = np.clip(bgr.astype(np.float32) * (1 - mask[..., None]) + colour * mask[..., None], 0, 255).astype(np.uint8)
    quality = int(rng.integers(30, 96)) if jpeg is None else int(jpeg)
    return Mesh(jpeg_roundtrip(out, quality), mask, float(colour), quality)
