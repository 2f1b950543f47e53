"""celeba pairs.tsv through the signed HTTP API (fold 0: 300 same + 300 different pairs)."""

from __future__ import annotations

from pathlib import Path

from facesaas.evaluation.pairs import evaluate_pairs, read_pairs
from facesaas.sdk import Client


def test_fold0_accept_and_reject_rates(client: Client, celeba: Path) -> None:
    pairs = read_pairs(celeba / "pairs.tsv", folds=[0])
    assert len(pairs) == 600
    rates = evaluate_pairs(client, celeba, pairs, ["99.9", "99.99"])
    assert rates.same_pairs == rates.different_pairs == 300
    # Calibrated on all celeba pairs: TAR 0.88 at 1e-3 and 0.83 at 1e-4. Fold-level noise on
    # 300 pairs is about ±2.5 points; these bounds catch a broken pipeline, not noise.
    assert rates.tar("99.9") >= 0.80
    assert rates.tar("99.99") >= 0.75
    assert rates.tar("99.9") >= rates.tar("99.99")
    # 300 impostor pairs at FAR 1e-3 expect 0.3 false accepts; 3 would be a 1% FAR.
    assert rates.far("99.9") <= 0.01
    assert rates.far("99.99") <= 0.0034
