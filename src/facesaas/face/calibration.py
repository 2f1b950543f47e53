"""Similarity scale and false-accept-rate thresholds.

Similarity is ``50 × (1 + cosine)`` of the two unit embeddings: 0–100, strictly monotonic in
the embedding similarity, 50 for unrelated vectors. The thresholds for each
``true_negative_rate`` come from ``calibration-<scheme>.json`` shipped in this package, one per
embedding scheme (:mod:`facesaas.face.embedder`: one scheme's scores say nothing about
another's), rebuilt by ``make calibrate`` (see :mod:`facesaas.evaluation.calibrate` and
docs/accuracy.md).
Rates down to "99.999" (FAR 1e-5) are measured; the 1:N search rates below are extrapolated from
a fit of the impostor score tail (:mod:`facesaas.evaluation.tailfit`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from facesaas.errors import ConfigurationError
from facesaas.face.embedder import DEFAULT_SCHEME, get_scheme

__all__ = [
    "Calibration",
    "expected_fpir",
    "far_from_true_negative_rate",
    "load_calibration",
    "similarity_from_cosine",
    "SEARCH_TRUE_NEGATIVE_RATES",
    "TRUE_NEGATIVE_RATES",
]

TRUE_NEGATIVE_RATES: tuple[str, ...] = ("99.9", "99.99", "99.999")
"""The values the manual allows for 1:1 verification; "99.99" means FAR 1e-4."""

SEARCH_TRUE_NEGATIVE_RATES: tuple[str, ...] = (
    "99.9",
    "99.99",
    "99.999",
    "99.9999",
    "99.99999",
    "99.999999",
    "99.9999999",
)
"""All rates in the table, for 1:N search: FAR 1e-3 … 1e-9 per comparison. The first three are
measured, the rest extrapolated (the table marks each entry's ``method``)."""


def similarity_from_cosine(cosine: np.ndarray | float) -> np.ndarray | float:
    """Map cosine similarity (−1..1) to the API's 0–100 similarity."""
    return np.clip(50.0 * (1.0 + np.asarray(cosine, dtype=np.float64)), 0.0, 100.0)


@dataclass(frozen=True)
class Calibration:
    """Cosine thresholds per true_negative_rate string, and the data they were measured on."""

    thresholds: dict[str, float]
    source: dict
    roc: tuple[tuple[float, float], ...] = ()
    """Measured (false-accept rate, cosine threshold) points, FAR 1e-2 … 1e-5."""
    scheme: str = DEFAULT_SCHEME
    """The embedding scheme whose scores these thresholds are for."""

    def cosine_threshold(self, true_negative_rate: str) -> float:
        """Cosine threshold (−1..1) for a rate of :data:`SEARCH_TRUE_NEGATIVE_RATES`; KeyError otherwise."""
        return self.thresholds[true_negative_rate]

    def similarity_threshold(self, true_negative_rate: str) -> float:
        """The same threshold on the API's 0–100 similarity scale."""
        return float(similarity_from_cosine(self.thresholds[true_negative_rate]))

    def similarity_at_far(self, far: float) -> float:
        """The 0–100 similarity threshold measured for false-accept rate ``far`` (one of the
        ROC points, e.g. 1e-2, which no true_negative_rate names); KeyError otherwise."""
        for rate, cosine in self.roc:
            if abs(rate - far) <= 1e-12:
                return float(similarity_from_cosine(cosine))
        raise KeyError(far)


def far_from_true_negative_rate(rate: str) -> float:
    """"99.99" → 1e-4 (the per-comparison false-accept rate)."""
    return round(1.0 - float(rate) / 100.0, 12)


def expected_fpir(far: float, gallery_size: int) -> float:
    """The expected false-positive identification rate of a search for someone not enrolled
    among ``gallery_size`` faces, each compared at per-comparison false-accept rate ``far``:
    ``1 − (1 − far)^N`` (≈ N·far while that is small), assuming independent comparisons.
    Computed as ``−expm1(N·log1p(−far))`` so that 1e-9 × 10 M keeps its digits. O(1)."""
    if gallery_size <= 0 or far <= 0.0:
        return 0.0
    return float(-np.expm1(gallery_size * np.log1p(-far)))


def calibration_file(scheme: str) -> str:
    """The shipped table's file name for ``scheme`` (inside the ``facesaas.face`` package)."""
    return f"calibration-{get_scheme(scheme).name}.json"


@lru_cache(maxsize=4)
def load_calibration(scheme: str = DEFAULT_SCHEME) -> Calibration:
    """Load the shipped calibration table of embedding scheme ``scheme`` once: thresholds for all
    :data:`SEARCH_TRUE_NEGATIVE_RATES`, which must rise strictly with the rate."""
    name = calibration_file(scheme)
    try:
        text = resources.files("facesaas.face").joinpath(name).read_text("utf-8")
        data = json.loads(text)
        thresholds = {rate: float(data["thresholds"][rate]["cosine"]) for rate in SEARCH_TRUE_NEGATIVE_RATES}
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"{name} unreadable: {exc}") from exc
    if data.get("scheme") != scheme:
        raise ConfigurationError(f"{name} holds thresholds of scheme {data.get('scheme')!r}, not {scheme!r}")
    cosines = list(thresholds.values())
    if any(low >= high for low, high in zip(cosines, cosines[1:], strict=False)):
        raise ConfigurationError(f"{name} thresholds do not rise with true_negative_rate: {thresholds}")
    try:
        roc = tuple((float(point["far"]), float(point["cosine"])) for point in data.get("roc", []))
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"{name} roc unreadable: {exc}") from exc
    return Calibration(thresholds=thresholds, source=data.get("source", {}), roc=roc, scheme=scheme)
