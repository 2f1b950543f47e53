"""A customer's own threshold table (``facesaas calibrate --tenant``) and the rule that builds it.

Input: a labelled set of the customer's faces — a folder (``labels.tsv``, or one sub-folder per
identity) embedded here, or a repository's stored embeddings, identities taken from user_ids
such as ``alice#1``, ``alice#2`` (:func:`repository_set`). All pairs are scored as in
:mod:`facesaas.evaluation.calibrate`: same identity genuine, different identity impostor.

The choice rule, per true_negative_rate with per-comparison false-accept rate FAR
(docs/accuracy.md, "Calibrating on your own data"):

1. The customer's **measured** threshold (the lowest cosine accepting at most FAR of their
   impostor pairs) is a candidate only with at least :data:`ESTIMATE_PAIRS` / FAR impostor pairs
   (10 false accepts expected at the threshold: an estimate, not a guess from 0–2 pairs).
2. Below that, if their impostor tail can be fitted (≥ 100 impostor pairs above the FAR-1e-3
   score, i.e. ≥ ~100,000 impostor pairs), the fit's threshold is the candidate (as the shipped
   table extrapolates its own rates below 1e-5).
3. The threshold used is the highest of the shipped one and the candidate, and above the
   previous rate's: with a candidate by at least 1e-6, without one by the shipped table's step
   between the two rates (a raise carries over to the rates the customer's data cannot speak
   for). A customer's table never **lowers** a threshold below the shipped one: see the docs.

Every rate records where its threshold came from, the shipped and the customer's own value,
TAR on the customer's genuine pairs, the customer's impostor pairs at or above it and the 95 %
upper bound on FAR those give (zero in N bounds it by ~3/N: the rule of three).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from facesaas.evaluation.calibrate import EmbeddedSet, pair_scores, read_labels
from facesaas.evaluation.tailfit import ExponentialTail, fit_exponential_tail, threshold_at_far
from facesaas.face.calibration import (
    SEARCH_TRUE_NEGATIVE_RATES,
    Calibration,
    far_from_true_negative_rate,
    similarity_from_cosine,
)
from facesaas.tenants.calibration import TenantTable

__all__ = [
    "BOUND_PAIRS",
    "ESTIMATE_PAIRS",
    "IMAGE_SUFFIXES",
    "MAX_IMAGES",
    "build_tenant_table",
    "far_upper_bound",
    "folder_rows",
    "pairs_to_bound",
    "pairs_to_estimate",
    "repository_set",
    "tenant_table_markdown",
]

BOUND_PAIRS = 3.0
"""Zero false accepts in N impostor pairs bounds FAR below ~3/N at 95 % (−ln 0.05 = 2.996):
N ≥ 3/FAR pairs can *check* a FAR claim."""

ESTIMATE_PAIRS = 10.0
"""N ≥ 10/FAR impostor pairs put ~10 of them above the threshold: enough to *estimate* it
(Poisson relative error ~1/√10 ≈ 30 % in FAR), the customer's measured threshold is used."""

MAX_IMAGES = 6000
"""All pairs of n images take n² cosine scores in memory (6,000: 36 M, ~0.3 GB with the split);
a larger set is refused — calibrate on a sample of identities."""

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def pairs_to_bound(far: float) -> int:
    """Impostor pairs needed to bound FAR ≤ ``far`` at 95 % with zero false accepts (3/FAR)."""
    return math.ceil(BOUND_PAIRS / far - 1e-6)


def pairs_to_estimate(far: float) -> int:
    """Impostor pairs needed to use a measured threshold for ``far`` (10/FAR)."""
    return math.ceil(ESTIMATE_PAIRS / far - 1e-6)


def far_upper_bound(false_accepts: int, pairs: int, confidence: float = 0.95) -> float:
    """One-sided upper confidence bound on a false-accept rate after ``false_accepts`` in
    ``pairs`` impostor pairs: λ/N with P(Poisson(λ) ≤ k) = 1 − confidence (the Poisson limit
    of the binomial, fine for the small rates here). k = 0 gives −ln(0.05)/N ≈ 3/N. Cost:
    ~60 bisection steps over k + 1 terms."""
    if pairs <= 0:
        return 1.0
    k = int(false_accepts)
    log_factorials = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k + 1, dtype=np.float64)))])
    counts = np.arange(k + 1, dtype=np.float64)

    def cdf(lam: float) -> float:
        terms = counts * math.log(lam) - lam - log_factorials
        top = float(terms.max())
        return math.exp(top) * float(np.exp(terms - top).sum())

    low, high = max(k, 1e-12), k + 10.0 * math.sqrt(k + 1.0) + 10.0
    for _ in range(80):
        middle = (low + high) / 2.0
        if cdf(middle) > 1.0 - confidence:
            low = middle
        else:
            high = middle
    return min(1.0, high / pairs)


def folder_rows(folder: Path) -> list[tuple[str, str]]:
    """``(image path relative to folder, identity)`` of a labelled folder: its ``labels.tsv``
    (``image<TAB>identity``) if there is one, else one sub-folder per identity (the folder's name)
    holding that person's photos (*.jpg, *.jpeg, *.png; files directly in ``folder`` and deeper
    folders are not read). ValueError if neither gives an image."""
    if (folder / "labels.tsv").is_file():
        return read_labels(folder)
    rows = [
        (f"{person.name}/{image.name}", person.name)
        for person in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        for image in sorted(person.iterdir())
        if image.is_file() and image.suffix.lower() in IMAGE_SUFFIXES
    ]
    if not rows:
        raise ValueError(f"{folder} has no labels.tsv and no identity sub-folders with photos")
    return rows


