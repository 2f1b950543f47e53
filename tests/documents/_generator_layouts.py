"""Card layouts for the synthetic ID-document generator (:mod:`tests.documents.generator`).

Each ``render_*`` draws one card at :data:`PX_PER_MM` pixels per millimetre on a pale printed
background (gradient, fine guilloche lines, paper grain) with Noto Sans/Serif SC and returns the
card (BGR uint8) and the pixel box ``(x0, y0, x1, y1)`` of every printed field value. Positions
in the code are millimetres from the card's top-left corner; ``y`` is a text baseline.

``edits={"pasted_field": name}`` simulates a cut-and-paste forgery of one value: it is covered
with a patch of slightly different background and re-printed with another font size and a
baseline offset; the chosen scale and offset are written back into ``edits``.

The capture effects :func:`~tests.documents.generator.distort` uses (desk/flat/paper backdrops,
photocopy, screen recapture) are at the end.
"""

from __future__ import annotations

import importlib.resources
import math
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "PX_PER_MM", "render_id_front", "render_id_back", "render_driving", "render_vehicle", "card_mask", "backdrop",
    "screen_recapture", "photocopy",
]  # fmt: skip

PX_PER_MM = 12.0
"""Rendering resolution: an ID card (85.6 × 54 mm) is 1027 × 648 px."""

Box = tuple[int, int, int, int]
T = TypeVar("T")
RGB = tuple[int, int, int]

INK: RGB = (22, 22, 26)
LABEL_BLUE: RGB = (60, 130, 190)
SEAL_RED: RGB = (215, 40, 45)


@lru_cache(maxsize=128)
def font(family: str, size_px: int) -> ImageFont.FreeTypeFont:
    """Noto ``family`` ("sans" or "serif") at ``size_px`` pixels per em, loaded once per size."""
    name = {"sans": "NotoSansSC-Regular.otf", "serif": "NotoSerifSC-Regular.otf"}[family]
    return ImageFont.truetype(str(importlib.resources.files("pylopdf_fonts_zh_cn") / name), max(4, size_px))


def _choice(rng: np.random.Generator, items: Sequence[T]) -> T:
    return items[int(rng.integers(len(items)))]


def _px(mm: float) -> float:
    return mm * PX_PER_MM


def _union(a: Box | None, b: Box) -> Box:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


