"""The 18-character resident identity number (GB 11643-1999): parsing and explainable checks.

Layout: 6-digit administrative region code, 8-digit birthday (YYYYMMDD), 3-digit sequence
(odd for men, even for women), 1 check character (ISO 7064 MOD 11-2, ``0``–``9`` or ``X``).
Each failed rule is a :class:`Finding` with a stable ``code`` and a message a bank clerk can
read, so an authenticity verdict can say *why*. The region check is at province level (the
first two digits); county-level codes change every year and need the official table.
Pure functions, microseconds a call.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["CitizenId", "Finding", "check_digit", "parse_citizen_id", "validate_citizen_id", "PROVINCES"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")

PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门",
}  # fmt: skip
"""Province-level codes of GB/T 2260 (the first two digits of the region code)."""

_EARLIEST_BIRTH = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class Finding:
    """One failed rule: ``field`` it concerns, stable ``code``, human ``message`` (Chinese
    first, as the manual's reasons are)."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class CitizenId:
    """A well-formed number's parts (``birthday`` None if its 8 digits are not a date)."""

    number: str
    region: str
    birthday: dt.date | None
    sequence: str
    gender: str
    check: str


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    return _CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def parse_citizen_id(text: str) -> CitizenId | None:
    """Split a number into its parts; None unless it is 17 digits and a digit or X (a lower-case
    x is accepted and upper-cased; spaces are ignored)."""
    number = text.replace(" ", "").upper()
    if not _PATTERN.match(number):
        return None
    try:
        birthday: dt.date | None = dt.datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        birthday = None
    return CitizenId(
        number=number,
        region=number[:6],
        birthday=birthday,
        sequence=number[14:17],
        gender="男" if int(number[16]) % 2 else "女",
        check=number[17],
    )


def validate_citizen_id(
    text: str, *, today: dt.date, birthday: dt.date | None = None, gender: str | None = None
) -> list[Finding]:
    """Every rule ``text`` breaks (empty list: plausible). ``birthday`` and ``gender`` are the
    values printed elsewhere on the card; when given they must agree with the number."""
    parsed = parse_citizen_id(text)
    if parsed is None:
        return [Finding("citizen_id", "format", "公民身份号码格式错误: 应为 17 位数字加 1 位数字或 X")]
    findings = []
    if check_digit(parsed.number[:17]) != parsed.check:
        findings.append(Finding("citizen_id", "check_digit", f"公民身份号码校验位错误: 应为 {check_digit(parsed.number[:17])}"))
    if parsed.region[:2] not in PROVINCES:
        findings.append(Finding("citizen_id", "region", f"公民身份号码地区码 {parsed.region} 不存在 (省级代码 {parsed.region[:2]})"))
    if parsed.birthday is None:
        findings.append(Finding("citizen_id", "birthday_invalid", f"公民身份号码中的出生日期 {parsed.number[6:14]} 不是有效日期"))
    elif not _EARLIEST_BIRTH <= parsed.birthday <= today:
        findings.append(Finding("citizen_id", "birthday_implausible", f"公民身份号码中的出生日期 {parsed.birthday:%Y%m%d} 不合理"))
    if birthday is not None and parsed.birthday is not None and birthday != parsed.birthday:
        findings.append(Finding("birthday", "birthday_mismatch", f"出生日期 {birthday:%Y%m%d} 与公民身份号码 {parsed.birthday:%Y%m%d} 不一致"))
    if gender is not None and gender != parsed.gender:
        findings.append(Finding("gender", "gender_mismatch", f"性别 {gender} 与公民身份号码 ({parsed.gender}) 不一致"))
    return findings
