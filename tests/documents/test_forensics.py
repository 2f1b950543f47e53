"""Capture and pasted-field signs: built card-like images (a colour card, its photocopy, its
photo off a screen, a pasted value) and the real samples of the shared data."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facesaas.documents.forensics import Sign, capture_signs, pasted_field_signs
from tests.images import jpeg_roundtrip

Box = tuple[int, int, int, int]
VALUES = ("ZHANG SAN", "1982 07 27", "SHANDONG 442", "JIEDAO 12 HAO", "370305198207273118")


def _jpeg(image: np.ndarray, quality: int = 80, blur: float = 0.0) -> np.ndarray:
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    return jpeg_roundtrip(image, quality)


def _background(rng: np.random.Generator, width: int = 1100, height: int = 700) -> np.ndarray:
    """A pale tinted card background (BGR float): a diagonal two-colour gradient, wavy security
    lines, grain."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (0.6 * xx / width + 0.4 * yy / height)[..., None]
    image = np.array([244, 236, 218], np.float32) * (1 - t) + np.array([226, 238, 246], np.float32) * t
    lines = np.zeros((height, width), np.uint8)
    xs = np.arange(0, width, 3, dtype=np.float32)
    phase = rng.uniform(0, 6.3)
    for i, y in enumerate(np.arange(-20, height + 20, 12.0)):
        ys = y + 6 * np.sin(xs / 90 + phase + 0.3 * i)
        cv2.polylines(lines, [np.stack([xs, ys], 1).astype(np.int32)], False, 255, 1, cv2.LINE_AA)
    image -= lines[..., None].astype(np.float32) / 255 * np.array([18, 8, 24], np.float32)
    return image + rng.normal(0, 1.5, (height, width, 1)).astype(np.float32)


def _card(rng: np.random.Generator) -> tuple[np.ndarray, list[Box]]:
    """A colour card: blue labels, dark values (their ink boxes returned), a colour portrait and
    a red seal."""
    card = np.clip(_background(rng), 0, 255).astype(np.uint8)
    boxes = []
    for row, value in enumerate(VALUES):
        base = 110 + 110 * row if row < 4 else 620
        x = 260 if row < 4 else 360
        cv2.putText(card, "LABEL", (60, base), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (190, 120, 50), 2, cv2.LINE_AA)
        cv2.putText(card, value, (x, base), cv2.FONT_HERSHEY_SIMPLEX, 1.3, (30, 28, 26), 3, cv2.LINE_AA)
        (w, h), below = cv2.getTextSize(value, cv2.FONT_HERSHEY_SIMPLEX, 1.3, 3)
        boxes.append((x - 3, base - h - 4, x + w + 3, base + below))
    cv2.rectangle(card, (800, 90), (1040, 420), (150, 170, 200), -1)
    cv2.ellipse(card, (920, 250), (80, 110), 0, 0, 360, (110, 140, 200), -1)
    cv2.circle(card, (150, 560), 55, (40, 40, 215), 4, cv2.LINE_AA)
    return card, boxes


def _paste(card: np.ndarray, box: Box, rng: np.random.Generator, shift: float = 9.0) -> tuple[np.ndarray, Box, Box]:
    """Cover ``box`` and a margin with a patch of the card's median colour shifted by ``shift``
    grey levels (no security lines, its own grain), then print another, larger value in it.
    The forged card, the patch and the new value's box."""
    x0, y0, x1, y1 = box
    patch = (x0 - 14, y0 - 12, x1 + 40, y1 + 12)
    region = card[patch[1] : patch[3], patch[0] : patch[2]].astype(np.float32)
    fill = np.median(region.reshape(-1, 3), axis=0) + shift + rng.normal(0, 1.5, region.shape)
    forged = card.copy()
    fill = cv2.GaussianBlur(fill.astype(np.float32), (0, 0), 0.8)
    forged[patch[1] : patch[3], patch[0] : patch[2]] = np.clip(fill, 0, 255)
    cv2.putText(forged, "1990 01 01", (x0 + 3, y1 - 10), cv2.FONT_HERSHEY_SIMPLEX, 1.45, (30, 28, 26), 3, cv2.LINE_AA)
    (w, h), below = cv2.getTextSize("1990 01 01", cv2.FONT_HERSHEY_SIMPLEX, 1.45, 3)
    return forged, patch, (x0, y1 - 10 - h - 4, x0 + 6 + w, y1 - 10 + below)