class Canvas:
    """A card being drawn (RGB): text in millimetres, value boxes in pixels, one field optionally
    held back (``hidden``) to be pasted later."""

    def __init__(self, background: np.ndarray, hidden: str | None = None) -> None:
        self.image = Image.fromarray(background)
        self.draw = ImageDraw.Draw(self.image)
        self.hidden = hidden
        self.boxes: dict[str, Box] = {}
        self.ops: dict[str, list[tuple]] = defaultdict(list)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    def _print(self, x: float, base: float, text: str, size: float, fill: RGB, family: str, spacing: float,
               stroke: int, draw: bool) -> tuple[float, Box | None]:
        """Print (or only measure) at pixel ``x``/baseline ``base``; the pen's end x and the ink box."""
        face = font(family, round(size))
        box: Box | None = None
        chunks = [text] if spacing == 0 else list(text)
        for chunk in chunks:
            if chunk.strip():
                kwargs = {"font": face, "anchor": "ls", "stroke_width": stroke}
                ink = self.draw.textbbox((x, base), chunk, **kwargs)
                box = _union(box, (int(ink[0]), int(ink[1]), int(math.ceil(ink[2])), int(math.ceil(ink[3]))))
                if draw:
                    self.draw.text((x, base), chunk, fill=fill, stroke_fill=fill, **kwargs)
            x += face.getlength(chunk) + spacing
        return x, box

    def text(self, x: float, y: float, text: str, size: float, *, fill: RGB = INK, family: str = "sans",
             spacing: float = 0.0, stroke: int = 0, field: str | None = None) -> float:
        """Print ``text`` from ``x`` mm on baseline ``y`` mm, ``size`` mm per em, ``spacing`` mm
        between characters; the box is added to ``field``'s. Returns the end x in mm."""
        args = (_px(x), _px(y), text, _px(size), fill, family, _px(spacing), stroke)
        end, box = self._print(*args, draw=field is None or field != self.hidden)
        if field is not None:
            self.ops[field].append(args)
            if box is not None:
                self.boxes[field] = _union(self.boxes.get(field), box)
        return end / PX_PER_MM

    def width(self, text: str, size: float, spacing: float = 0.0, family: str = "sans") -> float:
        """The advance width of ``text`` in mm."""
        face = font(family, round(_px(size)))
        return (face.getlength(text) + _px(spacing) * max(0, len(text) - 1)) / PX_PER_MM

    def paste(self, field: str, rng: np.random.Generator, edits: dict) -> None:
        """Cover the held-back ``field`` with a patch of shifted background colour and grain and
        re-print it ±8–15 % larger/smaller, 2–6 px off its baseline (a cut-and-paste edit)."""
        scale = 1 + float(rng.choice([-1, 1])) * float(rng.uniform(0.08, 0.15))
        dy = int(rng.choice([-1, 1])) * int(rng.integers(2, 7))
        ops = [(x, base + dy, text, size * scale, fill, fam, spacing * scale, stroke)
               for x, base, text, size, fill, fam, spacing, stroke in self.ops[field]]
        new_box: Box | None = None
        for op in ops:
            new_box = _union(new_box, self._print(*op, draw=False)[1] or self.boxes[field])
        assert new_box is not None
        pad = int(0.3 * ops[0][3])
        area = _union(self.boxes[field], new_box)
        w, h = self.size
        x0, y0, x1, y1 = max(0, area[0] - pad), max(0, area[1] - pad), min(w, area[2] + pad), min(h, area[3] + pad)
        pixels = np.asarray(self.image).copy()
        region = pixels[y0:y1, x0:x1].astype(np.float32)
        shift = rng.uniform(5, 12) * rng.choice([-1, 1]) + rng.uniform(-3, 3, 3)
        patch = np.median(region.reshape(-1, 3), axis=0) + shift + rng.normal(0, 2.5, region.shape)
        pixels[y0:y1, x0:x1] = np.clip(cv2.GaussianBlur(patch.astype(np.float32), (0, 0), 0.8), 0, 255).astype(np.uint8)
        self.image = Image.fromarray(pixels)
        self.draw = ImageDraw.Draw(self.image)
        box = None
        for op in ops:
            box = _union(box, self._print(*op, draw=True)[1] or new_box)
        self.boxes[field] = box  # type: ignore[assignment]
        edits.update(pasted_scale=round(scale, 3), pasted_dy_px=dy, pasted_patch=(x0, y0, x1, y1))

    def finish(self, rng: np.random.Generator, edits: dict | None) -> tuple[np.ndarray, dict[str, Box]]:
        """Apply a pending paste edit, soften the print a little, clip the boxes; BGR and boxes."""
        if edits and self.hidden:
            self.paste(self.hidden, rng, edits)
        rgb = cv2.GaussianBlur(np.asarray(self.image), (0, 0), 0.45)
        h, w = rgb.shape[:2]
        boxes = {k: (max(0, b[0]), max(0, b[1]), min(w, b[2]), min(h, b[3])) for k, b in self.boxes.items()}
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), boxes


# --------------------------------------------------------------------------- backgrounds and ornaments


