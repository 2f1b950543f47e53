"""Geometry of a document photo from its OCR lines: page orientation, skew, rows, and the split
of a page that holds two cards.

Everything here works on :class:`~facesaas.documents.ocr.TextLine` boxes (pixels, x right,
y down), never on pixels, so it costs microseconds; only :func:`rotate_image` touches the image.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import cv2
import numpy as np

from facesaas.documents.ocr import TextLine

__all__ = [
    "Row",
    "group_rows",
    "page_rotation",
    "skew_degrees",
    "rotate_image",
    "deskew",
    "split_cards",
    "union_box",
    "rows_box",
]

_NOISE = re.compile(r"[\s_\-—:：.,，。'\"`|·]")
_SPACES = re.compile(r"[\s_|]")

Box = tuple[int, int, int, int]
"""(x0, y0, x1, y1) pixels, x0 < x1, y0 < y1."""


@dataclass(frozen=True)
class Row:
    """Lines at the same height, left to right: ``text`` joined (spaces and, unless kept,
    punctuation removed), ``lines`` the members, ``box`` their union."""

    text: str
    lines: tuple[TextLine, ...]

    @property
    def box(self) -> Box:
        return union_box(self.lines)

    @property
    def score(self) -> float:
        """The lowest recognition score of the row's lines (0–1)."""
        return min(line.score for line in self.lines)


def union_box(lines: tuple[TextLine, ...] | list[TextLine]) -> Box:
    """The axis-aligned box around ``lines`` (pixels)."""
    return (
        int(min(line.left for line in lines)),
        int(min(line.top for line in lines)),
        int(math.ceil(max(line.right for line in lines))),
        int(math.ceil(max(line.bottom for line in lines))),
    )


def rows_box(rows: list[Row]) -> Box:
    """The axis-aligned box around ``rows`` (pixels); ``rows`` must not be empty."""
    return union_box([line for row in rows for line in row.lines])


def group_rows(lines: list[TextLine], *, keep_punctuation: bool = False) -> list[Row]:
    """Join lines whose vertical centres lie within 60 % of a line height into rows, top to
    bottom. Lines must be upright (see :func:`deskew`)."""
    noise = _SPACES if keep_punctuation else _NOISE
    groups: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda item: (item.top + item.bottom) / 2):
        centre = (line.top + line.bottom) / 2
        if groups:
            last = groups[-1]
            last_centre = sum((item.top + item.bottom) / 2 for item in last) / len(last)
            if abs(centre - last_centre) < 0.6 * max(line.height, last[0].height):
                last.append(line)
                continue
        groups.append([line])
    rows = []
    for group in groups:
        ordered = tuple(sorted(group, key=lambda item: item.left))
        rows.append(Row(noise.sub("", _join(ordered)), ordered))
    return rows


def _join(ordered: tuple[TextLine, ...]) -> str:
    """The texts of one row, left to right. The detector sometimes gives a character to two
    overlapping boxes on one line ("湘GH5074" and "4 车辆类型", or "吉XP4208" and "3 车辆类型"
    with the shared 8 misread): a box that starts inside the previous one with the character
    that one ends with, or with one character standing apart, does not repeat it. Boxes that
    only touch corners (a sub-label just below, "GSM" over "Model") keep every character."""
    parts: list[str] = []
    previous: TextLine | None = None
    for line in ordered:
        text = line.text
        if previous is not None and text and parts and parts[-1]:
            char_width = line.width / max(len(text), 1)
            shared = min(previous.bottom, line.bottom) - max(previous.top, line.top)
            same_line = shared > 0.5 * min(previous.height, line.height)
            repeated = text[0] == parts[-1][-1] or (len(text) > 2 and text[1] == " " and text[2] != " ")
            if same_line and previous.right - line.left > 0.5 * char_width and repeated:
                text = text[1:]
        parts.append(text)
        previous = line
    return "".join(parts)


