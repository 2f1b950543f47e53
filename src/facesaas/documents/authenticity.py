"""Authenticity of an ID card or driving licence (105.2 证件鉴别), by rules a clerk can check.

Each rule is a :class:`Check` with a stable ``code``, the field it concerns, where that field
is printed, and a message (Chinese, then English). The verdict follows the manual:
``result`` 1 genuine, 0 forged (a forgery rule failed), -1 cannot judge (the fields the rules
need are unreadable and no rule that could run proves a forgery), -2 not this kind of document.
Every rule whose fields were read runs, whatever else is unreadable:

- the citizen-ID number: format, ISO 7064 check digit, province code, a real birthday;
- agreement of the number with the printed birthday and gender;
- the printed fields on their own: a birthday that is a real date between 1900 and today, a
  gender of 男/女, a nation among the 56 (or 其他/外国血统/穿青人);
- the validity period: begins no later than today; ID cards run 5/10/20 years or 长期 (and,
  with both sides, the length the holder's age at issue demands); driving licences 6 or 10
  years or 长期, beginning no earlier than the first issue;
- layout: the front's fields in the printed order and near the template's relative heights,
  judged only on an upright page (105.2 always turns the page upright before reading);
- capture and editing signs from :mod:`facesaas.documents.forensics` (photocopy, screen
  recapture, a pasted field).

An expired card is reported as a ``notice`` check: it is genuine, just no longer valid. A key
field that could not be read (the citizen-ID number, the validity period) is a ``notice`` too:
its rules did not run, so with no forgery found the answer is -1, with the checks that did run.
Pure functions over a :class:`~facesaas.documents.reader.Page`; cost is dominated by the
forensics (tens of ms), the OCR having been done.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import cv2
import numpy as np

from facesaas.documents.citizen_id import validate_citizen_id
from facesaas.documents.idcard import LONG_TERM, NATIONS, UNKNOWN, IdCardBack, IdCardFront
from facesaas.documents.layout import Box, page_rotation
from facesaas.documents.licences import DrivingLicence, parse_driving
from facesaas.documents.reader import Kind, Page, classify, read_id_card

__all__ = ["Check", "Verdict", "distinguish_id_card", "distinguish_driving_licence", "ID_REASONS", "DRIVING_REASONS"]

ID_REASONS = {0: "假身份证", -1: "无法判别", -2: "不是身份证", "blurry": "图片过于模糊"}
DRIVING_REASONS = {0: "假证", -1: "无法判断", -2: "不是驾驶证， 无法判断", "blurry": "太模糊， 无法判断", "several": "不是单个证"}

_BLUR_VARIANCE = 60.0
"""Variance of the Laplacian below which an unreadable card is called too blurry rather than
unreadable (grey levels², on the page scaled to 1000 px wide; sharp card photos give 300+)."""

_ID_YEARS = (5, 10, 20)
_DRIVING_YEARS = (6, 10)


@dataclass(frozen=True)
class Check:
    """One rule applied: ``passed``; ``severity`` "forgery" (a failure means forged) or
    "notice" (reported, verdict unchanged); ``box`` where the field is printed on the page."""

    code: str
    passed: bool
    message: str
    field: str | None = None
    box: Box | None = None
    severity: str = "forgery"

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "passed": self.passed, "severity": self.severity, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class Verdict:
    """``result`` -2/-1/0/1, ``reason`` ("" when genuine), the ``checks`` run, ``confidence``
    (the lowest OCR score of the fields the rules read, 0–1; 0 when nothing was judged) and
    ``debug_image``: the upright page with failed checks' fields boxed in red."""

    result: int
    reason: str
    checks: list[Check] = field(default_factory=list)
    confidence: float = 0.0
    debug_image: np.ndarray | None = None


def _date(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def _anniversaries(start: dt.date, years: int) -> tuple[dt.date, ...]:
    """The same day ``years`` later; from 29 February either 28 February or 1 March (issuers
    differ, and neither is a forgery)."""
    try:
        return (start.replace(year=start.year + years),)
    except ValueError:
        return dt.date(start.year + years, 2, 28), dt.date(start.year + years, 3, 1)


def _blurry(image: np.ndarray) -> bool:
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = 1000.0 / max(grey.shape[1], 1)
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var()) < _BLUR_VARIANCE


