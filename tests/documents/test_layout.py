"""Page geometry from OCR boxes: rows, orientation vote, skew, the two-card split."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facesaas.documents.layout import deskew, group_rows, page_rotation, rotate_image, skew_degrees, split_cards
from facesaas.documents.ocr import TextLine


def _line(text: str, left: float, top: float, *, width: float | None = None, height: float = 20.0,
          angle: float = 0.0, flipped: bool = False, vertical: bool = False) -> TextLine:  # fmt: skip
    width = width if width is not None else 16.0 * len(text)
    if vertical:
        width, height = height, width
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    turn = math.radians(angle)
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    return TextLine(text, 0.99, (corners @ rotation.T + [left, top]).astype(np.float32), flipped)


def test_rows_join_lines_at_one_height_left_to_right() -> None:
    rows = group_rows([_line("民族汉", 200, 42), _line("姓名张三", 30, 0), _line("性别男", 30, 40)])
    assert [row.text for row in rows] == ["姓名张三", "性别男民族汉"]
    assert rows[1].box == (30, 40, 248, 62)


def test_punctuation_is_kept_only_when_asked() -> None:
    line = _line("2015.06.01-2035.06.01", 0, 0)
    assert group_rows([line])[0].text == "2015060120350601"
    assert group_rows([line], keep_punctuation=True)[0].text == "2015.06.01-2035.06.01"


@pytest.mark.parametrize(
    ("flipped", "vertical", "expected"), [(False, False, 0), (True, False, 180), (False, True, 90), (True, True, 270)]
)
def test_page_rotation_votes_by_length(flipped: bool, vertical: bool, expected: int) -> None:
    lines = [_line("公民身份号码", 0, 40 * i, flipped=flipped, vertical=vertical) for i in range(3)]
    lines.append(_line("噪", 0, 200, flipped=not flipped))  # one short dissenting line loses
    assert page_rotation(lines) == expected
    assert page_rotation([]) == 0


@pytest.mark.parametrize(("angle", "flipped", "expected"), [(98.0, False, 90), (98.0, True, 270), (-82.0, False, 270)])
def test_a_tilted_column_read_as_a_strip_votes_sideways(angle: float, flipped: bool, expected: int) -> None:
    # Corners ordered along the column (box[0] → box[1] runs down the page): not "vertical",
    # yet the text runs down (or up) the page.
    lines = [_line("公民身份号码", 40 * i, 0, width=300, angle=angle, flipped=flipped) for i in range(3)]
    assert not any(line.vertical for line in lines)
    assert page_rotation(lines) == expected
    assert skew_degrees(lines) == 0.0  # sideways lines say nothing about the skew


def test_skew_is_the_weighted_median_angle_and_deskew_levels_rows() -> None:
    lines = [_line("住址广州市大学城外环东路", 50, 60 + 40 * i, angle=6.0) for i in range(3)]
    lines.append(_line("号", 400, 300, angle=40.0))  # short boxes do not vote
    assert skew_degrees(lines) == pytest.approx(6.0, abs=0.01)
    shape = (600, 800, 3)
    level = deskew(lines[:3], shape, skew_degrees(lines))
    assert skew_degrees(level) == pytest.approx(0.0, abs=0.01)
    assert len(group_rows(level)) == 3
    image = rotate_image(np.zeros(shape, np.uint8), 6.0)
    assert image.shape[0] > 600 and image.shape[1] > 800  # the canvas grows so no corner is cut


def test_split_at_the_widest_gap_or_not_at_all() -> None:
    front = [_line("姓名张三", 30, 30 * i) for i in range(5)]
    back = [_line("签发机关某某公安局", 30, 400 + 30 * i) for i in range(3)]
    first, second = split_cards(front + back)
    assert [line.text for line in first] == [line.text for line in front]
    assert len(second) == 3
    assert split_cards(front) == [front]
    beside = [_line("有效期限", 900, 30 * i) for i in range(4)]
    assert [len(part) for part in split_cards(front + beside)] == [5, 4]


def test_a_character_shared_by_overlapping_boxes_is_read_once() -> None:
    plate = _line("湘GH5074", 100, 0)  # 7 characters, ends at x = 212
    overlapping = _line("4车辆类型", 200, 1)  # starts inside the plate's box with its last digit
    apart = _line("4车辆类型", 260, 1)  # a real 4 after a gap stays
    assert group_rows([plate, overlapping])[0].text == "湘GH5074车辆类型"
    assert group_rows([plate, apart])[0].text == "湘GH50744车辆类型"


def test_a_misread_shared_character_standing_apart_is_dropped() -> None:
    plate = _line("吉XP4208", 100, 0)  # ends at x = 212
    overlapping = _line("3 车辆类型", 200, 1)  # the shared 8 misread as 3, then a space
    assert group_rows([plate, overlapping])[0].text == "吉XP4208车辆类型"


def test_a_sub_label_below_keeps_its_first_letter() -> None:
    # "Model" printed just under the value's end joins its row but is not on the same line:
    # the value's last M and the label's M are two characters.
    value = _line("日产牌DFL7602GSM", 100, 0, height=34)  # ends at x = 308
    label = _line("Model", 300, 27, height=18)
    assert group_rows([value, label])[0].text == "日产牌DFL7602GSMModel"


def test_split_survives_lines_of_zero_height() -> None:
    """Found by test_parsers_fuzz.py: degenerate boxes made the typical height 0 (ZeroDivisionError)."""
    flat = [_line(str(i), 10.0, 100.0 * i, height=0.0) for i in range(4)]
    parts = split_cards(flat)
    assert sum(len(part) for part in parts) == 4
