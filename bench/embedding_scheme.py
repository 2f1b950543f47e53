"""Embedding schemes compared on celeba, all pairs (``make embedding-scheme``; ~4 minutes).

Each photo is detected and aligned once; the aligned face and its mirror image are embedded, so
both schemes are scored on exactly the same faces: "sface" is the first embedding, "sface-mirror"
the renormalised mean of the two (what :meth:`SFaceEmbedder.embed_scheme` computes). For each
false-accept rate the threshold is measured on that scheme's own impostor pairs, as the shipped
calibration tables are. The TAR difference gets a 95 % interval from a bootstrap over identities
(genuine pairs of one person are not independent), thresholds held at their full-data values.
Cost: :meth:`FaceEngine.analyze` per photo under each scheme, alternating photo by photo in one
run (the machine's noise hits both alike), reported with their ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FARS = (1e-2, 1e-3, 1e-4, 1e-5)


def _embed(data: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(plain, mirror, identities, failed) for the largest face of every labelled photo."""
    from facesaas.evaluation.calibrate import read_labels
    from facesaas.face.engine import get_engine
    from facesaas.face.image import decode_image

    engine = get_engine(2, 0.7, "sface")
    plain, flipped, identities, failed = [], [], [], 0
    for name, identity in read_labels(data):
        bgr = decode_image((data / name).read_bytes(), field=name, max_bytes=1 << 30, max_pixels=1 << 30)
        analysis = engine.analyze(bgr, max_faces=1, flip=True)
        if not analysis.faces:
            failed += 1
            continue
        plain.append(analysis.faces[0].embedding)
        flipped.append(analysis.faces[0].flip_embedding)
        identities.append(identity)
    p, f = np.stack(plain), np.stack(flipped)
    mirror = p + f
    mirror /= np.linalg.norm(mirror, axis=1, keepdims=True)
    return p, mirror.astype(np.float32), np.asarray(identities), failed


def _scores(embeddings: np.ndarray, upper: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return (embeddings @ embeddings.T)[upper].astype(np.float64)


def _cost(data: Path, photos: int) -> dict[str, list[float]]:
    """Milliseconds of analyze() per photo under each scheme, alternating."""
    from facesaas.evaluation.calibrate import read_labels
    from facesaas.face.embedder import get_scheme
    from facesaas.face.engine import FaceEngine, get_engine
    from facesaas.face.image import decode_image

    base = get_engine(2, 0.7, "sface")
    engines = {name: FaceEngine(base.detector, base.embedder, get_scheme(name)) for name in ("sface", "sface-mirror")}
    rows = read_labels(data)[:photos]
    images = [decode_image((data / name).read_bytes(), field=name, max_bytes=1 << 30, max_pixels=1 << 30) for name, _ in rows]
    timings: dict[str, list[float]] = {name: [] for name in engines}
    for engine in engines.values():  # warm-up
        engine.analyze(images[0])
    for bgr in images:
        for name, engine in engines.items():
            started = time.perf_counter()
            engine.analyze(bgr)
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="celeba folder (default: <test_data_dir>/faces/celeba)")
    parser.add_argument("--bootstrap", type=int, default=300)
    parser.add_argument("--cost-photos", type=int, default=200)
    args = parser.parse_args()

    from _results import cost_rows, save

    from facesaas.evaluation.tailfit import threshold_at_far
    from facesaas.settings import Settings

    data = args.data or Settings().test_data_dir / "faces" / "celeba"
    started = time.perf_counter()
    plain, mirror, identities, failed = _embed(data)
    embed_seconds = time.perf_counter() - started
    upper = np.triu_indices(len(identities), k=1)
    same = identities[upper[0]] == identities[upper[1]]
    scores = {"sface": _scores(plain, upper), "sface-mirror": _scores(mirror, upper)}
    genuine_owner = identities[upper[0]][same]
    owners = np.unique(genuine_owner)
    owner_index = np.searchsorted(owners, genuine_owner)
    rng = np.random.default_rng(17)
    resamples = [np.bincount(rng.integers(0, len(owners), len(owners)), minlength=len(owners)) for _ in range(args.bootstrap)]

    lines = [
        f"# Embedding schemes — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"`{data}`: {len(identities)} photos embedded ({failed} without a detectable face), "
        f"{int(same.sum()):,} genuine and {int((~same).sum()):,} impostor pairs (all pairs; real photos). "
        f"Embedding took {embed_seconds:.0f} s.",
        "",
        "| FAR | sface TAR | sface-mirror TAR | difference (95 % CI, bootstrap over identities) "
        "| genuine pairs only mirror accepts | only sface accepts |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    figures = []
    for far in FARS:
        accepted = {}
        for name, values in scores.items():
            threshold = threshold_at_far(values[~same], far)
            accepted[name] = values[same] >= threshold
        difference = float(accepted["sface-mirror"].mean() - accepted["sface"].mean())
        per_owner = {name: np.bincount(owner_index, weights=hits.astype(float), minlength=len(owners))
                     for name, hits in accepted.items()}  # fmt: skip
        pairs_per_owner = np.bincount(owner_index, minlength=len(owners)).astype(float)
        boot = []
        for weights in resamples:
            total = float(weights @ pairs_per_owner)
            boot.append(float(weights @ per_owner["sface-mirror"] - weights @ per_owner["sface"]) / total)
        low, high = np.percentile(boot, [2.5, 97.5])
        only_mirror = int(np.sum(accepted["sface-mirror"] & ~accepted["sface"]))
        only_plain = int(np.sum(accepted["sface"] & ~accepted["sface-mirror"]))
        lines.append(
            f"| {far:.0e} | {accepted['sface'].mean():.4f} | {accepted['sface-mirror'].mean():.4f} "
            f"| {difference:+.4f} ({low:+.4f} … {high:+.4f}) | {only_mirror} | {only_plain} |"
        )
        figures.append({"far": far, "sface": float(accepted["sface"].mean()), "mirror": float(accepted["sface-mirror"].mean()),
                        "difference": difference, "ci": [float(low), float(high)]})  # fmt: skip

    timings = _cost(data, args.cost_photos)
    ratio = np.median(timings["sface-mirror"]) / np.median(timings["sface"])
    lines += [
        "",
        f"Cost of one extraction (detection, alignment, embedding; `FaceEngine.analyze`, largest face) on "
        f"{args.cost_photos} celeba photos, the two schemes alternating photo by photo:",
        "",
        "| scheme | photos | mean ms | p95 ms |",
        "|---|---:|---:|---:|",
        *cost_rows(timings),
        "",
        f"Median ratio sface-mirror / sface: **{ratio:.2f}**.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    save(HERE / "results", "embedding-scheme", stamp, report, {"accuracy": figures, "cost_ms": timings})


if __name__ == "__main__":
    main()