def _number_checks(number: str, today: dt.date, birthday: str, gender: str, boxes: dict[str, Box]) -> list[Check]:
    findings = validate_citizen_id(
        number, today=today, birthday=_date(birthday) if birthday != UNKNOWN else None,
        gender=gender if gender in ("男", "女") else None,
    )  # fmt: skip
    checks = [
        Check(f"citizen_id.{f.code}", False, f.message, f.field, boxes.get(f.field) or boxes.get("citizen_id"))
        for f in findings
    ]
    if not findings:
        checks.append(Check("citizen_id.rules", True, "公民身份号码校验位、地区码、出生日期、性别均一致 (number rules hold)", "citizen_id"))
    return checks


def _period_checks(
    begin: str, end: str, years: tuple[int, ...], today: dt.date, box: Box | None, *, birthday: str = UNKNOWN
) -> list[Check]:
    """Rules of a printed validity period ``begin``–``end`` (YYYYMMDD, or 长期 for ``end``)."""
    start = _date(begin)
    if start is None:
        return []
    checks: list[Check] = []
    if start > today:
        checks.append(Check("validity.begin_future", False, f"有效期开始日期 {begin} 晚于今天 (validity begins in the future)", "valid_date_begin", box))
    if end == LONG_TERM:
        born = _date(birthday)
        if born is not None and years == _ID_YEARS and _anniversaries(born, 46)[0] > start:
            checks.append(Check("validity.long_term_age", False, "长期有效只发给签发时年满 46 周岁者 (long-term validity needs age 46 at issue)", "valid_date_end", box))
        return checks or [Check("validity.rules", True, "有效期限合规 (validity period lawful)", "valid_date_end", box)]
    finish = _date(end)
    if finish is None:
        return checks
    if finish <= start:
        checks.append(Check("validity.end_before_begin", False, f"有效期结束 {end} 不晚于开始 {begin} (validity ends before it begins)", "valid_date_end", box))
        return checks  # an impossible period is not also "expired"
    if not any(finish in _anniversaries(start, n) for n in years):
        allowed = "/".join(map(str, years))
        checks.append(Check("validity.length", False, f"有效期长度不是 {allowed} 年 (validity length not {allowed} years)", "valid_date_end", box))
    else:
        born = _date(birthday)
        if born is not None and years == _ID_YEARS:
            age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
            lawful = 5 if age < 16 else 10 if age < 26 else 20 if age < 46 else None
            if lawful is None or finish not in _anniversaries(start, lawful):
                checks.append(Check("validity.age", False, f"签发时年龄 {age} 岁与有效期长度不符 (length does not match the age at issue)", "valid_date_end", box))
    if finish < today:
        checks.append(Check("validity.expired", False, f"证件已于 {end} 过期 (expired)", "valid_date_end", box, "notice"))
    if not any(check.severity == "forgery" for check in checks):
        checks.insert(0, Check("validity.rules", True, "有效期限合规 (validity period lawful)", "valid_date_end", box))
    return checks


_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_OTHER_NATIONS = ("其他", "外国血统", "穿青人")
"""Printed on lawful cards besides the 56 (GB 3304's 其他 and 外国血统中国籍人士; Guizhou's 穿青人)."""
_NATION_SCORE = 0.95
"""A nation outside the vocabulary proves a forgery only from a row read at least this surely
(a misread 汉 must not make a genuine card forged)."""


def _printed_checks(front: IdCardFront, today: dt.date) -> list[Check]:
    """Rules the printed birthday, gender and nation allow on their own (no number needed)."""
    checks: list[Check] = []
    boxes = front.boxes
    if front.printed_birthday:
        born = _date(front.printed_birthday)
        if born is None:
            checks.append(Check("birthday.invalid", False, f"出生日期 {front.printed_birthday} 不是有效日期 (printed birthday is no date)", "birthday", boxes.get("birthday")))
        elif not _EARLIEST_BIRTH <= born <= today:
            checks.append(Check("birthday.implausible", False, f"出生日期 {front.printed_birthday} 不合理 (printed birthday before 1900 or in the future)", "birthday", boxes.get("birthday")))
        else:
            checks.append(Check("birthday.plausible", True, "出生日期合理 (printed birthday plausible)", "birthday"))
    if front.printed_gender:
        if front.printed_gender in ("男", "女"):
            checks.append(Check("gender.vocabulary", True, "性别为男或女 (gender is 男 or 女)", "gender"))
        else:
            checks.append(Check("gender.vocabulary", False, f"性别 {front.printed_gender} 不是男或女 (gender is neither 男 nor 女)", "gender", boxes.get("gender")))
    value = front.printed_nation.removesuffix("族")
    if value:
        if value in NATIONS or value in _OTHER_NATIONS or front.nation != UNKNOWN:
            checks.append(Check("nation.vocabulary", True, "民族在国家民族名称表中 (nation in the official list)", "nation"))
        elif front.row_scores.get("nation", 0.0) >= _NATION_SCORE:
            checks.append(Check("nation.vocabulary", False, f"民族 {value} 不在国家民族名称表中 (no such nation)", "nation", boxes.get("nation")))
    return checks


