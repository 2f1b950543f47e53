"""Fields of a resident ID card's front side from OCR lines, by layout and pattern.

The labels printed on the card (姓名, 性别, 民族, 出生, 住址, 公民身份号码) are small and often
misread (性别 comes out as 性剧 or 住别), so fields are found by what they look like and where
they sit, not by exact labels: lines are grouped into rows, the citizen-ID row is the one with
17 digits and a digit or X, the birthday row the one with a 年月日 date, the gender/nation row
the one with 男 or 女, the name the row above it, the address the rows between the birthday
and the citizen ID. Values follow DESIGN.md: dates YYYYMMDD, ``"?"`` for what cannot be read
plausibly. Pure functions over :class:`~facesaas.documents.ocr.TextLine`, microseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from facesaas.documents.layout import Box, Row, group_rows, rows_box
from facesaas.documents.ocr import TextLine

__all__ = ["IdCardFront", "IdCardBack", "parse_front", "parse_back", "NATIONS", "LONG_TERM", "UNKNOWN"]

FRONT_FIELDS = ("name", "gender", "nation", "birthday", "address", "citizen_id")
BACK_FIELDS = ("agency", "valid_date_begin", "valid_date_end")
UNKNOWN = "?"
LONG_TERM = "长期"

NATIONS = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 景颇 "
    "柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 "
    "塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
"""The 56 ethnic groups as printed after 民族 (without the 族 suffix)."""

_CITIZEN_ID = re.compile(r"\d{17}[\dXx]")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")


@dataclass(frozen=True)
class IdCardFront:
    """The manual's front-side fields (strings; ``"?"`` where unreadable)."""

    name: str
    gender: str
    nation: str
    birthday: str
    address: str
    citizen_id: str
    boxes: dict[str, Box] = field(default_factory=dict, compare=False, repr=False)
    """Where each read field is printed (pixels of the upright image the lines came from)."""
    score: float = field(default=1.0, compare=False)
    """The lowest recognition score among the rows the fields came from (0–1)."""
    printed_birthday: str = field(default="", compare=False)
    """The 年月日 date's digits as printed, ``YYYYMMDD`` (zero-padded) even when it is no real
    or plausible date (``birthday`` is then "?"); "" when no date was read."""
    printed_gender: str = field(default="", compare=False)
    """The character printed after the 性别 label, read exactly; "" when the label was not."""
    printed_nation: str = field(default="", compare=False)
    """The characters printed after the 民族 label, read exactly; "" when the label was not."""
    row_scores: dict[str, float] = field(default_factory=dict, compare=False, repr=False)
    """The lowest recognition score of each read field's rows (0–1)."""

    def as_dict(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in FRONT_FIELDS}


def _strip_label(text: str, labels: tuple[str, ...]) -> str:
    for label in labels:
        if text.startswith(label):
            return text[len(label) :]
    return text


_ADDRESS_LABEL = re.compile(r"^(?:[\u4e00-\u9fff]?址|住)")
"""住址 as printed or misread (主址, 往址, 住, 址); no address starts with 址 as its 1st/2nd character."""

_EARLIEST = dt.date(1900, 1, 1)

_GENDER_VALUE = re.compile(r"性别\s*([\u4e00-\u9fff])(?=\s*(?:民族|$))")
_NATION_VALUE = re.compile(r"民族\s*([\u4e00-\u9fff]{1,6})$")
"""The values after labels read exactly (性别 … 民族 …): what authenticity may call printed."""


def _printed_date(text: str) -> str:
    """The digits of the 年月日 date in ``text`` as ``YYYYMMDD``, whether or not a real date."""
    match = _DATE.search(text)
    return f"{match[1]}{int(match[2]):02d}{int(match[3]):02d}" if match else ""


