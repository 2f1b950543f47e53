"""Image forensics of an ID-document photo: signs that it is not the original card.

Each sign is a :class:`Sign` a bank clerk can read: capture signs over the whole image
(:func:`capture_signs`: a *photocopy* has no colour at all, while a genuine card always carries
coloured print; a *screen recapture* shows the display's pixel grid as isolated periodic peaks
in the spectrum) and pasted-field signs per printed value (:func:`pasted_field_signs`: a
rectangular patch around the value whose background is offset from the card's around it).

Thresholds were set on the test suite's synthetic documents (``tests/documents/generator.py``,
genuine and forged, mild and hard photo distortions) and checked on the real photos of the
shared evaluation data; each constant says what was measured. A greyscale image (such as the
exactly grey CCF BDCI 2019 renders there) is called a photocopy: it carries no colour evidence
of an original, which is what that sign is about. Inputs: BGR uint8, upright. Pure functions;
CPU time on one (slow, shared) core: ~15 ms for the capture signs of a 900–1400 px photo,
~10–45 ms for the pasted-field signs of a card with 6–10 boxes (more boxes, more time).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from facesaas.imaging import CENTRE_FRACTION, centre, check_bgr, grid_peak

__all__ = ["Sign", "capture_signs", "pasted_field_signs"]

Box = tuple[int, int, int, int]

# --- capture signs ------------------------------------------------------------------------

COLOUR_SIDE = 400
"""Capture measures look at the central :data:`facesaas.imaging.CENTRE_FRACTION` (80 %) of the
image each way (the card fills most of the frame; the backdrop says nothing about it); colour on
that centre shrunk to ≤ 400 px, which
averages sensor and JPEG chroma noise away while printed colour areas survive."""

PHOTOCOPY_MAX_CHROMA = 8.0
"""Colourfulness (99.5th percentile of each pixel's a*b* distance from the mean chroma of its
lightness, CIELAB units: how colourful the most colourful 0.5 % of the card is, once the tint
a coloured light gives each grey level is removed) below which the image is called a
photocopy. Measured: 60 synthetic photocopies ≤ 1.5, and 58 of 60 stay under 8 when also lit
with ±10 % channel gains, exposure and gamma changes and JPEG 70; 120 genuine synthetic photos
(mild and hard: glare, low light, JPEG 35–95) ≥ 11.4; the 5 real ID photos ≥ 18.9; 300 CelebA
photos ≥ 13.0. Colourless prints photographed by phones (shared negatives: a label, text, a
receipt) score 2.7–5.8 and are called copies, as a colourless card would be."""

SCREEN_MIN_PEAK = 0.9
"""Height of the strongest isolated spectral peak (mean log-amplitude above its surroundings,
:func:`facesaas.imaging.grid_peak`) above which the image is called a screen recapture. Measured: 60
synthetic screen recaptures 0.57–4.5 (55 above 0.9); 180 genuine synthetic photos (mild, hard,
photocopies) ≤ 0.48; the 5 real ID photos ≤ 0.34; 300 CelebA photos ≤ 0.49 except a wallpaper
graphic (0.81) and a scanned halftone print (1.84, truly periodic: a halftoned colour copy of
a card is flagged as a recapture too)."""


@dataclass(frozen=True)
class Sign:
    """One sign that the image is not the original card: ``code`` ("photocopy",
    "screen_recapture" or "pasted_field"), ``message`` (Chinese, then English), ``box`` where
    it is (x0, y0, x1, y1 pixels in the image given; None for a whole-image sign) and ``score``,
    the measured statistic that crossed its threshold (see the module constants)."""

    code: str
    message: str
    box: Box | None
    score: float


def _colourfulness(bgr: np.ndarray) -> float:
    """How colourful the card is (:data:`PHOTOCOPY_MAX_CHROMA`)."""
    middle = centre(bgr, CENTRE_FRACTION)
    factor = -(-max(middle.shape[:2]) // COLOUR_SIDE)  # an integer factor: area averaging is fast
    if factor > 1:
        size = (middle.shape[1] // factor, middle.shape[0] // factor)
        middle = cv2.resize(middle, size, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(middle.astype(np.float32) / 255, cv2.COLOR_BGR2LAB)
    # A 3×3 median drops the one-pixel colour fringes that demosaicing and JPEG leave on edges;
    # clipped pixels carry no colour information.
    unclipped = cv2.max(cv2.max(middle[..., 0], middle[..., 1]), middle[..., 2]) < 250
    lightness, a, b = (cv2.medianBlur(np.ascontiguousarray(lab[..., i]), 3)[unclipped] for i in range(3))
    if lightness.size < 100:
        return 0.0
    # Colour is measured against the mean chroma of pixels of the same lightness (4-L* bins): a
    # grey copy under coloured light, exposure and tone curve has one chroma per lightness.
    bins = (lightness / 4).astype(int)
    counts = np.maximum(np.bincount(bins), 1)
    deviation = np.hypot(a - (np.bincount(bins, a) / counts)[bins], b - (np.bincount(bins, b) / counts)[bins])
    return float(np.percentile(deviation, 99.5))


def capture_signs(bgr: np.ndarray) -> list[Sign]:
    """Whole-image signs that the card is not the original: a photocopy (no colour: the card's
    colourfulness is under :data:`PHOTOCOPY_MAX_CHROMA`) or a screen recapture (an isolated
    periodic peak of a pixel grid over :data:`SCREEN_MIN_PEAK`; a bluish cast is reported, not
    decided on: white balance varies too much). ``bgr``: the upright photo. ~15 ms."""
    check_bgr(bgr)
    signs = []
    colourfulness = _colourfulness(bgr)
    if colourfulness < PHOTOCOPY_MAX_CHROMA:
        low, high = np.percentile(cv2.cvtColor(centre(bgr, CENTRE_FRACTION), cv2.COLOR_BGR2GRAY), (2, 98))
        signs.append(Sign(
            "photocopy",
            f"复印件：图像无彩色（色度 {colourfulness:.1f}，灰度 {low:.0f}–{high:.0f}）"
            f" (photocopy: no colour in the card, colourfulness {colourfulness:.1f} < {PHOTOCOPY_MAX_CHROMA:g},"
            f" grey levels {low:.0f}–{high:.0f})",
            None, colourfulness,
        ))  # fmt: skip
    peak, period = grid_peak(bgr, CENTRE_FRACTION)
    if peak > SCREEN_MIN_PEAK:
        blue, _, red = (float(v) for v in cv2.mean(centre(bgr, CENTRE_FRACTION))[:3])
        bluish = blue > red + 8
        signs.append(Sign(
            "screen_recapture",
            f"翻拍屏幕：图像有像素栅格/摩尔纹（周期 {period:.1f} 像素{'，偏蓝' if bluish else ''}）"
            f" (screen recapture: periodic pixel-grid peak {peak:.2f} > {SCREEN_MIN_PEAK:g} at a {period:.1f} px period"
            f"{f', bluish cast (B-R {blue - red:.0f})' if bluish else ''})",
            None, peak,
        ))  # fmt: skip
    return signs


# --- pasted-field signs -------------------------------------------------------------------

WORK_TEXT_HEIGHT = 24
"""The page is scaled (down only) so the median box is ~24 px tall: enough for edges a few
pixels from the text, cheap for a dozen boxes."""

BAND, GAP, INK_CONTRAST = 3, 1, 8.0
"""An edge compares, column by column along it, the mean colour of a 3-px band inside with a
3-px band outside, skipping the 1-px row on each side (blur, JPEG ringing). Ink (darker than
the local paper by over 8 L*, grown by a pixel) is left out, so only background counts."""

DEPTH_ACROSS, DEPTH_ALONG = 1.0, 2.0
"""How far from the ink edges are looked for, in text heights: above/below, and left/right (a
re-printed value is shorter or longer than the one it covers; its patch spans both)."""

STEP_MIN = 2.0
"""Weakest step (CIELAB distance between the bands) that counts as an edge of a patch. The
synthetic forgeries shift the patch by 5–12 grey levels (2–5 L*); no three-sided patch reaches
1.0 around any of ~2,100 genuine synthetic boxes (clean and JPEG/blurred), the best around the
102 OCR boxes of the 9 real samples is 1.6."""

CLUTTER_FACTOR = 1.25
"""An edge must also exceed 1.25 × the page's clutter: the 90th percentile of the steps of all
candidate edges around all its boxes, mostly coincidental. Synthetic cards 0.65–1.4 (the floor
applies); the real photos 2.3–3.2 (stronger security print, JPEG blocks, upscaling), where a
2-unit step is no evidence: without this, real ID photos upscaled to 1000 px showed
three-sided "patches" of up to 3.2."""

CONSISTENT = 0.7
"""Share of the columns along an edge whose own step agrees with the edge's median step (over
half its size, same direction): a straight edge along the whole span, not a wavy security
line or a stroke of the neighbouring text."""

PATCH_MIN_SIDES = 3
"""Sides (of 4) with an edge, all brighter or all darker inside, for a patch. One side can be
a card or portrait border, two a corner; a patch running off the card still shows three."""

DARK_FILL = 15.0
"""A box more than half filled with near-black (L* < 15) is a redaction bar, not print."""

ROW_BASELINE, ROW_HEIGHT = 0.06, 1.3
"""Two boxes on one printed row (ink overlapping ≥ 50 % vertically) disagree if their ink
bottoms differ by over 0.06 text heights or their ink heights by over 30 %. Reported with a
patch, never decided on: genuine synthetic rows stay within 0.04, the synthetic pastes (2–6 px
off) reach 0.03–0.16, but OCR lines of real rows differ legitimately (a label and its value up
to 0.09; overprinted stamps up to 0.7 and 4× the height)."""

_SIDES = ("top", "bottom", "left", "right")
_LAB_SCALE = np.array([100 / 255, 1, 1], np.float32)
_LAB_OFFSET = np.array([0, 128, 128], np.float32)
_Steps = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class _Field:
    """A text box on the prepared page: the page's 8-bit Lab image and not-ink mask (``clean``)
    at the working scale, and the bounding box of the box's ink in them."""

    lab: np.ndarray
    clean: np.ndarray
    ink: Box


