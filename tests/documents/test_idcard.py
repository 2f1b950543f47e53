"""ID-card front fields: the real samples through PP-OCR, and layouts built line by line."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from facesaas.documents.idcard import parse_front
from facesaas.documents.ocr import TextLine

TODAY = dt.date(2026, 11, 25)


def _line(text: str, left: float, top: float, height: float = 20.0) -> TextLine:
    width = 16.0 * len(text)
    box = np.array([[left, top], [left + width, top], [left + width, top + height], [left, top + height]], np.float32)
    return TextLine(text, 0.99, box)


def test_real_samples_through_ocr(shared_data: Path) -> None:
    import cv2

    from facesaas.documents.ocr import get_ocr

    with open(shared_data / "idcards" / "ground_truth.tsv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["side"] == "front"]
    assert len(rows) == 4
    for row in rows:
        front = parse_front(get_ocr().read(cv2.imread(str(shared_data / "idcards" / row["image"]))), today=TODAY)
        assert front.citizen_id == row["id_number"], row["image"]
        assert (front.gender, front.nation) == (row["sex"], row["nation"]), row["image"]
        assert front.address == row["address"], row["image"]
        birth = dt.date.fromisoformat(row["birth"])
        # The 韦小宝 specimen's 1654 birthday is implausible for a card holder: "?" (DESIGN.md).
        assert front.birthday == (birth.strftime("%Y%m%d") if birth.year >= 1900 else "?"), row["image"]
        if not row["name"].startswith("["):
            assert front.name == row["name"]
        else:
            assert front.name == "?"  # blacked out upstream


def test_misread_labels_and_split_rows() -> None:
    lines = [
        _line("姓名", 30, 40), _line("欧阳娜娜", 90, 38),
        _line("性剧女", 30, 80), _line("民族蒙古", 150, 81),
        _line("出生2001年2月3日", 30, 120),
        _line("住址", 30, 160), _line("内蒙古自治区呼和浩特市", 90, 159), _line("新城区1号", 90, 190),
        _line("公民身份号码", 30, 260), _line("15010220010203002x", 170, 262),
    ]  # fmt: skip
    front = parse_front(lines, today=TODAY)
    assert front.as_dict() == {
        "name": "欧阳娜娜",
        "gender": "女",
        "nation": "蒙古",
        "birthday": "20010203",
        "address": "内蒙古自治区呼和浩特市新城区1号",
        "citizen_id": "15010220010203002X",
    }


def test_an_unread_gender_leaves_the_name_and_nation() -> None:
    # The detector can miss the lone 男/女: the row is still known by its labels.
    lines = [
        _line("姓名", 30, 40), _line("黄海阳", 90, 38), _line("性别", 30, 80), _line("民族汉", 150, 81),
        _line("出生1950年11月24日", 30, 120), _line("住址广东省广州市天河区金鸡镇大塘村20号", 30, 160),
        _line("440106195011247315", 170, 262),
    ]  # fmt: skip
    front = parse_front(lines, today=TODAY)
    assert (front.name, front.gender, front.nation) == ("黄海阳", "?", "汉")


@pytest.mark.parametrize(
    ("birth_text", "expected"),
    [("出生2001年2月30日", "?"), ("出生2031年2月3日", "?"), ("出生1899年12月31日", "?"), ("出生1900年1月1日", "19000101")],
)
def test_implausible_birthdays_are_question_marks(birth_text: str, expected: str) -> None:
    front = parse_front([_line("性别男民族汉", 30, 80), _line(birth_text, 30, 120)], today=TODAY)
    assert front.birthday == expected


def test_nothing_readable_gives_question_marks() -> None:
    front = parse_front([_line("中国铁路", 30, 40), _line("G1234次", 30, 80)], today=TODAY)
    assert set(front.as_dict().values()) == {"?"}
    assert parse_front([_line("性别男民族火星", 30, 80)], today=TODAY).nation == "?"


@pytest.mark.parametrize(
    ("validity", "begin", "end"),
    [
        ("有效期限2015.03.10-2025.03.10", "20150310", "20250310"),
        ("有效期限2015.03.10-长期", "20150310", "长期"),
        ("有效期限 2015.03.10 — 2035.03.10", "20150310", "20350310"),
        ("有效期限2015.02.30-2025.02.28", "?", "20250228"),
        ("有效期限2025.03.10-2015.03.10", "20250310", "?"),
        ("有效期限", "?", "?"),
    ],
)
def test_back_side_validity(validity: str, begin: str, end: str) -> None:
    from facesaas.documents.idcard import parse_back

    lines = [
        _line("中华人民共和国", 100, 20), _line("居民身份证", 100, 60),
        _line("签发机关", 30, 200), _line("广州市公安局天河分局", 120, 201),
        _line(validity, 30, 240),
    ]  # fmt: skip
    back = parse_back(lines)
    assert back.as_dict() == {"agency": "广州市公安局天河分局", "valid_date_begin": begin, "valid_date_end": end}


@pytest.mark.parametrize(
    ("rows", "agency"),
    [
        (["签发机关眉山市仁寿县公安局复印无效"], "眉山市仁寿县公安局"),  # an overprint after the agency
        (["签发机关.14-2029.05.14"], "?"),  # lines merged by OCR: no agency to read
        (["上海市公安局浦东分局"], "上海市公安局浦东分局"),  # label not read
    ],
)
def test_back_side_agency(rows: list[str], agency: str) -> None:
    from facesaas.documents.idcard import parse_back

    lines = [_line(text, 30, 200 + 40 * i) for i, text in enumerate(rows)]
    assert parse_back(lines).agency == agency


def test_a_citizen_id_number_is_not_a_validity_period() -> None:
    from facesaas.documents.idcard import parse_back

    # Both sides on one page: the front's number comes first and holds 16 digits that parse as
    # two dates (5114-21-19, 7503-20-25); the validity period is the row after.
    lines = [_line("公民身份号码511421197503202509", 30, 20), _line("有效期限2011.01.23-2031.01.23", 30, 240)]
    back = parse_back(lines)
    assert (back.valid_date_begin, back.valid_date_end) == ("20110123", "20310123")
