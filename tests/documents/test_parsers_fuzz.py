"""Property tests of the document parsers (pure functions over OCR text and boxes): citizen-ID
numbers, dates, ID-card front and back, driving and vehicle licences, the page classifier and
the layout helpers. OCR can return any text at any place, so for any lines (Chinese, Latin,
digits of any script, control characters, the labels and date shapes the parsers look for)
they return their documented result shapes and never raise. Examples per run: the
hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from facesaas.documents import check_digit, parse_citizen_id, validate_citizen_id
from facesaas.documents.idcard import LONG_TERM, UNKNOWN, parse_back, parse_front
from facesaas.documents.layout import group_rows, page_rotation, skew_degrees, split_cards
from facesaas.documents.licences import is_driving_licence, is_vehicle_licence, parse_driving, parse_vehicle
from facesaas.documents.ocr import TextLine, simplify
from facesaas.documents.reader import classify, read_id_card

TODAY = dt.date(2026, 11, 25)
WORDS = (
    "姓名 性别 民族 出生 住址 公民身份号码 男 女 汉 蒙古 族 年 月 日 签发机关 有效期限 公安局 分局 派出所 长期 "
    "中华人民共和国机动车驾驶证 机动车行驶证 证号 国籍 中国 准驾车型 C1 初次领证日期 有效起始日期 有效期限 6年 "
    "号牌号码 车辆类型 所有人 使用性质 品牌型号 车辆识别代号 发动机号码 注册日期 发证日期 京A12345 粤B·D1234 "
    "- — ~ 至 . / : ： ( ) （ ） Name Sex Nationality Address"
).split()  # fmt: skip
digits = st.sampled_from("0123456789") | st.sampled_from("٠١٢٣٤٥٦٧٨٩０１２３４５６７８９௧")
characters = st.one_of(
    digits, st.sampled_from("Xx "), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(categories=["Cc", "Cf", "Zs", "Nd", "No"]), st.characters(),
)  # fmt: skip
fragments = st.one_of(
    st.sampled_from(WORDS),
    st.text(characters, min_size=1, max_size=6),
    st.text(digits, min_size=1, max_size=20),
    st.tuples(st.text(digits, min_size=1, max_size=5), st.text(digits, min_size=1, max_size=3), st.text(digits, min_size=1, max_size=3))
    .map(lambda ymd: f"{ymd[0]}年{ymd[1]}月{ymd[2]}日"),
    st.tuples(st.text(digits, min_size=8, max_size=8), st.sampled_from(["-", "—", "~", "至", ""]), st.sampled_from(["长期", "20991231", "0000000"]))
    .map("".join),
    st.text(digits, min_size=17, max_size=17).map(lambda d: d + "X"),
)  # fmt: skip
texts = st.lists(fragments, min_size=1, max_size=5).map("".join)


@st.composite
def lines(draw: st.DrawFn) -> list[TextLine]:
    """0–12 OCR lines: any text, a score 0–1, an axis-aligned or slanted box anywhere (zero
    size and negative coordinates included)."""
    result = []
    for _ in range(draw(st.integers(0, 12))):
        x, y = draw(st.floats(-50, 2000)), draw(st.floats(-50, 1500))
        w, h = draw(st.floats(0, 800)), draw(st.floats(0, 120))
        slant = draw(st.floats(-60, 60))
        box = np.array([[x, y], [x + w, y + slant], [x + w, y + h + slant], [x, y + h]], dtype=np.float32)
        result.append(TextLine(draw(texts), draw(st.floats(0, 1)), box, draw(st.booleans())))
    return result


@given(texts)
def test_citizen_id_rules_never_raise(text: str) -> None:
    parsed = parse_citizen_id(text)
    findings = validate_citizen_id(text, today=TODAY, gender="男")
    assert all(f.code and f.message for f in findings)
    if parsed is None:
        assert [f.code for f in findings] == ["format"]
    else:
        assert len(parsed.number) == 18 and parsed.gender in ("男", "女")


@given(st.text(st.sampled_from("0123456789"), min_size=17, max_size=17))
def test_a_number_with_its_check_digit_passes_that_rule(first17: str) -> None:
    number = first17 + check_digit(first17)
    assert "check_digit" not in {f.code for f in validate_citizen_id(number, today=TODAY)}


@given(lines())
def test_id_card_sides_parse_to_strings(found: list[TextLine]) -> None:
    front, back = parse_front(found, TODAY), parse_back(found)
    for value in (*front.as_dict().values(), *back.as_dict().values()):
        assert isinstance(value, str)
    assert front.birthday == UNKNOWN or re.fullmatch(r"\d{8}", front.birthday)
    assert back.valid_date_end in (UNKNOWN, LONG_TERM) or re.fullmatch(r"\d{8}", back.valid_date_end)


@given(lines())
def test_licences_parse(found: list[TextLine]) -> None:
    texts_ = [row.text for row in group_rows(found)]
    is_driving_licence(texts_), is_vehicle_licence(texts_)
    assert isinstance(parse_driving(found, TODAY).as_dict(), dict)
    assert isinstance(parse_vehicle(found, TODAY).as_dict(), dict)


@given(lines())
def test_pages_classify_and_read(found: list[TextLine]) -> None:
    classify(found)
    reading = read_id_card(found, TODAY)
    assert reading.idcard_type in (-1, 1, 2, 3)


@given(lines())
def test_layout_helpers(found: list[TextLine]) -> None:
    rows = group_rows(found)
    assert sum(len(row.lines) for row in rows) == len(found)
    assert page_rotation(found) in (0, 90, 180, 270)
    assert np.isfinite(skew_degrees(found))
    assert sum(len(part) for part in split_cards(found)) <= len(found)


@given(st.text(characters))
def test_simplify_keeps_length(text: str) -> None:
    assert len(simplify(text)) == len(text)
