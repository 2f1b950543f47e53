"""The authenticity rules on rendered cards whose OCR lines are built from the generator's boxes
(no OCR: each rule is exercised exactly), and the verdict's shape."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from facesaas.documents.authenticity import distinguish_id_card
from facesaas.documents.ocr import TextLine
from facesaas.documents.reader import Page
from tests.documents.generator import make_document

TODAY = dt.date(2026, 11, 25)


def _line(text: str, box: tuple[int, int, int, int]) -> TextLine:
    x0, y0, x1, y1 = box
    return TextLine(text, 0.97, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32))


def _front_page(fields: dict[str, str], seed: int = 1) -> Page:
    """A clean rendered front whose lines say ``fields`` at the printed places."""
    document = make_document("id_front", np.random.default_rng(seed), TODAY, distortions="none")
    boxes = document.boxes
    born = dt.datetime.strptime(fields["birthday"], "%Y%m%d").date()
    x0, y0, x1, y1 = boxes["address"]
    lines = [
        _line("姓名", (90, boxes["name"][1], 170, boxes["name"][3])), _line(fields["name"], boxes["name"]),
        _line(f"性别{fields['gender']}", (90, *boxes["gender"][1:])), _line(f"民族{fields['nation']}", boxes["nation"]),
        _line(f"出生{born.year}年{born.month}月{born.day}日", (90, *boxes["birthday"][1:])),
        _line(f"住址{fields['address'][:11]}", (90, y0, x1, y0 + 40)), _line(fields["address"][11:], (x0, y0 + 50, x1, y0 + 90)),
        _line("公民身份号码", (90, *boxes["citizen_id"][1:])), _line(fields["citizen_id"], boxes["citizen_id"]),
    ]  # fmt: skip
    return Page(document.card, lines, 0, 0.0)


GENUINE = {"name": "汪琳涵", "gender": "女", "nation": "回", "birthday": "19540225",
           "address": "贵州省贵阳市南明区迎宾路锦绣小区24号楼1014室", "citizen_id": "520102195402259422"}  # fmt: skip


def test_a_genuine_front_passes_every_rule() -> None:
    verdict = distinguish_id_card(_front_page(GENUINE), TODAY)
    assert (verdict.result, verdict.reason) == (1, "")
    assert {check.code for check in verdict.checks} >= {"citizen_id.rules", "layout.order", "capture.original"}
    assert all(check.passed for check in verdict.checks)
    assert verdict.confidence == pytest.approx(0.97)
    assert verdict.debug_image is not None and verdict.debug_image.shape[2] == 3


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"citizen_id": "520102195402259421"}, "citizen_id.check_digit", "citizen_id"),
        ({"birthday": "19540226"}, "citizen_id.birthday_mismatch", "birthday"),
        ({"gender": "男"}, "citizen_id.gender_mismatch", "gender"),
        ({"citizen_id": "99010219540225942X"}, "citizen_id.region", "citizen_id"),
    ],
)
def test_each_number_rule_names_its_field(change: dict[str, str], code: str, field: str) -> None:
    verdict = distinguish_id_card(_front_page({**GENUINE, **change}), TODAY)
    failed = [check for check in verdict.checks if not check.passed]
    assert (verdict.result, verdict.reason) == (0, "假身份证")
    assert [(check.code, check.field) for check in failed] == [(code, field)]
    assert failed[0].box is not None  # the debug image outlines it


def _back_page(begin: str, end: str, seed: int = 2) -> Page:
    document = make_document("id_back", np.random.default_rng(seed), TODAY, distortions="none")
    agency, validity = document.boxes["agency"], document.boxes["valid_date"]
    lines = [
        _line("中华人民共和国", (400, 60, 900, 110)), _line("居民身份证", (420, 140, 900, 210)),
        _line("签发机关", (200, *agency[1:])), _line("贵阳市公安局南明分局", agency),
        _line("有效期限", (200, *validity[1:])), _line(f"{begin}-{end}", validity),
    ]  # fmt: skip
    return Page(document.card, lines, 0, 0.0)


@pytest.mark.parametrize(
    ("begin", "end", "result", "codes"),
    [
        ("2011.08.23", "2031.08.23", 1, set()),
        ("2011.08.23", "长期", 1, set()),
        ("2011.08.23", "2030.08.23", 0, {"validity.length"}),
        ("2011.08.23", "2001.08.23", 0, {"validity.end_before_begin"}),
        ("2027.01.05", "2037.01.05", 0, {"validity.begin_future"}),
        ("2006.08.23", "2016.08.23", 1, {"validity.expired"}),  # expired is a notice, not a forgery
    ],
)
def test_validity_rules_of_the_back(begin: str, end: str, result: int, codes: set[str]) -> None:
    verdict = distinguish_id_card(_back_page(begin, end), TODAY)
    assert verdict.result == result
    assert {check.code for check in verdict.checks if not check.passed} == codes


def _without_number(page: Page) -> Page:
    return Page(page.image, [line for line in page.lines if not any(c.isdigit() for c in line.text) or "年" in line.text], 0, 0.0)


def test_unreadable_number_runs_the_other_rules_and_cannot_judge() -> None:
    verdict = distinguish_id_card(_without_number(_front_page(GENUINE)), TODAY)
    assert verdict.result == -1 and verdict.reason in ("无法判别", "图片过于模糊")
    codes = {check.code: check for check in verdict.checks}
    assert codes["citizen_id.unreadable"].severity == "notice" and not codes["citizen_id.unreadable"].passed
    assert {"birthday.plausible", "gender.vocabulary", "nation.vocabulary", "layout.order", "capture.original"} <= set(codes)
    assert all(check.passed for check in verdict.checks if check.severity == "forgery")


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"birthday": "16541220"}, "birthday.implausible", "birthday"),  # centuries old (韦小宝)
        ({"birthday": "20300101"}, "birthday.implausible", "birthday"),  # in the future
        ({"gender": "中"}, "gender.vocabulary", "gender"),
        ({"nation": "火星"}, "nation.vocabulary", "nation"),
    ],
)
def test_printed_rules_prove_a_forgery_without_the_number(change: dict[str, str], code: str, field: str) -> None:
    verdict = distinguish_id_card(_without_number(_front_page({**GENUINE, **change})), TODAY)
    failed = [check for check in verdict.checks if not check.passed and check.severity == "forgery"]
    assert (verdict.result, verdict.reason) == (0, "假身份证")
    assert [(check.code, check.field) for check in failed] == [(code, field)]
    assert failed[0].box is not None


def test_printed_rules_also_run_beside_the_number() -> None:
    verdict = distinguish_id_card(_front_page({**GENUINE, "nation": "火星"}), TODAY)
    assert verdict.result == 0 and [c.code for c in verdict.checks if not c.passed] == ["nation.vocabulary"]


@pytest.mark.parametrize("nation", ["汉", "蒙古", "其他", "外国血统", "穿青人"])
def test_lawful_nations_pass(nation: str) -> None:
    verdict = distinguish_id_card(_front_page({**GENUINE, "nation": nation}), TODAY)
    assert verdict.result == 1, [c.code for c in verdict.checks if not c.passed]


def test_unsure_nation_reading_is_not_a_forgery() -> None:
    page = _front_page({**GENUINE, "nation": "汊"})  # a plausible misread of 汉, read without confidence
    lines = [TextLine(line.text, 0.8, line.box) if line.text.startswith("民族") else line for line in page.lines]
    verdict = distinguish_id_card(Page(page.image, lines, 0, 0.0), TODAY)
    assert verdict.result == 1 and "nation.vocabulary" not in {check.code for check in verdict.checks}


def test_layout_rules_never_judge_a_page_that_is_not_upright() -> None:
    """Lines still reading upside down (their boxes' order reversed): positions mean nothing, so
    the layout rules do not run, and the number rules still do."""
    page = _front_page(GENUINE)
    height, width = page.image.shape[:2]
    turned = [TextLine(line.text, line.score, np.array([width, height], np.float32) - line.box) for line in page.lines]
    verdict = distinguish_id_card(Page(page.image[::-1, ::-1].copy(), turned, 0, 0.0), TODAY)
    codes = {check.code: check for check in verdict.checks}
    assert "layout.order" not in codes and codes["layout.not_upright"].severity == "notice"
    assert codes["citizen_id.rules"].passed and verdict.result == 1


def test_unreadable_validity_of_the_back_cannot_be_judged() -> None:
    page = _back_page("2011.08.23", "2031.08.23")
    lines = [line for line in page.lines if not line.text.startswith("2011")]
    verdict = distinguish_id_card(Page(page.image, lines, 0, 0.0), TODAY)
    assert verdict.result == -1
    assert [check.code for check in verdict.checks if not check.passed] == ["valid_date_begin.unreadable"]
