"""Fields of a driving licence (机动车驾驶证) and a vehicle licence (机动车行驶证) from OCR lines.

Both cards print "label value" pairs on rows, several pairs per row ("姓名 张三 性别 男 国籍
中国"), so a row is cut at every label it contains and each label takes the text up to the
next one. Labels are matched exactly when short and with one wrong character when 4 or more
characters long (OCR misreads small print). The address may wrap onto rows without a label.
English sub-labels of real cards ("Name", "Date of Birth") are removed first. Values follow
DESIGN.md: dates YYYYMMDD, "?" where unreadable or implausible, "长期" for a long-term validity.
Pure functions over :class:`~facesaas.documents.ocr.TextLine`, microseconds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from facesaas.documents.layout import Box, Row, group_rows, rows_box
from facesaas.documents.ocr import TextLine

__all__ = [
    "DrivingLicence",
    "VehicleLicence",
    "parse_driving",
    "parse_vehicle",
    "DRIVING_FIELDS",
    "VEHICLE_FIELDS",
    "is_driving_licence",
    "is_vehicle_licence",
]

UNKNOWN = "?"
LONG_TERM = "长期"
_EARLIEST = dt.date(1900, 1, 1)

# English sub-labels are capitalised words ("Name", "DateofBirth" once spaces are gone);
# values are Chinese or upper-case codes (C1, 京A12345, VINs), so a run of words with lower-case
# letters is label text, never a value.
_ENGLISH = re.compile(r"(?:[A-Z]?[a-z]+)+\.?")

_DRIVING_LABELS: dict[str, tuple[str, ...]] = {
    "citizen_id": ("证号",),
    "name": ("姓名",),
    "gender": ("性别",),
    "nationality": ("国籍",),
    "address": ("住址",),
    "birthday": ("出生日期",),
    "issue_date": ("初次领证日期",),
    "vehicle_type": ("准驾车型",),
    "valid_from": ("有效起始日期",),
    "validity": ("有效期限",),
}
_VEHICLE_LABELS: dict[str, tuple[str, ...]] = {
    "plate_no": ("号牌号码",),
    "vehicle_type": ("车辆类型",),
    "owner": ("所有人",),
    "address": ("住址",),
    "use_character": ("使用性质",),
    "model": ("品牌型号",),
    "vin": ("车辆识别代号",),
    "engine_no": ("发动机号码",),
    "register_date": ("注册日期",),
    "issue_date": ("发证日期",),
}

DRIVING_FIELDS = (
    "name", "gender", "address", "citizen_id", "birthday", "issue_date", "vehicle_type",
    "valid_date_begin", "valid_date_end", "valid_period", "license_type",
)  # fmt: skip
VEHICLE_FIELDS = (
    "plate_no", "vehicle_type", "owner", "address", "use_character", "model", "vin", "engine_no",
    "register_date", "issue_date", "license_type",
)  # fmt: skip

_DRIVING_TITLE = re.compile(r"驾驶证|驾驶执照")
_VEHICLE_TITLE = re.compile(r"行驶证")


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    field: str


def _find_labels(text: str, labels: dict[str, tuple[str, ...]]) -> list[_Hit]:
    """Non-overlapping label occurrences in ``text``, left to right; longer labels win."""
    candidates: list[_Hit] = []
    for name, variants in labels.items():
        for label in variants:
            size = len(label)
            for start in range(len(text) - size + 1):
                window = text[start : start + size]
                wrong = sum(a != b for a, b in zip(window, label, strict=True))
                if wrong == 0 or (size >= 4 and wrong == 1):
                    candidates.append(_Hit(start, start + size, name))
    chosen: list[_Hit] = []
    for hit in sorted(candidates, key=lambda h: (-(h.end - h.start), h.start)):
        if all(hit.end <= other.start or hit.start >= other.end for other in chosen):
            if all(other.field != hit.field for other in chosen):  # each label once per card
                chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)


def _labelled_values(
    rows: list[Row], labels: dict[str, tuple[str, ...]], wrapping: frozenset[str]
) -> tuple[dict[str, str], dict[str, list[Row]]]:
    """Each label's value (text up to the next label on its row; rows without a label continue
    the previous ``wrapping`` field) and the rows it came from."""
    values: dict[str, str] = {}
    sources: dict[str, list[Row]] = {}
    last: str | None = None
    for row in rows:
        text = _ENGLISH.sub("", row.text)
        text = re.sub(r"[()（）/]", "", text)
        hits = [hit for hit in _find_labels(text, labels) if hit.field not in values]
        if not hits:
            if last in wrapping and text:
                values[last] += text
                sources[last].append(row)
            continue
        for hit, following in zip(hits, [*hits[1:], None], strict=True):
            value = text[hit.end : following.start if following else len(text)]
            values[hit.field] = value
            sources[hit.field] = [row]
        last = hits[-1].field
    return values, sources


def _date(text: str | None, *, not_after: dt.date | None = None) -> str:
    """YYYYMMDD of the first 8-digit date in ``text`` ("?" if none, not a date, before 1900 or
    after ``not_after``)."""
    match = re.search(r"(\d{4})(\d{2})(\d{2})", text or "")
    if not match:
        return UNKNOWN
    try:
        value = dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return UNKNOWN
    if value < _EARLIEST or (not_after is not None and value > not_after):
        return UNKNOWN
    return value.strftime("%Y%m%d")


def _clean_cjk(value: str | None) -> str:
    """A Chinese value without stray Latin letters (pieces of misread English labels)."""
    value = re.sub(r"[A-Za-z.]", "", value or "")
    return value or UNKNOWN


def _strip_latin_ends(value: str | None) -> str:
    """A value that may hold Latin letters inside (an address's "A座") without misread English
    label fragments at its ends."""
    value = re.sub(r"^[A-Za-z.]+|[A-Za-z.]+$", "", value or "")
    return value or UNKNOWN



@dataclass(frozen=True)
class DrivingLicence:
    """The manual's driving-licence fields; ``valid_date_end`` only on the new card (license_type
    1), ``valid_period`` (years) only on the old one (2)."""

    values: dict[str, Any]
    boxes: dict[str, Box] = field(default_factory=dict, compare=False, repr=False)
    score: float = field(default=1.0, compare=False)
    printed_end: str = field(default=UNKNOWN, compare=False)
    """The validity end as printed (YYYYMMDD or 长期) even when the reading calls it "?"."""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True)
class VehicleLicence:
    """The vehicle-licence fields of DESIGN.md plus ``license_type`` (1 read, -1 unreadable,
    -2 not a vehicle licence)."""

    values: dict[str, Any]
    boxes: dict[str, Box] = field(default_factory=dict, compare=False, repr=False)
    score: float = field(default=1.0, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


def is_driving_licence(texts: list[str]) -> bool:
    """A driving licence's title, or three of its labels, appear in the row texts."""
    joined = "".join(texts)
    if _DRIVING_TITLE.search(joined):
        return True
    return sum(label in joined for label in ("准驾车型", "初次领证", "有效起始", "国籍")) >= 2