def _background(size_mm: tuple[float, float], rng: np.random.Generator, colours: tuple[RGB, RGB],
                line_colours: tuple[RGB, ...]) -> np.ndarray:
    """A printed security background (RGB): diagonal two-colour gradient, wavy guilloche lines,
    a rosette and paper grain, all faint."""
    w, h = round(_px(size_mm[0])), round(_px(size_mm[1]))
    a, b = (np.array(c, np.float32) for c in colours)
    corners = np.array([[a, a * 0.4 + b * 0.6], [a * 0.6 + b * 0.4, b]], np.float32)  # a linear diagonal gradient
    image = cv2.resize(corners, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.uint8)
    xs = np.arange(-10, w + 10, 4, dtype=np.float32)
    spacing = rng.uniform(10, 16)
    amp, wave, phase = rng.uniform(4, 9), rng.uniform(120, 260), rng.uniform(0, 2 * math.pi)
    for i, y0 in enumerate(np.arange(-20, h + 20, spacing)):
        colour = line_colours[i % len(line_colours)]
        ys = y0 + amp * np.sin(2 * np.pi * xs / wave + phase + i * 0.35) + 3 * np.sin(xs / 37.0 + i)
        pts = np.stack([xs, ys], 1).astype(np.int32)
        cv2.polylines(image, [pts], False, colour, 1, cv2.LINE_AA)
    cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
    theta = np.linspace(0, 2 * np.pi, 720, dtype=np.float32)
    lobes = int(rng.integers(10, 20))
    for radius in np.arange(40, 0.45 * h, 14):
        r = radius + 0.12 * radius * np.sin(lobes * theta)
        pts = np.stack([cx + r * np.cos(theta), cy + r * np.sin(theta)], 1).astype(np.int32)
        cv2.polylines(image, [pts], True, line_colours[0], 1, cv2.LINE_AA)
    image = cv2.addWeighted(image, 0.55, np.full_like(image, colours[0]), 0.45, 0)  # keep the pattern faint
    grain = 2.0 * rng.standard_normal((h, w, 1), dtype=np.float32)
    return np.clip(image + grain, 0, 255).astype(np.uint8)


def card_mask(shape: tuple[int, ...], radius_fraction: float = 3.2 / 85.6) -> np.ndarray:
    """A float32 0–1 mask of a card with rounded corners (radius as a fraction of its width)."""
    h, w = shape[:2]
    r = max(2, int(radius_fraction * w))
    mask = np.zeros((h, w), np.uint8)
    cv2.rectangle(mask, (r, 0), (w - 1 - r, h - 1), 255, -1)
    cv2.rectangle(mask, (0, r), (w - 1, h - 1 - r), 255, -1)
    for cx, cy in ((r, r), (w - 1 - r, r), (r, h - 1 - r), (w - 1 - r, h - 1 - r)):
        cv2.circle(mask, (cx, cy), r, 255, -1, cv2.LINE_AA)
    return mask.astype(np.float32) / 255.0


def _star(cx: float, cy: float, r: float, rotation: float = -math.pi / 2) -> list[tuple[float, float]]:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.382
        angle = rotation + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _portrait(canvas: Canvas, area_mm: tuple[float, float, float, float], portrait: np.ndarray | None) -> None:
    """Paste ``portrait`` (BGR, cropped to fill) into ``area_mm`` (x0, y0, x1, y1), else a grey silhouette."""
    x0, y0, x1, y1 = (round(_px(v)) for v in area_mm)
    if portrait is not None:
        w, h = x1 - x0, y1 - y0
        ph, pw = portrait.shape[:2]
        scale = max(w / pw, h / ph)
        fitted = (max(w, round(pw * scale)), max(h, round(ph * scale)))
        resized = cv2.resize(portrait, fitted, interpolation=cv2.INTER_AREA)
        top, left = (resized.shape[0] - h) // 2, (resized.shape[1] - w) // 2
        crop = cv2.cvtColor(resized[top : top + h, left : left + w], cv2.COLOR_BGR2RGB)
        canvas.image.paste(Image.fromarray(crop), (x0, y0))
        return
    w, h = x1 - x0, y1 - y0
    shoulders = [(0.02 * w, 0.7 * h, 0.98 * w, 1.5 * h)]
    neck_and_head = [(0.41 * w, 0.5 * h, 0.59 * w, 0.78 * h), (0.27 * w, 0.12 * h, 0.73 * w, 0.6 * h)]
    for grey, shapes in (((176, 178, 183), shoulders), ((190, 191, 195), neck_and_head)):
        mask = Image.new("L", (w, h), 0)
        for shape in shapes:
            ImageDraw.Draw(mask).ellipse(shape, fill=255)
        canvas.image.paste(Image.new("RGB", (w, h), grey), (x0, y0), mask)


