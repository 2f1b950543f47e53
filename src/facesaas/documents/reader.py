"""From a photo to an upright page of text lines, and what kind of document it shows.

:func:`read_page` runs OCR once, and a second time only when ``auto_rotate`` finds the page
turned by 90/180/270°; a skew of a few degrees is always undone on the line boxes (no second
read). :func:`classify` says which document the lines come from by the words and patterns a
card must print, so a train ticket that carries a masked ID number is not an ID card.
:func:`read_id_card` splits a page holding both sides of an ID card. Cost: one OCR read,
~0.3–0.7 s on 2 cores for a card-sized photo; everything else is microseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

import cv2
import numpy as np

from facesaas.documents.idcard import IdCardBack, IdCardFront, parse_back, parse_front
from facesaas.documents.layout import (
    deskew,
    group_rows,
    page_rotation,
    rotate_image,
    skew_degrees,
    split_cards,
    union_box,
)
from facesaas.documents.licences import is_driving_licence, is_vehicle_licence
from facesaas.documents.ocr import OcrEngine, TextLine

__all__ = ["Page", "Kind", "read_page", "classify", "read_id_card", "IdCardReading"]

_MAX_SKEW = 45.0
_MIN_SKEW = 0.5
"""Skews below half a degree are left alone (rows group fine, and no resampling blur)."""

_TURN = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


class Kind(Enum):
    """What a set of lines is: the two sides of an ID card, the two licences, or none."""

    ID_FRONT = "id_front"
    ID_BACK = "id_back"
    DRIVING = "driving"
    VEHICLE = "vehicle"
    NONE = "none"


@dataclass(frozen=True)
class Page:
    """An upright, level page: ``image`` (BGR) and its ``lines`` in that image's pixels;
    ``rotation`` is how far the photo was turned clockwise (0/90/180/270, corrected only with
    auto_rotate) and ``skew`` the small angle undone (degrees, clockwise positive). ``photo`` is
    the image before the skew was undone (quarter turns only, so no pixel was resampled): the
    capture forensics read colour and pixel grids there, which interpolation would soften."""

    image: np.ndarray
    lines: list[TextLine]
    rotation: int
    skew: float
    photo: np.ndarray | None = None

    @property
    def unresampled(self) -> np.ndarray:
        """``photo`` if known, else ``image``."""
        return self.photo if self.photo is not None else self.image


def read_page(ocr: OcrEngine, bgr: np.ndarray, *, auto_rotate: bool) -> Page:
    """OCR ``bgr``; with ``auto_rotate`` turn a page read sideways or upside down upright and
    read it again; then level any skew."""
    lines = ocr.read(bgr)
    rotation = page_rotation(lines) if auto_rotate else 0
    cards = _turned_apart(bgr, lines) if auto_rotate else None
    if cards is not None:
        bgr, rotation = cards
        lines = ocr.read(bgr)
    elif rotation:
        bgr = cv2.rotate(bgr, _TURN[rotation])
        lines = ocr.read(bgr)
    skew = skew_degrees(lines)
    if abs(skew) < _MIN_SKEW or abs(skew) > _MAX_SKEW:
        return Page(bgr, lines, rotation, 0.0, bgr)
    return Page(rotate_image(bgr, skew), deskew(lines, bgr.shape, skew), rotation, skew, bgr)


def _turned_apart(bgr: np.ndarray, lines: list[TextLine]) -> tuple[np.ndarray, int] | None:
    """Two cards on one page turned different ways (a copy of both sides laid down apart): a
    new page with each card cut out, turned upright and stacked with a wide gap between them
    (so :func:`~facesaas.documents.layout.split_cards` finds them again), and the turn of the
    card with more text. The cards are the two largest groups of lines reading the same way
    (each ≥ 3 lines and a quarter of the text), whose boxes must not overlap. None when the
    page holds one card, or its cards agree."""
    groups: dict[int, list[TextLine]] = {}
    for line in lines:
        groups.setdefault(page_rotation([line]), []).append(line)
    if len(groups) < 2:
        return None
    weight = {turn: sum(max(line.width, line.height) for line in group) for turn, group in groups.items()}
    turns = sorted(groups, key=lambda turn: weight[turn], reverse=True)[:2]
    parts = [groups[turn] for turn in turns]
    if len(parts[1]) < 3 or weight[turns[1]] < 0.25 * sum(weight.values()):
        return None
    boxes = [union_box(part) for part in parts]
    shared = max(0, min(boxes[0][2], boxes[1][2]) - max(boxes[0][0], boxes[1][0])) * max(
        0, min(boxes[0][3], boxes[1][3]) - max(boxes[0][1], boxes[1][1])
    )
    if shared > 0.1 * min((box[2] - box[0]) * (box[3] - box[1]) for box in boxes):
        return None
    typical = float(np.median([line.height for line in lines]))
    pad = int(round(2 * typical))
    height, width = bgr.shape[:2]
    crops = []
    for part, turn in zip(parts, turns, strict=True):
        x0, y0, x1, y1 = union_box(part)
        crop = bgr[max(0, y0 - pad) : min(height, y1 + pad), max(0, x0 - pad) : min(width, x1 + pad)]
        crops.append(cv2.rotate(crop, _TURN[turn]) if turn else crop)
    gap = int(round(4 * typical))
    canvas_width = max(crop.shape[1] for crop in crops)
    background = np.median(np.concatenate([bgr[0], bgr[-1], bgr[:, 0], bgr[:, -1]]), axis=0).astype(np.uint8)
    canvas = np.empty((sum(crop.shape[0] for crop in crops) + gap, canvas_width, 3), np.uint8)
    canvas[:] = background
    top = 0
    for crop in crops:
        canvas[top : top + crop.shape[0], : crop.shape[1]] = crop
        top += crop.shape[0] + gap
    return canvas, turns[0]


_CITIZEN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")  # a 19-digit bank card number is not one
_DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
_VALIDITY = re.compile(r"\d{4}[.\-]?\d{2}[.\-]?\d{2}[-—~至]+(\d{4}[.\-]?\d{2}[.\-]?\d{2}|长期)")
_FRONT_LABELS = ("姓名", "性别", "民族", "出生", "住址", "身份号码")
_BACK_LABELS = ("中华人民共和国", "居民身份证", "签发机关", "有效期限")


def _front_evidence(joined: str) -> int:
    """Points for an ID front (0 when the minimum is not met): the 18-character number with a
    printed label or a 年月日 date beside it, three labels with a date or a gender, or four
    labels (a stamped-over copy whose values are unreadable is still a front)."""
    labels = sum(label in joined for label in _FRONT_LABELS)
    number, date, gender = bool(_CITIZEN_ID.search(joined)), bool(_DATE.search(joined)), bool(re.search("[男女]", joined))
    if (number and (labels or date)) or (labels >= 3 and (date or gender)) or labels >= 4:
        return 2 * number + labels + date + gender
    return 0


def _back_evidence(joined: str) -> int:
    """Points for an ID back (0 when the minimum is not met): three of its printed words, or
    one with a validity period."""
    labels = sum(label in joined for label in _BACK_LABELS) + ("机关" in joined and "签发机关" not in joined)
    validity = bool(_VALIDITY.search(joined))
    if labels >= 3 or (labels and validity):
        return labels + 2 * validity
    return 0


def classify(lines: list[TextLine]) -> Kind:
    """Which document ``lines`` (one card, upright) come from. Licences are recognised first
    because they print 姓名/住址/出生 too; a train ticket's masked number (1234********5678) and
    a bank card's 16–19 digits are not a citizen-ID number."""
    texts = [row.text for row in group_rows(lines)]
    if is_driving_licence(texts):
        return Kind.DRIVING
    if is_vehicle_licence(texts):
        return Kind.VEHICLE
    joined = "".join(texts)
    front, back = _front_evidence(joined), _back_evidence(joined)
    if not (front or back):
        return Kind.NONE
    return Kind.ID_FRONT if front >= back else Kind.ID_BACK


@dataclass(frozen=True)
class IdCardReading:
    """An ID-card page: ``idcard_type`` 1 front, 2 back, 3 both, -1 neither; the sides read."""

    idcard_type: int
    front: IdCardFront | None
    back: IdCardBack | None


def read_id_card(lines: list[TextLine], today: dt.date | None = None) -> IdCardReading:
    """Both sides when the page splits into a front and a back, else the one side it shows."""
    parts = split_cards(lines)
    if len(parts) == 2:
        kinds = [classify(part) for part in parts]
        if set(kinds) == {Kind.ID_FRONT, Kind.ID_BACK}:
            front_lines = parts[kinds.index(Kind.ID_FRONT)]
            back_lines = parts[kinds.index(Kind.ID_BACK)]
            return IdCardReading(3, parse_front(front_lines, today), parse_back(back_lines))
    kind = classify(lines)
    if kind is Kind.ID_FRONT:
        return IdCardReading(1, parse_front(lines, today), None)
    if kind is Kind.ID_BACK:
        return IdCardReading(2, None, parse_back(lines))
    return IdCardReading(-1, None, None)