def is_vehicle_licence(texts: list[str]) -> bool:
    """A vehicle licence's title, or three of its labels, appear in the row texts."""
    joined = "".join(texts)
    if _VEHICLE_TITLE.search(joined):
        return True
    return sum(label in joined for label in ("号牌号码", "车辆识别代号", "发动机号码", "品牌型号", "使用性质")) >= 3


def parse_driving(lines: list[TextLine], today: dt.date | None = None) -> DrivingLicence:
    """The driving-licence fields of an upright card; ``license_type`` 1 new (validity printed
    as a range), 2 old (有效起始日期 and a period in years), -1 a driving licence whose validity
    cannot be read, -2 not a driving licence."""
    today = today or dt.date.today()
    rows = group_rows(lines)
    values, sources = _labelled_values(rows, _DRIVING_LABELS, frozenset({"address"}))
    result: dict[str, Any] = {}
    if not is_driving_licence([row.text for row in rows]):
        return DrivingLicence({key: UNKNOWN for key in DRIVING_FIELDS[:-3]} | {"license_type": -2})
    number = re.search(r"\d{17}[\dXx]", values.get("citizen_id", "") or "".join(row.text for row in rows))
    result["name"] = _clean_cjk(values.get("name"))
    gender = re.search(r"[男女]", values.get("gender", ""))
    result["gender"] = gender[0] if gender else UNKNOWN
    result["address"] = _strip_latin_ends(values.get("address"))
    result["citizen_id"] = number[0].upper() if number else UNKNOWN
    result["birthday"] = _date(values.get("birthday"), not_after=today)
    result["issue_date"] = _date(values.get("issue_date"), not_after=today)
    kind = re.sub(r"[^A-Z0-9]", "", (values.get("vehicle_type") or "").upper())
    result["vehicle_type"] = kind or UNKNOWN
    validity = values.get("validity", "")
    span = re.search(r"(\d{8})[至到\-~]*(\d{8}|长期)", validity)
    years = re.search(r"(\d{1,2})年", validity)
    if span:
        begin = _date(span[1])
        end = LONG_TERM if span[2] == LONG_TERM else _date(span[2])
        if begin != UNKNOWN and end not in (UNKNOWN, LONG_TERM) and end <= begin:
            end = UNKNOWN
        result |= {"valid_date_begin": begin, "valid_date_end": end, "license_type": 1}
    elif years or "valid_from" in values:
        result |= {
            "valid_date_begin": _date(values.get("valid_from")),
            "valid_period": int(years[1]) if years else UNKNOWN,
            "license_type": 2,
        }
    else:
        result |= {"valid_date_begin": UNKNOWN, "valid_date_end": UNKNOWN, "license_type": -1}
    boxes = {key: rows_box(rows_) for key, rows_ in sources.items()}
    if "validity" in boxes:
        boxes["valid_date_begin"] = boxes["valid_date_end"] = boxes["valid_period"] = boxes["validity"]
    if "valid_from" in boxes:
        boxes["valid_date_begin"] = boxes["valid_from"]
    scores = [row.score for rows_ in sources.values() for row in rows_]
    return DrivingLicence(result, boxes, min(scores, default=0.0), span[2] if span else UNKNOWN)