def _date(text: str, today: dt.date) -> str:
    """YYYYMMDD of the 年月日 date in ``text``; "?" if none, not a date, or implausible for a
    living card holder (before 1900 or after ``today``)."""
    match = _DATE.search(text)
    if not match:
        return UNKNOWN
    try:
        value = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return UNKNOWN
    return value.strftime("%Y%m%d") if _EARLIEST <= value <= today else UNKNOWN


_VARIANTS = str.maketrans("彞傜", "彝瑶")
"""Variant forms of nation-name characters that OpenCC's table (applied to every OCR line,
:func:`facesaas.documents.ocr.simplify`) leaves alone."""


def _nation(text: str) -> str:
    """The nation in a gender/nation row: after 族 if the label was read, else after 男/女.
    Variant characters are mapped to the printed form, and a name of two or more
    characters with one misread character is still recognised (仏佬 → 仫佬)."""
    tail = text.split("族", 1)[1] if "族" in text else re.split(r"[男女]", text, maxsplit=1)[-1]
    tail = tail.removesuffix("族").translate(_VARIANTS)
    # The longest listed name the tail starts with (蒙古 before 蒙…).
    matches = [nation for nation in NATIONS if tail.startswith(nation)]
    if matches:
        return max(matches, key=len)
    near = [
        nation for nation in NATIONS
        if len(nation) >= 2 and len(tail) >= len(nation)
        and sum(a != b for a, b in zip(tail, nation, strict=False)) == 1
    ]  # fmt: skip
    return near[0] if len(near) == 1 else UNKNOWN


def parse_front(lines: list[TextLine], today: dt.date | None = None) -> IdCardFront:
    """The front-side fields of an ID card photographed upright (rotation is corrected before).
    ``today`` (default: the current date) bounds a plausible birthday."""
    today = today or dt.date.today()
    rows = group_rows(lines)
    texts = [row.text for row in rows]
    used: dict[str, list[Row]] = {}
    id_row = max((i for i, text in enumerate(texts) if _CITIZEN_ID.search(text)), default=None)
    citizen_id = UNKNOWN
    if id_row is not None:
        citizen_id = _CITIZEN_ID.findall(texts[id_row])[-1].upper()
        used["citizen_id"] = [rows[id_row]]
    birth_row = next((i for i, text in enumerate(texts) if _DATE.search(text)), None)
    birthday = UNKNOWN
    if birth_row is not None:
        birthday = _date(texts[birth_row], today)
        used["birthday"] = [rows[birth_row]]
    limit = birth_row if birth_row is not None else (id_row if id_row is not None else len(rows))
    gender_row = next((i for i in range(limit) if re.search(r"[男女]", texts[i])), None)
    if gender_row is None:  # 男/女 not read: the row is still known by its labels
        gender_row = next((i for i in range(limit) if re.search(r"性别|民族|族", texts[i])), None)
    gender, nation, name = UNKNOWN, UNKNOWN, UNKNOWN
    printed_gender = printed_nation = ""
    if gender_row is not None:
        text = texts[gender_row]
        exact_gender, exact_nation = _GENDER_VALUE.search(text), _NATION_VALUE.search(text)
        printed_gender = exact_gender[1] if exact_gender else ""
        printed_nation = exact_nation[1] if exact_nation else ""
        found = re.search(r"[男女]", text)
        gender = found[0] if found else UNKNOWN
        nation = _nation(text)
        used["gender"] = used["nation"] = [rows[gender_row]]
        above = [(i, _strip_label(texts[i], ("姓名", "名"))) for i in range(gender_row)]
        candidates = [(i, text) for i, text in above if text]
        if candidates:
            name = candidates[-1][1]
            used["name"] = [rows[candidates[-1][0]]]
    address = UNKNOWN
    if birth_row is not None:
        end = id_row if id_row is not None else len(rows)
        parts = [texts[i] for i in range(birth_row + 1, end)]
        if parts:
            parts[0] = _ADDRESS_LABEL.sub("", parts[0], count=1)
            address = "".join(parts) or UNKNOWN
            used["address"] = rows[birth_row + 1 : end]
    boxes = {key: rows_box(value) for key, value in used.items() if value}
    row_scores = {key: min(row.score for row in value) for key, value in used.items() if value}
    return IdCardFront(
        name=name, gender=gender, nation=nation, birthday=birthday, address=address, citizen_id=citizen_id,
        boxes=boxes, score=min(row_scores.values(), default=0.0),
        printed_birthday=_printed_date(texts[birth_row]) if birth_row is not None else "",
        printed_gender=printed_gender, printed_nation=printed_nation, row_scores=row_scores,
    )  # fmt: skip



