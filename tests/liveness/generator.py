"""Liveness (presentation-attack) test sequences built on real CelebA photos.

Each generator returns a :class:`Sequence`: frames of one scene as a phone's front camera would
capture it, its kind ("live" or one of :data:`ATTACKS`) and a JSON-serialisable ``meta`` with the
random choices and per-frame geometry. Images are ``(height, width, 3)`` BGR uint8; points are
``(x, y)`` float px, y down, pixel centres at integers (OpenCV); landmarks are ``(5, 2)`` in the
detector's order (eye on the image's left, eye on the image's right, nose tip, left and right
mouth corner); frames are ``size`` px tall and ``3 * size // 4`` wide (a portrait selfie);
luminance is BT.601 luma on 0–255 (OpenCV's grey); IOD is the inter-ocular distance in px.
All randomness comes from the ``numpy.random.Generator`` passed in: equal seeds give identical
frames. Nothing runs at import time; the detector loads on first use of :func:`landmarks_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ATTACKS = ("print", "screen", "eye_occlusion", "holed_mask", "dark")
OCCLUDERS = ("sunglasses", "hand", "finger", "bar", "sticker", "hair")
# Mean face luminance (0–255) of each darkness level; "high" is the darkest scene.
DARK_LEVELS: dict[str, tuple[float, float]] = {"high": (10.0, 25.0), "medium": (25.0, 50.0), "low": (50.0, 80.0)}

# Detector box height over the eye-midpoint-to-mouth-midpoint distance (2.85) and over the IOD
# (3.0): medians over 100 celeba photos. The larger estimate wins, so a turned head (short IOD)
# or a nodding one (short eye–mouth distance) does not pass for a small face.
_FACE_PER_EYE_MOUTH, _FACE_PER_IOD = 2.85, 3.0
# Filmed planes are drawn at twice the frame resolution and area-averaged, as a sensor
# integrates light over each pixel, so print and screen structure aliases as it would in a camera.
_SS = 2


@dataclass(frozen=True)
class Sequence:
    """Frames of one scene (BGR uint8, equal shapes), its kind and what was applied."""

    frames: list[np.ndarray]
    kind: str  # "live" or an entry of ATTACKS
    meta: dict = field(default_factory=dict)


def load_identities(celeba_dir: Path) -> dict[str, list[Path]]:
    """Photo paths per identity from ``celeba_dir/labels.tsv`` (columns ``image`` relative to
    ``celeba_dir``, ``identity``), in file order."""
    identities: dict[str, list[Path]] = {}
    for line in (Path(celeba_dir) / "labels.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            image, identity = line.split("\t")[:2]
            identities.setdefault(identity.strip(), []).append(Path(celeba_dir) / image.strip())
    return identities


def landmarks_of(bgr: np.ndarray) -> np.ndarray | None:
    """Landmarks ``(5, 2)`` float64 px of the main face the project's detector finds in a BGR
    uint8 image, or None; loads the models on first use (~0.6 s).

    The main face is the most confident one at least half as tall as the largest: the largest
    box alone is sometimes a false face on a shirt (score ~0.75 against the real face's ~0.93).
    """
    from facesaas.face.engine import get_engine

    detections = get_engine(2).detector.detect(bgr)
    tall = [d for d in detections if d.box[3] >= 0.5 * detections[0].box[3]]
    return np.asarray(max(tall, key=lambda d: d.score).landmarks, np.float64) if tall else None


def frame_shape(size: int) -> tuple[int, int]:
    """``(height, width)`` px of the frames generated for ``size``: portrait 4:3."""
    return size, (3 * size) // 4


def face_height(landmarks: np.ndarray) -> float:
    """Estimated height (px) of the detector's face box, forehead to chin, from landmarks."""
    p = np.asarray(landmarks, np.float64)
    return float(max(_FACE_PER_EYE_MOUTH * np.linalg.norm(p[3:5].mean(0) - p[0:2].mean(0)), _FACE_PER_IOD * _iod(p)))


def asymmetry(landmarks: np.ndarray) -> float:
    """Distance from frontal in IODs: how much the nose's distances to the two eyes and to the
    two mouth corners differ (0 for a frontal face)."""
    p = np.asarray(landmarks, np.float64)
    dist = np.linalg.norm(p - p[2], axis=1)
    return float((abs(dist[0] - dist[1]) + abs(dist[3] - dist[4])) / _iod(p))


def _iod(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(landmarks)[1] - np.asarray(landmarks)[0]))


def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map ``(N, 2)`` points by a 2×3 affine or 3×3 projective matrix."""
    m = np.asarray(matrix, np.float64)
    m = np.vstack([m, [0.0, 0.0, 1.0]]) if m.shape == (2, 3) else m
    h = np.c_[np.asarray(points, np.float64), np.ones(len(points))] @ m.T
    return h[:, :2] / h[:, 2:3]


def _ss_matrix() -> np.ndarray:
    """Frame px → supersampled px: area-averaging by 1/2 makes frame pixel x the mean of
    supersampled pixels 2x and 2x + 1, whose centre is 2x + 0.5."""
    return np.array([[_SS, 0, (_SS - 1) / 2], [0, _SS, (_SS - 1) / 2], [0, 0, 1]], np.float64)


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2×3 similarity (rotation, uniform scale, shift) taking src[0], src[1] onto dst[0], dst[1]."""
    z = complex(*(dst[1] - dst[0])) / complex(*(src[1] - src[0]))
    rot = np.array([[z.real, -z.imag], [z.imag, z.real]])
    return np.c_[rot, dst[0] - rot @ src[0]]


def _points(array: np.ndarray) -> list:
    """Nested lists of floats rounded to 1/1000, for ``meta``."""
    return np.round(np.asarray(array, np.float64), 3).tolist()


