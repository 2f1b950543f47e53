"""Client-side image preparation: make a photo fit the manual's upload limits."""

from __future__ import annotations

import io

__all__ = ["fit_image", "ONE_MB"]

ONE_MB = 1024 * 1024


def fit_image(data: bytes, max_bytes: int = ONE_MB, *, max_side: int = 1920) -> bytes:
    """Return ``data`` unchanged if it fits, else a JPEG scaled to at most ``max_side`` pixels on
    its long side (EXIF orientation applied) and re-compressed until it is under ``max_bytes``.

    Faces need far less than 1920 px; the detector works at 640 px.
    """
    if len(data) <= max_bytes:
        return data
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    image.thumbnail((max_side, max_side))
    for quality in (90, 80, 70, 60, 50):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
        image.thumbnail((image.width * 3 // 4, image.height * 3 // 4))
    raise ValueError("image cannot be made small enough")
