"""bench/synthetic.py: the synthetic gallery is deterministic for any chunking, unit-norm, keeps
its identity layout, and its score distributions stay near celeba's stored statistics."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "synthetic.py"
_spec = importlib.util.spec_from_file_location("bench_synthetic", _PATH)
assert _spec is not None and _spec.loader is not None
synthetic = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = synthetic
_spec.loader.exec_module(synthetic)

SIZE = 2 * synthetic.BLOCK + 12_345  # three blocks, the last one partial


@pytest.fixture(scope="module")
def faces() -> synthetic.SyntheticFaces:
    return synthetic.SyntheticFaces(seed=3, gallery_size=SIZE)


@pytest.fixture(scope="module")
def gallery(faces: synthetic.SyntheticFaces) -> np.ndarray:
    return faces.gallery_chunk(0, SIZE)


def test_chunking_does_not_change_the_gallery(gallery: np.ndarray) -> None:
    fresh = synthetic.SyntheticFaces(seed=3, gallery_size=SIZE)
    bounds = [0, 1, 7_000, synthetic.BLOCK - 3, synthetic.BLOCK + 5, 100_000, SIZE - 1, SIZE]
    pairs = list(zip(bounds, bounds[1:], strict=False))
    chunks = {pair: fresh.gallery_chunk(*pair) for pair in reversed(pairs)}  # backwards, across block ends
    assert np.array_equal(np.concatenate([chunks[pair] for pair in pairs]), gallery)
    assert np.array_equal(
        fresh.gallery_chunk(synthetic.BLOCK - 10, synthetic.BLOCK + 10),
        gallery[synthetic.BLOCK - 10 : synthetic.BLOCK + 10],
    )
    # A smaller gallery of the same seed is a prefix; another seed is another population.
    assert np.array_equal(
        synthetic.SyntheticFaces(seed=3, gallery_size=70_000).gallery_chunk(0, 70_000), gallery[:70_000]
    )
    assert not np.allclose(synthetic.SyntheticFaces(seed=4, gallery_size=100).gallery_chunk(0, 100), gallery[:100])


def test_vectors_are_float32_unit_rows(faces: synthetic.SyntheticFaces, gallery: np.ndarray) -> None:
    assert gallery.dtype == np.float32 and gallery.shape == (SIZE, 128)
    assert np.allclose(np.linalg.norm(gallery, axis=1), 1.0, atol=1e-5)
    for mated in (True, False):
        probes, identities = faces.probes(500, mated=mated, seed=9)
        assert probes.dtype == np.float32 and probes.shape == (500, 128) and identities.dtype == np.int64
        assert np.allclose(np.linalg.norm(probes, axis=1), 1.0, atol=1e-5)
        assert np.array_equal(faces.probes(500, mated=mated, seed=9)[0], probes)
    with pytest.raises(IndexError):
        faces.gallery_chunk(SIZE - 1, SIZE + 1)


def test_identity_layout(faces: synthetic.SyntheticFaces, gallery: np.ndarray) -> None:
    ids = faces.identity_of(np.arange(SIZE))
    assert ids[0] == 0 and np.all(np.diff(ids) >= 0) and np.all(np.diff(ids) <= 1)
    assert faces.identity_count == ids[-1] + 1
    sizes = np.bincount(ids)
    assert set(np.unique(sizes)) == {1, 2, 3, 4, 5}  # faces_per_identity=(1, 5); identities never span blocks
    shuffled = np.random.default_rng(0).permutation(SIZE)[:5_000]
    assert np.array_equal(faces.identity_of(shuffled), ids[shuffled])
    assert np.array_equal(
        synthetic.SyntheticFaces(seed=3, gallery_size=SIZE, faces_per_identity=(2, 2)).identity_of(np.arange(6)),
        [0, 0, 1, 1, 2, 2],
    )
    # Consecutive faces of one identity look alike; of neighbouring identities they do not.
    same = np.einsum("nd,nd->n", gallery[:-1], gallery[1:])
    boundary = ids[:-1] != ids[1:]
    assert np.median(same[~boundary]) > 0.5 > 0.2 > np.median(same[boundary])


def test_probes_are_new_faces_of_the_right_identities(faces: synthetic.SyntheticFaces, gallery: np.ndarray) -> None:
    ids = faces.identity_of(np.arange(SIZE))
    mated, mated_ids = faces.probes(300, mated=True, seed=1)
    assert mated_ids.min() >= 0 and mated_ids.max() < faces.identity_count
    scores = mated @ gallery.T
    assert scores.max() < 0.9999, "a probe must not be a copy of a gallery face"
    own = np.array([scores[k, ids == identity].max() for k, identity in enumerate(mated_ids)])
    assert np.mean(own >= scores.max(axis=1)) > 0.9  # the best gallery match is mostly the own identity
    others, other_ids = faces.probes(300, mated=False, seed=1)
    assert np.all(other_ids == -1) and np.quantile((others @ gallery.T).max(axis=1), 0.5) < np.quantile(own, 0.5)


def test_score_distributions_match_the_stored_celeba_statistics(
    faces: synthetic.SyntheticFaces, gallery: np.ndarray
) -> None:
    stats = synthetic.sampled_pair_statistics(gallery, faces.identity_of(np.arange(SIZE)), 1_000_000, seed=2)
    target = faces.targets
    assert 0.05 < target["impostor_mean"] < 0.15 and 0.5 < target["genuine_q50"] < 0.7  # celeba's, as stored
    assert stats["impostor_mean"] == pytest.approx(target["impostor_mean"], abs=0.005)
    assert stats["impostor_std"] == pytest.approx(target["impostor_std"], abs=0.008)
    assert stats["impostor_q1e-3"] == pytest.approx(target["impostor_q1e-3"], abs=0.015)
    assert stats["genuine_q50"] == pytest.approx(target["genuine_q50"], abs=0.01)
    assert stats["genuine_q10"] == pytest.approx(target["genuine_q10"], abs=0.02)


def test_pair_statistics_on_known_pairs() -> None:
    vectors = np.eye(4, dtype=np.float32)[[0, 0, 1, 2]]
    vectors[1] = [0.6, 0.8, 0, 0]
    stats = synthetic.pair_statistics(vectors, np.array(["a", "a", "b", "c"]))
    assert stats["genuine_pairs"] == 1 and stats["genuine_q50"] == pytest.approx(0.6)
    assert stats["impostor_pairs"] == 5 and stats["impostor_mean"] == pytest.approx(0.8 / 5)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        synthetic.SyntheticFaces(faces_per_identity=(0, 3), gallery_size=10)
    with pytest.raises(ValueError):
        synthetic.SyntheticFaces(gallery_size=0)


def test_exact_top_is_the_brute_force_top(faces: synthetic.SyntheticFaces, gallery: np.ndarray) -> None:
    probes, _ = faces.probes(5, mated=True, seed=3)
    seen: list[int] = []
    scores, index = faces.exact_top(probes, 10, lambda start, chunk: seen.append(start))
    brute = probes @ gallery.T
    expected = np.argsort(-brute, axis=1, kind="stable")[:, :10]
    assert np.array_equal(index, expected)
    assert np.allclose(scores, np.take_along_axis(brute, expected, axis=1))
    assert seen == list(range(0, faces.gallery_size, synthetic.BLOCK))