_VIN_FIX = str.maketrans({"O": "0", "Q": "0", "I": "1"})


def parse_vehicle(lines: list[TextLine], today: dt.date | None = None) -> VehicleLicence:
    """The vehicle-licence fields of an upright card (DESIGN.md's list), dates YYYYMMDD."""
    today = today or dt.date.today()
    rows = group_rows(lines)
    if not is_vehicle_licence([row.text for row in rows]):
        return VehicleLicence({key: UNKNOWN for key in VEHICLE_FIELDS[:-1]} | {"license_type": -2})
    values, sources = _labelled_values(rows, _VEHICLE_LABELS, frozenset({"address", "owner"}))
    result: dict[str, Any] = {}
    plate = re.search(r"[\u4e00-\u9fff][A-Z][A-Z0-9]{5,6}", (values.get("plate_no") or "").upper())
    result["plate_no"] = plate[0] if plate else UNKNOWN
    result["vehicle_type"] = _clean_cjk(values.get("vehicle_type"))
    result["owner"] = _strip_latin_ends(values.get("owner"))
    result["address"] = _strip_latin_ends(values.get("address"))
    result["use_character"] = _clean_cjk(values.get("use_character"))
    result["model"] = values.get("model") or UNKNOWN
    vin = re.sub(r"[^A-Z0-9]", "", (values.get("vin") or "").upper()).translate(_VIN_FIX)
    result["vin"] = vin if len(vin) == 17 else UNKNOWN
    engine = re.sub(r"[^A-Z0-9]", "", (values.get("engine_no") or "").upper())
    result["engine_no"] = engine or UNKNOWN
    result["register_date"] = _date(values.get("register_date"), not_after=today)
    result["issue_date"] = _date(values.get("issue_date"), not_after=today)
    readable = sum(result[key] != UNKNOWN for key in ("plate_no", "vin", "owner"))
    result["license_type"] = 1 if readable >= 2 else -1
    boxes = {key: rows_box(rows_) for key, rows_ in sources.items()}
    scores = [row.score for rows_ in sources.values() for row in rows_]
    return VehicleLicence(result, boxes, min(scores, default=0.0))
