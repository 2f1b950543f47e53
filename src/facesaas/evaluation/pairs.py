"""Accept/reject rates on a labelled pair list (celeba ``pairs.tsv``) through the HTTP API.

Each image is sent once to CS201.1 (feature extraction); each pair is then verified with
CS202.2 on the two feature strings at every requested ``true_negative_rate``, so the numbers
are what a client of the service gets. An image without a detectable face makes its pairs
rejections (counted separately as ``no_face_pairs``). Photos over the manual's 1 MB limit (2
of celeba's 2,487) are shrunk first with :func:`facesaas.sdk.fit_image`, as a client would.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from facesaas.sdk.client import ApiError, Client
from facesaas.sdk.images import fit_image

__all__ = ["Pair", "PairRates", "read_pairs", "evaluate_pairs"]


@dataclass(frozen=True)
class Pair:
    fold: int
    same: bool
    image1: str
    image2: str


@dataclass
class PairRates:
    """Per true_negative_rate: accepted same-person pairs (TAR) and different-person pairs (FAR)."""

    same_pairs: int = 0
    different_pairs: int = 0
    no_face_pairs: int = 0
    accepted_same: dict[str, int] = field(default_factory=dict)
    accepted_different: dict[str, int] = field(default_factory=dict)

    def tar(self, rate: str) -> float:
        return self.accepted_same.get(rate, 0) / max(1, self.same_pairs)

    def far(self, rate: str) -> float:
        return self.accepted_different.get(rate, 0) / max(1, self.different_pairs)


def read_pairs(pairs_tsv: Path, folds: Iterable[int] | None = None) -> list[Pair]:
    wanted = None if folds is None else set(folds)
    with open(pairs_tsv, encoding="utf-8", newline="") as handle:
        rows = [Pair(int(r["fold"]), r["same"] == "1", r["image1"], r["image2"]) for r in csv.DictReader(handle, delimiter="\t")]
    return [p for p in rows if wanted is None or p.fold in wanted]


def evaluate_pairs(client: Client, image_dir: Path, pairs: list[Pair], rates: Iterable[str]) -> PairRates:
    """Run the pairs through the API. Cost: one extraction per unique image, one cheap
    feature-vs-feature verification per pair and rate."""
    rates = list(rates)
    features: dict[str, str | None] = {}
    for name in sorted({p.image1 for p in pairs} | {p.image2 for p in pairs}):
        try:
            features[name] = client.feature_extraction(fit_image((image_dir / name).read_bytes()), image_type=3)["feature"]
        except ApiError as exc:
            if exc.rtn != -3001:
                raise
            features[name] = None
    result = PairRates(accepted_same={r: 0 for r in rates}, accepted_different={r: 0 for r in rates})
    for pair in pairs:
        if pair.same:
            result.same_pairs += 1
        else:
            result.different_pairs += 1
        query, database = features[pair.image1], features[pair.image2]
        if query is None or database is None:
            result.no_face_pairs += 1
            continue
        for rate in rates:
            answer = client.face_pair_verification(query_feature=query, database_feature=database, true_negative_rate=rate)
            if answer["pair_verify_result"] == 0:
                bucket = result.accepted_same if pair.same else result.accepted_different
                bucket[rate] += 1
    return result
