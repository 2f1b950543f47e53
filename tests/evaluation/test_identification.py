"""Identification metrics through a real temporary repository, on controlled embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facesaas.evaluation.calibrate import EmbeddedSet
from facesaas.evaluation.identification import evaluate_identification, identification_markdown


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_rank1_tpir_and_fpir(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    centres = _unit(rng.standard_normal((40, 128)))
    gallery = EmbeddedSet([f"g{i}" for i in range(40)], [str(i) for i in range(40)], centres, failed=[])
    # Probes 0-29: close to their own centre (cosine ~0.9). Probes 30-34: identity 39 whose face
    # is far from its gallery photo (rank-1 miss). Plus two probe images that failed to enrol.
    close = _unit(centres[:30] + 0.3 * _unit(rng.standard_normal((30, 128))))
    far = _unit(rng.standard_normal((5, 128)))
    probes = EmbeddedSet(
        [f"p{i}" for i in range(35)], [str(i) for i in range(30)] + ["39"] * 5, np.vstack([close, far]), failed=["x", "y"]
    )
    result = evaluate_identification(gallery, probes, ["99.9", "99.9999999"], workdir=tmp_path)
    assert (result.gallery, result.probes, result.probes_enrolled, result.distractors) == (40, 37, 35, 0)
    assert result.rank1 == pytest.approx(30 / 37)
    lenient, strict = result.rows
    assert lenient["tpir"] == pytest.approx(30 / 37)  # cosine ~0.9 passes every threshold
    assert strict["tpir"] == pytest.approx(30 / 37)
    assert lenient["fpir"] <= 0.1 and strict["fpir"] == 0.0  # random strangers stay below
    # A distractor placed right on probe 0's face wins rank-1 from its mate.
    distractors = np.vstack([close[:1], _unit(rng.standard_normal((100, 128)))])
    crowded = evaluate_identification(gallery, probes, ["99.9"], distractors=distractors, workdir=tmp_path)
    assert crowded.distractors == 101 and crowded.rank1 == pytest.approx(29 / 37)
    assert crowded.rows[0]["fpir"] >= 1 / 35
    table = identification_markdown([("synthetic", result)])
    assert "rank-1 identification rate **0.8108**" in table and "| 99.9999999 |" in table
