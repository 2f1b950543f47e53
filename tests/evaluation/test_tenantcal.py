"""The per-tenant choice rule (facesaas.evaluation.tenantcal) on embeddings with known structure."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from facesaas.evaluation.calibrate import EmbeddedSet
from facesaas.evaluation.tenantcal import (
    build_tenant_table,
    far_upper_bound,
    folder_rows,
    pairs_to_bound,
    pairs_to_estimate,
    repository_set,
)
from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES, load_calibration
from facesaas.face.embedder import DEFAULT_SCHEME
from facesaas.tenants.calibration import table_problem


def _population(identities: int, per_identity: int, common: float, seed: int = 0) -> EmbeddedSet:
    """Unit vectors: a shared direction weighted ``common`` (it raises every impostor cosine by
    about common²/(1 + common²): a "hard" population), one centre per identity, noise per photo."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=128)
    shared /= np.linalg.norm(shared)
    vectors, ids = [], []
    for identity in range(identities):
        centre = rng.normal(size=128)
        centre /= np.linalg.norm(centre)
        for _ in range(per_identity):
            v = common * shared + centre + rng.normal(scale=0.05, size=128)
            vectors.append(v / np.linalg.norm(v))
            ids.append(f"p{identity}")
    names = [f"{ident}/{n}.jpg" for n, ident in enumerate(ids)]
    return EmbeddedSet(names, ids, np.asarray(vectors, np.float32), failed=[])


def _rising(table) -> bool:  # noqa: ANN001
    cosines = [table.thresholds[rate]["cosine"] for rate in SEARCH_TRUE_NEGATIVE_RATES]
    return all(low < high for low, high in zip(cosines, cosines[1:], strict=False))


def test_pairs_needed_follow_the_rule_of_three_and_ten() -> None:
    assert (pairs_to_bound(1e-4), pairs_to_estimate(1e-4)) == (30_000, 100_000)
    assert (pairs_to_bound(1e-5), pairs_to_estimate(1e-5)) == (300_000, 1_000_000)
    assert (pairs_to_bound(1e-3), pairs_to_estimate(1e-3)) == (3_000, 10_000)


def test_far_upper_bound_is_the_poisson_bound() -> None:
    # Zero false accepts in N pairs: −ln(0.05)/N ≈ 2.996/N — the rule of three.
    assert far_upper_bound(0, 30_000) == pytest.approx(-math.log(0.05) / 30_000, rel=1e-6)
    assert far_upper_bound(0, 30_000) <= 1e-4 < far_upper_bound(0, 29_000)
    # Known Poisson 95 % upper limits: k = 1 → 4.744, k = 5 → 10.513.
    assert far_upper_bound(1, 1000) == pytest.approx(4.744e-3, rel=1e-3)
    assert far_upper_bound(5, 1000) == pytest.approx(10.513e-3, rel=1e-3)
    assert far_upper_bound(0, 0) == 1.0


def test_too_few_pairs_keep_every_shipped_threshold() -> None:
    shipped = load_calibration()
    data = _population(identities=20, per_identity=3, common=1.0)  # 1,710 impostor pairs
    table = build_tenant_table(data, shipped, "synthetic", DEFAULT_SCHEME)
    assert table.impostor_pairs == 60 * 59 // 2 - 20 * 3 and table.genuine_pairs == 20 * 3
    for rate in SEARCH_TRUE_NEGATIVE_RATES:
        row = table.thresholds[rate]
        assert row["source"] == "shipped" and row["tenant_cosine"] is None
        assert row["cosine"] == pytest.approx(shipped.cosine_threshold(rate), abs=1e-6)
        assert row["far_upper_95"] > row["far"]  # 1,710 pairs cannot check even 1e-3
    assert table_problem(table, DEFAULT_SCHEME) is None


