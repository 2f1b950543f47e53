"""The feature string: base64 of a small versioned binary holding one or more embeddings.

Layout (little-endian)::

    offset size  field
    0      4     magic  b"FSFT"
    4      1     format version (1)
    5      1     embedding scheme id (facesaas.face.embedder.SCHEMES): 1 = "sface" (SFace 2021dec
                 int8bq, aligned to the ArcFace template), 2 = "sface-mirror" (the same, averaged
                 with the mirror image's embedding)
    6      2     dimension (128)
    8      2     face count n (1..MAX_FACES)
    10     4·n·d float32 vectors, L2-normalised, faces in the order the extractor returned them

A one-face feature is 522 bytes (700 characters of base64); the manual's product used ~20 KB.
A feature is only ever compared with vectors of its own scheme: decoding one of another scheme
than the server's raises FeatureModelMismatch (rtn -2011) naming both, so a feature kept from
before a scheme change is refused rather than scored on the wrong thresholds.
"""

from __future__ import annotations

import base64
import struct

import numpy as np

from facesaas.errors import FeatureModelMismatch, InvalidFeature
from facesaas.face.embedder import EMBEDDING_DIM, SCHEMES, EmbeddingScheme
from facesaas.face.image import decode_base64

__all__ = ["FORMAT_VERSION", "MAX_FACES", "encode_feature", "decode_feature", "feature_scheme"]

MAGIC = b"FSFT"
FORMAT_VERSION = 1
MAX_FACES = 16
_SCHEME_NAMES = {scheme.id: scheme.name for scheme in SCHEMES.values()}
_HEADER = struct.Struct("<4sBBHH")


def encode_feature(vectors: np.ndarray, scheme: EmbeddingScheme) -> str:
    """Encode an ``(n, 128)`` float array (or one ``(128,)`` vector) made by ``scheme`` as a
    feature string."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype="<f4"))
    count, dim = matrix.shape
    if not 1 <= count <= MAX_FACES or dim != EMBEDDING_DIM:
        raise ValueError(f"cannot encode {count} vectors of dimension {dim}")
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, scheme.id, dim, count)
    return base64.b64encode(header + matrix.tobytes()).decode("ascii")


def feature_scheme(value: str, field: str) -> str:
    """The name of the scheme that made a feature string (its header only is checked), or
    ``"unknown (id N)"``. Raises InvalidBase64 / InvalidFeature for what is not a feature."""
    raw = decode_base64(value, field)
    if len(raw) < _HEADER.size or raw[:4] != MAGIC:
        raise InvalidFeature(f"{field}: not a FaceSaaS feature")
    return _SCHEME_NAMES.get(raw[5], f"unknown (id {raw[5]})")


def decode_feature(value: str, field: str, scheme: EmbeddingScheme) -> np.ndarray:
    """Decode a feature string of ``scheme`` into an ``(n, 128)`` float32 array.

    Raises InvalidBase64, InvalidFeature (bad magic/version/length/values) or
    FeatureModelMismatch (another embedding scheme or dimension).
    """
    raw = decode_base64(value, field)
    if len(raw) < _HEADER.size:
        raise InvalidFeature(f"{field}: too short")
    magic, version, scheme_id, dim, count = _HEADER.unpack_from(raw)
    if magic != MAGIC:
        raise InvalidFeature(f"{field}: not a FaceSaaS feature")
    if version != FORMAT_VERSION:
        raise InvalidFeature(f"{field}: unknown format version {version}")
    if scheme_id != scheme.id:
        made_by = _SCHEME_NAMES.get(scheme_id, f"an unknown scheme (id {scheme_id})")
        raise FeatureModelMismatch(
            f"{field} was made by embedding scheme {made_by}, this server uses {scheme.name}; extract it again from the image"
        )
    if dim != EMBEDDING_DIM:
        raise FeatureModelMismatch(f"{field}: dimension {dim}, expected {EMBEDDING_DIM}")
    if not 1 <= count <= MAX_FACES or len(raw) != _HEADER.size + 4 * count * dim:
        raise InvalidFeature(f"{field}: length does not match {count} faces")
    matrix = np.frombuffer(raw, dtype="<f4", offset=_HEADER.size).reshape(count, dim).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):  # huge values give inf, refused below
        norms = np.linalg.norm(matrix, axis=1)
    # Each vector is unit length, or all zeros for a degenerate face; anything else was edited.
    if not np.all(np.isfinite(norms)) or not np.all((np.abs(norms - 1) < 1e-3) | (norms == 0)):
        raise InvalidFeature(f"{field}: vectors are not normalised embeddings")
    return matrix
