"""Calibration: the builder on a small real subset, and the shipped table's sanity."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from facesaas.cli import cli
from facesaas.errors import ConfigurationError
from facesaas.evaluation.calibrate import EmbeddedSet, build_calibration, read_labels
from facesaas.evaluation.tailfit import threshold_at_far
from facesaas.face.calibration import TRUE_NEGATIVE_RATES, calibration_file, load_calibration
from facesaas.face.embedder import SCHEMES


def test_threshold_at_far_keeps_at_most_the_allowed_impostors() -> None:
    impostor = np.linspace(-1, 1, 10_001)
    for far in (1e-1, 1e-2, 1e-3, 1e-4):
        threshold = threshold_at_far(impostor, far)
        assert np.mean(impostor >= threshold) <= far
        assert np.mean(impostor >= np.nextafter(threshold, -np.inf) - 1e-3) > far - 1e-4


def test_threshold_at_far_counts_exact_fractions() -> None:
    impostor = np.arange(3000, dtype=np.float64)
    for accepted in (1, 3, 7, 29):
        threshold = threshold_at_far(impostor, accepted / 3000)
        assert int((impostor >= threshold).sum()) == accepted


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_shipped_tables_are_ordered_and_documented(scheme: str) -> None:
    calibration = load_calibration(scheme)
    assert calibration.scheme == scheme
    cosines = [calibration.cosine_threshold(rate) for rate in TRUE_NEGATIVE_RATES]
    assert cosines == sorted(cosines) and 0 < cosines[0] < 1
    shipped = json.loads(resources.files("facesaas.face").joinpath(calibration_file(scheme)).read_text())
    assert shipped["scheme"] == scheme and shipped["source"]["impostor_pairs"] > 1_000_000
    accuracy = (Path(__file__).resolve().parents[2] / "docs" / "accuracy.md").read_text()
    assert f"{shipped['thresholds']['99.99']['cosine']:.4f}" in accuracy, "docs/accuracy.md is out of date"


def test_a_table_of_another_scheme_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from facesaas.face import calibration as module

    plain = resources.files("facesaas.face").joinpath("calibration-sface.json").read_text()
    monkeypatch.setattr(module.resources, "files", lambda package: _OneFile(plain))
    load_calibration.cache_clear()
    try:
        with pytest.raises(ConfigurationError, match="holds thresholds of scheme 'sface', not 'sface-mirror'"):
            load_calibration("sface-mirror")
        with pytest.raises(ConfigurationError, match="unknown embedding scheme 'arcface'"):
            load_calibration("arcface")
    finally:
        load_calibration.cache_clear()


class _OneFile:
    """Stands in for importlib.resources: every file reads as ``text``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def joinpath(self, name: str) -> _OneFile:
        return self

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.text


def test_build_calibration_on_synthetic_scores() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 128))
    vectors, ids = [], []
    for identity, centre in enumerate(centres):
        for _ in range(4):
            v = centre + rng.normal(scale=0.6, size=128)
            vectors.append(v / np.linalg.norm(v))
            ids.append(str(identity))
    data = EmbeddedSet([str(i) for i in range(200)], ids, np.asarray(vectors, np.float32), failed=["x.jpg"])
    table = build_calibration(data, "synthetic", "sface")
    assert table["source"]["genuine_pairs"] == 50 * 6
    assert table["source"]["failure_to_enroll"] == pytest.approx(1 / 201, abs=1e-6)
    assert table["thresholds"]["99.9"]["tar"] > 0.9


def test_calibrate_command_on_a_real_subset(celeba: Path, tmp_path: Path) -> None:
    subset = tmp_path / "subset"
    subset.mkdir()
    rows = read_labels(celeba)
    keep = [r for r in rows if r[1] in {rows[0][1], rows[20][1], rows[60][1], rows[120][1]}]
    (subset / "labels.tsv").write_text("image\tidentity\n" + "".join(f"{i}\t{c}\n" for i, c in keep))
    for image, _ in keep:
        (subset / image).parent.mkdir(exist_ok=True)
        (subset / image).symlink_to(celeba / image)
    out = tmp_path / "calibration.json"
    result = CliRunner().invoke(cli, ["calibrate", str(subset), "--out", str(out), "--scheme", "sface"], catch_exceptions=False)
    assert result.exit_code == 0 and "| FAR |" in result.output
    table = json.loads(out.read_text())
    assert table["source"]["images"] == len(keep)
    assert set(table["thresholds"]) == set(TRUE_NEGATIVE_RATES) and table["scheme"] == "sface"
