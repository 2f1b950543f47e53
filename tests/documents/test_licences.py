"""Driving and vehicle licences: label-cut parsing on built rows, and rendered cards through OCR."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from facesaas.documents.licences import parse_driving, parse_vehicle
from facesaas.documents.ocr import TextLine, get_ocr
from facesaas.documents.reader import read_page
from tests.documents.generator import make_document

TODAY = dt.date(2026, 11, 25)


def _line(text: str, left: float, top: float) -> TextLine:
    width = 16.0 * len(text)
    box = np.array([[left, top], [left + width, top], [left + width, top + 20], [left, top + 20]], np.float32)
    return TextLine(text, 0.98, box)


def _driving(validity_rows: list[str]) -> list[TextLine]:
    rows = [
        "中华人民共和国机动车驾驶证", "证号 440305198309122887", "姓名 马静芳 性别 女 国籍 中国",
        "住址 广东省深圳市南山区", "石桥镇光明村87号", "出生日期 1983-09-12", "Date of Birth 初次领证日期 2008-04-26",
        "准驾车型 Date of First Issue C1", *validity_rows,
    ]  # fmt: skip
    return [_line(text, 30, 40 * i) for i, text in enumerate(rows)]


def test_new_driving_licence_fields() -> None:
    licence = parse_driving(_driving(["有效期限 2024-04-26 至 2030-04-26"]), TODAY)
    assert licence.as_dict() == {
        "name": "马静芳", "gender": "女", "address": "广东省深圳市南山区石桥镇光明村87号",
        "citizen_id": "440305198309122887", "birthday": "19830912", "issue_date": "20080426", "vehicle_type": "C1",
        "valid_date_begin": "20240426", "valid_date_end": "20300426", "license_type": 1,
    }  # fmt: skip
    assert parse_driving(_driving(["有效期限 2024-04-26 至 长期"]), TODAY).values["valid_date_end"] == "长期"
    # An end before the beginning is not a reading: "?" (authenticity sees the printed date).
    backwards = parse_driving(_driving(["有效期限 2024-04-26 至 2020-04-26"]), TODAY)
    assert (backwards.values["valid_date_end"], backwards.printed_end) == ("?", "20200426")


def test_old_driving_licence_has_a_period_in_years() -> None:
    values = parse_driving(_driving(["有效起始日期 2016-01-04", "有效期限 Valid For 10年"]), TODAY).values
    assert (values["license_type"], values["valid_date_begin"], values["valid_period"]) == (2, "20160104", 10)
    assert "valid_date_end" not in values


def test_misread_label_and_unreadable_validity() -> None:
    lines = _driving(["有效期限 模糊"])
    lines[7] = _line("准驾车形 C1", 30, 280)  # one wrong character in a 4-character label
    values = parse_driving(lines, TODAY).values
    assert values["vehicle_type"] == "C1" and values["license_type"] == -1


def test_not_a_driving_licence() -> None:
    values = parse_driving([_line("中国铁路 G1234次", 0, 0), _line("姓名 张三", 0, 40)], TODAY).values
    assert values["license_type"] == -2 and values["name"] == "?"
    assert parse_vehicle([_line("招商银行", 0, 0)], TODAY).values["license_type"] == -2


def test_vehicle_licence_fields_and_vin_letters() -> None:
    rows = [
        "中华人民共和国机动车行驶证", "号牌号码 Plate No. 陕E10QK2 车辆类型 小型越野客车 Vehicle Type", "所有人 张伟光",
        "Owner", "住址 青海省西宁市城东区新华大道833号", "使用性质 非营运 Model 品牌型号 一汽大众牌FV7508UC",
        "车辆识别代号 LFVUM7IP6HU2I8113", "发动机号码 08FM06", "注册日期 2017-08-30 发证日期 2017-08-30",
    ]  # fmt: skip
    values = parse_vehicle([_line(text, 30, 40 * i) for i, text in enumerate(rows)], TODAY).values
    assert values == {
        "plate_no": "陕E10QK2", "vehicle_type": "小型越野客车", "owner": "张伟光",
        "address": "青海省西宁市城东区新华大道833号", "use_character": "非营运", "model": "一汽大众牌FV7508UC",
        "vin": "LFVUM71P6HU218113", "engine_no": "08FM06", "register_date": "20170830", "issue_date": "20170830",
        "license_type": 1,
    }  # fmt: skip


@pytest.mark.parametrize(("kind", "seed"), [("driving", 1), ("driving", 2), ("driving", 3), ("vehicle", 1), ("vehicle", 2)])
def test_rendered_licences_read_exactly(kind: str, seed: int) -> None:
    document = make_document(kind, np.random.default_rng(seed), TODAY)
    page = read_page(get_ocr(), document.image, auto_rotate=False)
    if kind == "driving":
        assert parse_driving(page.lines, TODAY).as_dict() == document.fields
    else:  # license_type is this service's addition to DESIGN.md's vehicle fields
        assert parse_vehicle(page.lines, TODAY).as_dict() == {**document.fields, "license_type": 1}