def _unreadable(field: str, label: str) -> Check:
    return Check(f"{field}.unreadable", False, f"{label}无法识别，相关规则未检查 ({field} unreadable: its rules did not run)", field, None, "notice")


# Relative heights of the front's rows between the name (0) and the number (1), from the
# card template (GB 19104: name 9 mm, birth 22 mm, address 29 mm, number 46 mm from the top).
_FRONT_TEMPLATE = {"birthday": 0.35, "address": 0.54}
_LAYOUT_TOLERANCE = 0.15


def _layout_checks(front: IdCardFront, page: Page) -> list[Check]:
    """The front's fields in the printed order, at the template's relative heights; rules
    whose fields could not be read are skipped (a redacted name is not a forgery). Positions
    mean something only on an upright page: on a page whose lines still read sideways or
    upside down, the rules are not run (a notice says so)."""
    if page_rotation(page.lines) != 0:
        return [Check("layout.not_upright", False, "页面未转正，版式规则未检查 (page not upright: layout rules did not run)", None, None, "notice")]
    boxes = front.boxes
    order = [name for name in ("name", "gender", "birthday", "address", "citizen_id") if name in boxes]
    tops = [boxes[name][1] for name in order]
    if tops != sorted(tops):
        return [Check("layout.order", False, "字段顺序与身份证版式不符 (fields out of the card's order)", order[0], boxes[order[0]])]
    checks = [Check("layout.order", True, "字段顺序符合版式 (field order matches the template)")]
    if "name" in boxes and "citizen_id" in boxes:
        top, bottom = boxes["name"][1], boxes["citizen_id"][1]
        for name, expected in _FRONT_TEMPLATE.items():
            if name in boxes and bottom > top:
                where = (boxes[name][1] - top) / (bottom - top)
                if abs(where - expected) > _LAYOUT_TOLERANCE:
                    checks.append(Check(f"layout.{name}", False, f"{name} 位置偏离版式 ({where:.2f} vs {expected:.2f}) (field off the template)", name, boxes[name]))
    return checks


def _forensic_checks(page: Page, field_boxes: dict[str, Box]) -> list[Check]:
    """Capture signs over the page, and paste signs around each OCR line of the fields' rows
    (a line, not a row: a pasted value is usually read as its own line, apart from its label)."""
    from facesaas.documents.forensics import capture_signs, pasted_field_signs

    checks = [Check(f"capture.{sign.code}", False, sign.message, None, sign.box) for sign in capture_signs(page.unresampled)]
    line_boxes = [
        line.box_tuple for line in page.lines if any(_overlaps(line.box_tuple, box) for box in field_boxes.values())
    ]
    for sign in pasted_field_signs(page.image, line_boxes):
        name = next((n for n, box in field_boxes.items() if sign.box is not None and _overlaps(box, sign.box)), None)
        checks.append(Check("edit.pasted_field", False, sign.message, name, sign.box))
    if not checks:
        checks.append(Check("capture.original", True, "未发现复印、翻拍或粘贴痕迹 (no copy, recapture or paste signs)"))
    return checks


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _verdict(page: Page, checks: list[Check], reasons: dict, score: float, *, complete: bool = True) -> Verdict:
    """0 when a forgery rule failed; else 1, or -1 when a key field's rules could not run
    (``complete`` False): the checks that ran are reported either way."""
    failed = [check for check in checks if not check.passed and check.severity == "forgery"]
    if failed:
        return Verdict(0, reasons[0], checks, round(score, 4), _mark(page.image, failed))
    if not complete:
        reason = reasons["blurry"] if _blurry(page.image) else reasons[-1]
        return Verdict(-1, reason, checks, round(score, 4), page.image)
    return Verdict(1, "", checks, round(score, 4), _mark(page.image, failed))


def _undecided(page: Page, result: int, reasons: dict) -> Verdict:
    reason = reasons["blurry"] if result == -1 and _blurry(page.image) else reasons[result]
    return Verdict(result, reason, [], 0.0, page.image)


