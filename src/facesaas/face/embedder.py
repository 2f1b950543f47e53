"""Face alignment to the ArcFace 5-point template, SFace 128-d embedding, embedding schemes.

An *embedding scheme* is how a face becomes the vector that is stored and compared: which
model, and whether the embedding of the aligned face is averaged with that of its mirror image.
Vectors of two schemes must never be compared (their score distributions differ, so one
scheme's thresholds mean nothing for the other): feature strings carry the scheme's id
(:mod:`facesaas.face.feature`), repositories record the scheme of their vectors, and each
scheme has its own calibration table (:mod:`facesaas.face.calibration`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from facesaas.errors import ConfigurationError

__all__ = [
    "ARCFACE_TEMPLATE",
    "DEFAULT_SCHEME",
    "EMBEDDING_DIM",
    "SCHEMES",
    "EmbeddingScheme",
    "SFaceEmbedder",
    "align_face",
    "get_scheme",
]

EMBEDDING_DIM = 128


@dataclass(frozen=True)
class EmbeddingScheme:
    """One way of making the stored vector: ``name`` (the setting's value), ``id`` (the feature
    string's scheme byte, never reused), ``mirror`` (average the embeddings of the aligned face
    and of its left-right mirror, then renormalise: ~2× the embedding cost)."""

    name: str
    id: int
    mirror: bool
    description: str


SCHEMES: dict[str, EmbeddingScheme] = {
    scheme.name: scheme
    for scheme in (
        EmbeddingScheme("sface", 1, False, "SFace 2021dec on the ArcFace-aligned 112×112 face"),
        EmbeddingScheme(
            "sface-mirror", 2, True, "SFace 2021dec, mean of the aligned face's and its mirror image's embeddings"
        ),
    )
}
"""Every scheme this version knows, by name."""

DEFAULT_SCHEME = "sface-mirror"
"""Chosen by measurement on celeba, all pairs (docs/accuracy.md, "Embedding scheme"): TAR at FAR
1e-4 0.833 → 0.840 for +20 ms per face."""


def get_scheme(name: str) -> EmbeddingScheme:
    """The scheme called ``name``; ConfigurationError for an unknown one."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise ConfigurationError(f"unknown embedding scheme {name!r}; known: {', '.join(SCHEMES)}") from None

# The standard ArcFace 112×112 template, (x, y) pixels, same landmark order as Detection.
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def _similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src→dst (Umeyama 1991).

    Returns the 2×3 affine matrix.
    """
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1
    rotation = u @ np.diag(d) @ vt
    variance = (src_c**2).sum() / len(src)
    scale = (s * d).sum() / variance if variance > 0 else 1.0
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def align_face(bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Warp the face with these 5 landmarks (image pixels) to a 112×112 BGR crop."""
    import cv2

    matrix = _similarity_transform(landmarks.astype(np.float64), ARCFACE_TEMPLATE)
    return cv2.warpAffine(bgr, matrix, (112, 112), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


class SFaceEmbedder:
    """SFace (2021dec, int8 weights folded to float) on an onnxruntime session; thread-safe."""

    def __init__(self, session) -> None:  # noqa: ANN001
        self._session = session
        self._input_name = session.get_inputs()[0].name

    def embed(self, aligned_bgr: np.ndarray) -> np.ndarray:
        """Return the L2-normalised 128-d float32 embedding of a 112×112 aligned BGR crop.

        Cost: ~20 ms on 2 cores.
        """
        blob = aligned_bgr[:, :, ::-1].astype(np.float32).transpose(2, 0, 1)[None]
        vector = self._session.run(None, {self._input_name: np.ascontiguousarray(blob)})[0][0]
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0:
            # A degenerate crop (e.g. all black) yields no usable identity; return zeros, which
            # compare as similarity 50 (cosine 0) with everything.
            return np.zeros(EMBEDDING_DIM, dtype=np.float32)
        return (vector / norm).astype(np.float32)

    def embed_scheme(self, aligned_bgr: np.ndarray, scheme: EmbeddingScheme) -> np.ndarray:
        """The stored vector of ``scheme`` for a 112×112 aligned BGR crop: unit length (or zeros
        for a degenerate crop). Cost: ~20 ms, ~40 ms for a mirror scheme (the model takes one
        face per run; a batch of two measured no faster on 2 cores)."""
        vector = self.embed(aligned_bgr)
        if not scheme.mirror:
            return vector
        mean = vector + self.embed(np.ascontiguousarray(aligned_bgr[:, ::-1]))
        norm = float(np.linalg.norm(mean))
        return (mean / norm).astype(np.float32) if np.isfinite(norm) and norm > 0 else np.zeros(EMBEDDING_DIM, np.float32)