def _seal(canvas: Canvas, centre_mm: tuple[float, float], radius_mm: float, text: str) -> None:
    """A translucent red round seal: double ring, star, and ``text`` along the upper arc."""
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    cx, cy, r = _px(centre_mm[0]), _px(centre_mm[1]), _px(radius_mm)
    colour = (*SEAL_RED, 85)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=colour, width=max(2, int(_px(0.5))))
    draw.polygon(_star(cx, cy, 0.28 * r), fill=colour)
    face = font("sans", round(0.22 * r))
    chars = list(text)
    for i, ch in enumerate(chars):
        angle = math.pi * (1.1 + 0.8 * i / max(1, len(chars) - 1))
        tile = Image.new("RGBA", (face.size * 2, face.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((face.size, face.size), ch, font=face, fill=colour, anchor="mm")
        tile = tile.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        px, py = cx + 0.74 * r * math.cos(angle), cy + 0.74 * r * math.sin(angle)
        overlay.alpha_composite(tile, (int(px - face.size), int(py - face.size)))
    canvas.image = Image.alpha_composite(canvas.image.convert("RGBA"), overlay).convert("RGB")
    canvas.draw = ImageDraw.Draw(canvas.image)


def _wrap(canvas: Canvas, text: str, size: float, max_width: float, max_lines: int) -> list[str]:
    """Greedy line breaks by printed width (mm); the last line takes what is left."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines - 1:
        n = len(rest)
        while n > 1 and canvas.width(rest[:n], size) > max_width:
            n -= 1
        lines.append(rest[:n])
        rest = rest[n:]
    if rest:
        lines.append(rest)
    return lines


def _spaced_label(canvas: Canvas, x: float, y: float, text: str, size: float, span: float, fill: RGB) -> None:
    """A label whose characters are spread evenly over ``span`` mm (as 姓  名 on ID cards)."""
    gap = (span - canvas.width(text, size)) / max(1, len(text) - 1) if len(text) > 1 else 0.0
    canvas.text(x, y, text, size, fill=fill, spacing=max(0.0, gap))


def _dashed(date: str, sep: str = "-") -> str:
    """YYYYMMDD → YYYY-MM-DD (or another separator); other text unchanged."""
    return f"{date[:4]}{sep}{date[4:6]}{sep}{date[6:]}" if date.isdigit() and len(date) == 8 else date


# --------------------------------------------------------------------------- the cards


def render_id_front(person: dict, rng: np.random.Generator, portrait: np.ndarray | None = None, *,
                    edits: dict | None = None) -> tuple[np.ndarray, dict[str, Box]]:
    """The front of a resident ID card (85.6 × 54 mm) for ``person`` (name, gender, nation,
    birthday YYYYMMDD, address, citizen_id): card (BGR) and value boxes (px)."""
    tint = int(rng.integers(-6, 7))
    background = _background((85.6, 54.0), rng, ((222 + tint, 240, 244), (244, 238, 224 + tint)),
                             ((196, 222, 232), (226, 214, 200), (205, 226, 214)))
    c = Canvas(background, hidden=(edits or {}).get("pasted_field"))
    label, value = 3.2, 3.35
    _spaced_label(c, 5.6, 9.0, "姓名", label, 7.0, LABEL_BLUE)
    c.text(16.2, 9.2, person["name"], 4.0, field="name")
    _spaced_label(c, 5.6, 15.8, "性别", label, 7.0, LABEL_BLUE)
    c.text(16.2, 15.8, person["gender"], value, field="gender")
    _spaced_label(c, 24.8, 15.8, "民族", label, 6.4, LABEL_BLUE)
    c.text(33.2, 15.8, person["nation"], value, field="nation")
    _spaced_label(c, 5.6, 22.4, "出生", label, 7.0, LABEL_BLUE)
    year, month, day = person["birthday"][:4], str(int(person["birthday"][4:6])), str(int(person["birthday"][6:]))
    x = c.text(16.2, 22.4, year, value, field="birthday") + 1.2
    x = c.text(x, 22.4, "年", label, fill=LABEL_BLUE) + 1.2
    x = c.text(x, 22.4, month, value, field="birthday") + 1.2
    x = c.text(x, 22.4, "月", label, fill=LABEL_BLUE) + 1.2
    x = c.text(x, 22.4, day, value, field="birthday") + 1.2
    x = c.text(x, 22.4, "日", label, fill=LABEL_BLUE, field="birthday")
    _spaced_label(c, 5.6, 29.2, "住址", label, 7.0, LABEL_BLUE)
    for i, line in enumerate(_wrap(c, person["address"], value, 11 * value + 0.2, 3)):
        c.text(16.2, 29.2 + 4.6 * i, line, value, field="address")
    c.text(5.6, 46.4, "公民身份号码", label, fill=LABEL_BLUE, spacing=0.15)
    c.text(29.6, 46.6, person["citizen_id"], 4.2, spacing=0.32, stroke=1, field="citizen_id")
    _portrait(c, (56.0, 7.0, 81.0, 42.0), portrait)
    return c.finish(rng, edits)


def render_id_back(back: dict, rng: np.random.Generator, *, edits: dict | None = None
                   ) -> tuple[np.ndarray, dict[str, Box]]:
    """The back of a resident ID card (85.6 × 54 mm): emblem, title, 签发机关 ``agency`` and
    有效期限 ``valid_date_begin``-``valid_date_end`` printed as 2015.06.01-2035.06.01 (or -长期)."""
    background = _background((85.6, 54.0), rng, ((238, 242, 236), (246, 238, 226)),
                             ((224, 214, 196), (206, 224, 228), (230, 206, 204)))
    c = Canvas(background, hidden=(edits or {}).get("pasted_field"))
    cx, cy, r = _px(14.5), _px(13.5), _px(8.6)
    c.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(200, 32, 36), outline=(232, 190, 70), width=int(_px(0.7)))
    c.draw.polygon(_star(cx, cy - 0.15 * r, 0.3 * r), fill=(246, 206, 70))
    for k in range(4):
        angle = math.pi * (1.1 + 0.27 * k)
        star_x, star_y = cx + 0.55 * r * math.cos(angle), cy - 0.15 * r + 0.55 * r * math.sin(angle)
        c.draw.polygon(_star(star_x, star_y, 0.1 * r), fill=(246, 206, 70))
    c.draw.rectangle((cx - 0.5 * r, cy + 0.35 * r, cx + 0.5 * r, cy + 0.5 * r), fill=(246, 206, 70))
    c.text(30.5, 13.2, "中华人民共和国", 5.8, family="serif", spacing=1.0, stroke=1)
    c.text(29.0, 26.0, "居民身份证", 8.0, family="serif", spacing=2.2, stroke=1)
    c.text(17.0, 40.4, "签发机关", 3.2, fill=(40, 40, 44), spacing=0.3)
    c.text(32.0, 40.4, back["agency"], 3.4, field="agency")
    c.text(17.0, 47.2, "有效期限", 3.2, fill=(40, 40, 44), spacing=0.3)
    begin, end = _dashed(back["valid_date_begin"], "."), _dashed(back["valid_date_end"], ".")
    c.text(32.0, 47.2, f"{begin}-{end}", 3.4, field="valid_date")
    return c.finish(rng, edits)


def _english(c: Canvas, x: float, y: float, text: str) -> None:
    c.text(x, y, text, 1.45, fill=(90, 90, 96))


def render_driving(lic: dict, rng: np.random.Generator, portrait: np.ndarray | None = None, *,
                   edits: dict | None = None) -> tuple[np.ndarray, dict[str, Box]]:
    """The main page of a motor-vehicle driving licence (88 × 60 mm). ``lic["license_type"]`` 1
    (new) prints 有效期限 begin 至 end; 2 (old) prints 有效起始日期 and 有效期限 N年."""
    background = _background((88.0, 60.0), rng, ((250, 240, 242), (247, 246, 250)),
                             ((238, 212, 220), (226, 222, 238), (240, 226, 212)))
    c = Canvas(background, hidden=(edits or {}).get("pasted_field"))
    dark = (50, 44, 48)
    title = "中华人民共和国机动车驾驶证"
    c.text((88 - c.width(title, 4.4, 0.35, "serif")) / 2, 7.0, title, 4.4, family="serif", spacing=0.35, stroke=1)
    subtitle = "Driving License of the People's Republic of China"
    c.text((88 - c.width(subtitle, 1.9)) / 2, 9.9, subtitle, 1.9, fill=(80, 80, 86))
    c.text(5.0, 15.2, "证号", 3.0, fill=dark, spacing=0.8)
    c.text(17.0, 15.4, lic["citizen_id"], 3.6, spacing=0.3, stroke=1, field="citizen_id")
    rows = 21.0
    c.text(5.0, rows, "姓名", 3.0, fill=dark, spacing=0.8)
    _english(c, 5.0, rows + 2.0, "Name")
    c.text(17.0, rows, lic["name"], 3.5, field="name")
    c.text(43.0, rows, "性别", 3.0, fill=dark, spacing=0.5)
    _english(c, 43.0, rows + 2.0, "Sex")
    c.text(51.5, rows, lic["gender"], 3.4, field="gender")
    c.text(62.0, rows, "国籍", 3.0, fill=dark, spacing=0.5)
    _english(c, 62.0, rows + 2.0, "Nationality")
    c.text(71.0, rows, "中国", 3.4)
    c.text(5.0, 27.2, "住址", 3.0, fill=dark, spacing=0.8)
    _english(c, 5.0, 29.2, "Address")
    for i, line in enumerate(_wrap(c, lic["address"], 3.2, 66.0, 2)):
        c.text(17.0, 27.2 + 4.3 * i, line, 3.2, field="address")
    labelled = [("出生日期", "Date of Birth", _dashed(lic["birthday"]), "birthday"),
                ("初次领证日期", "Date of First Issue", _dashed(lic["issue_date"]), "issue_date"),
                ("准驾车型", "Class", lic["vehicle_type"], "vehicle_type")]
    if lic["license_type"] == 1:
        text = f"{_dashed(lic['valid_date_begin'])} 至 {_dashed(lic['valid_date_end'])}"
        labelled.append(("有效期限", "Valid Period", text, "valid_date"))
        top, pitch = 37.6, 5.6
    else:  # the old version has one more row
        labelled.append(("有效起始日期", "Valid From", _dashed(lic["valid_date_begin"]), "valid_date_begin"))
        labelled.append(("有效期限", "Valid For", f"{lic['valid_period']}年", "valid_period"))
        top, pitch = 36.9, 4.95
    for row, (label, english, text, key) in enumerate(labelled):
        y = top + row * pitch
        c.text(5.0, y, label, 2.9, fill=dark)
        _english(c, 5.0, y + 1.8, english)
        c.text(25.5, y, text, 3.3, field=key)
    _portrait(c, (65.0, 33.0, 84.0, 51.5), portrait)
    _seal(c, (11.0, 52.0), 8.0, "公安局交通警察支队")
    return c.finish(rng, edits)


def _fit(c: Canvas, x: float, y: float, text: str, size: float, max_width: float, field: str) -> float:
    """Print ``text`` at ``size`` mm, shrunk (down to 70 %) to fit ``max_width`` mm."""
    width = c.width(text, size)
    if width > max_width:
        size = max(0.7 * size, size * max_width / width)
    return c.text(x, y, text, size, field=field)


def render_vehicle(lic: dict, rng: np.random.Generator, *, edits: dict | None = None
                   ) -> tuple[np.ndarray, dict[str, Box]]:
    """The main page of a motor-vehicle licence (行驶证, 88 × 60 mm); dates as 2012-05-20."""
    background = _background((88.0, 60.0), rng, ((236, 244, 242), (244, 246, 238)),
                             ((206, 228, 222), (220, 230, 208), (214, 222, 236)))
    c = Canvas(background, hidden=(edits or {}).get("pasted_field"))
    dark = (44, 48, 52)
    title = "中华人民共和国机动车行驶证"
    c.text((88 - c.width(title, 4.4, 0.35, "serif")) / 2, 7.0, title, 4.4, family="serif", spacing=0.35, stroke=1)
    subtitle = "Vehicle License of the People's Republic of China"
    c.text((88 - c.width(subtitle, 1.9)) / 2, 9.9, subtitle, 1.9, fill=(80, 86, 86))
    left, right, lx, rx = 4.0, 44.0, 24.0, 58.5
    rows = [
        (15.5, [("号牌号码", "Plate No.", left, lx, "plate_no", 19.0),
                ("车辆类型", "Vehicle Type", right, rx, "vehicle_type", 27.5)]),
        (22.0, [("所有人", "Owner", left, lx, "owner", 60.0)]),
        (28.5, [("住址", "Address", left, lx, "address", 60.0)]),
        (35.0, [("使用性质", "Use Character", left, lx, "use_character", 19.0),
                ("品牌型号", "Model", right, rx, "model", 27.5)]),
        (41.5, [("车辆识别代号", "Vehicle Identification Number", left, lx, "vin", 60.0)]),
        (48.0, [("发动机号码", "Engine No.", left, lx, "engine_no", 60.0)]),
        (54.5, [("注册日期", "Register Date", left, lx, "register_date", 19.0),
                ("发证日期", "Issue Date", right, rx, "issue_date", 27.5)]),
    ]  # fmt: skip
    for y, cells in rows:
        for label, english, x, value_x, key, room in cells:
            c.text(x, y, label, 2.9, fill=dark, spacing=0.1 if len(label) > 4 else 0.3)
            _english(c, x, y + 1.9, english)
            text = _dashed(lic[key]) if key.endswith("date") else str(lic[key])
            spacing = 0.25 if key in ("vin", "engine_no", "plate_no") else 0.0
            if spacing:
                c.text(value_x, y, text, 3.4, spacing=spacing, field=key)
            else:
                _fit(c, value_x, y, text, 3.3, room, key)
    _seal(c, (72.0, 46.0), 9.0, "公安局交通警察支队")
    return c.finish(rng, edits)


# --------------------------------------------------------------------------- capture effects (used by distort)


def backdrop(height: int, width: int, kind: str, rng: np.random.Generator, shade: np.ndarray) -> np.ndarray:
    """A BGR backdrop: ``desk`` (wood grain), ``flat`` (one colour, uneven light) or ``paper``,
    darkened by ``shade`` (0–1, same size). Drawn at half the final resolution, for speed."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 1 + 0.12 * ((xx / width - rng.random()) + (yy / height - rng.random()))
    if kind == "desk":
        base = np.array(_choice(rng, ((60, 100, 150), (40, 70, 110), (120, 160, 200), (50, 60, 75))), np.float32)
        warp = cv2.resize(rng.normal(0, 1, (5, 4)).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
        rings = np.sin((yy + 30 * warp) / rng.uniform(4.5, 10))
        fibres = rng.normal(0, 1, (max(2, height // 2), max(2, width // 40))).astype(np.float32)
        streaks = cv2.resize(fibres, (width, height), interpolation=cv2.INTER_LINEAR)
        image = base * (1 + 0.05 * rings[..., None] + 0.07 * streaks[..., None]) * light[..., None]
    elif kind == "paper":
        image = np.full((height, width, 3), rng.uniform(228, 248), np.float32) * light[..., None]
    else:
        colours = ((40, 40, 40), (90, 90, 90), (150, 150, 150), (120, 80, 40), (60, 70, 110))
        base = np.array(_choice(rng, colours), np.float32)
        image = base + rng.uniform(-20, 20, 3).astype(np.float32)
        image = image * light[..., None]
    image = image * (1 - 0.35 * shade[..., None]) + 3 * rng.standard_normal((height, width, 1), dtype=np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def screen_recapture(image: np.ndarray, width: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A photo of ``image`` shown on a screen and captured at ``width`` px: the display's pixels
    (about one per camera pixel, slightly rotated) are R|G|B subpixel stripes with a dark gap,
    sampled by the camera's pixel grid so they alias into moiré bands; plus a colour cast and a
    brightness fall-off. The image and the 2×3 affine map from input to output pixels."""
    h, w = image.shape[:2]
    display_w = int(width * rng.uniform(0.8, 1.25))
    display_h = round(h * display_w / w)
    shown = cv2.resize(image, (display_w, display_h), interpolation=cv2.INTER_AREA)
    scale = width / display_w
    height = round(display_h * scale)
    matrix = cv2.getRotationMatrix2D((display_w / 2, display_h / 2), float(rng.uniform(-3, 3)), scale)
    matrix[:, 2] += (width / 2 - display_w / 2, height / 2 - display_h / 2)
    captured = cv2.warpAffine(shown, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    inverse = cv2.invertAffineTransform(matrix)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    grid = np.zeros((height, width, 3), np.float32)
    for dx, dy in ((-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)):  # 2×2 samples per camera pixel
        u = inverse[0, 0] * (xx + dx) + inverse[0, 1] * (yy + dy) + inverse[0, 2]
        v = inverse[1, 0] * (xx + dx) + inverse[1, 1] * (yy + dy) + inverse[1, 2]
        column = np.floor((u % 1) * 3).astype(np.int8)
        gap = np.where(v % 1 > 0.8, 0.75, 1.0).astype(np.float32)
        for channel, stripe in ((2, 0), (1, 1), (0, 2)):  # R, G, B left to right (BGR order)
            grid[..., channel] += np.where(column == stripe, 1.0, 0.5).astype(np.float32) * gap / 4
    radius = ((xx / width - 0.5) ** 2 + (yy / height - 0.5) ** 2) * 4
    falloff = 1 - rng.uniform(0.15, 0.35) * radius
    cast = np.array([1.08, 1.0, 0.92], np.float32) * rng.uniform(0.96, 1.04, 3).astype(np.float32)
    out = captured.astype(np.float32) * grid * (1.55 * falloff)[..., None] * cast
    to_display = np.array([[display_w / w, 0, 0], [0, display_h / h, 0], [0, 0, 1]])
    return np.clip(out, 0, 255).astype(np.uint8), matrix @ to_display


def photocopy(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Greyscale, contrast stretched (paper to white), toner specks and grain, slightly blurred."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    low, high = np.percentile(grey, 2), np.percentile(grey, 60)
    grey = (grey - low) / max(1.0, high - low) * 255 * rng.uniform(1.0, 1.1)
    grey += rng.normal(0, 6, grey.shape)
    specks = rng.random(grey.shape) < rng.uniform(0.0005, 0.002)
    grey[specks] = rng.uniform(20, 90)
    grey = cv2.GaussianBlur(np.clip(grey, 0, 255), (0, 0), rng.uniform(0.5, 0.9))
    return cv2.cvtColor(grey.astype(np.uint8), cv2.COLOR_GRAY2BGR)
