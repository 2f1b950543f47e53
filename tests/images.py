"""Image helpers for tests: real photos from the shared data, transformed in memory."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def reencode(data: bytes, *, rotate: int = 0, fmt: str = "JPEG", exif_orientation: int | None = None) -> bytes:
    """Re-encode an image, optionally rotated counter-clockwise by ``rotate`` degrees or tagged
    with an EXIF orientation."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    if rotate:
        image = image.rotate(rotate, expand=True)
    buffer = io.BytesIO()
    kwargs = {}
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        kwargs["exif"] = exif.tobytes()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def jpeg_roundtrip(bgr: np.ndarray, quality: int) -> np.ndarray:
    """``bgr`` (BGR uint8) encoded as JPEG at ``quality`` and decoded again: its artefacts."""
    import cv2

    return cv2.imdecode(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])[1], cv2.IMREAD_COLOR)


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header claims width×height pixels (all zeros, compressed to ~1 MB at most)."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    data = b"".join(compressor.compress(row) for _ in range(64)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def side_by_side(left: bytes, right: bytes) -> bytes:
    """Two photos pasted next to each other: a two-face image."""
    a = Image.open(io.BytesIO(left)).convert("RGB")
    b = Image.open(io.BytesIO(right)).convert("RGB")
    canvas = Image.new("RGB", (a.width + b.width, max(a.height, b.height)))
    canvas.paste(a, (0, 0))
    canvas.paste(b, (a.width, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()
