"""Face quality and the enrolment gate on celeba (``make quality``; ~4 minutes on 2 cores).

Real part: every celeba image is detected, aligned, embedded and assessed once (embeddings are
kept for the run). Every pair of images with a face is scored (~3.1 M pairs; genuine = same
identity) and accepted at the shipped "99.99" threshold (FAR 1e-4). For each gate level:
the share of images refused (per check and overall), TAR and FAR on the pairs whose two faces
both pass, against all pairs (the baseline, gate off) and against refusing the same number of
images at random (what refusing alone, without choosing the worse faces, would do).

Pose error: yaw and pitch from the 5 landmarks against the face mesh's 3D head pose on the half
of celeba the pose constants were not fitted on (odd rows); roll against known synthetic
rotations.

Synthetic part (labelled synthetic): defects made on real celeba faces (every 8th image from
the 6th, a subset not used to choose any threshold): blur, darkening, overexposure, shrinking,
rotation, painted sunglasses, a painted mask, a skin-coloured block over the mouth. Per defect:
faces still detected, the share each gate level refuses, and what the defect does to the face's
embedding (cosine to the clean photo's face).

Cost: :func:`facesaas.face.quality.assess` per face with the aligned crop given (as the engine
calls it) and without, against detection and embedding timed in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import cost_rows, save  # noqa: E402

from facesaas.face.detector import Detection  # noqa: E402
from facesaas.face.quality import CHECKS, Quality  # noqa: E402


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def share(successes: int, total: int, digits: int = 4) -> str:
    low, high = wilson(successes, total)
    return f"{successes / max(total, 1):.{digits}f} [{low:.{digits}f}, {high:.{digits}f}] ({successes:,}/{total:,})"


# --- synthetic defects on a real face (all placed from the clean photo's landmarks) --------


def _iod(d: Detection) -> float:
    return float(np.hypot(*(d.landmarks[1] - d.landmarks[0])))


def blur(sigma: float) -> Callable[[np.ndarray, Detection], np.ndarray]:
    """A Gaussian blur of ``sigma`` pixels of the aligned crop (scaled to the photo)."""
    return lambda bgr, d: cv2.GaussianBlur(bgr, (0, 0), sigma * _iod(d) / 35.24)


def gain(factor: float) -> Callable[[np.ndarray, Detection], np.ndarray]:
    return lambda bgr, d: np.clip(bgr.astype(np.float32) * factor, 0, 255).astype(np.uint8)


def shrink(iod: float) -> Callable[[np.ndarray, Detection], np.ndarray]:
    """The whole photo scaled so the eyes are ``iod`` pixels apart."""

    def apply(bgr: np.ndarray, d: Detection) -> np.ndarray:
        scale = iod / _iod(d)
        return bgr if scale >= 1 else cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)

    return apply


def rotate(degrees: float) -> Callable[[np.ndarray, Detection], np.ndarray]:
    """The photo turned clockwise by ``degrees`` about the face's centre."""

    def apply(bgr: np.ndarray, d: Detection) -> np.ndarray:
        x, y, w, h = d.box
        matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), -degrees, 1.0)
        return cv2.warpAffine(bgr, matrix, (bgr.shape[1], bgr.shape[0]), borderMode=cv2.BORDER_REPLICATE)

    return apply


def sunglasses(bgr: np.ndarray, d: Detection) -> np.ndarray:
    out, iod = bgr.copy(), _iod(d)
    for eye in d.landmarks[:2]:
        cv2.ellipse(out, (int(eye[0]), int(eye[1])), (int(0.42 * iod), int(0.28 * iod)), 0, 0, 360, (25, 22, 20), -1)
    a, b = (tuple(int(v) for v in p) for p in d.landmarks[:2])
    cv2.line(out, a, b, (25, 22, 20), max(1, int(0.06 * iod)))
    return out


def mask(bgr: np.ndarray, d: Detection) -> np.ndarray:
    out, iod, points = bgr.copy(), _iod(d), d.landmarks
    nose, mouth_a, mouth_b = points[2], points[3], points[4]
    top, bottom = nose[1] - 0.25 * iod, max(mouth_a[1], mouth_b[1]) + 0.9 * iod
    left, right = min(mouth_a[0], points[0][0]) - 0.45 * iod, max(mouth_b[0], points[1][0]) + 0.45 * iod
    polygon = np.array([[left, top + 0.2 * iod], [nose[0], top], [right, top + 0.2 * iod],
                        [right - 0.1 * iod, bottom - 0.3 * iod], [nose[0], bottom],
                        [left + 0.1 * iod, bottom - 0.3 * iod]], np.int32)  # fmt: skip
    cv2.fillPoly(out, [polygon], (235, 215, 190))
    return out