def test_a_hard_population_raises_thresholds_and_the_rest_follow() -> None:
    shipped = load_calibration()
    # 150 identities, one photo each: 11,175 impostor pairs ≥ 10/1e-3, < 100,000 (no tail fit).
    data = _population(identities=150, per_identity=1, common=1.0)
    table = build_tenant_table(data, shipped, "synthetic", DEFAULT_SCHEME)
    first = table.thresholds["99.9"]
    assert first["source"] == "tenant measured" and first["cosine"] > shipped.cosine_threshold("99.9")
    assert first["impostor_pairs_above"] <= 11  # at most FAR 1e-3 of 11,175
    assert first["tar"] is None  # no genuine pairs
    step = shipped.cosine_threshold("99.99") - shipped.cosine_threshold("99.9")
    second = table.thresholds["99.99"]
    assert second["source"] == "shipped, raised with the rate before" and second["tenant_cosine"] is None
    assert second["cosine"] == pytest.approx(first["cosine"] + step, abs=2e-6)
    assert _rising(table) and table_problem(table, DEFAULT_SCHEME) is None


def test_an_easy_population_never_lowers_a_threshold() -> None:
    shipped = load_calibration()
    data = _population(identities=150, per_identity=1, common=0.0)  # random directions: cosines ~0 ± 0.09
    table = build_tenant_table(data, shipped, "synthetic", DEFAULT_SCHEME)
    first = table.thresholds["99.9"]
    assert first["tenant_method"] == "measured" and first["tenant_cosine"] < shipped.cosine_threshold("99.9")
    assert first["source"] == "shipped" and first["cosine"] == pytest.approx(shipped.cosine_threshold("99.9"), abs=1e-6)
    assert first["impostor_pairs_above"] == 0 and first["far_upper_95"] < 1e-3  # the shipped one checks out


def test_enough_pairs_for_a_tail_fit_extrapolate_the_low_rates() -> None:
    shipped = load_calibration()
    # 520 identities × 1: 134,940 impostor pairs: 1e-3 and 1e-4 measured, below by the tail fit.
    data = _population(identities=520, per_identity=1, common=1.0, seed=3)
    table = build_tenant_table(data, shipped, "synthetic", DEFAULT_SCHEME)
    assert table.thresholds["99.99"]["tenant_method"] == "measured"
    assert table.thresholds["99.999"]["tenant_method"] == "tail fit"
    assert table.thresholds["99.9999999"]["tenant_method"] == "tail fit"
    assert any(table.thresholds[rate]["source"] == "tenant tail fit" for rate in SEARCH_TRUE_NEGATIVE_RATES[2:])
    assert _rising(table)


def test_the_other_scheme_and_broken_tables_are_refused() -> None:
    table = build_tenant_table(_population(30, 2, 0.5), load_calibration(), "synthetic", "sface")
    assert "sface" in table_problem(table, DEFAULT_SCHEME)
    broken = build_tenant_table(_population(30, 2, 0.5), load_calibration(), "synthetic", DEFAULT_SCHEME)
    broken.thresholds["99.99"]["cosine"] = 0.99  # above 99.999's
    assert "rise" in table_problem(broken, DEFAULT_SCHEME)


def test_too_large_or_single_identity_sets_are_refused() -> None:
    with pytest.raises(ValueError, match="two identities"):
        build_tenant_table(_population(1, 5, 0.0), load_calibration(), "x", DEFAULT_SCHEME)


def test_folder_rows_reads_labels_or_identity_folders(tmp_path: Path) -> None:
    for person, photos in {"ann": ["1.jpg", "2.PNG"], "bo": ["a.jpeg"], ".hidden": ["x.jpg"]}.items():
        (tmp_path / person).mkdir()
        for photo in photos:
            (tmp_path / person / photo).write_bytes(b"")
    (tmp_path / "ann" / "notes.txt").write_text("not a photo")
    (tmp_path / "loose.jpg").write_bytes(b"")
    assert folder_rows(tmp_path) == [("ann/1.jpg", "ann"), ("ann/2.PNG", "ann"), ("bo/a.jpeg", "bo")]
    (tmp_path / "labels.tsv").write_text("image\tidentity\nloose.jpg\tzed\n")
    assert folder_rows(tmp_path) == [("loose.jpg", "zed")]
    with pytest.raises(ValueError, match="no labels.tsv"):
        folder_rows(tmp_path / "bo")


def test_repository_set_takes_identities_from_user_ids() -> None:
    data = repository_set(["alice#1", "alice#2", "bob", "a#b#3"], np.eye(4, 128, dtype=np.float32))
    assert data.identities == ["alice", "alice", "bob", "a#b"] and data.total == 4
    assert repository_set(["x-1", "x-2"], np.eye(2, 128), separator="-").identities == ["x", "x"]