def page_rotation(lines: list[TextLine]) -> int:
    """How far the page is turned clockwise, 0/90/180/270 degrees: a vote of the lines'
    reading directions (:attr:`TextLine.reading_angle`, rounded to a quarter turn) weighted by
    length. Text reading downwards means a page turned clockwise (90), upwards 270, right to
    left 180. 0 when there are no lines."""
    votes = {0: 0.0, 90: 0.0, 180: 0.0, 270: 0.0}
    for line in lines:
        weight = max(line.width, line.height) * line.score
        votes[int(round(line.reading_angle / 90.0)) * 90 % 360] += weight
    return max(votes, key=lambda key: votes[key]) if lines else 0


def skew_degrees(lines: list[TextLine]) -> float:
    """The weighted median reading angle of the lines that read roughly left to right (degrees,
    positive = clockwise in image coordinates), long lines weighing most; 0 without lines."""
    angles, weights = [], []
    for line in lines:
        angle = line.reading_angle
        length = float(np.linalg.norm(line.box[1] - line.box[0]))
        across = float(np.linalg.norm(line.box[3] - line.box[0]))
        if abs(angle) >= 45.0 or line.vertical or length < 2 * across:
            continue  # columns, upside-down and short boxes give unreliable angles
        angles.append(angle)
        weights.append(length)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cumulative = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _rotation_matrix(shape: tuple[int, ...], degrees: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The affine matrix that turns an image of ``shape`` by ``degrees`` counter-clockwise
    (undoing a clockwise skew) onto a canvas large enough to keep every corner."""
    height, width = shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_width / 2 - width / 2
    matrix[1, 2] += new_height / 2 - height / 2
    return matrix, (new_width, new_height)


def rotate_image(bgr: np.ndarray, degrees: float) -> np.ndarray:
    """``bgr`` turned by ``degrees`` counter-clockwise on a grown canvas (edge pixels
    replicated), so that text skewed clockwise by ``degrees`` becomes level. Cost: one warp."""
    if degrees == 0:
        return bgr
    matrix, size = _rotation_matrix(bgr.shape, degrees)
    return cv2.warpAffine(bgr, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def deskew(lines: list[TextLine], shape: tuple[int, ...], degrees: float) -> list[TextLine]:
    """``lines`` moved by the same transform as :func:`rotate_image` (``shape`` is the image's),
    so rows can be grouped on a level page without reading it again."""
    if degrees == 0:
        return lines
    matrix, _ = _rotation_matrix(shape, degrees)
    moved = []
    for line in lines:
        box = np.hstack([line.box, np.ones((4, 1), np.float32)]) @ matrix.T.astype(np.float32)
        moved.append(TextLine(line.text, line.score, box.astype(np.float32), line.flipped))
    return moved


def split_cards(lines: list[TextLine]) -> list[list[TextLine]]:
    """Split an upright page into at most two cards at its widest empty band: vertical (cards
    stacked) or horizontal (side by side), whichever gap is wider relative to the line height.
    One group when no gap is wider than 2 line heights. A single card's title can stand that far
    from its fields, so the caller keeps the split only if the halves read as different sides."""
    if len(lines) < 4:
        return [lines]
    # At least a pixel: OCR boxes of zero height (degenerate detections) made this a
    # ZeroDivisionError (tests/documents/test_parsers_fuzz.py).
    typical = max(float(np.median([line.height for line in lines])), 1.0)
    best: tuple[float, int, float] | None = None  # (gap in line heights, axis, cut position)
    for axis in (1, 0):
        spans = sorted(
            (line.top, line.bottom) if axis == 1 else (line.left, line.right) for line in lines
        )
        reach = spans[0][1]
        for start, end in spans[1:]:
            gap = (start - reach) / typical
            if gap > 2.0 and (best is None or gap > best[0]):
                best = (gap, axis, (start + reach) / 2)
            reach = max(reach, end)
    if best is None:
        return [lines]
    _, axis, cut = best
    first = [line for line in lines if line.centre[axis] < cut]
    second = [line for line in lines if line.centre[axis] >= cut]
    return [first, second]
