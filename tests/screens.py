"""Screenshots compared by structure, not by pixels.

A page's screenshot is reduced to its layout: greyscale, downscaled by area averaging to
:data:`SIZE` (160 × 100 from 1280 × 800: each cell averages an 8 × 8 block, so glyph shapes,
anti-aliasing and sub-pixel font differences between machines wash out while boxes, bars,
tables and photos stay), then compared with the structural similarity index (SSIM, scikit-image)
against a committed reference. References are small PNGs in ``tests/api/console/screens/``,
written when ``FACESAAS_UPDATE_SCREENSHOTS=1`` is set (then the comparison is skipped).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["SIZE", "structure", "structural_similarity", "compare_with_reference", "updating"]

SIZE = (160, 100)
"""Width and height the screenshots are compared at."""


def structure(png: bytes | Path) -> np.ndarray:
    """The screenshot as a ``SIZE`` greyscale float image in 0–1."""
    image = Image.open(io.BytesIO(png) if isinstance(png, bytes) else png).convert("L")
    return np.asarray(image.resize(SIZE, Image.Resampling.BOX), dtype=np.float64) / 255.0


def structural_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two ``structure`` images (1 = identical)."""
    from skimage.metrics import structural_similarity as ssim

    return float(ssim(a, b, data_range=1.0, win_size=7))


def updating() -> bool:
    return os.environ.get("FACESAAS_UPDATE_SCREENSHOTS") == "1"


def compare_with_reference(png: bytes, reference: Path) -> float:
    """SSIM of ``png`` with the reference PNG (written instead when updating; then 1.0)."""
    current = structure(png)
    if updating():
        reference.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.round(current * 255).astype(np.uint8)).save(reference, optimize=True)
        return 1.0
    return structural_similarity(current, structure(reference))
