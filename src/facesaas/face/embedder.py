"""Face alignment to the ArcFace 5-point template and SFace 128-d embedding."""

from __future__ import annotations

import numpy as np

__all__ = ["ARCFACE_TEMPLATE", "align_face", "SFaceEmbedder", "EMBEDDING_DIM"]

EMBEDDING_DIM = 128

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