def _prepare(bgr: np.ndarray, boxes: list[Box], scale: float) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The part of the page around ``boxes`` at ``scale``: Lab, not-ink mask, origin (image px)."""
    reach = int(np.ceil((DEPTH_ALONG * max(b[3] - b[1] for b in boxes) * scale + 2 * (BAND + GAP) + 4) / scale))
    height, width = bgr.shape[:2]
    ox, oy = max(0, min(b[0] for b in boxes) - reach), max(0, min(b[1] for b in boxes) - reach)
    crop = bgr[oy : min(height, max(b[3] for b in boxes) + reach), ox : min(width, max(b[2] for b in boxes) + reach)]
    if scale != 1.0:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # 8-bit Lab (L* × 2.55, a* + 128, b* + 128) is 3× faster than float; the strips measured
    # are turned into CIELAB units one by one (:func:`_steps`).
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)
    lightness = lab[..., 0].astype(np.float32) * _LAB_SCALE[0]
    k = WORK_TEXT_HEIGHT // 2 | 1
    paper = cv2.GaussianBlur(cv2.dilate(lightness, np.ones((k, k), np.uint8)), (0, 0), k / 3)
    ink = cv2.dilate((lightness < paper - INK_CONTRAST).astype(np.uint8), np.ones((3, 3), np.uint8))
    return lab, ink == 0, (ox, oy)


def _field(lab: np.ndarray, clean: np.ndarray, box: Box) -> _Field | None:
    """The field of a box in working pixels; None without ink (a blank, a glare) or for a
    redaction bar (:data:`DARK_FILL`)."""
    x0, y0, x1, y1 = box
    inside = ~clean[y0:y1, x0:x1]
    if inside.size == 0 or inside.mean() < 0.02 or (lab[y0:y1, x0:x1, 0] < DARK_FILL / _LAB_SCALE[0]).mean() > 0.5:
        return None
    rows, cols = np.flatnonzero(inside.mean(1) > 0.02), np.flatnonzero(inside.mean(0) > 0.02)
    return _Field(lab, clean, (x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1))


def _strip(array: np.ndarray, side: str, ink: Box, span: tuple[int, int], depth: int) -> np.ndarray:
    """``depth`` rows outward from the ink's ``side`` over ``span`` (columns for top/bottom,
    rows for left/right), turned so that row 0 touches the ink and rows go outward."""
    x0, y0, x1, y1 = ink
    a, b = span
    if side == "top":
        part = array[max(0, y0 - depth) : y0, a:b][::-1]
    elif side == "bottom":
        part = array[y1 : y1 + depth, a:b]
    elif side == "left":
        part = array[a:b, max(0, x0 - depth) : x0].swapaxes(0, 1)[::-1]
    else:
        part = array[a:b, x1 : x1 + depth].swapaxes(0, 1)
    return np.ascontiguousarray(part)


def _steps(field: _Field, side: str, span: tuple[int, int], distances: np.ndarray) -> _Steps:
    """Edges parallel to the ink's ``side`` at ``distances`` (px from the ink), vectorised: the
    median inside-minus-outside Lab step (n, 3), its consistency along the edge
    (:data:`CONSISTENT`), its prominence over the steps a band further in and out (a gradient
    or a thin line has none) and the distances that could be measured."""
    reach = int(distances.max(initial=0)) + GAP + BAND + 1
    # Every other column of long edges: neighbouring columns are near-duplicates (blur, bands).
    every = 2 if span[1] - span[0] > 64 else 1
    lab = _strip(field.lab, side, field.ink, span, reach)[:, ::every].astype(np.float32) * _LAB_SCALE - _LAB_OFFSET
    clean = _strip(field.clean, side, field.ink, span, reach)[:, ::every]
    rows, cols = clean.shape
    distances = distances[(distances >= GAP + BAND) & (distances <= rows - GAP - BAND)].astype(int)
    if len(distances) == 0 or cols < 3:
        return np.zeros((0, 3)), np.zeros(0), np.zeros(0), distances
    weight = clean.astype(np.float32)
    sums = np.concatenate([np.zeros((1, cols, 3), np.float32), np.cumsum(lab * weight[..., None], 0)])
    counts = np.concatenate([np.zeros((1, cols), np.float32), np.cumsum(weight, 0)])
    n_in = counts[distances - GAP] - counts[distances - GAP - BAND]
    n_out = counts[distances + GAP + BAND] - counts[distances + GAP]
    inner = (sums[distances - GAP] - sums[distances - GAP - BAND]) / np.maximum(n_in, 1)[..., None]
    outer = (sums[distances + GAP + BAND] - sums[distances + GAP]) / np.maximum(n_out, 1)[..., None]
    diff, usable = inner - outer, (n_in >= 2) & (n_out >= 2)  # (distances, columns, 3)
    n_usable = usable.sum(1)
    # Median over usable columns: unusable ones sort last as +inf, take the middle usable one.
    ordered = np.sort(np.where(usable[..., None], diff, np.inf), axis=1)
    middle = np.clip((n_usable - 1) // 2, 0, cols - 1)
    step = np.take_along_axis(ordered, middle[:, None, None].repeat(3, 2), 1)[:, 0]
    step = np.where(n_usable[:, None] > 0, step, 0.0)
    size = np.linalg.norm(step, axis=1)
    unit = step / np.maximum(size, 1e-6)[:, None]
    along = np.einsum("nck,nk->nc", np.where(usable[..., None], diff, 0.0), unit)
    agree = ((along > 0.5 * size[:, None]) & usable).sum(1)
    consistency = np.where(n_usable >= 3, agree / np.maximum(n_usable, 1), 0.0)
    prominence = size.copy()
    for offset in (-(GAP + BAND + 1), GAP + BAND + 1):
        index = np.arange(len(distances)) + offset
        valid = (index >= 0) & (index < len(distances))
        neighbour = np.zeros_like(size)
        neighbour[valid] = np.einsum("nk,nk->n", step[index[valid]], unit[valid])
        prominence = np.minimum(prominence, size - np.maximum(neighbour, 0.0))
    return step, consistency, prominence, distances


def _candidates(field: _Field) -> dict[str, _Steps]:
    """Candidate edges on each side of the ink, out to :data:`DEPTH_ACROSS`/:data:`DEPTH_ALONG`."""
    x0, y0, x1, y1 = field.ink
    return {
        side: _steps(field, side, (x0, x1) if side in ("top", "bottom") else (y0, y1),
                     np.arange(1, int((DEPTH_ACROSS if side in ("top", "bottom") else DEPTH_ALONG) * (y1 - y0)) + 1))
        for side in _SIDES
    }  # fmt: skip


def _patch(field: _Field, found: dict[str, _Steps], threshold: float) -> tuple[dict[str, int], float]:
    """The patch around a field: side → edge distance (working px) and the weakest edge's step,
    the better of "brighter inside on every side" and "darker inside on every side"."""
    x0, y0, x1, y1 = field.ink
    rows, cols = field.clean.shape
    best: tuple[dict[str, int], float] = ({}, 0.0)
    for sign in (1.0, -1.0):
        chosen = {}
        for side, (step, consistency, prominence, distances) in found.items():
            size = np.linalg.norm(step, axis=1)
            # L* carries the direction (a patch is brighter or darker all round) and most of it.
            edge = (size > threshold) & (consistency > CONSISTENT) & (prominence > 0.5 * size)
            edge &= (np.sign(step[:, 0]) == sign) & (np.abs(step[:, 0]) > 0.5 * size)
            if edge.any():
                chosen[side] = int(distances[int(np.argmax(np.where(edge, size * consistency, -1.0)))])
        if len(chosen) < PATCH_MIN_SIDES:  # re-measuring can only drop sides
            continue
        # Re-measure each edge along its full length, out to the neighbouring edges: a patch's
        # edges run past the text's ends to its corners, coincidental steps do not.
        span_x = (max(0, x0 - chosen.get("left", 0)), min(cols, x1 + chosen.get("right", 0)))
        span_y = (max(0, y0 - chosen.get("top", 0)), min(rows, y1 + chosen.get("bottom", 0)))
        confirmed, sizes = {}, []
        for side, distance in chosen.items():
            span = span_x if side in ("top", "bottom") else span_y
            step, consistency, _, _ = _steps(field, side, span, np.arange(distance - 1, distance + 2))
            size = np.linalg.norm(step, axis=1)
            edge = (size > threshold) & (consistency > CONSISTENT) & (np.sign(step[:, 0]) == sign)
            if edge.any():
                confirmed[side] = distance
                sizes.append(float(size[edge].max()))
        if (len(confirmed), min(sizes, default=0.0)) > (len(best[0]), best[1]):
            best = (confirmed, min(sizes, default=0.0))
    return best


def _row_conflict(field: _Field, fields: list[_Field | None]) -> tuple[str, str]:
    """How the field's text disagrees with another box's on its printed row (:data:`ROW_BASELINE`,
    :data:`ROW_HEIGHT`), in Chinese and English, or two empty strings."""
    _, top, _, bottom = field.ink
    for other in fields:
        if other is None or other is field:
            continue
        _, other_top, _, other_bottom = other.ink
        tall, short = max(bottom - top, other_bottom - other_top), max(1, min(bottom - top, other_bottom - other_top))
        if min(bottom, other_bottom) - max(top, other_top) < 0.5 * short:
            continue
        offset, ratio = abs(bottom - other_bottom) / tall, tall / short
        if offset > ROW_BASELINE or ratio > ROW_HEIGHT:
            return "；与同行文字基线或字高不一致", f"; baseline {offset:.2f} text heights off its row, height ratio {ratio:.2f}"
    return "", ""


def pasted_field_signs(bgr: np.ndarray, boxes: list[Box]) -> list[Sign]:
    """Signs that a printed value was cut and pasted. ``boxes``: the OCR'd value lines, (x0, y0,
    x1, y1) pixels in this upright image. A patch is step edges in the text-free background
    around a box's ink (:func:`_steps`) on :data:`PATCH_MIN_SIDES` sides, all brighter or all
    darker inside, straight along their full length and above the page's threshold
    (:data:`STEP_MIN`, :data:`CLUTTER_FACTOR`); a baseline or height disagreeing with the row
    is added to the message. One Sign per suspicious box: ``box`` = the patch (image px; the
    text box's side where no edge was seen), ``score`` = its weakest edge's step (CIELAB).
    Boxes without ink (redactions, blanks) are skipped. ~3–5 ms per box."""
    check_bgr(bgr)
    height, width = bgr.shape[:2]
    xs = [sorted(min(max(int(v), 0), width) for v in (b[0], b[2])) for b in boxes]
    ys = [sorted(min(max(int(v), 0), height) for v in (b[1], b[3])) for b in boxes]
    clipped: list[Box] = [(x[0], y[0], x[1], y[1]) for x, y in zip(xs, ys, strict=True)]
    usable = [b for b in clipped if b[2] - b[0] >= 4 and b[3] - b[1] >= 4]
    if not usable:
        return []
    scale = min(1.0, WORK_TEXT_HEIGHT / float(np.median([b[3] - b[1] for b in usable])))
    lab, clean, (ox, oy) = _prepare(bgr, usable, scale)
    fields = [
        _field(lab, clean, (round((b[0] - ox) * scale), round((b[1] - oy) * scale),
                            round((b[2] - ox) * scale), round((b[3] - oy) * scale))) if b in usable else None
        for b in clipped
    ]  # fmt: skip
    found = [None if field is None else _candidates(field) for field in fields]
    # The page's clutter: how big coincidental steps around its text are (security print, JPEG
    # blocks, upscaling); a patch edge must stand well above them.
    sizes = np.concatenate([np.zeros(0)] + [np.linalg.norm(c[0], axis=1) for f in found if f for c in f.values()])
    threshold = max(STEP_MIN, CLUTTER_FACTOR * float(np.percentile(sizes, 90))) if len(sizes) else STEP_MIN
    signs = []
    for box, field, steps in zip(clipped, fields, found, strict=True):
        if field is None or steps is None:
            continue
        edges, score = _patch(field, steps, threshold)
        if len(edges) < PATCH_MIN_SIDES:
            continue
        ix0, iy0, ix1, iy1 = field.ink
        patch = (
            round(ox + (ix0 - edges["left"]) / scale) if "left" in edges else box[0],
            round(oy + (iy0 - edges["top"]) / scale) if "top" in edges else box[1],
            round(ox + (ix1 + edges["right"]) / scale) if "right" in edges else box[2],
            round(oy + (iy1 + edges["bottom"]) / scale) if "bottom" in edges else box[3],
        )
        sides = "".join({"top": "上", "bottom": "下", "left": "左", "right": "右"}[s] for s in edges)
        row_zh, row_en = _row_conflict(field, fields)
        signs.append(Sign(
            "pasted_field",
            f"疑似粘贴：文字周围有矩形补丁，{sides}边背景突变（{score:.1f}）{row_zh}"
            f" (pasted field: a rectangular patch around the text, background steps of ≥{score:.1f} on the"
            f" {', '.join(edges)} sides{row_en})",
            patch, score,
        ))  # fmt: skip
    return signs
