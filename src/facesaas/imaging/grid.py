"""Periodic-grid detection: the spectral peak a display's pixel grid (or its moiré) leaves in a
photo of a screen. Shared by the document forensics (screen recapture of a card, 105.2) and the
liveness anti-screen check (101.3); inputs BGR uint8 ``(H, W, 3)``; plain numpy and OpenCV.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["CENTRE_FRACTION", "centre", "check_bgr", "grid_peak"]

CENTRE_FRACTION = 0.8
"""Measures look at the central 80 % of the image each way: the subject (a card, a face) fills
most of the frame and the backdrop says nothing about it."""

TILE, TILES_PER_SIDE, MIN_FREQUENCY = 128, 4, 0.12
"""Spectra of up to 4×4 tiles of 128 px at full resolution (a pixel grid lives at 0.2–0.5
cycles/px; downscaling would erase it); peaks under 0.12 cycles/px are ignored, as text lines
and the wavy security lines of genuine cards are periodic there."""


def check_bgr(bgr: np.ndarray) -> None:
    """ValueError unless ``bgr`` is a BGR uint8 ``(H, W, 3)`` image at least 16 px a side."""
    if not isinstance(bgr, np.ndarray) or bgr.dtype != np.uint8 or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ValueError("expected a BGR uint8 image of shape (height, width, 3)")
    if min(bgr.shape[:2]) < 16:
        raise ValueError(f"image too small: {bgr.shape[1]}x{bgr.shape[0]} px")


def centre(bgr: np.ndarray, fraction: float = CENTRE_FRACTION) -> np.ndarray:
    """The central ``fraction`` of ``bgr`` each way (a view, no copy)."""
    h, w = bgr.shape[:2]
    my, mx = int(h * (1 - fraction) / 2), int(w * (1 - fraction) / 2)
    return bgr[my : h - my, mx : w - mx]


def _peak(grey: np.ndarray) -> tuple[float, float]:
    """The strongest isolated periodic peak of ``grey`` (float32) and its period (px).

    Each tile's log-amplitude spectrum minus its 9×9 neighbourhood mean is averaged over the
    tiles, so only periodicity across the whole centre (a pixel grid, not a striped shirt in
    one tile) stays high. A peak must also stand above the spectrum 4 bins further in and out
    along its own radius: straight edges (card border, text baselines) make ridges through the
    origin, not isolated points. The axes and JPEG's 8-px block frequencies are excluded."""
    h, w = grey.shape
    size = TILE
    while size > 32 and min(h, w) < 2 * size:
        size //= 2
    if min(h, w) < size:
        return 0.0, 0.0
    window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    total = np.zeros((size, size), np.float32)
    ys = np.linspace(0, h - size, max(1, min(TILES_PER_SIDE, h // (size // 2) - 1))).astype(int)
    xs = np.linspace(0, w - size, max(1, min(TILES_PER_SIDE, w // (size // 2) - 1))).astype(int)
    for y in ys:
        for x in xs:
            tile = grey[y : y + size, x : x + size]
            spectrum = cv2.dft((tile - tile.mean()) * window, flags=cv2.DFT_COMPLEX_OUTPUT)
            amplitude = 0.5 * np.log(np.fft.fftshift(spectrum[..., 0] ** 2 + spectrum[..., 1] ** 2) + 1e-3)
            # Dilating by one bin keeps a peak that moves a bin between tiles (perspective).
            total += cv2.dilate(amplitude - cv2.blur(amplitude, (9, 9)), np.ones((3, 3), np.uint8))
    total /= len(ys) * len(xs)
    centre = size // 2
    dy, dx = np.mgrid[0:size, 0:size].astype(np.float32) - centre
    radius = np.hypot(dx, dy) + 1e-6
    along = [
        cv2.remap(total, centre + dx * (radius + step) / radius, centre + dy * (radius + step) / radius,
                  cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        for step in (4.0, -4.0)
    ]  # fmt: skip
    peak = np.minimum(total - np.maximum(*along), total)
    usable = (radius / size > MIN_FREQUENCY) & (np.abs(dx) > 2) & (np.abs(dy) > 2)
    for offset in (dx, dy):
        usable &= np.abs(offset / (size / 8) - np.round(offset / (size / 8))) * (size / 8) > 1.5
    peak = np.where(usable, peak, -np.inf)
    at = np.unravel_index(int(np.argmax(peak)), peak.shape)
    return float(peak[at]), float(size / radius[at])


def grid_peak(bgr: np.ndarray, fraction: float = CENTRE_FRACTION) -> tuple[float, float]:
    """The strongest isolated periodic peak of the central ``fraction`` of ``bgr`` (BGR uint8)
    and its period in pixels: a display's pixel grid or its moiré stands out
    (``facesaas.documents.forensics.SCREEN_MIN_PEAK``; the liveness anti-screen threshold).
    Raises ValueError for an image that is not BGR uint8 or under 16 px a side. Cost ~10–20 ms."""
    check_bgr(bgr)
    return _peak(cv2.cvtColor(centre(bgr, fraction), cv2.COLOR_BGR2GRAY).astype(np.float32))
