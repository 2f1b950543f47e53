"""Shared material of the fuzz tests and ``bench/fuzz.py``: real images and the hypothesis
strategies that break them, broken feature strings and liveness packages, and hostile JSON
bodies. The images are built from ``skimage.data.astronaut()`` (a real face shipped inside
scikit-image), so nothing here needs the shared data; callers add celeba photos when present.
"""

from __future__ import annotations

import base64
import functools
import io
import struct
import zlib

import numpy as np
from hypothesis import strategies as st
from PIL import Image


def _save(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@functools.cache
def real_images() -> dict[str, bytes]:
    """Real encodings of one real face in the modes a client may send: baseline and progressive
    JPEG, JPEG with an EXIF orientation, greyscale and CMYK JPEG, RGB/RGBA/palette/16-bit/
    grey+alpha PNG, and a faceless JPEG (a flat-coloured crop of the background)."""
    from skimage import data

    face = Image.fromarray(data.astronaut()).resize((160, 160))
    exif = Image.Exif()
    exif[0x0112] = 6
    return {
        "jpeg": _save(face, "JPEG", quality=85),
        "jpeg-progressive": _save(face, "JPEG", quality=80, progressive=True),
        "jpeg-exif": _save(face, "JPEG", exif=exif.tobytes()),
        "jpeg-grey": _save(face.convert("L"), "JPEG"),
        "jpeg-cmyk": _save(face.convert("CMYK"), "JPEG"),
        "png": _save(face, "PNG"),
        "png-rgba": _save(face.convert("RGBA"), "PNG"),
        "png-palette": _save(face.convert("P"), "PNG"),
        "png-16bit": _save(Image.fromarray((np.asarray(face.convert("L")).astype(np.uint16) * 257)), "PNG"),
        "png-grey-alpha": _save(face.convert("LA"), "PNG"),
        "no-face": _save(Image.new("RGB", (96, 64), (40, 90, 160)), "JPEG"),
    }


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_with_size(width: int, height: int, *, depth: int = 8, colour: int = 2, body: bytes = b"") -> bytes:
    """A PNG whose (CRC-correct) header claims ``width`` × ``height``, with ``body`` as its
    compressed data: zero, huge or inconsistent sizes that only the header tells."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(body)) + png_chunk(b"IEND", b"")


def jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """``jpeg`` with its frame header (SOF0/SOF2) rewritten to claim ``width`` × ``height``."""
    data = bytearray(jpeg)
    for marker in (b"\xff\xc0", b"\xff\xc2"):
        at = data.find(marker)
        if at >= 0:
            struct.pack_into(">HH", data, at + 5, height & 0xFFFF, width & 0xFFFF)
    return bytes(data)


def _flip(data: bytes, positions: list[int]) -> bytes:
    out = bytearray(data)
    for position in positions:
        out[position % len(out)] ^= 1 << (position // len(out) % 8)
    return bytes(out)


@st.composite
def broken_images(draw: st.DrawFn) -> bytes:
    """A real image broken the ways files break: truncated, bit-flipped, bytes inserted or
    removed, a header claiming zero or huge dimensions, a PNG of bad data, an empty or
    magic-only file, or the real image itself (the decoder must still accept those)."""
    name = draw(st.sampled_from(sorted(real_images())))
    data = real_images()[name]
    how = draw(st.sampled_from(["intact", "truncate", "flip", "insert", "delete", "size", "png-size", "magic-only", "empty"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip":
        return _flip(data, draw(st.lists(st.integers(0, len(data) * 8), min_size=1, max_size=16)))
    if how == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if how == "delete":
        at = draw(st.integers(0, len(data) - 1))
        return data[:at] + data[at + draw(st.integers(1, 256)) :]
    if how == "size" and data.startswith(b"\xff\xd8"):
        return jpeg_with_size(data, draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF)))
    if how in ("size", "png-size"):
        return png_with_size(
            draw(st.integers(0, 2**31)), draw(st.integers(0, 2**31)),
            depth=draw(st.sampled_from([1, 2, 4, 8, 16, 7])), colour=draw(st.sampled_from([0, 2, 3, 4, 6, 5])),
            body=draw(st.binary(max_size=200)),
        )  # fmt: skip
    if how == "magic-only":
        return draw(st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0" + bytes(20)]))
    if how == "empty":
        return b""
    return data


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


broken_base64 = st.one_of(
    st.text(max_size=64),
    st.binary(max_size=48).map(lambda raw: b64(raw).rstrip("=")),
    st.binary(min_size=1, max_size=48).map(lambda raw: b64(raw)[:-1]),
    st.binary(max_size=48).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    st.binary(min_size=3, max_size=48).map(lambda raw: b64(raw)[:4] + "\n" + b64(raw)[4:]),
    st.binary(max_size=48).map(lambda raw: " " + b64(raw)),
    st.sampled_from(["", "=", "====", "A===", "////", "🙂🙂🙂🙂", "QUJD\u0000", "\ud800"]),
)
"""Strings that are not standard padded base64, or base64 of nothing useful."""

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=16), st.sampled_from(["1", "3", "true", "99.99", "", "0"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)
"""Any JSON value (finite numbers)."""


def raw_bodies() -> st.SearchStrategy[bytes]:
    """Request bodies that are not a plain JSON object of plain values: another JSON value,
    nesting past the parser's limit, bytes that are not UTF-8 (or are UTF-16, or start with a
    BOM), NaN and Infinity, integers past 4,300 digits, duplicate keys, truncated JSON."""
    return st.one_of(
        json_values.map(lambda v: _dumps(v)),
        st.integers(1, 200_000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.integers(1, 200_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
        st.binary(max_size=200),
        st.sampled_from([
            b"", b"{", b"}", b"null", b"[]", b'"x"', b"1", b"{}", b"\xef\xbb\xbf{}", "{}".encode("utf-16"),
            b'{"image_content": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e999}',
            b'{"image_type": 3, "image_type": "3"}', b'{"image_content": "\xff\xfe"}',
            b'{"a": ' + b"9" * 5000 + b"}", b'{"a": 1.' + b"9" * 5000 + b"}", b'{"a": "\\ud800"}',
            b'{"a": "\\u0000"}', b"{'a': 1}", b'{"a": 1,}', b"\x00{}",
        ]),  # fmt: skip
    )


def _dumps(value: object) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
