"""Synthetic Chinese ID documents for the test suite: resident ID card (front, back, both on one
page), driving licence and vehicle licence, genuine or forged, photographed with controllable
distortions. Everything is drawn from a ``numpy.random.Generator``, so a seed reproduces a sample.

``Document.fields`` is the ground truth exactly as the HTTP API must return it (dates YYYYMMDD,
``"长期"``, ints for ``license_type``/``valid_period``); for a forgery it is what is *printed*, so
OCR ground truth stays right while the authenticity rules fail. ``boxes`` are the printed values'
pixel boxes on the undistorted ``card``; ``distortion['quad']`` maps the card's corners (TL, TR,
BR, BL) into the final image. Layouts live in :mod:`tests.documents._generator_layouts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import cv2
import numpy as np

from facesaas.documents.citizen_id import PROVINCES, check_digit
from facesaas.documents.idcard import LONG_TERM, NATIONS
from tests.documents._generator_layouts import (
    PX_PER_MM,
    backdrop,
    card_mask,
    render_driving,
    render_id_back,
    render_id_front,
    render_vehicle,
    screen_recapture,
)
from tests.documents._generator_layouts import photocopy as photocopy_effect

__all__ = [
    "KINDS", "FORGERIES", "PRINTED_FORGERIES", "PRESETS", "Document", "random_person", "random_id_back", "random_driving", "random_vehicle",
    "render_id_front", "render_id_back", "render_driving", "render_vehicle", "distort", "make_document",
    "make_both_sides", "validity_findings", "add_years", "cut_off_number", "PX_PER_MM",
]  # fmt: skip

T = TypeVar("T")

KINDS = ("id_front", "id_back", "driving", "vehicle")
PRINTED_FORGERIES = ("birthday_implausible", "gender_word", "nation_word")
"""Forgeries of a printed field alone (the number untouched): judged even when the number is cut off."""
FORGERIES: dict[str, tuple[str, ...]] = {
    "id_front": ("check_digit", "birthday_mismatch", "gender_mismatch", "region", "pasted_field", *PRINTED_FORGERIES),
    "id_back": ("validity",),
    "driving": ("check_digit", "birthday_mismatch", "gender_mismatch", "validity", "pasted_field"),
}
ID_PERIODS = (5, 10, 20)
"""Lawful ID-card validity lengths (years) by age at issue: <16, 16–25, 26–45; ≥46 is 长期."""
DRIVING_PERIODS = (6, 10)

# fmt: off
_SURNAMES = ("王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 "
             "潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 "
             "江 尹 薛 闫 段 雷 侯 龙 史 陶 黎 贺 顾 毛 郝 龚 邵 万 钱 严 覃 武 戴 莫 孔 向 汤").split()
_COMPOUND = "欧阳 司马 上官 诸葛 东方 皇甫 慕容 令狐 司徒 夏侯 尉迟 公孙 长孙 宇文 端木 西门".split()
_GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国峰亮成志文博晨东海振兴力德昊然轩泽宏学春荣新兵永庆光"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英燕玲桂丹萍红玉兰洁琳倩婷雪慧颖琴云莉梅晶佳怡欣悦璐薇瑶思雨涵月蕾蓉晓楠"
_GIVEN_SHARED = "子嘉一文小金海雅家天安如永建新晓秋"
# (6-digit GB/T 2260 region code, address prefix, issuing agency of that region's public security bureau)
_REGIONS = (
    ("110101", "北京市东城区", "北京市公安局东城分局"), ("110108", "北京市海淀区", "北京市公安局海淀分局"),
    ("120104", "天津市南开区", "天津市公安局南开分局"), ("130104", "河北省石家庄市桥西区", "石家庄市公安局桥西分局"),
    ("140105", "山西省太原市小店区", "太原市公安局小店分局"), ("150102", "内蒙古自治区呼和浩特市新城区", "呼和浩特市公安局新城区分局"),
    ("210102", "辽宁省沈阳市和平区", "沈阳市公安局和平分局"), ("220102", "吉林省长春市南关区", "长春市公安局南关分局"),
    ("230103", "黑龙江省哈尔滨市南岗区", "哈尔滨市公安局南岗分局"), ("310104", "上海市徐汇区", "上海市公安局徐汇分局"),
    ("310115", "上海市浦东新区", "上海市公安局浦东分局"), ("320102", "江苏省南京市玄武区", "南京市公安局玄武分局"),
    ("320506", "江苏省苏州市吴中区", "苏州市公安局吴中分局"), ("330106", "浙江省杭州市西湖区", "杭州市公安局西湖分局"),
    ("330282", "浙江省慈溪市", "慈溪市公安局"), ("340104", "安徽省合肥市蜀山区", "合肥市公安局蜀山分局"),
    ("350203", "福建省厦门市思明区", "厦门市公安局思明分局"), ("360102", "江西省南昌市东湖区", "南昌市公安局东湖分局"),
    ("370102", "山东省济南市历下区", "济南市公安局历下分局"), ("370305", "山东省淄博市临淄区", "淄博市公安局临淄分局"),
    ("410105", "河南省郑州市金水区", "郑州市公安局金水分局"), ("410122", "河南省中牟县", "中牟县公安局"),
    ("420106", "湖北省武汉市武昌区", "武汉市公安局武昌分局"), ("430523", "湖南省邵阳县", "邵阳县公安局"),
    ("430104", "湖南省长沙市岳麓区", "长沙市公安局岳麓分局"), ("440106", "广东省广州市天河区", "广州市公安局天河分局"),
    ("440305", "广东省深圳市南山区", "深圳市公安局南山分局"), ("445281", "广东省普宁市", "普宁市公安局"),
    ("450103", "广西壮族自治区南宁市青秀区", "南宁市公安局青秀分局"), ("460105", "海南省海口市秀英区", "海口市公安局秀英分局"),
    ("500103", "重庆市渝中区", "重庆市公安局渝中区分局"), ("500233", "重庆市忠县", "重庆市忠县公安局"),
    ("510107", "四川省成都市武侯区", "成都市公安局武侯区分局"), ("511011", "四川省内江市东兴区", "内江市东兴区公安局"),
    ("520102", "贵州省贵阳市南明区", "贵阳市公安局南明分局"), ("530102", "云南省昆明市五华区", "昆明市公安局五华分局"),
    ("540102", "西藏自治区拉萨市城关区", "拉萨市公安局城关区分局"), ("610113", "陕西省西安市雁塔区", "西安市公安局雁塔分局"),
    ("620102", "甘肃省兰州市城关区", "兰州市公安局城关分局"), ("630102", "青海省西宁市城东区", "西宁市公安局城东分局"),
    ("640104", "宁夏回族自治区银川市兴庆区", "银川市公安局兴庆区分局"), ("650102", "新疆维吾尔自治区乌鲁木齐市天山区", "乌鲁木齐市公安局天山区分局"),
)
_ROADS = "人民 解放 中山 建设 和平 新华 胜利 文化 幸福 东风 朝阳 长江 黄河 滨江 健康 学府 光明 团结 迎宾 工业 青年 花园 振兴 环城".split()
_TOWNS = "城关 石桥 新塘 白沙 清水 长乐 太平 永安 龙泉 柳桥 黄土 马坪 大坪 桃花 梅溪 青山 双龙 金鸡 高桥 河口 五峰铺 杨柳".split()
_VILLAGES = "白田 新华 红星 建设 和平 光明 胜利 前进 李家 王庄 张湾 刘庄 石门 东岳 尧王 下湾 大塘 枫树 竹山 罗家".split()
_ESTATES = "阳光 锦绣 翠苑 金色 碧水 华府 绿城 丽景 御景 和谐 世纪 春晓".split()
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O, as on plates
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O or Q
_VEHICLE_TYPES = (("小型轿车", "非营运"), ("小型普通客车", "非营运"), ("小型越野客车", "非营运"), ("重型半挂牵引车", "货运"),
                  ("轻型厢式货车", "货运"), ("中型普通客车", "营运"), ("小型轿车", "租赁"), ("小型轿车", "营运"))
_MODELS = (("大众汽车牌", "SVW7", "LSV"), ("一汽大众牌", "FV7", "LFV"), ("丰田牌", "TV7", "LVG"), ("别克牌", "SGM7", "LSG"),
           ("本田牌", "HG7", "LHG"), ("日产牌", "DFL7", "LGB"), ("比亚迪牌", "BYD7", "LGX"), ("吉利牌", "MR7", "L6T"))
_TRUCK_MODELS = (("解放牌", "CA4", "LFW"), ("东风牌", "DFH4", "LGA"), ("福田牌", "BJ5", "LVB"), ("江淮牌", "HFC5", "LJ1"))
_COMPANY_WORDS = "宏达 恒通 顺丰 鑫源 安捷 远航 华联 金桥 中天 联运 汇通 新达".split()
_COMPANY_KINDS = "物流 运输 汽车租赁 贸易 建筑工程 科技 商贸".split()
_DRIVING_CLASSES = ("A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D", "E", "F", "M", "N", "P")
_DRIVING_WEIGHTS = (2, 3, 1, 2, 4, 60, 14, 1, 3, 2, 1, 1, 1, 1)
_BAD_REGIONS = ("00", "19", "29", "38", "49", "55", "56", "57", "58", "59", "66", "67", "68", "69", "70",
                "72", "73", "74", "75", "76", "77", "78", "79", "80", "83", "90", "95", "99")
# fmt: on


@dataclass
class Document:
    """One synthetic document photo and its ground truth (see the module docstring)."""

    image: np.ndarray
    kind: str
    fields: dict[str, str | int]
    boxes: dict[str, tuple[int, int, int, int]]
    card: np.ndarray
    forgery: str | None = None
    distortion: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- dates and data


def add_years(day: dt.date, years: int) -> dt.date:
    """The same month and day ``years`` later (29 February → 28 February in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def _between(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=int(rng.integers(0, max(0, (last - first).days) + 1)))


def _pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def _age(birthday: dt.date, on: dt.date) -> int:
    return on.year - birthday.year - ((on.month, on.day) < (birthday.month, birthday.day))


def _name(rng: np.random.Generator, gender: str) -> str:
    """2–3 characters (a common surname and one or two given characters); ~5 % a compound surname."""
    if rng.random() < 0.05:
        surname = _pick(rng, _COMPOUND)
        given_length = 2
    else:
        weights = 1.0 / (np.arange(len(_SURNAMES)) + 6.0)
        surname = _SURNAMES[int(rng.choice(len(_SURNAMES), p=weights / weights.sum()))]
        given_length = 2 if rng.random() < 0.7 else 1
    pool = (_GIVEN_MALE if gender == "男" else _GIVEN_FEMALE) + _GIVEN_SHARED
    return surname + "".join(_pick(rng, pool) for _ in range(given_length))


def _address(rng: np.random.Generator, prefix: str, max_length: int = 30) -> str:
    """``prefix`` (province, city, district or county) + road or town/village + number, 10–``max_length`` chars."""
    for _ in range(50):
        if rng.random() < 0.55:
            tail = f"{_pick(rng, _ROADS)}{_pick(rng, ('路', '街', '大道', '大街'))}{int(rng.integers(1, 999))}号"
            extra, n = rng.random(), rng.integers(1, 30, 3)
            if extra < 0.35:
                tail += f"{n[0]}栋{n[1] % 5 + 1}单元{n[2]}0{n[1] % 4 + 1}房"
            elif extra < 0.6:
                tail = f"{_pick(rng, _ROADS)}路{_pick(rng, _ESTATES)}小区{n[0]}号楼{n[1] * 100 + n[2]}室"
        else:
            town = f"{_pick(rng, _TOWNS)}{_pick(rng, ('镇', '镇', '乡', '街道'))}"
            group = _pick(rng, ("", f"{int(rng.integers(1, 12))}组", f"{_pick(rng, _VILLAGES)[0]}家组"))
            tail = f"{town}{_pick(rng, _VILLAGES)}村{group}{int(rng.integers(1, 200))}号"
        address = prefix + tail
        if 10 <= len(address) <= max_length:
            return address
    return (prefix + "人民路1号")[:max_length]


def random_person(rng: np.random.Generator, today: dt.date, *, min_age: int = 0, max_age: int = 85) -> dict:
    """A genuine card holder: name, gender, nation, birthday (YYYYMMDD), address, citizen_id
    (region code of the address, the birthday, a sequence whose last digit's parity is the gender
    — odd 男 — and a valid check character)."""
    gender = "男" if rng.random() < 0.5 else "女"
    nation = NATIONS[0] if rng.random() < 0.8 else _pick(rng, NATIONS[1:])
    birthday = _between(rng, add_years(today, -max_age), add_years(today, -min_age) - dt.timedelta(days=1))
    code, prefix, _agency = _pick(rng, _REGIONS)
    sequence = f"{int(rng.integers(0, 100)):02d}{int(rng.integers(0, 5)) * 2 + (1 if gender == '男' else 0)}"
    first17 = f"{code}{_ymd(birthday)}{sequence}"
    return {"name": _name(rng, gender), "gender": gender, "nation": nation, "birthday": _ymd(birthday),
            "address": _address(rng, prefix), "citizen_id": first17 + check_digit(first17)}  # fmt: skip


def _id_period(age: int) -> int | None:
    """Lawful validity years for an ID card issued at ``age``; None means 长期."""
    return 5 if age < 16 else 10 if age <= 25 else 20 if age <= 45 else None


def _agency_for(citizen_id: str) -> str:
    return next((agency for code, _, agency in _REGIONS if code == citizen_id[:6]), "公安局")


def random_id_back(person: dict, rng: np.random.Generator, today: dt.date) -> dict:
    """The back of ``person``'s card: agency of their region, a begin date between 2005 (and the
    birth) and ``today``, and the lawful end for their age then; unexpired when possible."""
    birthday = _date(person["birthday"])
    first = min(max(dt.date(2005, 1, 1), birthday + dt.timedelta(days=30)), today)
    for _ in range(12):
        begin = _between(rng, first, today)
        years = _id_period(_age(birthday, begin))
        end = add_years(begin, years) if years else None
        if end is None or end >= today:
            break
    return {"agency": _agency_for(person["citizen_id"]), "valid_date_begin": _ymd(begin),
            "valid_date_end": _ymd(end) if end else LONG_TERM}  # fmt: skip


def random_driving(rng: np.random.Generator, today: dt.date, *, license_type: int | None = None) -> dict:
    """A genuine driving licence's fields (the holder is 18–70). The first period is 6 years, the
    next 10, then 长期 (new version only); the old version (2) prints the period as valid_period."""
    person = random_person(rng, today, min_age=18, max_age=70)
    birthday = _date(person["birthday"])
    issue = _between(rng, max(add_years(birthday, 18), dt.date(1995, 1, 1)), today - dt.timedelta(days=20))
    stages = [(begin, years) for begin, years in ((issue, 6), (add_years(issue, 6), 10), (add_years(issue, 16), None))
              if begin <= today]  # fmt: skip
    if license_type is None:
        license_type = 2 if rng.random() < 0.3 and issue.year <= 2012 else 1
    if license_type == 2:
        stages = [stage for stage in stages if stage[1] is not None]
    begin, years = stages[-1] if rng.random() < 0.7 else _pick(rng, stages)
    lic = {key: person[key] for key in ("name", "gender", "address", "citizen_id", "birthday")}
    weights = np.array(_DRIVING_WEIGHTS, np.float64) / sum(_DRIVING_WEIGHTS)
    lic.update(issue_date=_ymd(issue), valid_date_begin=_ymd(begin), license_type=license_type,
               vehicle_type=_DRIVING_CLASSES[int(rng.choice(len(_DRIVING_CLASSES), p=weights))])
    if license_type == 1:
        lic["valid_date_end"] = _ymd(add_years(begin, years)) if years else LONG_TERM
    else:
        lic["valid_period"] = years
    return lic


def _vin(rng: np.random.Generator, wmi: str, year: int) -> str:
    """A 17-character VIN with the ISO 3779 / GB 16735 check character in position 9."""
    year_codes = "ABCDEFGHJKLMNPRSTVWXY123456789"
    body = wmi + "".join(_pick(rng, _VIN_CHARS) for _ in range(5)) + "0" + year_codes[(year - 2010) % 30]
    body += _pick(rng, _VIN_CHARS[:-10]) + "".join(str(int(rng.integers(10))) for _ in range(6))  # plant, serial
    values = dict(zip("ABCDEFGH", range(1, 9), strict=True)) | dict(zip("JKLMN", range(1, 6), strict=True)) | {"P": 7, "R": 9}
    values |= dict(zip("STUVWXYZ", range(2, 10), strict=True)) | {d: int(d) for d in "0123456789"}
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    check = sum(values[c] * w for c, w in zip(body, weights, strict=True)) % 11
    return body[:8] + ("X" if check == 10 else str(check)) + body[9:]


def random_vehicle(rng: np.random.Generator, today: dt.date) -> dict:
    """A vehicle licence's fields (plate, type, owner, address, use, model, VIN, engine, dates)."""
    vehicle_type, use = _pick(rng, _VEHICLE_TYPES)
    truck = use == "货运"
    if not truck and rng.random() < 0.15:
        use = _pick(rng, ("营运", "租赁"))
    brand, code, wmi = _pick(rng, _TRUCK_MODELS if truck else _MODELS)
    model = brand + code + "".join(str(int(rng.integers(10))) for _ in range(3)) + "".join(
        _pick(rng, _LETTERS) for _ in range(int(rng.integers(0, 4))))
    register = _between(rng, dt.date(2003, 1, 1), today - dt.timedelta(days=10))
    issue = register if rng.random() < 0.7 else _between(rng, register, today)
    holder = random_person(rng, today, min_age=18, max_age=75)
    owner = holder["name"]
    if truck or use != "非营运" or rng.random() < 0.15:
        city = _pick(rng, ("上海", "广州", "深圳", "成都", "武汉", "杭州", "济南", "郑州"))
        owner = f"{city}{_pick(rng, _COMPANY_WORDS)}{_pick(rng, _COMPANY_KINDS)}有限公司"
    plate = _pick(rng, _PLATE_PROVINCES) + _pick(rng, _LETTERS) + "".join(
        str(int(rng.integers(10))) if rng.random() < 0.75 else _pick(rng, _LETTERS) for _ in range(5))
    engine = "".join(_pick(rng, _VIN_CHARS) if rng.random() < 0.25 else str(int(rng.integers(10)))
                     for _ in range(int(rng.integers(6, 11))))
    prefix = next(p for c, p, _ in _REGIONS if c == holder["citizen_id"][:6])
    return {"plate_no": plate, "vehicle_type": vehicle_type, "owner": owner, "address": _address(rng, prefix, 24),
            "use_character": use, "model": model, "vin": _vin(rng, wmi, register.year), "engine_no": engine,
            "register_date": _ymd(register), "issue_date": _ymd(issue)}  # fmt: skip


def validity_findings(begin: str, end: str, today: dt.date, periods: tuple[int, ...], *,
                      birthday: str | None = None) -> list[str]:
    """Codes of the validity rules a period breaks (the reference the forgeries are made against):
    ``begin_future``, ``end_before_begin``, ``period_length`` (not ``periods`` years to the day);
    with ``birthday`` (ID cards), ``period_for_age`` (not the lawful length for the age at issue)."""
    start = _date(begin)
    codes = ["begin_future"] if start > today else []
    lawful = _id_period(_age(_date(birthday), start)) if birthday else None
    if end == LONG_TERM:
        if birthday and lawful is not None:
            codes.append("period_for_age")
        return codes
    finish = _date(end)
    if finish <= start:
        codes.append("end_before_begin")
    elif finish not in {add_years(start, n) for n in periods}:
        codes.append("period_length")
    elif birthday and finish != (add_years(start, lawful) if lawful else None):
        codes.append("period_for_age")
    return codes


# --------------------------------------------------------------------------- forgeries


def _forge_number(fields: dict, forgery: str, rng: np.random.Generator, today: dt.date) -> dict:
    """Apply a number/birthday/gender forgery to ``fields`` (printed values); what was done."""
    number = str(fields["citizen_id"])
    if forgery == "check_digit":
        wrong = _pick(rng, [c for c in "0123456789X" if c != number[17]])
        fields["citizen_id"] = number[:17] + wrong
        return {"true_check": number[17]}
    if forgery == "region":
        first17 = _pick(rng, _BAD_REGIONS) + number[2:17]
        assert first17[:2] not in PROVINCES
        fields["citizen_id"] = first17 + check_digit(first17)
        return {"region": first17[:6]}
    if forgery == "birthday_mismatch":
        real = _date(number[6:14])
        for _ in range(100):
            printed = real + dt.timedelta(days=int(rng.choice([-1, 1]) * rng.integers(1, 3000)))
            if dt.date(1900, 1, 1) <= printed <= today and printed != real:
                break
        fields["birthday"] = _ymd(printed)
        return {"number_birthday": number[6:14]}
    if forgery == "gender_mismatch":
        fields["gender"] = "女" if fields["gender"] == "男" else "男"
        return {}
    raise ValueError(forgery)


_FAKE_GENDERS = ("中", "无", "未", "人")
_FAKE_NATIONS = ("火星", "精灵", "地球", "龙", "天", "神仙")
"""Words no lawful card prints as gender or nation (none is one character from a real nation)."""


def _forge_printed(fields: dict, forgery: str, rng: np.random.Generator, today: dt.date) -> dict:
    """Print an impossible birthday, gender or nation; the number stays as it was."""
    if forgery == "birthday_implausible":
        born = _date(str(fields["birthday"]))
        if rng.random() < 0.7:  # centuries old, as on the 韦小宝 specimen
            printed = dt.date(int(rng.integers(1600, 1900)), born.month, min(born.day, 28))
        else:
            printed = today + dt.timedelta(days=int(rng.integers(30, 3000)))
        fields["birthday"] = _ymd(printed)
        return {"number_birthday": str(fields["citizen_id"])[6:14]}
    if forgery == "gender_word":
        fields["gender"] = _pick(rng, _FAKE_GENDERS)
        return {}
    if forgery == "nation_word":
        fields["nation"] = _pick(rng, _FAKE_NATIONS)
        return {}
    raise ValueError(forgery)


def cut_off_number(card: np.ndarray, boxes: dict[str, tuple[int, int, int, int]]) -> np.ndarray:
    """The card with everything from 1.5 mm above the citizen-ID number's row down cut away (a
    photo framed too tight, a thumb over the bottom): no digit of the number is left."""
    return card[: max(1, boxes["citizen_id"][1] - int(round(1.5 * PX_PER_MM)))].copy()


def _forge_validity(fields: dict, rng: np.random.Generator, today: dt.date, periods: tuple[int, ...],
                    variants: tuple[str, ...] = ("end_before_begin", "period_length", "begin_future")) -> dict:
    """Make the printed validity impossible, one of ``variants``: end before begin, a length not in
    ``periods``, or a begin date in the future."""
    variant = _pick(rng, variants)
    begin = _date(str(fields["valid_date_begin"]))
    if variant == "end_before_begin":
        end = add_years(begin, -int(rng.integers(1, 8)))
    elif variant == "period_length":
        years = _pick(rng, [n for n in (3, 4, 7, 8, 12, 15, 25) if n not in periods])
        end = add_years(begin, years)
    else:
        begin = today + dt.timedelta(days=int(rng.integers(30, 900)))
        end = add_years(begin, _pick(rng, periods))
    fields["valid_date_begin"], fields["valid_date_end"] = _ymd(begin), _ymd(end)
    return {"validity": variant}


# --------------------------------------------------------------------------- distortions


def distort(card: np.ndarray, rng: np.random.Generator, *, rotation: int = 0, skew: float = 0.0,
            perspective: float = 0.0, blur: float = 0.0, jpeg: int | None = None, glare: float = 0.0,
            low_light: float = 0.0, photocopy: bool = False, screen: bool = False, margin: float | None = None,
            background: str | None = None, width: int | None = None) -> tuple[np.ndarray, dict]:
    """Photograph ``card`` (BGR): place it (rounded corners, soft shadow) on a ``background``
    (desk/flat/paper; random) with ``margin`` (fraction of the card size per side; random
    0.05–0.2), turn it in-plane by ``skew`` degrees (counter-clockwise), jitter its corners by up
    to ``perspective`` × its size, optionally ``photocopy`` it, resample to ``width`` px (random
    900–1400, before ``rotation``; ``screen`` recapture does this step), add a ``glare`` spot
    (strength 0–1), ``blur`` (Gaussian sigma, px), ``low_light`` (severity 0–1: gain 1 → 0.58,
    gamma 1 → 1.8, noise sigma 1.5 → 5.5), encode as JPEG at quality ``jpeg`` (None: lossless),
    and turn the whole image by ``rotation`` degrees counter-clockwise (exact ``np.rot90``, last). Returns the image and what was applied, including
    ``quad``: the card's corners (TL, TR, BR, BL) in the final image. The random draws do not
    depend on the options, so the same seed with other options gives comparable images."""
    if rotation % 90:
        raise ValueError("rotation must be a multiple of 90")
    h, w = card.shape[:2]
    margins = rng.uniform(0.05, 0.2, 4) if margin is None else np.full(4, float(margin))
    kind = str(_pick(rng, ("desk", "flat", "desk", "paper"))) if background is None else background
    kind = "paper" if photocopy else kind
    jitter = rng.uniform(-1, 1, (4, 2)) * perspective * np.array([w, h])
    target = int(rng.integers(900, 1401)) if width is None else width
    glare_at = rng.uniform(0.2, 0.8, 2), rng.uniform(0.15, 0.35, 2), rng.uniform(0, 180)
    gamma, gain, noise = 1 + 0.8 * low_light, 1 - 0.42 * low_light, 1.5 + 4 * low_light
    seeds = rng.integers(0, 2**63, 3)
    bg_rng, fx_rng, noise_rng = (np.random.default_rng(int(s)) for s in seeds)

    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    angle = np.deg2rad(skew)
    turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]], np.float32)
    centre = np.array([w / 2, h / 2], np.float32)
    dst = (src + jitter - centre) @ turn.T + centre
    lo, hi = dst.min(0), dst.max(0)
    pad = margins.reshape(2, 2) * np.array([w, h])  # (left, top), (right, bottom)
    dst = (dst - lo + pad[0]).astype(np.float32)
    size = (int(np.ceil(hi[0] - lo[0] + pad[0, 0] + pad[1, 0])), int(np.ceil(hi[1] - lo[1] + pad[0, 1] + pad[1, 1])))
    homography = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(card, homography, size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(card_mask(card.shape), homography, size, flags=cv2.INTER_LINEAR)
    half = (size[0] // 2 + 1, size[1] // 2 + 1)
    small_mask = cv2.resize(mask, half, interpolation=cv2.INTER_AREA)
    shadow = cv2.GaussianBlur(np.roll(small_mask, (int(0.005 * h), int(0.005 * w)), (0, 1)), (0, 0), 0.005 * w + 1)
    ground = cv2.resize(backdrop(half[1], half[0], kind, bg_rng, shadow), size, interpolation=cv2.INTER_LINEAR)
    image = cv2.blendLinear(warped, ground, mask, 1 - mask)
    if photocopy:
        image = photocopy_effect(image, fx_rng)
    if screen:
        image, affine = screen_recapture(image, target, fx_rng)
        quad = dst @ affine[:, :2].T + affine[:, 2]
    else:
        factor = target / image.shape[1]
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, (target, max(1, round(image.shape[0] * factor))), interpolation=interpolation)
        quad = dst * factor
    height, width_px = image.shape[:2]
    if glare > 0:  # a soft elliptical spot, computed at 1/4 resolution
        (cx, cy), (ax, ay), theta = glare_at
        yy, xx = np.mgrid[0 : height // 4 + 1, 0 : width_px // 4 + 1].astype(np.float32) * 4
        xx, yy = xx - cx * width_px, yy - cy * height
        t = np.deg2rad(theta)
        u, v = xx * np.cos(t) + yy * np.sin(t), -xx * np.sin(t) + yy * np.cos(t)
        spot = np.exp(-2 * ((u / (ax * width_px)) ** 2 + (v / (ay * height)) ** 2)) * glare
        spot = cv2.resize(spot.astype(np.float32), (width_px, height), interpolation=cv2.INTER_LINEAR)
        image = cv2.blendLinear(np.full_like(image, 255), image, spot, 1 - spot)
    if blur > 0.05:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if low_light > 0:
        curve = (255 * gain * (np.arange(256, dtype=np.float32) / 255) ** gamma).astype(np.float32)
        grain = noise_rng.standard_normal(image.shape, dtype=np.float32) * noise
        image = np.clip(curve[image] + grain, 0, 255).astype(np.uint8)
    if jpeg is not None:
        _, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(jpeg)])
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    k = (rotation // 90) % 4
    for _ in range(k):  # np.rot90 (counter-clockwise): (x, y) → (y, W - x)
        quad = np.stack([quad[:, 1], image.shape[1] - quad[:, 0]], 1)
        image = np.rot90(image)
    applied = {"background": kind, "margin": [round(float(m), 3) for m in margins], "skew": round(float(skew), 2),
               "perspective": round(float(perspective), 4), "blur": round(float(blur), 2), "jpeg": jpeg,
               "glare": round(float(glare), 2), "low_light": round(float(low_light), 2), "photocopy": photocopy,
               "screen": screen, "rotation": rotation % 360, "quad": np.round(quad, 1).tolist()}  # fmt: skip
    return np.ascontiguousarray(image), applied


PRESETS = ("none", "mild", "hard", "photocopy", "screen")


def _preset(name: str, rng: np.random.Generator) -> dict:
    """Distortion options for a preset (see :func:`make_document`)."""
    if name == "none":
        return {}
    strong = name == "hard"
    skew, persp, blur, quality = (15.0, 0.08, 1.8, 35) if strong else (8.0, 0.04, 1.0, 60)
    chance = 0.4 if strong else 0.2
    options = {"skew": float(rng.uniform(-skew, skew)), "perspective": float(rng.uniform(0, persp)),
               "blur": float(rng.uniform(0, blur)), "jpeg": int(rng.integers(quality, 96))}  # fmt: skip
    glare, dark = rng.random(2) < chance
    options["glare"] = float(rng.uniform(0.5, 0.9) if strong else rng.uniform(0.4, 0.7)) if glare else 0.0
    options["low_light"] = float(rng.uniform(0.5, 1.0) if strong else rng.uniform(0.3, 0.7)) if dark else 0.0
    if name in ("photocopy", "screen"):
        options[name] = True
        options["glare"] = options["glare"] if name == "screen" else 0.0
    elif name not in ("mild", "hard"):
        raise ValueError(f"unknown distortion preset {name!r}; expected one of {PRESETS}")
    return options


def make_document(kind: str, rng: np.random.Generator, today: dt.date, *, forgery: str | None = None,
                  distortions: str = "mild", rotation: int | None = None, portrait: np.ndarray | None = None,
                  cut_number: bool = False) -> Document:
    """A photo of a ``kind`` document (see :data:`KINDS`), genuine or forged (``forgery`` in
    :data:`FORGERIES`), distorted by a preset: ``none`` (margin only), ``mild``, ``hard``,
    ``photocopy`` or ``screen`` (mild geometry with that capture). ``rotation`` (degrees,
    counter-clockwise) defaults to 0. ``cut_number`` (ID fronts) photographs the card with its
    number row cut off (:func:`cut_off_number`); ``fields`` still say what the card prints."""
    if cut_number and kind != "id_front":
        raise ValueError("cut_number applies to id_front only")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    if forgery is not None and forgery not in FORGERIES.get(kind, ()):
        raise ValueError(f"{kind} has no forgery {forgery!r}; expected one of {FORGERIES.get(kind, ())}")
    notes: dict = {}
    edits = {"pasted_field": _pick(rng, ("name", "address", "citizen_id"))} if forgery == "pasted_field" else None
    if kind == "id_front":
        fields: dict = random_person(rng, today)
        if forgery in PRINTED_FORGERIES:
            notes = _forge_printed(fields, forgery, rng, today)
        elif forgery not in (None, "pasted_field"):
            notes = _forge_number(fields, forgery, rng, today)
        card, boxes = render_id_front(fields, rng, portrait, edits=edits)
        if cut_number:
            card = cut_off_number(card, boxes)
            boxes = {name: box for name, box in boxes.items() if box[3] <= card.shape[0]}
            notes["cut_number"] = True
    elif kind == "id_back":
        fields = random_id_back(random_person(rng, today), rng, today)
        if forgery == "validity":
            notes = _forge_validity(fields, rng, today, ID_PERIODS)
        card, boxes = render_id_back(fields, rng)
    elif kind == "driving":
        fields = random_driving(rng, today, license_type=1 if forgery == "validity" else None)
        if forgery == "validity":
            notes = _forge_validity(fields, rng, today, DRIVING_PERIODS, ("end_before_begin", "period_length"))
        elif forgery not in (None, "pasted_field"):
            notes = _forge_number(fields, forgery, rng, today)
        card, boxes = render_driving(fields, rng, portrait, edits=edits)
    else:
        fields = random_vehicle(rng, today)
        card, boxes = render_vehicle(fields, rng)
    image, applied = distort(card, rng, rotation=rotation or 0, **_preset(distortions, rng))
    applied.update(notes, preset=distortions)
    if edits:
        applied.update(edits)
    return Document(image=image, kind=kind, fields=fields, boxes=boxes, card=card, forgery=forgery, distortion=applied)


def make_both_sides(rng: np.random.Generator, today: dt.date, *, rotation: int | None = None) -> Document:
    """Front and back of one card on a grey page (as the CCF BDCI 2019 competition images): the
    cards stacked vertically with a gap, the page skewed ±4°, sometimes greyscale, resampled to
    900–1400 px square and turned by ``rotation`` (degrees counter-clockwise; random: mostly 0 or
    180). ``card`` is the upright, unskewed page; ``boxes`` are in its pixels."""
    if rotation is not None and rotation % 90:
        raise ValueError("rotation must be a multiple of 90")
    person = random_person(rng, today)
    back = random_id_back(person, rng, today)
    front_img, front_boxes = render_id_front(person, rng)
    back_img, back_boxes = render_id_back(back, rng)
    ch, cw = front_img.shape[:2]
    gap = int(ch * rng.uniform(0.15, 0.6))
    side = int(max(2 * ch + gap, cw) * rng.uniform(1.15, 1.4))
    grey = float(rng.uniform(120, 175))
    page = np.full((side, side, 3), grey, np.float32) + rng.normal(0, 1.5, (side, side, 1)).astype(np.float32)
    mask = card_mask(front_img.shape)[..., None]
    top = int(rng.integers(int(0.03 * side), max(int(0.03 * side) + 1, side - 2 * ch - gap - int(0.03 * side))))
    boxes: dict[str, tuple[int, int, int, int]] = {}
    offsets = []
    for img, card_boxes, y in ((front_img, front_boxes, top), (back_img, back_boxes, top + ch + gap)):
        x = int(rng.integers(int(0.03 * side), side - cw - int(0.03 * side)))
        page[y : y + ch, x : x + cw] = page[y : y + ch, x : x + cw] * (1 - mask) + img.astype(np.float32) * mask
        boxes.update({k: (b[0] + x, b[1] + y, b[2] + x, b[3] + y) for k, b in card_boxes.items()})
        offsets.append((x, y))
    card = np.clip(page, 0, 255).astype(np.uint8)
    turn = int(rng.choice([0, 90, 180, 270], p=[0.55, 0.1, 0.25, 0.1])) if rotation is None else rotation % 360
    skew = float(rng.uniform(-4, 4))
    matrix = cv2.getRotationMatrix2D((side / 2, side / 2), skew, 1.0)
    image = cv2.warpAffine(card, matrix, (side, side), flags=cv2.INTER_LINEAR, borderValue=(grey, grey, grey))
    if rng.random() < 0.5:  # the competition pages are mostly washed-out grey
        image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    target = int(rng.integers(900, 1401))
    image = cv2.resize(image, (target, target), interpolation=cv2.INTER_AREA)
    image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.3, 0.9)))
    image = np.ascontiguousarray(np.rot90(image, turn // 90))
    fields = {**person, **back}
    applied = {"skew": round(skew, 2), "rotation": turn, "width": target, "card_offsets": offsets, "preset": "page"}
    return Document(image=image, kind="id_both", fields=fields, boxes=boxes, card=card, distortion=applied)