_SEPARATED_DATE = re.compile(r"(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})")
_VALIDITY = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})[-—~至]*(?:(\d{4})(\d{2})(\d{2})(?!\d)|(长期))")
"""Two compact dates (or one and 长期), not part of a longer digit run such as a citizen-ID number."""


def _compact_dates(text: str) -> str:
    """``2015.6.1`` → ``20150601`` so separated and unseparated (misread dots) dates match alike."""
    return _SEPARATED_DATE.sub(lambda m: f"{m[1]}{int(m[2]):02d}{int(m[3]):02d}", text.replace(" ", ""))


@dataclass(frozen=True)
class IdCardBack:
    """The manual's back-side fields: ``valid_date_end`` is YYYYMMDD or "长期"."""

    agency: str
    valid_date_begin: str
    valid_date_end: str
    boxes: dict[str, Box] = field(default_factory=dict, compare=False, repr=False)
    score: float = field(default=1.0, compare=False)
    validity_text: str = field(default="", compare=False)
    """The validity period as printed (for authenticity rules that "?" would hide)."""

    def as_dict(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in BACK_FIELDS}


def _ymd(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


_AGENCY_END = re.compile(r"^(.*(?:公安局|分局|派出所))")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _agency(text: str) -> str:
    """The issuing agency: up to its last 公安局/分局/派出所 (overprinted words such as 复印无效
    after it are dropped); "?" without a Chinese character."""
    match = _AGENCY_END.match(text)
    value = match[1] if match else text
    return value if _CJK.search(value) else UNKNOWN


def parse_back(lines: list[TextLine]) -> IdCardBack:
    """The back-side fields: the issuing agency (after 签发机关) and the validity period
    (``YYYY.MM.DD-YYYY.MM.DD`` or ``YYYY.MM.DD-长期``). A date that is not a date, or an end
    not after the beginning, is "?"; whether the period's length is legal is an authenticity
    question, not a reading one."""
    rows = group_rows(lines, keep_punctuation=True)  # the dates' separators matter here
    used: dict[str, list[Row]] = {}
    agency_row = next((row for row in rows if "机关" in row.text), None)
    if agency_row is None:
        agency_row = next((row for row in rows if _AGENCY_END.search(row.text)), None)
    agency = UNKNOWN
    if agency_row is not None:
        text = agency_row.text.split("机关", 1)[1] if "机关" in agency_row.text else agency_row.text
        agency = _agency(text)
        used["agency"] = [agency_row]
    begin, end = UNKNOWN, UNKNOWN
    found = next(((row, m) for row in rows if (m := _VALIDITY.search(_compact_dates(row.text)))), None)
    if found:
        row, match = found
        used["valid_date_begin"] = used["valid_date_end"] = [row]
        start = _ymd(match[1], match[2], match[3])
        begin = start.strftime("%Y%m%d") if start else UNKNOWN
        if match[7]:
            end = LONG_TERM
        else:
            finish = _ymd(match[4], match[5], match[6])
            end = finish.strftime("%Y%m%d") if finish and (start is None or finish > start) else UNKNOWN
    boxes = {key: rows_box(value) for key, value in used.items()}
    scores = [row.score for value in used.values() for row in value]
    return IdCardBack(
        agency=agency, valid_date_begin=begin, valid_date_end=end, boxes=boxes, score=min(scores, default=0.0),
        validity_text=found[1][0] if found else "",
    )
