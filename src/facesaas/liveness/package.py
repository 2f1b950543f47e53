"""The signed image package ("大礼包", manual 9.1): its binary format, packing and opening.

A package is what a capture client (our Python SDK, or the browser module
``facesaas/sdk/js/facesaas-package.mjs``) sends to prove that its images were captured by it,
for this customer, just now. Format version 1, all integers big-endian::

    offset  size  field
    0       4     magic  b"FSPK"
    4       1     version (1)
    5       1     L: length of the key id (1–64)
    6       L     key id, ASCII [A-Za-z0-9_-]
    6+L     12    nonce (random, never reused with one key)
    18+L    ...   AES-256-GCM ciphertext of the content, then its 16-byte tag;
                  associated data = bytes 0 … 18+L (the whole header)

    content = u32 M | M bytes of UTF-8 JSON metadata | image 1 | image 2 | …
    metadata = {"package_id": 32 hex digits (16 random bytes), "created_at": Unix time in ms,
                "customer_defined_content": str, "capture": object (free form),
                "image_sizes": [bytes of image 1, …]}

Images are JPEG or PNG, the frontal face first. The key (32 random bytes) is per customer and
known to the server by its id; AES-GCM both encrypts and authenticates, so a package that
opens with the key was made by a holder of that key, unaltered. Whether it is fresh and not
replayed is the caller's business (:class:`~facesaas.liveness.service.PackageChecker`): this
module is pure and raises :class:`InvalidPackage` with a stable reason for every way a byte
string can fail. Cost: AES-GCM runs at ~1 GB/s; a package of a few images opens in ~1 ms.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import struct
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAGIC",
    "VERSION",
    "KEY_BYTES",
    "Limits",
    "Package",
    "Sealed",
    "InvalidPackage",
    "pack",
    "parse_header",
    "open_sealed",
    "package_bytes",
]

MAGIC = b"FSPK"
VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PACKAGE_ID = re.compile(r"^[0-9a-f]{32}$")
_MAX_CREATED_MS = 2**63
"""created_at bound (Unix ms, a signed 64-bit integer): a larger integer is no time, and past
~10^308 it cannot even become a float (OverflowError)."""


class InvalidPackage(ValueError):
    """Why a byte string is not a valid package. ``reason`` is one of the stable codes
    documented in docs/liveness.md (``not_base64``, ``truncated``, ``bad_magic``,
    ``unsupported_version``, ``bad_key_id``, ``unknown_key``, ``authentication_failed``,
    ``malformed_content``, ``too_many_images``, ``image_too_large``, ``content_too_large``,
    ``expired``, ``from_the_future``, ``replayed``, ``image_undecodable``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """What a package may hold: ``max_images`` images of at most ``max_image_bytes`` each,
    ``max_customer_content`` characters of customer content and ``max_package_bytes`` in all."""

    max_images: int = 8
    max_image_bytes: int = 1024 * 1024
    max_customer_content: int = 4096
    max_package_bytes: int = 4 * 1024 * 1024


@dataclass(frozen=True)
class Package:
    """An opened package: ``images`` (encoded bytes, frontal first), ``created_at`` (Unix
    seconds), ``package_id`` (32 hex digits), the customer's content, the capture metadata and
    the id of the key that opened it."""

    images: list[bytes]
    package_id: str
    created_at: float
    customer_defined_content: str = ""
    capture: dict[str, Any] = field(default_factory=dict)
    key_id: str = ""


@dataclass(frozen=True)
class Sealed:
    """A package's parsed header (``key_id``, ``nonce``), the associated data and ciphertext:
    enough to look the key up before decrypting."""

    key_id: str
    nonce: bytes
    header: bytes
    ciphertext: bytes


def pack(
    images: list[bytes],
    *,
    key: bytes,
    key_id: str,
    customer_defined_content: str = "",
    capture: dict[str, Any] | None = None,
    created_at: float | None = None,
    package_id: str | None = None,
    nonce: bytes | None = None,
) -> bytes:
    """Seal ``images`` (encoded JPEG/PNG bytes, frontal face first) into a version-1 package.
    ``created_at`` (Unix seconds) defaults to now and ``package_id`` to a random one; tests
    set them to make old or repeated packages. Returns the binary package (base64 it for the
    API)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(key) != KEY_BYTES:
        raise ValueError(f"a package key is {KEY_BYTES} bytes, got {len(key)}")
    if not _KEY_ID.match(key_id):
        raise ValueError("key id must be 1–64 characters of A–Z, a–z, 0–9, _ and -")
    if not images:
        raise ValueError("a package holds at least one image")
    meta = {
        "package_id": package_id or uuid.uuid4().hex,
        "created_at": int(round((time.time() if created_at is None else created_at) * 1000)),
        "customer_defined_content": customer_defined_content,
        "capture": capture or {},
        "image_sizes": [len(image) for image in images],
    }
    encoded = json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode()
    content = struct.pack(">I", len(encoded)) + encoded + b"".join(images)
    id_bytes = key_id.encode("ascii")
    nonce = nonce or os.urandom(NONCE_BYTES)
    header = MAGIC + bytes([VERSION, len(id_bytes)]) + id_bytes + nonce
    return header + AESGCM(key).encrypt(nonce, content, header)


def package_bytes(text: str, limits: Limits) -> bytes:
    """The package bytes of the API's base64 string (standard or URL-safe alphabet, padding
    optional, whitespace ignored)."""
    compact = "".join(text.split())
    if len(compact) > (limits.max_package_bytes * 4) // 3 + 8:
        raise InvalidPackage("content_too_large", f"package over {limits.max_package_bytes} bytes")
    try:
        normal = compact.replace("-", "+").replace("_", "/")
        return base64.b64decode(normal + "=" * (-len(normal) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidPackage("not_base64", "query_image_package is not base64") from exc


def parse_header(data: bytes, limits: Limits) -> Sealed:
    """The header of a binary package, checked; raises :class:`InvalidPackage`."""
    if len(data) > limits.max_package_bytes:
        raise InvalidPackage("content_too_large", f"package over {limits.max_package_bytes} bytes")
    if len(data) < 6:
        raise InvalidPackage("truncated", "shorter than a package header")
    if data[:4] != MAGIC:
        raise InvalidPackage("bad_magic", "not a FaceSaaS image package (magic FSPK expected)")
    if data[4] != VERSION:
        raise InvalidPackage("unsupported_version", f"package format version {data[4]} (this server reads {VERSION})")
    length = data[5]
    end = 6 + length + NONCE_BYTES
    if len(data) < end + TAG_BYTES:
        raise InvalidPackage("truncated", "package ends inside its header or tag")
    try:
        key_id = data[6 : 6 + length].decode("ascii")
    except UnicodeDecodeError:
        key_id = ""
    if not _KEY_ID.match(key_id):
        raise InvalidPackage("bad_key_id", "the key id is not 1–64 characters of A–Z, a–z, 0–9, _ and -")
    return Sealed(key_id, data[6 + length : end], data[:end], data[end:])


def open_sealed(sealed: Sealed, key: bytes, limits: Limits) -> Package:
    """Decrypt and check ``sealed`` with ``key``; raises :class:`InvalidPackage`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        content = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, sealed.header)
    except InvalidTag as exc:
        raise InvalidPackage("authentication_failed", "the package does not authenticate with this customer's key") from exc
    return _parse_content(content, sealed.key_id, limits)


