"""Build the threshold table from a labelled face set (``facesaas calibrate DATA_DIR``).

DATA_DIR is a folder with ``labels.tsv`` (``image<TAB>identity``), such as
``../shared/data/faces/celeba``. Every image is embedded once (largest face); every pair of
enrolled images is scored: pairs of one identity are genuine, all others impostors (on celeba:
~10 k genuine and ~3 M impostor pairs). For each ``true_negative_rate`` the threshold is the
lowest cosine whose impostor accept rate is ≤ the target FAR. The 1:N search rates below 1e-5
("99.9999" … "99.9999999") cannot be measured on ~3 M pairs: they come from an exponential fit
of the impostor score tail (:mod:`facesaas.evaluation.tailfit`), marked ``"method": "exponential
tail fit"`` in the table (measured ones: ``"empirical"``). Images with no detectable face are
counted as failures to enroll and left out of the pair scores (reported separately). Images are
read at full size without the API's 1 MB limit (2 of celeba's photos are larger; a client would
shrink them, see :func:`facesaas.sdk.fit_image`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facesaas.errors import FaceSaaSError
from facesaas.evaluation.tailfit import ExponentialTail, fit_exponential_tail, tail_summary, threshold_at_far
from facesaas.face.calibration import (
    SEARCH_TRUE_NEGATIVE_RATES,
    TRUE_NEGATIVE_RATES,
    far_from_true_negative_rate,
    similarity_from_cosine,
)
from facesaas.face.engine import FaceEngine
from facesaas.face.image import decode_image

__all__ = [
    "EmbeddedSet",
    "embed_labelled_set",
    "build_calibration",
    "roc_markdown",
    "pair_scores",
    "read_labels",
    "tail_markdown",
    "write_calibration",
]

ROC_FARS = (1e-2, 1e-3, 1e-4, 1e-5)


@dataclass
class EmbeddedSet:
    """Embeddings of a labelled set: ``names`` and ``identities`` per enrolled image, the
    ``(n, 128)`` ``embeddings``, and the names that failed to enroll."""

    names: list[str]
    identities: list[str]
    embeddings: np.ndarray
    failed: list[str]

    @property
    def total(self) -> int:
        return len(self.names) + len(self.failed)


def read_labels(data_dir: Path) -> list[tuple[str, str]]:
    """``(image, identity)`` rows of ``data_dir/labels.tsv``."""
    with open(data_dir / "labels.tsv", encoding="utf-8", newline="") as handle:
        return [(row["image"], row["identity"]) for row in csv.DictReader(handle, delimiter="\t")]


def embed_labelled_set(
    engine: FaceEngine,
    data_dir: Path,
    rows: Iterable[tuple[str, str]],
    progress: Callable[[int], None] | None = None,
) -> EmbeddedSet:
    """Embed the largest face of each image. Cost: ~35–80 ms per image on 2 cores."""
    names, identities, vectors, failed = [], [], [], []
    for count, (name, identity) in enumerate(rows, 1):
        try:
            bgr = decode_image((data_dir / name).read_bytes(), field=name, max_bytes=1 << 30, max_pixels=1 << 30)
            analysis = engine.analyze(bgr, max_faces=1)
        except FaceSaaSError:
            analysis = None
        if analysis is None or not analysis.faces:
            failed.append(name)
        else:
            names.append(name)
            identities.append(identity)
            vectors.append(analysis.faces[0].embedding)
        if progress:
            progress(count)
    embeddings = np.stack(vectors) if vectors else np.zeros((0, 128), np.float32)
    return EmbeddedSet(names, identities, embeddings, failed)


def pair_scores(data: EmbeddedSet) -> tuple[np.ndarray, np.ndarray]:
    """All-pairs cosine scores split into (genuine, impostor)."""
    sims = data.embeddings @ data.embeddings.T
    ids = np.asarray(data.identities)
    upper = np.triu_indices(len(ids), k=1)
    same = ids[upper[0]] == ids[upper[1]]
    scores = sims[upper]
    return scores[same].astype(np.float64), scores[~same].astype(np.float64)


def build_calibration(data: EmbeddedSet, dataset_label: str, scheme: str) -> dict:
    """The calibration document of embedding scheme ``scheme`` (written as calibration-SCHEME.json)."""
    genuine, impostor = pair_scores(data)
    if len(genuine) == 0 or len(impostor) == 0:
        raise ValueError("need at least one genuine and one impostor pair")

    def point(far: float) -> dict:
        cosine = threshold_at_far(impostor, far)
        return {
            "far": far,
            "cosine": round(cosine, 6),
            "similarity": round(float(similarity_from_cosine(cosine)), 4),
            "tar": round(float(np.mean(genuine >= cosine)), 6),
            "measured_far": float(np.mean(impostor >= cosine)),
        }

    thresholds = {
        rate: {**point(far_from_true_negative_rate(rate)), "method": "empirical"} for rate in TRUE_NEGATIVE_RATES
    }
    tail_fit = _tail_entries(impostor, genuine, thresholds)
    return {
        "scheme": scheme,
        "model": "sface-2021dec-int8bq + yunet-2023mar-int8bq",
        "similarity": "50 * (1 + cosine)",
        "source": {
            "dataset": dataset_label,
            "images": data.total,
            "identities": len(set(data.identities)),
            "enrolled": len(data.names),
            "failure_to_enroll": round(len(data.failed) / max(1, data.total), 6),
            "failed_images": sorted(data.failed),
            "genuine_pairs": int(len(genuine)),
            "impostor_pairs": int(len(impostor)),
            "built": dt.date.today().isoformat(),
            "command": f"facesaas calibrate {dataset_label} --scheme {scheme}",
        },
        "thresholds": thresholds,
        "tail_fit": tail_fit,
        "roc": [point(far) for far in ROC_FARS],
    }


def _tail_entries(impostor: np.ndarray, genuine: np.ndarray, thresholds: dict[str, dict]) -> dict:
    """Add the extrapolated search rates to ``thresholds`` (in place) and return the
    ``tail_fit`` block. Without enough impostor scores above u for a fit, or if the fitted
    thresholds would not rise above the measured ones, no rate is added and the block says why
    (``skipped``): such a table serves 1:1 verification only."""
    extrapolated = [rate for rate in SEARCH_TRUE_NEGATIVE_RATES if rate not in TRUE_NEGATIVE_RATES]
    try:
        tail: ExponentialTail = fit_exponential_tail(impostor)
    except ValueError as exc:
        return {"skipped": str(exc)}
    entries, previous = {}, max(entry["cosine"] for entry in thresholds.values())
    for rate in extrapolated:
        cosine = tail.threshold(far_from_true_negative_rate(rate))
        if round(cosine, 6) <= previous:
            return {"skipped": f"the fitted threshold for {rate} ({cosine:.6f}) is not above the previous one"}
        previous = round(cosine, 6)
        entries[rate] = {
            "far": far_from_true_negative_rate(rate),
            "cosine": round(cosine, 6),
            "similarity": round(float(similarity_from_cosine(cosine)), 4),
            "tar": round(float(np.mean(genuine >= cosine)), 6),
            "impostor_pairs_above": int(np.sum(impostor >= cosine)),
            "method": "exponential tail fit",
            "tail_fit": tail.as_dict(),
        }
    thresholds.update(entries)
    return tail_summary(impostor, tail)


def roc_markdown(calibration: dict) -> str:
    """The ROC table of docs/accuracy.md."""
    src = calibration["source"]
    lines = [
        f"Data: {src['dataset']} — {src['images']} images of {src['identities']} identities; "
        f"{src['genuine_pairs']:,} genuine and {src['impostor_pairs']:,} impostor pairs; "
        f"failure to enroll {src['failure_to_enroll']:.2%} ({src['images'] - src['enrolled']} images).",
        "",
        "| FAR | cosine threshold | similarity threshold | TAR | measured FAR |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in calibration["roc"]:
        lines.append(
            f"| {row['far']:.0e} | {row['cosine']:.4f} | {row['similarity']:.2f} | {row['tar']:.4f} | {row['measured_far']:.2e} |"
        )
    return "\n".join(lines) + "\n\n" + tail_markdown(calibration)


def tail_markdown(calibration: dict) -> str:
    """All thresholds, measured and extrapolated, and the tail fit's validation (docs/accuracy.md)."""
    fit = calibration.get("tail_fit", {})
    if "skipped" in fit or not fit:
        return f"Tail fit skipped: {fit.get('skipped', 'not in this table')}. No thresholds below FAR 1e-5.\n"
    lines = [
        f"Tail fit: u = {fit['u']:.6f} (empirical FAR {fit['u_far']:g}), p_u = {fit['p_u']:.4e}, "
        f"beta = {fit['beta']:.6f} ± {fit['beta_standard_error']:.6f}, {fit['exceedances']:,} impostor pairs above u; "
        f"GPD shape (documentation only): MLE {fit['gpd_shape']['MLE']['xi']:+.3f}, PWM {fit['gpd_shape']['PWM']['xi']:+.3f}.",
        "",
        "| true_negative_rate | FAR | cosine threshold | similarity threshold | TAR | how |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for rate, row in calibration["thresholds"].items():
        how = "measured" if row.get("method", "empirical") == "empirical" else "extrapolated (tail fit)"
        lines.append(
            f"| {rate} | {row['far']:.0e} | {row['cosine']:.4f} | {row['similarity']:.2f} | {row['tar']:.4f} | {how} |"
        )
    lines += [
        "",
        "| FAR | threshold from the fit | measured threshold | fit − measured | measured FAR at the fit's threshold |",
        "|---:|---:|---:|---:|---:|",
    ]
    for row in fit["validation"]:
        lines.append(
            f"| {row['far']:.0e} | {row['predicted']:.4f} | {row['empirical']:.4f} | {row['difference']:+.4f} "
            f"| {row['measured_far_at_predicted']:.2e} |"
        )
    return "\n".join(lines) + "\n"


def write_calibration(calibration: dict, path: Path) -> None:
    path.write_text(json.dumps(calibration, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
