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


_CLS_THRESH = 0.9
"""rapidocr turns a crop the angle classifier calls "180" only above this confidence."""

_BOX_THRESH = 0.3
"""The detector's box-score threshold. rapidocr's 0.5 loses isolated single characters (the
男 after 性别, a two-character name) on a fifth of a percent of card photos; at 0.3 they are
found, and the extra weak boxes are mostly dropped by :data:`_MIN_SCORE`."""


class OcrEngine:
    """A loaded PP-OCR pipeline; :meth:`read` is thread-safe for concurrent callers."""

    def __init__(self, threads: int = 2) -> None:
        from rapidocr import RapidOCR

        try:
            self._ocr = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "Det.box_thresh": _BOX_THRESH,
                    "Cls.cls_thresh": _CLS_THRESH,
                    "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
        except Exception as exc:  # rapidocr raises plain exceptions for missing/corrupt models
            raise InternalError("OCR models could not be loaded") from exc

    def read(self, bgr: np.ndarray) -> list[TextLine]:
        """The text lines of a BGR uint8 image, top to bottom, each with the angle classifier's
        verdict (``flipped``) so callers can tell an upside-down page. Runs rapidocr's steps
        (pinned 3.10.0) rather than its one-call API, which drops the classifier's labels.

        A line the classifier turned against the rest of the page (one misfire garbles a whole
        line, e.g. a VIN read as "车9 0") is recognised again the other way up, and the reading
        with the higher score is kept. Cost: one more recognition per such line (~10 ms)."""
        from rapidocr.utils.process_img import map_boxes_to_original

        ocr = self._ocr
        try:
            img, op_record = ocr.preprocess_img(bgr)
            det, cls, rec, _ = ocr.run_ocr_steps(img, op_record)
            if det.boxes is None or rec.txts is None:
                return []
            boxes = map_boxes_to_original(det.boxes, op_record, bgr.shape[0], bgr.shape[1])
            flips = [("180" in label and score > _CLS_THRESH) for label, score in cls.cls_res] if cls.cls_res else []
            flips = flips or [False] * len(boxes)
            lines = [
                TextLine(simplify(str(text)), float(score), np.asarray(box, dtype=np.float32), flipped=flip)
                for text, score, box, flip in zip(rec.txts, rec.scores, boxes, flips, strict=True)
            ]
            lines = self._reread_dissenters(lines, list(cls.img_list or []))
        except Exception as exc:  # onnxruntime / OpenCV failures inside the pipeline
            raise InternalError("OCR failed") from exc
        kept = [line for line in lines if line.text.strip() and line.score >= _MIN_SCORE]
        return sorted(kept, key=lambda line: (line.top, line.left))

    def _reread_dissenters(self, lines: list[TextLine], crops: list[np.ndarray]) -> list[TextLine]:
        """``lines`` where each line flipped unlike the length-weighted majority of lines of its
        kind (columns and rows apart) is read again turned 180° and keeps the better reading."""
        if len(crops) != len(lines):
            return lines
        import cv2

        majority: dict[bool, bool] = {}
        for vertical in (False, True):
            weights = {flip: 0.0 for flip in (False, True)}
            for line in lines:
                if line.vertical == vertical:
                    weights[line.flipped] += max(line.width, line.height) * line.score
            majority[vertical] = weights[True] > weights[False]
        dissent = [i for i, line in enumerate(lines) if line.flipped != majority[line.vertical]]
        if not dissent:
            return lines
        again = self._ocr.recognize_txt([cv2.rotate(crops[i], cv2.ROTATE_180) for i in dissent])
        out = list(lines)
        for i, text, score in zip(dissent, again.txts or (), again.scores or (), strict=False):
            line = lines[i]
            if float(score) > line.score and str(text).strip():
                out[i] = TextLine(simplify(str(text)), float(score), line.box, flipped=not line.flipped)
        return out


@lru_cache(maxsize=4)
def get_ocr(threads: int = 2) -> OcrEngine:
    """The process-wide OCR engine for ``threads`` onnxruntime threads, loaded on first use."""
    return OcrEngine(threads)