def hand(bgr: np.ndarray, d: Detection) -> np.ndarray:
    """A block of the face's own skin colour over mouth and chin."""
    out, iod, points = bgr.copy(), _iod(d), d.landmarks
    mouth_a, mouth_b = points[3], points[4]
    x0, x1 = int(mouth_a[0] - 0.5 * iod), int(mouth_b[0] + 0.5 * iod)
    y0, y1 = int(min(mouth_a[1], mouth_b[1]) - 0.35 * iod), int(max(mouth_a[1], mouth_b[1]) + 0.8 * iod)
    cy, cx = max(0, int(points[2][1])), max(0, int(points[0][0]))
    skin = bgr[cy : cy + 4, cx : cx + 4].reshape(-1, 3).mean(0)
    out[max(0, y0) : y1, max(0, x0) : x1] = skin.astype(np.uint8)
    return out


DEFECTS: dict[str, Callable[[np.ndarray, Detection], np.ndarray]] = {
    "blur σ 1 px": blur(1), "blur σ 2 px": blur(2), "blur σ 3 px": blur(3),
    "dark ×0.3": gain(0.3), "dark ×0.15": gain(0.15), "overexposed ×2.5": gain(2.5),
    "small, IOD 20 px": shrink(20), "small, IOD 12 px": shrink(12),
    "rotated 15°": rotate(15), "rotated 30°": rotate(30), "rotated 45°": rotate(45),
    "sunglasses (painted)": sunglasses, "mask (painted)": mask, "hand (skin block)": hand,
}  # fmt: skip
"""What a defect claims to be, and how it is made."""