def _warp(photo: np.ndarray, matrix: np.ndarray, shape: tuple[int, int], *, fill: str = "blur") -> np.ndarray:
    """Warp a BGR photo by a 2×3 affine ``matrix`` (photo px → output px) to ``shape`` (height,
    width); float32 0–255. Outside the photo ``fill="blur"`` continues it as a heavily blurred
    mirror image (an out-of-focus background: a black letterbox would be a give-away no camera
    produces), ``fill="black"`` leaves zeros (a photo viewer's letterbox)."""
    m = np.vstack([np.asarray(matrix, np.float64), [0.0, 0.0, 1.0]])
    scale, src = float(np.sqrt(abs(np.linalg.det(m[:2, :2])))), photo
    if scale < 0.8:
        # Bilinear sampling of a strongly shrunk photo aliases: area-average it first and fold
        # that resize (cv2 maps x to s·(x + 0.5) − 0.5) into the matrix.
        height, width = photo.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        src = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)
        sx, sy = size[0] / width, size[1] / height
        m = m @ np.linalg.inv(np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]]))
    src, size = src.astype(np.float32), (shape[1], shape[0])
    out = cv2.warpAffine(src, m[:2], size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    cover = cv2.warpAffine(np.ones(src.shape[:2], np.float32), m[:2], size, flags=cv2.INTER_LINEAR)[..., None]
    if fill == "black":
        return out * cover
    return out * cover + cv2.GaussianBlur(out, (0, 0), 0.04 * max(shape)) * (1 - cover)


def _placement(landmarks: np.ndarray, shape: tuple[int, int], fraction: float, anchor: np.ndarray) -> np.ndarray:
    """2×3 matrix (photo px → frame px, scale and shift) making the face ``fraction`` of the
    frame height with the nose tip at ``anchor`` (x, y) px."""
    s = fraction * shape[0] / face_height(landmarks)
    return np.array([[s, 0, anchor[0] - s * landmarks[2][0]], [0, s, anchor[1] - s * landmarks[2][1]]])


def _anchor(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Where a selfie puts the nose tip (x, y px): near the middle, a little off."""
    return np.array([shape[1] * rng.uniform(0.45, 0.55), shape[0] * rng.uniform(0.46, 0.54)])


def _camera(scene: np.ndarray, rng: np.random.Generator, *, blur: float, noise: float, quality: int) -> np.ndarray:
    """Capture a float BGR 0–255 scene: optical blur (Gaussian sigma, px), sensor noise (sigma on
    0–255 at mid-grey: read noise plus shot noise growing as the square root of the signal),
    rounding to uint8, JPEG at ``quality``."""
    out = cv2.GaussianBlur(scene.astype(np.float32), (0, 0), blur) if blur > 0 else scene.astype(np.float32)
    if noise > 0:
        out = out + noise * np.sqrt(0.3 + 0.7 * np.clip(out, 0, None) / 128) * rng.standard_normal(out.shape, dtype=np.float32)
    ok, data = cv2.imencode(".jpg", np.clip(np.round(out), 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def _poly_mask(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """Anti-aliased coverage (float32 0–1, ``shape`` (height, width)) of filled ``(N, 2)`` px
    polygons, drawn at 1/16 px precision."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(np.asarray(p) * 16).astype(np.int32) for p in polygons], 255, cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) / 255


def _ellipse(centre: np.ndarray, axes: tuple[float, float], angle: float, n: int = 48) -> np.ndarray:
    """Polygon ``(n, 2)`` of an ellipse with semi-axes (px) along and across ``angle`` (rad)."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y, c, s = axes[0] * np.cos(t), axes[1] * np.sin(t), np.cos(angle), np.sin(angle)
    return np.stack([centre[0] + c * x - s * y, centre[1] + s * x + c * y], 1)


def _capsule(p0: np.ndarray, p1: np.ndarray, radius: float, n: int = 12) -> np.ndarray:
    """Polygon of segment p0–p1 thickened by ``radius`` px, with round ends."""
    a = np.arctan2(*(p1 - p0)[::-1])
    arcs = [(p1, a + np.linspace(-np.pi / 2, np.pi / 2, n)), (p0, a + np.linspace(np.pi / 2, 3 * np.pi / 2, n))]
    return np.concatenate([c + radius * np.stack([np.cos(t), np.sin(t)], 1) for c, t in arcs])


def _over(image: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``image`` with ``colour`` (BGR triple or image) painted on at coverage ``alpha`` (H, W)."""
    return image * (1 - alpha[..., None]) + np.asarray(colour, np.float32) * alpha[..., None]


def live_sequence(
    photos: list[np.ndarray], rng: np.random.Generator, *, size: int = 480, landmarks: list[np.ndarray | None] | None = None
) -> Sequence:
    """A live person: each frame a different real photo of one identity (real 3-D pose and
    expression changes), the most frontal (least :func:`asymmetry`) first, the rest in random
    order; each scaled so the face is 35–55 % of the frame height, nose near the middle; mild
    camera noise and JPEG (80–95). ``landmarks`` default to :func:`landmarks_of`; photos
    without a face are left out (``meta["dropped"]``)."""
    landmarks = [landmarks_of(photo) for photo in photos] if landmarks is None else landmarks
    usable = [i for i, points in enumerate(landmarks) if points is not None]
    if not usable:
        raise ValueError("no photo with a detectable face")
    first = min(usable, key=lambda i: asymmetry(landmarks[i]))
    order = [first, *(int(i) for i in rng.permutation([i for i in usable if i != first]))]
    shape = frame_shape(size)
    # One selfie distance and framing for the sequence; the hand-held phone wobbles a little.
    base, anchor = rng.uniform(0.39, 0.51), _anchor(rng, shape)
    frames, marks, fractions, qualities = [], [], [], []
    for i in order:
        points = np.asarray(landmarks[i], np.float64)
        fractions.append(round(float(np.clip(base * rng.uniform(0.93, 1.07), 0.35, 0.55)), 4))
        matrix = _placement(points, shape, fractions[-1], anchor + rng.uniform(-0.02, 0.02, 2) * shape[0])
        qualities.append(int(rng.integers(80, 96)))
        scene = _warp(photos[i], matrix, shape)
        frames.append(_camera(scene, rng, blur=rng.uniform(0, 0.5), noise=rng.uniform(1, 2.5), quality=qualities[-1]))
        marks.append(_points(_apply(matrix, points)))
    meta = {"order": order, "dropped": [i for i in range(len(photos)) if i not in usable], "face_fraction": fractions,
            "asymmetry": [round(asymmetry(landmarks[i]), 4) for i in order], "jpeg_quality": qualities, "landmarks": marks}
    return Sequence(frames, "live", meta)


# A normally exposed scene is simply the live sequence.
normal_exposure = live_sequence


def _face_box(landmarks: np.ndarray, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """Inner-face box ``(x0, y0, x1, y1)`` px (ends exclusive) from above the eyes to below the
    mouth, clipped to ``shape`` (height, width): skin, eyes and mouth, little background."""
    p, d = np.asarray(landmarks), _iod(landmarks)
    x0, x1 = p[:, 0].min() - 0.2 * d, p[:, 0].max() + 0.2 * d
    y0, y1 = p[:2, 1].min() - 0.25 * d, p[3:, 1].max() + 0.15 * d
    return max(0, int(x0)), max(0, int(y0)), min(shape[1], int(np.ceil(x1))), min(shape[0], int(np.ceil(y1)))


def _encode(signal: np.ndarray, gain: float, gamma: float) -> np.ndarray:
    """Linear sensor signal (1 = full scale) → float32 0–255 after ``gain`` and a 1/gamma curve."""
    return (255 * np.clip(gain * signal, 0, 1) ** (1 / gamma)).astype(np.float32)


def dark_exposure(
    photo: np.ndarray, rng: np.random.Generator, *, level: str, landmarks: np.ndarray | None = None, frames: int = 1, size: int = 480
) -> Sequence:
    """A live person in a dark room; ``level`` is how dark: "high" (face mean luminance 10–25),
    "medium" (25–50) or "low" (50–80). The photo, as scene radiance (gamma 2.2 decoded) placed
    as in :func:`live_sequence`, is captured with few photo-electrons (fewer the darker the
    level): shot noise (Poisson, as a Gaussian) plus read noise, so noise grows as exposure
    drops. A low gain, bisected so the inner-face mean hits a target in the level's range, and
    a steeper gamma (2.2–2.6) make it dark; then a slight denoising blur and JPEG (70–90).
    Extra frames: the same exposure, fresh noise. ``landmarks`` default to :func:`landmarks_of`."""
    if level not in DARK_LEVELS:
        raise ValueError(f"level must be one of {tuple(DARK_LEVELS)}")
    points = landmarks_of(photo) if landmarks is None else np.asarray(landmarks, np.float64)
    if points is None:
        raise ValueError("no detectable face in the photo")
    (low, high), shape = DARK_LEVELS[level], frame_shape(size)
    matrix = _placement(points, shape, rng.uniform(0.39, 0.51), _anchor(rng, shape))
    marks = _apply(matrix, points)
    x0, y0, x1, y1 = _face_box(marks, shape)
    electrons = float({"high": rng.uniform(40, 120), "medium": rng.uniform(150, 400), "low": rng.uniform(400, 1200)}[level])
    read_noise, gamma = float(rng.uniform(2, 4)), float(rng.uniform(2.2, 2.6))
    cast = np.array([rng.uniform(0.85, 1.0), 1.0, rng.uniform(1.0, 1.1)], np.float32)  # tungsten-ish white balance
    signal = (_warp(photo, matrix, shape) / 255) ** 2.2 * cast * electrons
    luma = np.array([0.114, 0.587, 0.299], np.float32)
    # One exposure target for the still scene; the gain per frame differs only through the noise.
    target = round(float(rng.uniform(low + 0.12 * (high - low), high - 0.12 * (high - low))), 3)
    out, gains, qualities = [], [], []
    for _ in range(frames):
        noisy = signal + np.sqrt(signal) * rng.standard_normal(signal.shape, dtype=np.float32)
        noisy = (noisy + read_noise * rng.standard_normal(signal.shape, dtype=np.float32)) / electrons
        lo, hi = -9.0, 3.0  # log gain; the mean face luma rises monotonically with it
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if float((_encode(noisy[y0:y1, x0:x1], np.exp(mid), gamma) @ luma).mean()) < target else (lo, mid)
        gains.append(round(float(np.exp((lo + hi) / 2)), 6))
        qualities.append(int(rng.integers(70, 91)))
        # The phone's noise reduction blurs a little; the mean, which the target is about, stays.
        out.append(_camera(_encode(noisy, gains[-1], gamma), rng, blur=rng.uniform(0.4, 0.8), noise=0, quality=qualities[-1]))
    meta = {"level": level, "target_luminance": target, "gain": gains, "electrons_full_scale": round(electrons, 2),
            "read_noise_electrons": round(read_noise, 3), "gamma": round(gamma, 3), "white_balance_bgr": _points(cast),
            "jpeg_quality": qualities, "landmarks": [_points(marks)] * frames, "face_box": [x0, y0, x1, y1]}
    return Sequence(out, "dark", meta)


def _print_texture(
    photo: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, face_px: float, *, width: tuple[float, float] = (1.8, 2.4)
) -> tuple[np.ndarray, np.ndarray, dict]:
    """The photo printed on paper: float32 BGR 0–255 at ``face_px`` px per face height, a crop
    ``width`` face heights wide (1.25–1.45 times as tall) around the face. Gamut squeezed in Lab
    (chroma 55–85 %, ink black at L* 12–25, paper white at L* 88–96), a warm or cyan cast,
    optional CMY halftone dots, ink-spread blur, optional white paper border, paper grain and
    fibres. Returns (texture, landmarks in texture px, meta)."""
    points = np.asarray(landmarks, np.float64)
    face, centre = face_height(points), (points[0:2].mean(0) + points[3:5].mean(0)) / 2
    crop_w = face * rng.uniform(*width)
    crop_h = crop_w * rng.uniform(1.25, 1.45)  # photo print proportions, 4:5 to 2:3
    x0 = max(-0.5, centre[0] - crop_w / 2 + rng.uniform(-0.08, 0.08) * face)
    y0 = max(-0.5, centre[1] - 0.45 * crop_h + rng.uniform(-0.08, 0.08) * face)
    x1, y1 = min(photo.shape[1] - 0.5, x0 + crop_w), min(photo.shape[0] - 0.5, y0 + crop_h)
    s = face_px / face
    matrix = np.array([[s, 0, -s * x0 - 0.5], [0, s, -s * y0 - 0.5]])  # crop edge x0 → texture edge −0.5
    tex, marks = _warp(photo, matrix, (round((y1 - y0) * s), round((x1 - x0) * s))), _apply(matrix, points)
    chroma, black, white, warm = rng.uniform(0.55, 0.85), rng.uniform(12, 25), rng.uniform(88, 96), bool(rng.random() < 0.5)
    cast = np.float32([rng.uniform(1, 5), rng.uniform(4, 12)] if warm else [rng.uniform(-6, -2), rng.uniform(-8, -3)])

    def gamut(bgr: np.ndarray) -> np.ndarray:
        lab = cv2.cvtColor(np.clip(bgr / 255, 0, 1).astype(np.float32), cv2.COLOR_BGR2Lab)
        lab[..., 0] = black + lab[..., 0] * (white - black) / 100
        lab[..., 1:] = lab[..., 1:] * chroma + cast
        return cv2.cvtColor(lab, cv2.COLOR_Lab2BGR) * 255

    tex, halftone = gamut(tex), bool(rng.random() < 0.5)
    if halftone:  # each ink becomes dots on its classic screen angle, sized by its coverage
        pitch, strength = rng.uniform(2.5, 4.0), rng.uniform(0.4, 0.8)
        yy, xx = np.mgrid[0 : tex.shape[0], 0 : tex.shape[1]].astype(np.float32)
        ink = 1 - np.clip(tex / 255, 0, 1)  # B, G, R hold yellow, magenta, cyan ink
        for channel, angle in enumerate(np.deg2rad([0.0, 75.0, 15.0])):
            u, v = xx * np.cos(angle) + yy * np.sin(angle), yy * np.cos(angle) - xx * np.sin(angle)
            threshold = 0.5 + 0.25 * (np.cos(2 * np.pi * u / pitch) + np.cos(2 * np.pi * v / pitch))
            ink[..., channel] = (1 - strength) * ink[..., channel] + strength * np.clip((ink[..., channel] - threshold) / 0.2 + 0.5, 0, 1)
        tex = 255 * (1 - ink)
    tex = cv2.GaussianBlur(tex, (0, 0), rng.uniform(0.6, 1.2) * _SS)  # ink spread: 0.6–1.2 frame px
    border = bool(rng.random() < 0.5)
    if border:
        pad = int(round(rng.uniform(0.04, 0.1) * tex.shape[1]))
        paper = [float(v) for v in gamut(np.full((1, 1, 3), 255, np.float32))[0, 0]]
        tex, marks = cv2.copyMakeBorder(tex, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=paper), marks + pad
    grain = cv2.GaussianBlur(rng.standard_normal(tex.shape[:2], dtype=np.float32), (0, 0), 0.8)
    fibres = np.zeros(tex.shape[:2], np.float32)
    for _ in range(tex.shape[0] * tex.shape[1] // 3000):
        start, angle = rng.uniform(0, 1, 2) * tex.shape[1::-1], rng.uniform(0, np.pi)
        end = start + rng.uniform(8, 40) * np.array([np.cos(angle), np.sin(angle)])
        cv2.line(fibres, tuple(int(v) for v in start), tuple(int(v) for v in end), float(rng.uniform(-0.05, 0.05)), 1)
    tex = tex * (1 + grain * rng.uniform(0.015, 0.03) / (grain.std() + 1e-6) + cv2.GaussianBlur(fibres, (0, 0), 0.6))[..., None]
    meta = {"chroma": round(chroma, 3), "black_L": round(black, 2), "white_L": round(white, 2), "cast": "warm" if warm else "cyan",
            "cast_ab": _points(cast), "halftone": halftone, "paper_border": border}
    return tex.astype(np.float32), marks, meta


def _poses(
    rng: np.random.Generator, frames: int, shape: tuple[int, int], face_px: float, nose: np.ndarray, fraction: float
) -> list[np.ndarray]:
    """Homographies (3×3, texture px → frame px) of a hand-held plane seen by a pinhole camera:
    scaled so the face is ``fraction`` of the frame height, turned about the nose tip (``nose``,
    texture px) by roll ±5° and tilts ±8°, then per frame ±3° roll, ±5° tilts, ±7 % distance and
    ±3 % shift — a few per cent of perspective, and nothing but planar motion."""
    h, w = shape
    focal = rng.uniform(0.8, 1.1) * h  # phone front cameras: 55–65° vertical field of view
    camera = np.array([[focal, 0, (w - 1) / 2], [0, focal, (h - 1) / 2], [0, 0, 1]])
    k = fraction * h / face_px
    to_plane = np.array([[k, 0, -k * nose[0]], [0, k, -k * nose[1]], [0, 0, 1]])
    base, offset = rng.uniform([-5, -8, -8], [5, 8, 8]), _anchor(rng, shape) - camera[:2, 2]
    out = []
    for _ in range(frames):
        rz, rx, ry = np.deg2rad(base + rng.uniform([-3, -5, -5], [3, 5, 5]))
        rot = (
            np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
            @ np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
            @ np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
        )
        depth, shift = focal / rng.uniform(0.93, 1.07), offset + rng.uniform(-0.03, 0.03, 2) * w
        # Plane point (X, Y, 0) → R·(X, Y, 0) + T; T = (shift·Z/f, Z) puts the nose tip at the
        # principal point plus ``shift`` whatever the rotation.
        translation = np.array([shift[0] * depth / focal, shift[1] * depth / focal, depth])
        matrix = camera @ np.column_stack([rot[:, 0], rot[:, 1], translation]) @ to_plane
        out.append(matrix / matrix[2, 2])
    return out


def _room(rng: np.random.Generator, shape: tuple[int, int], brightness: float) -> tuple[np.ndarray, np.ndarray]:
    """(light, wall) of a room, ``shape`` (height, width). ``light`` multiplies what it falls on
    (float32, mean 1): a 30–70 % ramp from a lamp off to one side times a soft hot spot;
    ``wall`` is float32 BGR 0–255, a paint colour under that light, faintly blotchy."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
    angle, spot = rng.uniform(0, 2 * np.pi), rng.uniform(0, 1, 2) * np.array([w, h]) / max(h, w)
    ramp = np.cos(angle) * (xx - xx.mean()) + np.sin(angle) * (yy - yy.mean())
    hot_spot = np.exp(-((xx - spot[0]) ** 2 + (yy - spot[1]) ** 2) / 0.5)
    light = (1 + rng.uniform(0.3, 0.7) * ramp / (np.ptp(ramp) + 1e-6)) * (0.85 + 0.15 * hot_spot)
    light = (light / light.mean()).astype(np.float32)
    blotch = cv2.GaussianBlur(rng.standard_normal(shape, dtype=np.float32), (0, 0), h / 15)
    colour = (brightness * rng.uniform(60, 190) * (1 + rng.uniform(-0.2, 0.2, 3))).astype(np.float32)
    return light, colour * (light * (1 + blotch * 0.04 / (blotch.std() + 1e-6)))[..., None]


def _geometry(poses: list[np.ndarray], marks: np.ndarray) -> dict:
    """``meta`` entries of a filmed plane: per frame its homography (texture px → frame px) and
    the face's landmarks (frame px)."""
    return {"homographies": [_points(m) for m in poses], "landmarks": [_points(_apply(m, marks)) for m in poses]}


def _film(texture: np.ndarray, alpha: np.ndarray, homography: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A plane's texture and coverage warped (texture px → frame px by ``homography``) at the
    supersampled resolution and area-averaged to ``shape``: (image float32, coverage (H, W))."""
    matrix, size = _ss_matrix() @ homography, (shape[1] * _SS, shape[0] * _SS)
    image = cv2.warpPerspective(texture, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    cover = cv2.warpPerspective(alpha, matrix, size, flags=cv2.INTER_LINEAR)
    return cv2.resize(image, shape[::-1], interpolation=cv2.INTER_AREA), cv2.resize(cover, shape[::-1], interpolation=cv2.INTER_AREA)


def print_attack(photo: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, *, frames: int = 3, size: int = 480) -> Sequence:
    """The photo printed (:func:`_print_texture`) and filmed: every frame the same print under
    another homography of a hand-held plane (:func:`_poses`), lit by the room's light gradient,
    over a wall, with camera blur, noise and JPEG (75–92). ``meta["landmarks"]`` (the face's,
    per frame) are related exactly by ``meta["homographies"]`` (texture px → frame px)."""
    shape, fraction = frame_shape(size), rng.uniform(0.38, 0.5)
    face_px = fraction * shape[0] * _SS
    texture, marks, look = _print_texture(photo, landmarks, rng, face_px)
    light, wall = _room(rng, shape, 1.0)
    poses = _poses(rng, frames, shape, face_px, marks[2], fraction)
    out, qualities = [], []
    for matrix in poses:
        image, cover = _film(texture, np.ones(texture.shape[:2], np.float32), matrix, shape)
        # Paper reflects the lamp that lights the wall; turning it changes how much it catches.
        qualities.append(int(rng.integers(75, 93)))
        scene = _over(wall, image * light[..., None] * rng.uniform(0.9, 1.05), cover)
        out.append(_camera(scene, rng, blur=rng.uniform(0.3, 0.8), noise=rng.uniform(1.5, 3.5), quality=qualities[-1]))
    return Sequence(out, "print", {**look, "face_fraction": round(fraction, 4), "jpeg_quality": qualities, **_geometry(poses, marks)})


def _screen_texture(
    photo: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, face_frame_px: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, dict]:
    """The photo on a phone or tablet: (texture float32 BGR, device coverage, landmarks and face
    height in texture px, meta). The photo is resampled onto a display grid of pitch 2.2–4
    camera px at the reference pose, tone-mapped (gamma 0.8–1.25, contrast 0.85–1.1, bluish
    white point), each display pixel drawn as 6×6 texture px (RGB stripes with a black-matrix
    row, or round emitters, smoothed by the cover glass); usually in a dark rounded bezel."""
    sub, pitch = 6, float(rng.uniform(2.2, 4.0))
    layout, aspect = str(rng.choice(["stripes", "dots"])), float(rng.choice([16 / 9, 4 / 3]))  # height / width, upright
    face_disp = face_frame_px / pitch
    disp_h = int(round(face_disp / rng.uniform(0.4, 0.6)))  # the face fills 40–60 % of the screen's height
    disp_w = int(round(disp_h / aspect))
    points = np.asarray(landmarks, np.float64)
    s, centre = face_disp / face_height(points), (points[0:2].mean(0) + points[3:5].mean(0)) / 2
    target = np.array([(disp_w - 1) / 2, (disp_h - 1) / 2]) + rng.uniform(-0.06, 0.06, 2) * [disp_w, disp_h]
    matrix = np.array([[s, 0, target[0] - s * centre[0]], [0, s, target[1] - s * centre[1]]])
    display = np.clip(_warp(photo, matrix, (disp_h, disp_w), fill="black") / 255, 0, 1)
    gamma, contrast = rng.uniform(0.8, 1.25), rng.uniform(0.85, 1.1)
    white = np.float32([rng.uniform(1.0, 1.06), rng.uniform(0.97, 1.0), rng.uniform(0.86, 0.95)])
    display = np.clip((display**gamma - 0.5) * contrast + 0.5, 0, 1) * white * 255 * rng.uniform(0.85, 1.0)
    cell = np.zeros((sub, sub, 3), np.float32)
    if layout == "stripes":
        for channel, column in ((2, 0), (1, 2), (0, 4)):  # R, G, B stripes, 2 texture px each
            cell[:, column : column + 2, channel] = 1
        cell[sub - 1] *= 0.4  # the black matrix between pixel rows
    else:
        yy, xx = np.mgrid[0:sub, 0:sub]
        cell[...] = 0.35 + 0.65 * np.clip(3.0 - np.hypot(xx - 2.5, yy - 2.5), 0, 1)[..., None]
    # The cover glass diffuses each emitter (a cyclic blur of the cell). That also removes the
    # sharp edges' harmonics, which would alias into moiré that moves the detector's landmarks.
    cell = cv2.GaussianBlur(np.tile(cell, (3, 3, 1)), (0, 0), 1.5)[sub : 2 * sub, sub : 2 * sub]
    # Focus is on the face, not the pixels: only part (``depth``) of the cell's contrast reaches
    # the sensor; stripes need less, their colours alone differing fivefold in luma.
    depth = float(rng.uniform(0.1, 0.3) if layout == "stripes" else rng.uniform(0.15, 0.45))
    cell = 1 - depth + depth * cell / cell.mean(axis=(0, 1))  # a cell's mean is the pixel's value
    texture = np.repeat(np.repeat(display.astype(np.float32), sub, 0), sub, 1) * np.tile(cell, (disp_h, disp_w, 1))
    marks, bezel, side, top = sub * (_apply(matrix, points) + 0.5) - 0.5, bool(rng.random() < 0.7), 0, 0
    if bezel:
        side, top = int(round(rng.uniform(0.03, 0.06) * texture.shape[1])), int(round(rng.uniform(0.05, 0.1) * texture.shape[0]))
        texture = cv2.copyMakeBorder(texture, top, top, side, side, cv2.BORDER_CONSTANT, value=[float(rng.uniform(10, 35))] * 3)
        marks = marks + [side, top]
    h, w, r = texture.shape[0], texture.shape[1], max(2.0 * side, 0.5)
    arcs = []  # the device's outline: a rectangle with corners rounded by twice the bezel
    for x, y, start in ((w - r, h - r, 0), (r, h - r, 90), (r, r, 180), (w - r, r, 270)):
        t = np.deg2rad(start + np.linspace(0, 90, 8))
        arcs.append(np.stack([x + r * np.cos(t), y + r * np.sin(t)], 1))
    meta = {"pitch_px": round(pitch, 3), "layout": layout, "depth": round(depth, 3), "aspect": round(aspect, 4),
            "display_px": [disp_w, disp_h], "gamma": round(gamma, 3), "contrast": round(contrast, 3),
            "white_point_bgr": _points(white), "bezel": bezel}
    return texture, _poly_mask((h, w), [np.concatenate(arcs) - 0.5]), marks, face_disp * sub, meta


def screen_attack(photo: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, *, frames: int = 3, size: int = 480) -> Sequence:
    """The photo on a phone or tablet screen (:func:`_screen_texture`) filmed hand-held:
    homographies as for :func:`print_attack`, the screen lit by itself in a dimmer room, a soft
    specular highlight (a bright Gaussian ellipse on the glass, moving with the device), little
    blur so the pixel grid survives, camera noise and JPEG (82–95)."""
    shape, fraction = frame_shape(size), rng.uniform(0.38, 0.5)
    texture, alpha, marks, face_px, look = _screen_texture(photo, landmarks, rng, fraction * shape[0])
    _, wall = _room(rng, shape, rng.uniform(0.4, 0.8))
    poses = _poses(rng, frames, shape, face_px, marks[2], fraction)
    spot = rng.uniform(0.1, 0.9, 2) * texture.shape[1::-1]
    axes = np.array([rng.uniform(0.12, 0.3) * shape[1], rng.uniform(0.06, 0.15) * shape[0]])
    tilt, amplitude = rng.uniform(0, np.pi), rng.uniform(25, 70)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    out, qualities, spots = [], [], []
    for matrix in poses:
        image, cover = _film(texture, alpha, matrix, shape)
        centre = _apply(matrix, spot[None])[0] + rng.uniform(-0.02, 0.02, 2) * shape[1]
        u = (xx - centre[0]) * np.cos(tilt) + (yy - centre[1]) * np.sin(tilt)
        v = (yy - centre[1]) * np.cos(tilt) - (xx - centre[0]) * np.sin(tilt)
        glare = amplitude * np.exp(-2 * ((u / axes[0]) ** 2 + (v / axes[1]) ** 2)) * cover
        qualities.append(int(rng.integers(82, 96)))
        spots.append(_points(centre))
        scene = _over(wall, image * rng.uniform(0.92, 1.05), cover) + glare[..., None]
        out.append(_camera(scene, rng, blur=rng.uniform(0.2, 0.45), noise=rng.uniform(1.5, 3.0), quality=qualities[-1]))
    meta = {**look, "face_fraction": round(fraction, 4), "jpeg_quality": qualities, "highlight_centres": spots,
            "highlight_amplitude": round(amplitude, 2), **_geometry(poses, marks)}
    return Sequence(out, "screen", meta)


def holed_mask(
    mask_photo: np.ndarray, mask_landmarks: np.ndarray, wearer_photo: np.ndarray, wearer_landmarks: np.ndarray,
    rng: np.random.Generator, *, frames: int = 3, size: int = 480,
) -> Sequence:
    """A print of person A (look as in :func:`print_attack`) with elliptical holes (0.27 × 0.16
    IOD semi-axes, ×0.95–1.25) cut at A's eyes, held in front of real person B. The mask moves
    as a hand-held plane; B follows by the similarity taking B's eye landmarks onto the holes'
    centres, plus an independent 1–3 px shift per frame. The cut is sharp, shows the paper's
    white core in a ~0.7 px rim and shades B in a 0.8–1.6 px ring plus a 0.8–2 px cast shadow;
    B's own photo continues beyond the print. ``meta["holes"]``: each frame's two hole outlines
    (image-left eye first) in frame px; ``meta["landmarks"]``: A's, ``["wearer_landmarks"]``: B's."""
    shape, fraction = frame_shape(size), rng.uniform(0.38, 0.5)
    ss_size, face_px = (shape[1] * _SS, shape[0] * _SS), fraction * shape[0] * _SS
    texture, marks, look = _print_texture(mask_photo, mask_landmarks, rng, face_px, width=(1.4, 1.8))
    iod, angle, grow = _iod(marks), float(np.arctan2(*(marks[1] - marks[0])[::-1])), rng.uniform(0.95, 1.25)
    axes = (0.27 * iod * grow, 0.16 * iod * grow)
    outlines = [_ellipse(marks[i], axes, angle, 32) for i in (0, 1)]
    holes = _poly_mask(texture.shape[:2], outlines)
    rim_px, rim_strength = 0.7 * _SS, rng.uniform(0.3, 0.6)
    cut = _poly_mask(texture.shape[:2], [_ellipse(marks[i], (axes[0] + rim_px, axes[1] + rim_px), angle, 32) for i in (0, 1)])
    rim = np.clip(cut - holes, 0, 1)
    texture = _over(texture, np.full(3, 235.0), rim * rim_strength)
    light = cv2.resize(_room(rng, shape, 1.0)[0], ss_size, interpolation=cv2.INTER_LINEAR)
    ring_width, ring_strength = rng.uniform(0.8, 1.6) * _SS, rng.uniform(0.35, 0.6)  # supersampled px
    cast_angle, cast_length, cast_strength = rng.uniform(0, 2 * np.pi), rng.uniform(0.8, 2.0) * _SS, rng.uniform(0.25, 0.45)
    cast_shift = np.float32([[1, 0, cast_length * np.cos(cast_angle)], [0, 1, cast_length * np.sin(cast_angle)]])
    wearer_points = np.asarray(wearer_landmarks, np.float64)
    poses = _poses(rng, frames, shape, face_px, marks[2], fraction)
    out, qualities, shifts, hole_meta, wearer_meta = [], [], [], [], []
    for matrix in poses:
        warp = _ss_matrix() @ matrix
        printed = cv2.warpPerspective(texture, warp, ss_size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        paper = cv2.warpPerspective(np.ones(texture.shape[:2], np.float32), warp, ss_size, flags=cv2.INTER_LINEAR)
        hole = cv2.warpPerspective(holes, warp, ss_size, flags=cv2.INTER_LINEAR)
        direction = rng.uniform(0, 2 * np.pi)
        shift = rng.uniform(1, 3) * np.array([np.cos(direction), np.sin(direction)])
        similarity = _similarity(wearer_points[:2], _apply(matrix, marks[:2]) + shift)
        wearer = _warp(wearer_photo, (_ss_matrix() @ np.vstack([similarity, [0, 0, 1]]))[:2], ss_size[::-1])
        # The paper's thickness shades the face just inside the cut, and more on the side away
        # from the light.
        inside = cv2.distanceTransform((hole > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
        cast = cv2.GaussianBlur(np.clip(hole - cv2.warpAffine(hole, cast_shift, ss_size), 0, 1), (0, 0), 1.0)
        shade = np.clip(1 - ring_strength * hole * np.exp(-inside / ring_width) - cast_strength * cast, 0, 1)
        scene = _over(wearer * shade[..., None], printed * (light * rng.uniform(0.9, 1.05))[..., None], np.clip(paper - hole, 0, 1))
        qualities.append(int(rng.integers(75, 93)))
        scene = cv2.resize(scene, shape[::-1], interpolation=cv2.INTER_AREA)
        out.append(_camera(scene, rng, blur=rng.uniform(0.2, 0.5), noise=rng.uniform(1.5, 3.0), quality=qualities[-1]))
        shifts.append(_points(shift))
        hole_meta.append([_points(_apply(matrix, outline)) for outline in outlines])
        wearer_meta.append(_points(_apply(similarity, wearer_points)))
    meta = {**look, "face_fraction": round(fraction, 4), "hole_axes_iod": [round(0.27 * grow, 4), round(0.16 * grow, 4)],
            "white_rim": round(rim_strength, 3), "ring_width_px": round(ring_width / _SS, 3), "ring_strength": round(ring_strength, 3),
            "cast_shadow_px": round(cast_length / _SS, 3), "wearer_shift_px": shifts, "jpeg_quality": qualities,
            **_geometry(poses, marks), "wearer_landmarks": wearer_meta, "holes": hole_meta}
    return Sequence(out, "holed_mask", meta)


def _occlude(image: np.ndarray, points: np.ndarray, rng: np.random.Generator, kind: str) -> tuple[np.ndarray, list[str]]:
    """Paint an occluder of ``kind`` (one of :data:`OCCLUDERS`) over the eyes of a float BGR
    frame with landmarks ``points``; returns (image, covered eyes as "left"/"right" of the
    image). Each covers at least ±0.22 × ±0.1 IOD round a covered eye centre."""
    shape, eyes, d = image.shape[:2], points[:2], _iod(points)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    along = (eyes[1] - eyes[0]) / d  # unit vector along the eye line, towards image-right
    down, angle, side = np.array([-along[1], along[0]]), float(np.arctan2(along[1], along[0])), int(rng.integers(2))
    outward, covered = -along if side == 0 else along, ["left", "right"]  # outward: from eyes[side] away from the nose

    def turn(vector: np.ndarray, degrees: float) -> np.ndarray:
        c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
        return np.array([c * vector[0] - s * vector[1], s * vector[0] + c * vector[1]])

    if kind in ("hand", "finger"):
        # Skin from the cheeks; fingers lie along the eye line from one side, shaded as
        # cylinders (lit along the axis, 0.6× at the sides) over a soft shadow. A hand's four
        # fingers cover both eyes, one axis on the eye line, the middle finger reaching furthest;
        # one finger crosses one eye, its tip (with a nail) past it towards the nose.
        cheeks = [np.round((points[i] + points[i + 3]) / 2 + (0.15 if i else -0.15) * d * along).astype(int) for i in (0, 1)]
        skin = np.median([image[max(0, y - 3) : y + 4, max(0, x - 3) : x + 4].reshape(-1, 3) for x, y in cheeks], axis=(0, 1))
        if kind == "hand":
            radius, direction = 0.16 * d, turn(outward, rng.uniform(-4, 4))
            middle, on_line, reach = eyes.mean(0) + down * d * rng.uniform(-0.02, 0.02), int(rng.integers(1, 3)), rng.uniform(0.3, 0.5) * d
            axes_points = [middle + down * 1.9 * radius * (j - on_line) for j in range(4)]
            staggers = (0.0, 0.12, 0.08, -0.1)  # in IOD
            tips = [p + direction * ((eyes[1 - side] - p) @ direction - reach - k * d) for p, k in zip(axes_points, staggers, strict=True)]
        else:
            radius, direction = d * rng.uniform(0.2, 0.25), turn(outward, rng.uniform(-15, 15))
            tips = [eyes[side] + down * d * rng.uniform(-0.02, 0.02) - direction * d * rng.uniform(0.45, 0.6)]
            covered = covered[side : side + 1]
        colour, offset = skin * rng.uniform(0.95, 1.15), turn(down, rng.uniform(-60, 60)) * 0.06 * d
        polygons = [_capsule(tip, tip + direction * 3.5 * d, radius) for tip in tips]
        image = image * (1 - 0.35 * cv2.GaussianBlur(_poly_mask(shape, [p + offset for p in polygons]), (0, 0), 0.05 * d))[..., None]
        for tip, polygon in zip(tips, polygons, strict=True):
            across = np.abs((xx - tip[0]) * -direction[1] + (yy - tip[1]) * direction[0]) / radius
            image = _over(image, colour * (0.6 + 0.4 * np.sqrt(np.clip(1 - across**2, 0, 1)))[..., None], _poly_mask(shape, [polygon]))
        if kind == "finger":
            along_finger = float(np.arctan2(direction[1], direction[0]))
            nail = _ellipse(tips[0] + direction * 0.55 * radius, (0.5 * radius, 0.4 * radius), along_finger)
            image = _over(image, np.clip(skin * 1.1 + 20, 0, 255), _poly_mask(shape, [nail]) * 0.8)
    elif kind == "sunglasses":  # tinted lenses, darker at the top, rims, bridge and temples
        lens = d * rng.uniform(0.36, 0.42)
        axes, centres = (lens, lens * rng.uniform(0.72, 0.85)), eyes + down * d * rng.uniform(-0.02, 0.04)
        lenses = _poly_mask(shape, [_ellipse(c, axes, angle) for c in centres])
        depth = np.clip(((xx - centres[:, 0].mean()) * down[0] + (yy - centres[:, 1].mean()) * down[1]) / axes[1], -1, 1)
        tint = rng.uniform(8, 30) * (1 + rng.uniform(-0.2, 0.2, 3))
        image = _over(image, tint * (1 + 0.25 * depth)[..., None], lenses * rng.uniform(0.9, 0.98))
        parts = [_capsule(centres[0] + along * axes[0] * 0.9, centres[1] - along * axes[0] * 0.9, 0.035 * d)]
        parts += [_capsule(c + o * axes[0], c + o * (axes[0] + 0.6 * d), 0.025 * d) for c, o in zip(centres, (-along, along), strict=True)]
        rims = np.zeros(shape, np.uint8)
        rings = [np.round(_ellipse(c, axes, angle) * 16).astype(np.int32) for c in centres]
        cv2.polylines(rims, rings, True, 255, max(1, round(0.04 * d)), cv2.LINE_AA, 4)
        image = _over(image, np.full(3, rng.uniform(5, 40)), np.maximum(_poly_mask(shape, parts), rims / 255.0))
    elif kind == "bar":  # a censor bar over both eyes
        half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [d * rng.uniform(1.05, 1.4), d * rng.uniform(0.22, 0.3)]
        corners = eyes.mean(0) + down * d * rng.uniform(-0.04, 0.04) + half[:, :1] * along + half[:, 1:] * down
        image = _over(image, np.full(3, rng.uniform(0, 25)), _poly_mask(shape, [corners]))
    elif kind == "sticker":  # a glossy round sticker over one eye, with a darker rim and a shadow
        radius, centre = d * rng.uniform(0.34, 0.45), eyes[side] + rng.uniform(-0.03, 0.03, 2) * d
        hsv = np.uint8([[[rng.integers(0, 180), rng.integers(150, 256), rng.integers(150, 256)]]])
        colour = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)
        disc, inner = (_poly_mask(shape, [_ellipse(centre, (r, r), 0.0)]) for r in (radius, radius - 0.03 * d))
        shadow = cv2.GaussianBlur(_poly_mask(shape, [_ellipse(centre + 0.04 * d * down, (radius, radius), 0.0)]), (0, 0), 0.03 * d)
        bulge = 0.92 + 0.1 * np.clip(1 - np.hypot(xx - centre[0], yy - centre[1]) / radius, 0, 1)
        image = _over(_over(image * (1 - 0.3 * shadow[..., None]), colour * bulge[..., None], disc), colour * 0.6, disc - inner)
        covered = covered[side : side + 1]
    elif kind == "hair":  # a thick strand down across one or both eyes, finer strands within it
        palette = np.float32([[20, 20, 25], [25, 35, 55], [40, 60, 90], [30, 45, 105], [90, 150, 190]])
        colour, which = palette[rng.integers(len(palette))] * rng.uniform(0.85, 1.15), [side] if rng.random() < 0.7 else [0, 1]
        for eye in which:
            start = eyes[eye] - down * d * rng.uniform(1.0, 1.4) + along * d * rng.uniform(-0.4, 0.4)
            end = eyes[eye] + down * d * rng.uniform(0.7, 1.1) + along * d * rng.uniform(-0.5, 0.5)
            control, t = 2 * eyes[eye] - (start + end) / 2, np.linspace(0, 1, 32)[:, None]  # through the eye at t = 1/2
            curve = (1 - t) ** 2 * start + 2 * t * (1 - t) * control + t**2 * end
            tangent = np.gradient(curve, axis=0)
            normal = np.stack([-tangent[:, 1], tangent[:, 0]], 1) / np.linalg.norm(tangent, axis=1, keepdims=True)
            width, strands = d * rng.uniform(0.3, 0.38) * (0.75 + 0.25 * np.sin(np.pi * t)), np.zeros(shape, np.uint8)
            for _ in range(60):
                line = curve + normal * rng.uniform(-1, 1) * width + rng.normal(0, 0.02 * d, 2)
                cv2.polylines(strands, [np.round(line * 16).astype(np.int32)], False, int(rng.integers(60, 256)), 1, cv2.LINE_AA, 4)
            band = _poly_mask(shape, [np.concatenate([curve + normal * width, (curve - normal * width)[::-1]])])
            image = _over(image, colour * (1 + 0.25 * (strands.astype(np.float32) / 255 - 0.3))[..., None], band * 0.97)
        covered = [covered[eye] for eye in which]
    else:
        raise ValueError(f"occluder must be one of {OCCLUDERS}")
    return image, covered


def eye_occlusion(
    photo: np.ndarray, landmarks: np.ndarray, rng: np.random.Generator, *, size: int = 480, occluder: str | None = None, frames: int = 1
) -> Sequence:
    """A live photo (placed as in :func:`live_sequence`) with the eyes covered by dark
    sunglasses, a hand (four shaded fingers over both eyes), a finger over one eye, a black bar
    over both, a round sticker over one, or a thick hair strand over one or both: chosen at
    random unless ``occluder`` names one of :data:`OCCLUDERS`; ``meta["occluder"]`` and
    ``meta["covered"]`` ("left"/"right" of the image) record it. Extra frames show the same
    occluder moved by up to ±0.03 IOD (a trembling hand) with fresh camera noise."""
    kind = occluder if occluder is not None else str(rng.choice(OCCLUDERS))
    if kind not in OCCLUDERS:
        raise ValueError(f"occluder must be one of {OCCLUDERS}")
    shape, points = frame_shape(size), np.asarray(landmarks, np.float64)
    matrix = _placement(points, shape, rng.uniform(0.39, 0.51), _anchor(rng, shape))
    marks, scene = _apply(matrix, points), _warp(photo, matrix, shape)
    seed = int(rng.integers(2**63))  # the occluder's own randomness: the same occluder every frame
    out, qualities, covered = [], [], []
    for _ in range(frames):
        image, covered = _occlude(scene, marks + rng.uniform(-0.03, 0.03, 2) * _iod(marks), np.random.default_rng(seed), kind)
        qualities.append(int(rng.integers(80, 96)))
        out.append(_camera(image, rng, blur=rng.uniform(0, 0.5), noise=rng.uniform(1, 2.5), quality=qualities[-1]))
    meta = {"occluder": kind, "covered": covered, "jpeg_quality": qualities, "landmarks": [_points(marks)] * frames}
    return Sequence(out, "eye_occlusion", meta)
