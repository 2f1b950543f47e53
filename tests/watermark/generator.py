"""Mesh watermarks ("网纹") as ID photos from the public-security database carry them, in the
three styles the manual names: 5 finance, 7 police, 9 wire mesh (see
../shared/data/watermarked/reference_figures/add_mesh.png for the police style: dark wavy
scribbles across the whole portrait). Seeded; applied to the clean portraits and CelebA faces.

Styles (our renders; no real meshed photo is public):

- ``"police"`` (7): dark grey, 1.5–2.5 px wide strokes of tight zig-zag waves running
  diagonally across the photo, 4–7 of them;
- ``"finance"`` (5): pale (white-ish) semi-transparent thin sinusoids, dense and parallel;
- ``"wire"`` (9): two families of crossing wavy dark lines forming a distorted grid.
"""

from __future__ import annotations

import cv2
import numpy as np

from tests.images import jpeg_roundtrip

__all__ = ["STYLES", "add_mesh"]

STYLES = {5: "finance", 7: "police", 9: "wire"}


def _wave(rng: np.random.Generator, shape: tuple[int, int], angle: float, offset: float, amplitude: float,
          period: float) -> np.ndarray:  # fmt: skip
    """Points (x, y) of a sinusoid crossing the image along ``angle`` (radians), ``offset`` px
    from the centre across it, with ``amplitude`` and ``period`` in px."""
    h, w = shape
    length = float(np.hypot(h, w))
    t = np.linspace(-length / 2, length / 2, int(length * 2))
    phase = rng.uniform(0, 2 * np.pi)
    across = offset + amplitude * np.sin(2 * np.pi * t / period + phase)
    direction, normal = np.array([np.cos(angle), np.sin(angle)]), np.array([-np.sin(angle), np.cos(angle)])
    points = np.array([w / 2, h / 2]) + t[:, None] * direction + across[:, None] * normal
    return points


def add_mesh(bgr: np.ndarray, rng: np.random.Generator, style: str, *, jpeg: int | None = 85) -> np.ndarray:
    """``bgr`` (BGR uint8) with a mesh of ``style`` ("finance", "police" or "wire") drawn over
    it, then JPEG-compressed at quality ``jpeg`` (None: lossless)."""
    h, w = bgr.shape[:2]
    scale = min(h, w) / 178.0  # sizes below are for a 178 × 220 ID photo
    layer = np.zeros((h * 4, w * 4), np.uint8)  # drawn at 4× for anti-aliased thin strokes
    lines: list[tuple[np.ndarray, float]] = []
    if style == "police":
        angle = rng.uniform(-0.9, -0.5)
        for offset in np.linspace(-0.55, 0.55, int(rng.integers(4, 8))) * min(h, w) * 1.2:
            lines.append((_wave(rng, (h, w), angle, offset, rng.uniform(6, 10) * scale, rng.uniform(9, 14) * scale),
                          rng.uniform(1.5, 2.5) * scale))  # fmt: skip
        colour, alpha = rng.uniform(20, 60), rng.uniform(0.75, 0.95)
    elif style == "finance":
        angle = rng.uniform(-0.3, 0.3)
        for offset in np.arange(-0.8, 0.8, rng.uniform(0.07, 0.1)) * max(h, w):
            lines.append((_wave(rng, (h, w), angle, offset, rng.uniform(3, 6) * scale, rng.uniform(25, 40) * scale),
                          rng.uniform(1.0, 1.6) * scale))  # fmt: skip
        colour, alpha = rng.uniform(225, 250), rng.uniform(0.5, 0.7)
    elif style == "wire":
        for angle in (rng.uniform(0.6, 0.9), rng.uniform(-0.9, -0.6)):
            for offset in np.arange(-0.8, 0.8, rng.uniform(0.11, 0.15)) * max(h, w):
                lines.append((_wave(rng, (h, w), angle, offset, rng.uniform(2, 4) * scale, rng.uniform(20, 30) * scale),
                              rng.uniform(1.0, 1.8) * scale))  # fmt: skip
        colour, alpha = rng.uniform(40, 90), rng.uniform(0.6, 0.85)
    else:
        raise ValueError(f"unknown mesh style {style!r}; expected one of {sorted(STYLES.values())}")
    for points, width in lines:
        cv2.polylines(layer, [np.round(points * 4 * 16).astype(np.int32)], False, 255, max(1, int(round(width * 4))),
                      cv2.LINE_AA, shift=4)  # fmt: skip
    mask = cv2.resize(layer, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255.0 * alpha
    out = bgr.astype(np.float32) * (1 - mask) + colour * mask
    out = np.clip(out, 0, 255).astype(np.uint8)
    if jpeg is not None:
        out = jpeg_roundtrip(out, jpeg)
    return out