def repository_set(user_ids: Iterable[str], embeddings: np.ndarray, separator: str = "#") -> EmbeddedSet:
    """A repository's faces as a labelled set: the identity of ``alice#2`` is ``alice`` (the
    user_id up to its last ``separator``; a user_id without one is an identity of its own,
    which adds impostor pairs only)."""
    names = list(user_ids)
    identities = [name.rsplit(separator, 1)[0] if separator in name else name for name in names]
    return EmbeddedSet(names, identities, np.asarray(embeddings, np.float32).reshape(len(names), -1), failed=[])


def _round_up(cosine: float) -> float:
    """Six decimals, rounded up: a stored threshold never accepts a pair the exact one refused."""
    return math.ceil(cosine * 1e6) / 1e6


def _tail(impostor: np.ndarray) -> ExponentialTail | None:
    try:
        return fit_exponential_tail(impostor)
    except ValueError:  # too few impostor pairs above u: no extrapolation from this data
        return None


def build_tenant_table(data: EmbeddedSet, shipped: Calibration, source: str, scheme: str) -> TenantTable:
    """Apply the module's choice rule to ``data`` against the ``shipped`` thresholds.

    ValueError with fewer than 2 identities (no impostor pair) or more than :data:`MAX_IMAGES`
    images. Cost: all pairs, O(n²) for n enrolled images (~1 s at 6,000)."""
    if len(data.names) > MAX_IMAGES:
        raise ValueError(f"{len(data.names)} faces; all-pairs calibration takes at most {MAX_IMAGES}: use a sample")
    if len(set(data.identities)) < 2:
        raise ValueError("need at least two identities (impostor pairs) to calibrate")
    genuine, impostor = pair_scores(data)
    pairs = len(impostor)
    tail = _tail(impostor)
    thresholds: dict[str, dict] = {}
    previous: tuple[float, float] | None = None  # (used, shipped) cosine of the rate before
    for rate in SEARCH_TRUE_NEGATIVE_RATES:
        far = far_from_true_negative_rate(rate)
        shipped_cosine = round(shipped.cosine_threshold(rate), 6)
        candidate, method = None, None
        if pairs >= pairs_to_estimate(far):
            candidate, method = _round_up(threshold_at_far(impostor, far)), "measured"
        elif tail is not None and far < tail.p_u:
            candidate, method = _round_up(tail.threshold(far)), "tail fit"
        if previous is None:
            floor = shipped_cosine
        elif candidate is not None:  # the customer's own scores say how far apart the rates are
            floor = round(previous[0] + 1e-6, 6)
        else:  # no word from the customer's data: keep the shipped step above the rate before
            floor = round(previous[0] + (shipped_cosine - previous[1]), 6)
        used = max(shipped_cosine, floor, candidate if candidate is not None else -1.0)
        if candidate is not None and candidate >= used:
            origin = f"tenant {method}"
        elif used > shipped_cosine:
            origin = "shipped, raised with the rate before"
        else:
            origin = "shipped"
        if used >= 1.0:
            raise ValueError(f"the threshold for {rate} would be cosine {used:.4f} ≥ 1 (nothing accepted): "
                             "this data's impostor scores are too high to calibrate on")  # fmt: skip
        above = int(np.count_nonzero(impostor >= used))
        thresholds[rate] = {
            "far": far,
            "cosine": used,
            "similarity": round(float(similarity_from_cosine(used)), 4),
            "source": origin,
            "shipped_cosine": shipped_cosine,
            "tenant_cosine": candidate,
            "tenant_method": method,
            "tar": round(float(np.mean(genuine >= used)), 6) if len(genuine) else None,
            "impostor_pairs_above": above,
            "far_upper_95": float(f"{far_upper_bound(above, pairs):.4g}"),
            "pairs_to_bound": pairs_to_bound(far),
            "pairs_to_estimate": pairs_to_estimate(far),
        }
        previous = (used, shipped_cosine)
    return TenantTable(
        scheme=scheme,
        thresholds=thresholds,
        identities=len(set(data.identities)),
        images=data.total,
        genuine_pairs=int(len(genuine)),
        impostor_pairs=pairs,
        failure_to_enroll=round(len(data.failed) / max(1, data.total), 6),
        source=source,
    )


def tenant_table_markdown(table: TenantTable) -> str:
    """The table as ``facesaas calibrate --tenant`` prints it (docs/accuracy.md explains the columns)."""
    lines = [
        f"Source: {table.source}; embedding scheme {table.scheme}; {table.images} images of {table.identities} "
        f"identities (failure to enroll {table.failure_to_enroll:.2%}); {table.genuine_pairs:,} genuine and "
        f"{table.impostor_pairs:,} impostor pairs.",
        "",
        "| true_negative_rate | FAR | impostor pairs to check / to measure | cosine used | similarity | source "
        "| yours | shipped | TAR (yours) | false accepts (yours) | FAR ≤ (95 %, yours) |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for rate, row in table.thresholds.items():
        far = far_from_true_negative_rate(rate)

        def cell(key: str, spec: str, row: dict = row) -> str:  # a hand-made table may lack the evidence
            value = row.get(key)
            return "—" if value is None else format(value, spec)

        own = "—" if row.get("tenant_cosine") is None else f"{row['tenant_cosine']:.4f} ({row.get('tenant_method')})"
        lines.append(
            f"| {rate} | {far:.0e} | {pairs_to_bound(far):,} / {pairs_to_estimate(far):,} | {row['cosine']:.4f} "
            f"| {float(similarity_from_cosine(row['cosine'])):.2f} | {row.get('source', '—')} | {own} "
            f"| {cell('shipped_cosine', '.4f')} | {cell('tar', '.4f')} | {cell('impostor_pairs_above', 'd')} "
            f"| {cell('far_upper_95', '.2g')} |"
        )
    return "\n".join(lines) + "\n"
