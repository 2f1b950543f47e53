"""The learned de-mesher: a tiny residual U-Net that takes a mesh-watermarked ID photo to the
clean photo under it (issue 17 item 5).

``models/demesh.onnx`` (150 kB, 37 k weights, SHA-256 pinned below) was trained on this project's CPU by
``scripts/train_demesher.py`` (``make demesh-model`` rebuilds it and checks the bytes) on
CelebA faces of the training identities meshed with six training families of
``tests/watermark/styles.py``; two whole families and the other half of the identities are
held out for judging it (docs/accuracy.md). Fully convolutional: it runs at the photo's own
size, BGR in and out; the photo is padded (mirrored) to a multiple of 4 px and the padding cut
off again. It predicts a correction added to the photo, so what it does not recognise as mesh
it leaves nearly as it was.

``models/demesh_small.onnx`` (:func:`get_small_demesher`, pinned by :data:`DEMESH_SMALL_SHA256`)
is the same network trained on 102 × 126 photos only (``--size small``); the service uses it on
small meshed photos, the general one on medium photos (``facesaas.recognition.image_types``).

Cost (2 threads, bench/results/demesh-latest.md): p50 ~7 ms at 178 × 220, ~3 ms at 102 × 126. Loaded once per process
(:func:`get_demesher`); a session is thread-safe and the class keeps no per-call state.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from facesaas.errors import InternalError

__all__ = ["Demesher", "get_demesher", "get_small_demesher", "DEMESH_SHA256", "DEMESH_SMALL_SHA256"]

_MODEL = Path(__file__).with_name("models") / "demesh.onnx"
DEMESH_SHA256 = "1d39219aad8a176e8eafec3239c1698d7eb48dbcfc9f2a05f1b2e820d98399fb"
_SMALL_MODEL = Path(__file__).with_name("models") / "demesh_small.onnx"
DEMESH_SMALL_SHA256 = "f9416223f5affd22555b2d88fc86f09224c9d57b63203c6e5adc676a0bf772ff"
"""``models/demesh_small.onnx``: the same network trained on 102 × 126 photos only
(``scripts/train_demesher.py --size small``, ``make demesh-small-model``)."""
_MULTIPLE = 4
"""The network halves the photo twice: its sides must divide by 4."""


class Demesher:
    """The de-meshing network in an onnxruntime session."""

    def __init__(self, session) -> None:  # noqa: ANN001 - onnxruntime types are imported lazily
        self._session = session

    @classmethod
    def load(cls, *, threads: int = 2, path: Path = _MODEL, sha256: str = DEMESH_SHA256) -> Demesher:
        """Load the shipped model after checking its SHA-256 (ConfigurationError if it is
        missing or altered). Cost ~7 ms; use :func:`get_demesher`."""
        from facesaas.face._models import load_pinned_session

        return cls(load_pinned_session(path, sha256, threads=threads))

    def run(self, bgr: np.ndarray) -> np.ndarray:
        """``bgr`` (BGR uint8, H × W × 3, any size) with the mesh taken out: a new array of the
        same shape. Raises InternalError if onnxruntime fails."""
        h, w = bgr.shape[:2]
        bottom, right = -h % _MULTIPLE, -w % _MULTIPLE
        # Mirrored padding: a constant border would read as an edge the network might "repair".
        padded = cv2.copyMakeBorder(bgr, 0, bottom, 0, right, cv2.BORDER_REFLECT_101) if bottom or right else bgr
        tensor = padded.transpose(2, 0, 1)[None].astype(np.float32) * (1.0 / 255.0)
        try:
            (clean,) = self._session.run(None, {"image": tensor})
        except Exception as exc:  # onnxruntime raises its own types
            raise InternalError(f"de-meshing failed: {exc}") from exc
        out = np.clip(clean[0, :, :h, :w].transpose(1, 2, 0) * 255.0 + 0.5, 0, 255)
        return np.ascontiguousarray(out.astype(np.uint8))


@lru_cache(maxsize=2)
def get_demesher(threads: int = 2) -> Demesher:
    """The process-wide de-mesher, loaded on first use."""
    return Demesher.load(threads=threads)


@lru_cache(maxsize=2)
def get_small_demesher(threads: int = 2) -> Demesher:
    """The process-wide small-photo de-mesher (``models/demesh_small.onnx``, trained on
    102 × 126 photos only), loaded on first use (~5 ms); p50 ~3 ms a 102 × 126 photo."""
    return Demesher.load(threads=threads, path=_SMALL_MODEL, sha256=DEMESH_SMALL_SHA256)
