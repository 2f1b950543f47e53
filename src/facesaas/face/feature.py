"""The feature string: base64 of a small versioned binary holding one or more embeddings.

Layout (little-endian)::

    offset size  field
    0      4     magic  b"FSFT"
    4      1     format version (1)
    5      1     model id (1 = SFace 2021dec int8bq, aligned to the ArcFace template)
    6      2     dimension (128)
    8      2     face count n (1..MAX_FACES)
    10     4·n·d float32 vectors, L2-normalised, faces in the order the extractor returned them

A one-face feature is 522 bytes (700 characters of base64); the manual's product used ~20 KB.
"""

from __future__ import annotations

import base64
import struct

import numpy as np

from facesaas.errors import FeatureModelMismatch, InvalidFeature
from facesaas.face.embedder import EMBEDDING_DIM
from facesaas.face.image import decode_base64

__all__ = ["MODEL_ID", "FORMAT_VERSION", "MAX_FACES", "encode_feature", "decode_feature"]

MAGIC = b"FSFT"
FORMAT_VERSION = 1
MODEL_ID = 1
MAX_FACES = 16
_HEADER = struct.Struct("<4sBBHH")


def encode_feature(vectors: np.ndarray) -> str:
    """Encode an ``(n, 128)`` float array (or one ``(128,)`` vector) as a feature string."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype="<f4"))
    count, dim = matrix.shape
    if not 1 <= count <= MAX_FACES or dim != EMBEDDING_DIM:
        raise ValueError(f"cannot encode {count} vectors of dimension {dim}")
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, MODEL_ID, dim, count)
    return base64.b64encode(header + matrix.tobytes()).decode("ascii")


def decode_feature(value: str, field: str) -> np.ndarray:
    """Decode a feature string into an ``(n, 128)`` float32 array.

    Raises InvalidBase64, InvalidFeature (bad magic/version/length/values) or
    FeatureModelMismatch (another model or dimension).
    """
    raw = decode_base64(value, field)
    if len(raw) < _HEADER.size:
        raise InvalidFeature(f"{field}: too short")
    magic, version, model_id, dim, count = _HEADER.unpack_from(raw)
    if magic != MAGIC:
        raise InvalidFeature(f"{field}: not a FaceSaaS feature")
    if version != FORMAT_VERSION:
        raise InvalidFeature(f"{field}: unknown format version {version}")
    if model_id != MODEL_ID or dim != EMBEDDING_DIM:
        raise FeatureModelMismatch(f"{field}: model {model_id}, dimension {dim}")
    if not 1 <= count <= MAX_FACES or len(raw) != _HEADER.size + 4 * count * dim:
        raise InvalidFeature(f"{field}: length does not match {count} faces")
    matrix = np.frombuffer(raw, dtype="<f4", offset=_HEADER.size).reshape(count, dim).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1)
    # Each vector is unit length, or all zeros for a degenerate face; anything else was edited.
    if not np.all(np.isfinite(norms)) or not np.all((np.abs(norms - 1) < 1e-3) | (norms == 0)):
        raise InvalidFeature(f"{field}: vectors are not normalised embeddings")
    return matrix
