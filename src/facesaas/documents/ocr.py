"""Text lines out of a document photo: PP-OCR (detection, angle classification, recognition)
through ``rapidocr``, whose ONNX models ship inside its wheel (nothing is downloaded).

The engine is created once, lazily (:func:`get_ocr`), and is read-only afterwards. Cost on 2
cores: ~0.3–0.7 s for an ID-card photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from facesaas.errors import InternalError

__all__ = ["TextLine", "OcrEngine", "get_ocr"]


@dataclass(frozen=True)
class TextLine:
    """One recognised line: ``text``, recognition ``score`` 0–1 and ``box``, its four corners
    as (x, y) pixels clockwise from the top-left, shape (4, 2)."""

    text: str
    score: float
    box: np.ndarray

    @property
    def left(self) -> float:
        return float(self.box[:, 0].min())

    @property
    def top(self) -> float:
        return float(self.box[:, 1].min())

    @property
    def bottom(self) -> float:
        return float(self.box[:, 1].max())

    @property
    def height(self) -> float:
        return self.bottom - self.top


class OcrEngine:
    """A loaded PP-OCR pipeline; :meth:`read` is thread-safe for concurrent callers."""

    def __init__(self, threads: int = 2) -> None:
        from rapidocr import RapidOCR

        try:
            self._ocr = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
        except Exception as exc:  # rapidocr raises plain exceptions for missing/corrupt models
            raise InternalError("OCR models could not be loaded") from exc

    def read(self, bgr: np.ndarray) -> list[TextLine]:
        """The text lines of a BGR uint8 image, top to bottom."""
        try:
            result = self._ocr(bgr)
        except Exception as exc:  # onnxruntime / OpenCV failures inside the pipeline
            raise InternalError("OCR failed") from exc
        if result.txts is None:
            return []
        lines = [
            TextLine(str(text), float(score), np.asarray(box, dtype=np.float32))
            for text, score, box in zip(result.txts, result.scores, result.boxes, strict=True)
        ]
        return sorted(lines, key=lambda line: (line.top, line.left))


@lru_cache(maxsize=4)
def get_ocr(threads: int = 2) -> OcrEngine:
    """The process-wide OCR engine for ``threads`` onnxruntime threads, loaded on first use."""
    return OcrEngine(threads)
