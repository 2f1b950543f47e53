"""The mesh-style families (tests/watermark/styles.py): seeded, distinct, and the hold-out is
never in the learned de-mesher's training data (scripts/train_demesher.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.watermark import styles
from tests.watermark.styles import FAMILIES, HOLDOUT, SIZES, TRAINING, draw_family, training_identity

ROOT = Path(__file__).resolve().parents[2]


def _trainer():  # noqa: ANN202 - a module
    spec = importlib.util.spec_from_file_location("train_demesher", ROOT / "scripts" / "train_demesher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _photo() -> np.ndarray:
    rng = np.random.default_rng(0)
    return cv2.resize(rng.integers(60, 200, (11, 9, 3), dtype=np.uint8), SIZES[0], interpolation=cv2.INTER_CUBIC)


def test_families_are_named_once_and_the_holdout_is_apart() -> None:
    assert len(set(FAMILIES)) == len(FAMILIES) == 8
    assert set(HOLDOUT).isdisjoint(TRAINING) and set(HOLDOUT) | set(TRAINING) == set(FAMILIES)
    with pytest.raises(ValueError, match="unknown mesh family"):
        draw_family(_photo(), np.random.default_rng(1), "plaid")


def test_draws_are_seeded_and_vary(photo: np.ndarray | None = None) -> None:
    photo = _photo()
    for family in FAMILIES:
        first = draw_family(photo, np.random.default_rng(5), family)
        again = draw_family(photo, np.random.default_rng(5), family)
        other = draw_family(photo, np.random.default_rng(6), family)
        assert np.array_equal(first.image, again.image) and first.image.shape == photo.shape
        assert not np.array_equal(first.alpha, other.alpha)
        assert 30 <= first.quality <= 95 and first.alpha.max() > 0.25


def test_families_differ_in_tone_line_directions_and_pairing() -> None:
    photo, rng = _photo(), np.random.default_rng(9)
    tones = {"dark": (10, 80), "pale": (215, 255), "grey": (90, 170)}
    for family in FAMILIES:
        for _ in range(8):
            tone = family.split("-")[0]
            if tone in tones:
                assert tones[tone][0] <= draw_family(photo, rng, family).colour <= tones[tone][1], family
            lines, _, alpha = styles._lines(rng, family, (220, 178), 1.0)
            assert 0.3 <= alpha <= 0.95
            # Each line's overall direction (start to end, mod 180°): lattices have two, the rest one.
            ends = np.array([points[-1] - points[0] for points, _ in lines])
            angles = np.degrees(np.arctan2(ends[:, 1], ends[:, 0])) % 180
            spread = np.abs((angles[:, None] - angles[None, :] + 90) % 180 - 90)
            directions = 2 if spread.max() > 30 else 1
            assert directions == (2 if family.endswith("lattice") else 1), family
            # Double waves come in pairs on one baseline (their centres coincide); other lines
            # are at least a spacing apart.
            centres = np.array([points.mean(axis=0) for points, _ in lines])
            gaps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
            if family == "double-waves":
                assert gaps[::2].max() < 1.0 and gaps[1::2].min() > 5, family
            elif not family.endswith("lattice"):
                assert gaps.min() > 5, family


def test_training_data_never_holds_a_holdout_family_or_an_evaluation_identity(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trainer = _trainer()
    assert training_identity("7200") and not training_identity("7201")
    # Which photos the trainer reads: only even (training) identities.
    read: list[Path] = []
    monkeypatch.setattr(cv2, "imread", lambda path, *a: read.append(Path(path)))
    assert trainer._portraits(shared_data, np.random.default_rng(0)) == []
    assert read and all(training_identity(path.parent.name) for path in read)
    monkeypatch.undo()
    # Which families it draws: only training ones.
    drawn: list[str] = []
    real = styles.draw_family

    def spy(bgr: np.ndarray, rng: np.random.Generator, family: str, **kwargs: object) -> styles.Mesh:
        drawn.append(family)
        return real(bgr, rng, family, **kwargs)

    monkeypatch.setattr(styles, "draw_family", spy)
    monkeypatch.setattr(trainer, "_portraits", lambda data, rng, per_identity: [_photo()])
    monkeypatch.setattr(trainer, "POOL", 200)
    inputs, targets = trainer.make_pool(shared_data, np.random.default_rng(0))
    assert len(inputs) == len(targets) == 200
    assert set(drawn) == set(TRAINING)  # every training family, no hold-out one
    assert {(t.shape[1], t.shape[0]) for t in targets} == set(SIZES)
    # The small-photo de-mesher (--size small): training families too, and 102 x 126 photos only.
    drawn.clear()
    monkeypatch.setattr(trainer, "SMALL_POOL", 200)
    inputs, targets = trainer.make_pool(shared_data, np.random.default_rng(0), (trainer.SMALL_SIZE,), small=True)
    assert len(inputs) == len(targets) == 200 and set(drawn) == set(TRAINING)
    assert {(t.shape[1], t.shape[0]) for t in targets} == {trainer.SMALL_SIZE} == {SIZES[1]}