def _mark(image: np.ndarray, failed: list[Check]) -> np.ndarray:
    """A copy of ``image`` with each failed check's box outlined in red (3 px)."""
    marked = image.copy()
    for check in failed:
        box = check.box or (0, 0, image.shape[1] - 1, image.shape[0] - 1)
        cv2.rectangle(marked, (int(box[0]) - 4, int(box[1]) - 4), (int(box[2]) + 4, int(box[3]) + 4), (0, 0, 255), 3)
    return marked


def distinguish_id_card(page: Page, today: dt.date) -> Verdict:
    """The 105.2 verdict for an ID card (front, back, or both on one page)."""
    reading = read_id_card(page.lines, today)
    if reading.idcard_type == -1:
        kind = classify(page.lines)
        return _undecided(page, -2 if kind is not Kind.NONE or not _blurry(page.image) else -1, ID_REASONS)
    front, back = reading.front, reading.back
    checks: list[Check] = []
    scores: list[float] = []
    birthday = UNKNOWN
    complete = True
    if front is not None:
        birthday = front.birthday
        checks += _printed_checks(front, today)
        if front.citizen_id == UNKNOWN:
            complete = False
            checks.append(_unreadable("citizen_id", "公民身份号码"))
        else:
            checks += _number_checks(front.citizen_id, today, front.birthday, front.gender, front.boxes)
        checks += _layout_checks(front, page)
        scores.append(front.score)
    if back is not None:
        if back.valid_date_begin == UNKNOWN:
            complete = False
            checks.append(_unreadable("valid_date_begin", "有效期限"))
        else:
            checks += _back_checks(back, today, birthday)
        scores.append(back.score)
    boxes = {**(front.boxes if front else {}), **(back.boxes if back else {})}
    checks += _forensic_checks(page, boxes)
    return _verdict(page, checks, ID_REASONS, min(scores), complete=complete)


_VALIDITY_RAW = re.compile(r"(\d{8})[-—~至]*(\d{8}|长期)")


def _back_checks(back: IdCardBack, today: dt.date, birthday: str) -> list[Check]:
    # The reading turns an end before the beginning into "?"; the rules need what is printed.
    raw = _VALIDITY_RAW.search(re.sub(r"[.\-/](?=\d)", "", back.validity_text))
    end = raw[2] if raw else back.valid_date_end
    return _period_checks(back.valid_date_begin, end, _ID_YEARS, today, back.boxes.get("valid_date_end"), birthday=birthday)


def distinguish_driving_licence(page: Page, today: dt.date) -> Verdict:
    """The 105.2 verdict for a driving licence."""
    titles = sum("驾驶证" in line.text for line in page.lines)
    if titles > 1:
        return _undecided(page, -2, DRIVING_REASONS | {-2: DRIVING_REASONS["several"]})
    licence: DrivingLicence = parse_driving(page.lines, today)
    values = licence.values
    if values["license_type"] == -2:
        return _undecided(page, -2 if not _blurry(page.image) else -1, DRIVING_REASONS)
    boxes = licence.boxes
    checks: list[Check] = []
    complete = True
    if values["citizen_id"] == UNKNOWN:
        complete = False
        checks.append(_unreadable("citizen_id", "证号"))
    else:
        checks += _number_checks(values["citizen_id"], today, values["birthday"], values["gender"], boxes)
    if values["valid_date_begin"] == UNKNOWN:
        complete = False
        checks.append(_unreadable("valid_date_begin", "有效期限"))
    elif values["license_type"] == 1:
        checks += _period_checks(values["valid_date_begin"], licence.printed_end, _DRIVING_YEARS, today, boxes.get("valid_date_end"))
    elif values.get("valid_period") not in _DRIVING_YEARS:
        checks.append(Check("validity.length", False, f"有效期限 {values.get('valid_period')} 年不是 6/10 年 (period not 6 or 10 years)", "valid_period", boxes.get("valid_period")))
    issued, begin = _date(values["issue_date"]), _date(values["valid_date_begin"])
    if issued is not None and begin is not None and begin < issued:
        checks.append(Check("validity.before_first_issue", False, "有效期开始早于初次领证日期 (validity begins before the first issue)", "valid_date_begin", boxes.get("valid_date_begin")))
    checks += _forensic_checks(page, {k: v for k, v in boxes.items() if k in values})
    return _verdict(page, checks, DRIVING_REASONS, licence.score, complete=complete)

