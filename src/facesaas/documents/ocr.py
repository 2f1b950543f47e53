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

__all__ = ["TextLine", "OcrEngine", "get_ocr", "simplify"]

_MIN_SCORE = 0.5
"""Lines recognised with a lower score are dropped (rapidocr's own default text_score)."""


@dataclass(frozen=True)
class TextLine:
    """One recognised line: ``text``, recognition ``score`` 0–1 and ``box``, its four corners
    as (x, y) pixels clockwise from the top-left, shape (4, 2)."""

    text: str
    score: float
    box: np.ndarray
    flipped: bool = False
    """True when the angle classifier found the line upside down in the image (read rotated)."""

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
    def right(self) -> float:
        return float(self.box[:, 0].max())

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def box_tuple(self) -> tuple[int, int, int, int]:
        """The axis-aligned box (x0, y0, x1, y1), whole pixels."""
        return int(self.left), int(self.top), int(self.right), int(self.bottom)

    @property
    def centre(self) -> tuple[float, float]:
        return float(self.box[:, 0].mean()), float(self.box[:, 1].mean())

    @property
    def vertical(self) -> bool:
        """The box is a column: a line of text running up or down the image."""
        along = float(np.linalg.norm(self.box[1] - self.box[0]))
        across = float(np.linalg.norm(self.box[3] - self.box[0]))
        return across > 1.5 * along

    @property
    def reading_angle(self) -> float:
        """The direction the text reads in, degrees in image coordinates (y down): 0 left to
        right, 90 downwards, ±180 right to left, -90 upwards.

        rapidocr crops a column (height ≥ 1.5 × width) and turns it 90° counter-clockwise, so
        its text reads along box[0]→box[3]; any other box reads along box[0]→box[1], and
        ``flipped`` reverses either. The corner order alone is not enough: a column tilted by
        more than its own thickness gets its corners ordered along the column, is cropped as a
        strip and is not ``vertical`` although it runs down the page.
        """
        step = self.box[3] - self.box[0] if self.vertical else self.box[1] - self.box[0]
        angle = float(np.degrees(np.arctan2(float(step[1]), float(step[0]))))
        if self.flipped:
            angle = angle - 180.0 if angle > 0 else angle + 180.0
        return angle


@lru_cache(maxsize=1)
def _simplified() -> dict[int, str]:
    """Traditional → simplified characters with exactly one simplified form, from OpenCC's
    TSCharacters table (ambiguous ones such as 乾 → 干/乾 are left alone). Loaded once."""
    from importlib.resources import files

    table: dict[int, str] = {}
    text = files("opencc").joinpath("dictionary/TSCharacters.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        options = targets.split()
        if len(source) == 1 and len(options) == 1 and options[0] != source and len(options[0]) == 1:
            table[ord(source)] = options[0]
    return table


def simplify(text: str) -> str:
    """``text`` with traditional characters replaced by the simplified ones mainland documents
    print (microseconds)."""
    return text.translate(_simplified())


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
        """The text lines of a BGR uint8 image, top to bottom, each with the angle classifier's
        verdict (``flipped``) so callers can tell an upside-down page. Runs rapidocr's steps
        (pinned 3.10.0) rather than its one-call API, which drops the classifier's labels."""
        from rapidocr.utils.process_img import map_boxes_to_original

        ocr = self._ocr
        try:
            img, op_record = ocr.preprocess_img(bgr)
            det, cls, rec, _ = ocr.run_ocr_steps(img, op_record)
            if det.boxes is None or rec.txts is None:
                return []
            boxes = map_boxes_to_original(det.boxes, op_record, bgr.shape[0], bgr.shape[1])
        except Exception as exc:  # onnxruntime / OpenCV failures inside the pipeline
            raise InternalError("OCR failed") from exc
        labels = [label for label, _ in cls.cls_res] if cls.cls_res else ["0"] * len(boxes)
        lines = [
            TextLine(simplify(str(text)), float(score), np.asarray(box, dtype=np.float32), flipped="180" in label)
            for text, score, box, label in zip(rec.txts, rec.scores, boxes, labels, strict=True)
            if str(text).strip() and score >= _MIN_SCORE
        ]
        return sorted(lines, key=lambda line: (line.top, line.left))


@lru_cache(maxsize=4)
def get_ocr(threads: int = 2) -> OcrEngine:
    """The process-wide OCR engine for ``threads`` onnxruntime threads, loaded on first use."""
    return OcrEngine(threads)