def _screen(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``image`` shown on an LCD (each display pixel an R|G|B stripe cell with a dark row) and
    photographed slightly turned: the grid aliases into moiré."""
    h, w = image.shape[:2]
    shown = cv2.resize(image, (int(w * 0.6), int(h * 0.6)), interpolation=cv2.INTER_AREA)
    cell = np.full((3, 3, 3), 0.3, np.float32)
    for column, channel in enumerate((2, 1, 0)):
        cell[:, column, channel] = 1.0
    cell[2] *= 0.55
    grid = np.tile(cell, (shown.shape[0], shown.shape[1], 1))
    up = np.repeat(np.repeat(shown, 3, axis=0), 3, axis=1).astype(np.float32) * grid * 1.9
    matrix = cv2.getRotationMatrix2D((up.shape[1] / 2, up.shape[0] / 2), float(rng.uniform(1, 2)), w / up.shape[1])
    matrix[:, 2] += (w / 2 - up.shape[1] / 2, h / 2 - up.shape[0] / 2)
    captured = cv2.warpAffine(up, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return _jpeg(np.clip(captured * np.array([1.06, 1.0, 0.93], np.float32), 0, 255).astype(np.uint8), 85, 0.5)


def _photocopy(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Grey, contrast stretched, toner grain, then photographed under a warm light."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey = np.clip((grey - 40) * 1.5 + rng.normal(0, 4, grey.shape), 0, 255)
    warm = cv2.merge([grey * 0.93, grey, grey * 1.04])
    return _jpeg(np.clip(warm, 0, 255).astype(np.uint8), 75, 0.6)


def _iou(a: Box, b: Box) -> float:
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    inter = max(0, w) * max(0, h)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _codes(signs: list[Sign]) -> set[str]:
    return {sign.code for sign in signs}


# --- capture signs ------------------------------------------------------------------------


def test_colour_card_raises_no_capture_sign() -> None:
    rng = np.random.default_rng(1)
    card, _ = _card(rng)
    assert capture_signs(card) == []
    assert capture_signs(_jpeg(card, 60, 1.0)) == []


def test_photocopy_is_flagged_with_its_colourfulness() -> None:
    rng = np.random.default_rng(2)
    card, _ = _card(rng)
    signs = capture_signs(_photocopy(card, rng))
    assert _codes(signs) == {"photocopy"}
    (sign,) = signs
    assert sign.box is None and sign.score < 8.0
    assert sign.message.startswith("复印件") and "(photocopy" in sign.message


def test_screen_recapture_is_flagged_and_a_smooth_photo_is_not() -> None:
    from skimage import data

    rng = np.random.default_rng(3)
    card, _ = _card(rng)
    signs = capture_signs(_screen(card, rng))
    assert _codes(signs) == {"screen_recapture"}
    assert signs[0].score > 0.9 and signs[0].message.startswith("翻拍屏幕")
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    assert capture_signs(_jpeg(photo, 90)) == []
    # The same photo off a screen is flagged too: the test is of the grid, not of cards.
    assert _codes(capture_signs(_screen(photo, rng))) == {"screen_recapture"}


def test_invalid_images_are_refused() -> None:
    with pytest.raises(ValueError):
        capture_signs(np.zeros((100, 100), np.uint8))
    with pytest.raises(ValueError):
        pasted_field_signs(np.zeros((100, 100, 3), np.float32), [(1, 1, 50, 20)])


# --- pasted-field signs -------------------------------------------------------------------


@pytest.mark.parametrize(("quality", "blur"), [(None, 0.0), (70, 0.8), (90, 0.4)])
def test_pasted_value_is_found_where_it_was_pasted(quality: int | None, blur: float) -> None:
    rng = np.random.default_rng(4)
    card, boxes = _card(rng)
    forged, patch, value_box = _paste(card, boxes[1], rng)
    image = forged if quality is None else _jpeg(forged, quality, blur)
    signs = pasted_field_signs(image, [value_box, *boxes[:1], *boxes[2:]])
    assert _codes(signs) == {"pasted_field"} and len(signs) == 1
    sign = signs[0]
    assert sign.box is not None and _iou(sign.box, patch) > 0.7, (sign.box, patch)
    assert sign.score >= 2.0 and sign.message.startswith("疑似粘贴")


def test_darker_patch_is_found_too() -> None:
    rng = np.random.default_rng(5)
    card, boxes = _card(rng)
    forged, patch, value_box = _paste(card, boxes[2], rng, shift=-8.0)
    signs = pasted_field_signs(_jpeg(forged, 85), [*boxes[:2], value_box, *boxes[3:]])
    assert len(signs) == 1 and _iou(signs[0].box, patch) > 0.7  # type: ignore[arg-type]


def test_untouched_card_raises_no_pasted_sign() -> None:
    rng = np.random.default_rng(6)
    card, boxes = _card(rng)
    assert pasted_field_signs(card, boxes) == []
    assert pasted_field_signs(_jpeg(card, 60, 1.0), boxes) == []
    # A weak offset (2 grey levels, under 1 L*) is below what a patch must show.
    faint, _, value_box = _paste(card, boxes[1], rng, shift=2.0)
    assert pasted_field_signs(faint, [boxes[0], value_box, *boxes[2:]]) == []


def test_redaction_bars_blanks_and_odd_boxes_are_not_pastes() -> None:
    rng = np.random.default_rng(7)
    card, boxes = _card(rng)
    redacted = card.copy()
    x0, y0, x1, y1 = boxes[0]
    cv2.rectangle(redacted, (x0 - 6, y0 - 6), (x1 + 6, y1 + 6), (0, 0, 0), -1)
    blank = (300, 440, 500, 470)  # background only
    odd = [(x1, y1, x0, y0), (-50, -50, 10, 10), (5000, 5000, 5100, 5040), (10, 10, 11, 11)]
    assert pasted_field_signs(redacted, [(x0 - 6, y0 - 6, x1 + 6, y1 + 6), blank, *boxes[1:], *odd]) == []
    assert pasted_field_signs(card, []) == []


# --- the real samples (shared evaluation data) ----------------------------------------------


# The text lines PP-OCR (rapidocr 3.10.0, ``get_ocr().read``) finds on the real ID fronts, as
# (x0, y0, x1, y1): fixed here so the test needs no OCR run (~2 s each on a loaded machine).
REAL_FRONT_LINES: dict[str, list[Box]] = {
    "cardocr_test0.png": [(26, 29, 52, 42), (26, 50, 123, 63), (27, 70, 145, 82), (26, 91, 157, 104),
                          (58, 105, 86, 118), (26, 143, 241, 157)],
    "cardocr_test1.png": [(94, 38, 166, 65), (33, 42, 83, 65), (33, 80, 123, 105), (144, 80, 217, 105),
                          (35, 119, 261, 141), (89, 160, 317, 183), (35, 161, 86, 182), (90, 191, 206, 216),
                          (36, 260, 157, 282), (171, 262, 422, 280)],
    "cardocr_test2.png": [(20, 44, 69, 57), (64, 44, 123, 57), (54, 65, 146, 77), (54, 87, 171, 101),
                          (55, 103, 140, 115), (98, 142, 249, 155), (22, 143, 100, 155)],
    "cardocr_test3.png": [(266, 76, 492, 161), (93, 96, 232, 161), (91, 207, 334, 277), (300, 211, 622, 279),
                          (90, 318, 748, 386), (88, 435, 871, 512), (261, 514, 853, 587), (93, 732, 1284, 806)],
}  # fmt: skip


def test_real_id_fronts_raise_no_sign(shared_data: Path) -> None:
    """The 4 real ID fronts are genuine photos: no capture sign, and no pasted-field sign around
    their text lines (some have black redaction bars beside them) or on the bars, also when a
    small photo is upscaled to 1000 px and re-encoded (coarse JPEG blocks and security print
    become long, straight steps; the page's clutter level must absorb them)."""
    paths = sorted((shared_data / "idcards" / "id_front").glob("*.png"))
    assert [p.name for p in paths] == sorted(REAL_FRONT_LINES)
    for path in paths:
        image = cv2.imread(str(path))
        assert capture_signs(image) == [], path.name
        boxes = REAL_FRONT_LINES[path.name]
        assert pasted_field_signs(image, boxes) == [], path.name
        if path.name == "cardocr_test3.png":  # boxes over its black name and face bars are no pastes
            assert pasted_field_signs(image, [*boxes, (272, 82, 487, 155), (1018, 292, 1226, 504)]) == []
        factor = 1000 / image.shape[1]
        upscaled = _jpeg(cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC), 90)
        scaled: list[Box] = [(round(x0 * factor), round(y0 * factor), round(x1 * factor), round(y1 * factor))
                             for x0, y0, x1, y1 in boxes]  # fmt: skip
        assert pasted_field_signs(upscaled, scaled) == [], path.name


def test_real_back_and_greyscale_renders(shared_data: Path) -> None:
    """The hand-held back is a genuine colour photo; the CCF BDCI 2019 pages are exactly grey
    renders, called photocopies by design (no colour evidence of an original card)."""
    back = cv2.imread(str(shared_data / "idcards" / "id_back" / "tr_id_card_back_handheld.jpeg"))
    assert capture_signs(back) == []
    pages = sorted((shared_data / "idcards" / "ccf_bdci2019_synthetic").glob("*.png"))
    assert pages
    for path in pages:
        assert _codes(capture_signs(cv2.imread(str(path)))) == {"photocopy"}, path.name


def test_camera_photos_are_not_screens(celeba: Path) -> None:
    """50 ordinary camera photos (CelebA): no screen-recapture sign."""
    paths = sorted(celeba.glob("*/*.jpg"))[::8][:50]
    assert len(paths) == 50
    flagged = [p.name for p in paths if "screen_recapture" in _codes(capture_signs(cv2.imread(str(p))))]
    assert flagged == []