def main() -> None:  # noqa: PLR0915 - one report, written top to bottom
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="celeba folder (default: <test_data_dir>/faces/celeba)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--limit", type=int, default=0, help="first N images only (a quick try; 0: all)")
    args = parser.parse_args()

    from facesaas.evaluation.calibrate import read_labels
    from facesaas.face.calibration import load_calibration
    from facesaas.face.embedder import align_face
    from facesaas.face.engine import get_engine
    from facesaas.face.image import decode_image
    from facesaas.face.mesh import get_mesh, roi_from_detection
    from facesaas.face.quality import GATE_LEVELS, assess
    from facesaas.settings import Settings

    settings = Settings()
    data = args.data or settings.test_data_dir / "faces" / "celeba"
    rows = read_labels(data)
    if args.limit:
        rows = rows[: args.limit]
    engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
    mesh = get_mesh()
    threshold = load_calibration(engine.scheme.name).cosine_threshold("99.99")
    timings: dict[str, list[float]] = {"detection (YuNet)": [], "alignment + embedding (SFace, the server's scheme)": [],
                                       "quality, crop given (as the engine calls it)": [],
                                       "quality, crop made by assess": []}  # fmt: skip

    def read(name: str) -> np.ndarray:
        return decode_image((data / name).read_bytes(), field=name, max_bytes=10**9, max_pixels=10**9)

    # --- real: every image once --------------------------------------------------------
    names, identities, vectors, qualities, mesh_pose = [], [], [], [], []
    failed = 0
    started = time.perf_counter()
    for count, (name, identity) in enumerate(rows, 1):
        bgr = read(name)
        t0 = time.perf_counter()
        detections = engine.detect(bgr)
        t1 = time.perf_counter()
        if not detections:
            failed += 1
            continue
        detection = detections[0]
        crop = align_face(bgr, detection.landmarks)
        vector = engine.embedder.embed_scheme(crop, engine.scheme)
        t2 = time.perf_counter()
        quality = assess(bgr, detection, crop)
        t3 = time.perf_counter()
        assess(bgr, detection)
        t4 = time.perf_counter()
        for label, seconds in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            timings[label].append(1000 * seconds)
        points = mesh.run([bgr], [roi_from_detection(detection)])[0].points.astype(np.float64)
        across, down = points[263] - points[33], points[152] - points[10]
        # Mesh yaw: the eye-corner line's turn in depth; pitch: the forehead–chin line's tilt
        # (+ chin towards the camera = face tilted down, the 5-point convention).
        mesh_pose.append((math.degrees(math.atan2(across[2], across[0])), math.degrees(math.atan2(down[2], down[1]))))
        names.append(name)
        identities.append(identity)
        vectors.append(vector)
        qualities.append(quality)
        if count % 250 == 0:
            print(f"{count}/{len(rows)} images, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    embed_seconds = time.perf_counter() - started
    embeddings = np.stack(vectors)
    labels = np.array(identities)
    n = len(names)

    # --- all pairs ---------------------------------------------------------------------
    upper = np.triu_indices(n, k=1)
    cosines = (embeddings @ embeddings.T)[upper]
    genuine = (labels[:, None] == labels[None, :])[upper]
    accepted = cosines >= threshold
    del cosines

    def pair_rates(passing: np.ndarray) -> tuple[int, int, int, int]:
        both = passing[upper[0]] & passing[upper[1]]
        g, i = both & genuine, both & ~genuine
        return int((accepted & g).sum()), int(g.sum()), int((accepted & i).sum()), int(i.sum())

    rng = np.random.default_rng(17)
    level_rows, refusal_rows, failing = [], [], {}
    for level in GATE_LEVELS:
        fails = [q.failed(level) for q in qualities]
        passing = np.array([not f for f in fails])
        failing[level] = fails
        tar_ok, tar_n, far_ok, far_n = pair_rates(passing)
        refused = int((~passing).sum())
        random_tar = []
        if 0 < refused < n:
            for _ in range(5):  # the same number of images refused at random, 5 draws
                chosen = np.ones(n, bool)
                chosen[rng.choice(n, refused, replace=False)] = False
                ok, total, _, _ = pair_rates(chosen)
                random_tar.append(ok / total)
        baseline = (
            f"{np.mean(random_tar):.4f} (5 draws, {min(random_tar):.4f}–{max(random_tar):.4f})" if random_tar else "—"
        )
        level_rows.append(f"| {level} | {share(refused, n, 3)} | {share(tar_ok, tar_n)} | {baseline} | "
                          f"{far_ok / max(far_n, 1):.2e} [{wilson(far_ok, far_n)[0]:.1e}, {wilson(far_ok, far_n)[1]:.1e}] "
                          f"({far_ok:,}/{far_n:,}) |")  # fmt: skip
        if level != "off":
            per_check = [share(sum(check in f for f in fails), n, 3) for check in CHECKS]
            refusal_rows.append(f"| {level} | " + " | ".join(per_check) + " |")
    print(f"pairs done, {time.perf_counter() - started:.0f} s", file=sys.stderr)

    # --- pose error -----------------------------------------------------------------------
    yaw5 = np.array([q.yaw for q in qualities])
    pitch5 = np.array([q.pitch for q in qualities])
    mesh_yaw, mesh_pitch = (np.array(column) for column in zip(*mesh_pose, strict=True))
    held_out = np.arange(n) % 2 == 1
    yaw_error = np.abs(yaw5 - mesh_yaw)[held_out]
    pitch_centred = (pitch5 - np.median(pitch5)) - (mesh_pitch - np.median(mesh_pitch))
    pitch_error = np.abs(pitch_centred)[held_out]
    score = [q.score for q in qualities]

    # --- synthetic defects on held-out faces ---------------------------------------------
    subset = rows[5::8] if not args.limit else rows[: max(8, args.limit // 4)]
    defect_rows, roll_rows = [], []
    results: dict[str, list[tuple[Quality | None, float]]] = {label: [] for label in ["clean", *DEFECTS]}
    roll_measured: dict[float, list[float]] = {15: [], 30: [], 45: []}
    for name, _ in subset:
        bgr = read(name)
        detections = engine.detect(bgr)
        if not detections:
            continue
        clean = detections[0]
        clean_vector = engine.embed(bgr, clean.landmarks)
        results["clean"].append((assess(bgr, clean), 1.0))
        for label, make in DEFECTS.items():
            image = make(bgr, clean)
            found = engine.detect(image)
            if not found:
                results[label].append((None, float("nan")))
                continue
            quality = assess(image, found[0])
            results[label].append((quality, float(engine.embed(image, found[0].landmarks) @ clean_vector)))
            if label.startswith("rotated"):
                roll_measured[float(label.split()[1].rstrip("°"))].append(quality.roll - results["clean"][-1][0].roll)
    for label, outcomes in results.items():
        found = [(q, c) for q, c in outcomes if q is not None]
        cells = [share(len(found), len(outcomes), 3)]
        for level in ("lenient", "strict"):
            refused = sum(bool(q.failed(level)) for q, _ in found)
            cells.append(share(refused, len(found), 3))
            checks = {check: sum(check in q.failed(level) for q, _ in found) for check in CHECKS}
            cells.append(", ".join(f"{c} {k}" for c, k in checks.items() if k) or "—")
        cosine = np.median([c for _, c in found]) if found else float("nan")
        defect_rows.append(f"| {label} | " + " | ".join(cells) + f" | {cosine:.3f} |")
    for true_roll, measured in roll_measured.items():
        values = np.array(measured)
        roll_rows.append(f"| {true_roll:.0f}° | {len(values)} | {np.median(values):.1f}° | "
                         f"{np.percentile(values, 10):.1f}° – {np.percentile(values, 90):.1f}° |")  # fmt: skip
    total_seconds = time.perf_counter() - started

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    lines = [
        f"# Face quality and the enrolment gate — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"`{data}`: {len(rows):,} images, {n:,} with a face ({failed} without: left out of every row, as in "
        f"calibration); {len(upper[0]):,} pairs ({int(genuine.sum()):,} genuine). Threshold: the shipped "
        f'"99.99" cosine {threshold:.4f} (FAR 1e-4). Run: {total_seconds:.0f} s ({embed_seconds:.0f} s embedding). '
        "Intervals are Wilson 95 %.",
        "",
        "## The gate on celeba's real photos",
        "",
        "Pairs kept: both faces pass the level. *Random* refuses as many images as the level does, at random "
        "(the TAR a refusal without any judgement would give).",
        "",
        "| gate | images refused | TAR at 1e-4, pairs kept | TAR, same number refused at random | FAR, pairs kept |",
        "|---|---|---|---|---|",
        *level_rows,
        "",
        "Images failing each check (a face may fail several):",
        "",
        "| gate | " + " | ".join(CHECKS) + " |",
        "|---|" + "---|" * len(CHECKS),
        *refusal_rows,
        "",
        f"Quality score 0–100 on celeba: median {np.median(score):.0f}, 5th percentile {np.percentile(score, 5):.0f}, "
        f"1st {np.percentile(score, 1):.0f}.",
        "",
        "## Pose from 5 landmarks against the face mesh (real)",
        "",
        f"Held-out half of celeba ({int(held_out.sum()):,} faces; the pose constants were fitted on the other half). "
        "The mesh's pose is itself an estimate (MediaPipe's 3D points), not ground truth.",
        "",
        "| angle | mean abs. difference | median | 95th percentile |",
        "|---|---:|---:|---:|",
        f"| yaw | {yaw_error.mean():.1f}° | {np.median(yaw_error):.1f}° | {np.percentile(yaw_error, 95):.1f}° |",
        f"| pitch (both centred on their celeba median) | {pitch_error.mean():.1f}° | {np.median(pitch_error):.1f}° | "
        f"{np.percentile(pitch_error, 95):.1f}° |",
        "",
        "Roll against known rotations (synthetic: the photo turned about the face; measured roll minus the clean "
        "photo's):",
        "",
        "| turned | faces | measured change, median | 10th – 90th percentile |",
        "|---:|---:|---:|---:|",
        *roll_rows,
        "",
        f"## Synthetic defects on real faces ({len(results['clean'])} celeba faces, every 8th from the 6th)",
        "",
        "Synthetic: the defects are made by the benchmark (bench/quality.py `DEFECTS`). *Cosine to clean*: median "
        "cosine between the defective face's embedding and the clean photo's (the shipped 1e-4 threshold is "
        f"{threshold:.3f}).",
        "",
        "| defect | still detected | refused, lenient | failed checks, lenient | refused, strict | failed checks, strict "
        "| cosine to clean |",
        "|---|---|---|---|---|---|---:|",
        *defect_rows,
        "",
        "## Cost per face (real, this run)",
        "",
        "| step | n | mean ms | p95 ms |",
        "|---|---:|---:|---:|",
        *cost_rows(timings, 2),
        "",
    ]
    report = "\n".join(lines)
    save(args.out, "quality", stamp, report)
    print(report)


if __name__ == "__main__":
    main()
