"""Mesh watermarks: found, told apart and painted out on the shared clean ID portraits meshed
by the test-suite generator (three styles, JPEG 85)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facesaas.face.calibration import load_calibration
from facesaas.face.engine import get_engine
from facesaas.face.watermark import NO_MESH, read_mesh, remove_mesh
from tests.watermark.generator import STYLES, add_mesh


@pytest.fixture(scope="module")
def portraits(shared_data: Path) -> list[np.ndarray]:
    paths = sorted((shared_data / "watermarked" / "clean").glob("*.jpg"))
    assert len(paths) == 16
    return [cv2.imread(str(path)) for path in paths]


def test_generator_is_seeded_and_draws_every_style(portraits: list[np.ndarray]) -> None:
    photo = portraits[0]
    for style in STYLES.values():
        first = add_mesh(photo, np.random.default_rng(1), style)
        assert np.array_equal(first, add_mesh(photo, np.random.default_rng(1), style))
        assert first.shape == photo.shape and np.abs(first.astype(int) - photo).mean() > 3
    with pytest.raises(ValueError, match="unknown mesh style"):
        add_mesh(photo, np.random.default_rng(1), "plaid")


def test_meshes_are_found_and_clean_photos_mostly_are_not(portraits: list[np.ndarray]) -> None:
    rng = np.random.default_rng(3)
    kinds = {kind: [read_mesh(add_mesh(photo, rng, style)).kind for photo in portraits] for kind, style in STYLES.items()}
    assert kinds[5].count(5) >= 15  # pale finance mesh
    assert kinds[7].count(7) >= 15  # dark police waves
    # Wire mesh is told from police waves by its two crossing line directions; some are
    # still read as police (10 of 16 right here; docs/accuracy.md has the rates).
    assert kinds[9].count(9) >= 10 and sum(kind in (7, 9) for kind in kinds[9]) >= 15
    # A few clean portraits show strokes (hair, collars): 12 of 16 read as clean here; painting
    # those strokes out costs nothing measurable (docs/accuracy.md, clean sent as 101).
    assert [read_mesh(photo).kind for photo in portraits].count(NO_MESH) >= 12
    unmeshed = next(photo for photo in portraits if read_mesh(photo).kind == NO_MESH)
    assert remove_mesh(unmeshed) is unmeshed  # nothing found: the photo is not touched


def test_removing_the_mesh_brings_the_face_back(portraits: list[np.ndarray]) -> None:
    engine, threshold = get_engine(), load_calibration().similarity_threshold("99.99")
    rng = np.random.default_rng(3)
    before, after = [], []
    for photo in portraits:
        clean = engine.analyze(photo).faces[0].embedding
        for style in STYLES.values():
            meshed = add_mesh(photo, rng, style)
            for scores, image in ((before, meshed), (after, remove_mesh(meshed))):
                faces = engine.analyze(image).faces
                scores.append(engine.similarity(clean, faces[0].embedding) if faces else 0.0)
    accepted_before = np.mean(np.array(before) >= threshold)
    accepted_after = np.mean(np.array(after) >= threshold)
    # Measured: 73 % → 100 % of the 48 meshed photos verified against their clean original
    # (the goal is 95 %).
    assert accepted_after >= 0.95 and accepted_after > accepted_before + 0.1