def _parse_content(content: bytes, key_id: str, limits: Limits) -> Package:
    if len(content) < 4:
        raise InvalidPackage("malformed_content", "content shorter than its length prefix")
    (size,) = struct.unpack(">I", content[:4])
    if size > len(content) - 4:
        raise InvalidPackage("malformed_content", "metadata length beyond the content")
    try:
        meta = json.loads(content[4 : 4 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError also covers integers past Python's 4,300-digit limit, RecursionError
        # nesting past the parser's depth (both found by tests/liveness/test_package_fuzz.py).
        raise InvalidPackage("malformed_content", "metadata is not UTF-8 JSON") from exc
    if not isinstance(meta, dict):
        raise InvalidPackage("malformed_content", "metadata is not a JSON object")
    package_id, created, text = meta.get("package_id"), meta.get("created_at"), meta.get("customer_defined_content", "")
    capture, sizes = meta.get("capture", {}), meta.get("image_sizes")
    if not isinstance(package_id, str) or not _PACKAGE_ID.match(package_id):
        raise InvalidPackage("malformed_content", "package_id must be 32 lower-case hex digits")
    if isinstance(created, bool) or not isinstance(created, int) or not 0 <= created < _MAX_CREATED_MS:
        raise InvalidPackage("malformed_content", "created_at must be an integer 0 … 2^63 - 1 (Unix ms)")
    if not isinstance(text, str):
        raise InvalidPackage("malformed_content", "customer_defined_content must be a string")
    if len(text) > limits.max_customer_content:
        raise InvalidPackage("content_too_large", f"customer_defined_content over {limits.max_customer_content} characters")
    if not isinstance(capture, dict):
        raise InvalidPackage("malformed_content", "capture must be a JSON object")
    if not isinstance(sizes, list) or not sizes or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise InvalidPackage("malformed_content", "image_sizes must list at least one positive integer")
    if len(sizes) > limits.max_images:
        raise InvalidPackage("too_many_images", f"{len(sizes)} images; at most {limits.max_images}")
    if any(s > limits.max_image_bytes for s in sizes):
        raise InvalidPackage("image_too_large", f"an image is over {limits.max_image_bytes} bytes")
    body = content[4 + size :]
    if sum(sizes) != len(body):
        raise InvalidPackage("malformed_content", "image_sizes do not add up to the image bytes")
    images, offset = [], 0
    for s in sizes:
        images.append(body[offset : offset + s])
        offset += s
    return Package(images, package_id, created / 1000.0, text, capture, key_id)
