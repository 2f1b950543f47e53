"""The six checks on real faces and simple, exact manipulations of them (the attack generator's
sequences are measured by bench/liveness.py)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facesaas.face.calibration import load_calibration
from facesaas.face.engine import get_engine
from facesaas.liveness import checks
from facesaas.liveness.service import run_check

T = checks.THRESHOLDS


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def _frames(*images: np.ndarray) -> list[checks.Frame]:
    return checks.observe(get_engine(), list(images))


def _tilted(image: np.ndarray, seed: int) -> np.ndarray:
    """The same picture moved and tilted a little: what a camera sees of a flat photo."""
    h, w = image.shape[:2]
    rng = np.random.default_rng(seed)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    moved = (corners + rng.uniform(-0.04, 0.04, (4, 2)) * [w, h]).astype(np.float32)
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(corners, moved), (w, h), borderMode=cv2.BORDER_REPLICATE)


def test_a_flat_picture_fails_anti_picture_and_anti_hole(astronaut: np.ndarray) -> None:
    frames = _frames(astronaut, _tilted(astronaut, 1), _tilted(astronaut, 2))
    for name in ("anti_picture", "anti_hole"):
        result = run_check(name, frames, "low")
        assert result.valid and not result.passed and result.score < T[name]["low"], name
    assert not run_check("anti_picture", _frames(astronaut), "medium").valid  # one image: cannot judge


def test_different_real_photos_are_not_flat(celeba: Path) -> None:
    photos = [cv2.imread(str(path)) for path in sorted((celeba / "7201").iterdir())[:3]]
    frames = _frames(*photos)
    for name in ("anti_picture", "anti_hole"):
        result = run_check(name, frames, "high")
        assert result.valid and result.passed, (name, result)


def test_dark_illumination_levels(astronaut: np.ndarray) -> None:
    bright = _frames(astronaut)
    assert run_check("dark_illumination", bright, "low").passed
    dim = _frames((astronaut.astype(np.float32) * 0.25).astype(np.uint8))  # ~30 of 255 on the face
    assert run_check("dark_illumination", dim, "high").passed
    assert run_check("dark_illumination", dim, "medium").passed
    assert not run_check("dark_illumination", dim, "low").passed
    black = _frames(np.full_like(astronaut, 3))  # no face to find: still judged, and dark
    result = run_check("dark_illumination", black, "high")
    assert result.valid and not result.passed


def test_covered_eyes_fail_eye_blockage(astronaut: np.ndarray) -> None:
    frames = _frames(astronaut)
    assert run_check("anti_eye_blockage", frames, "medium").passed
    covered = astronaut.copy()
    face = frames[0].face
    assert face is not None
    iod = frames[0].inter_ocular
    for x, y in face.landmarks[:2]:
        cv2.ellipse(covered, (int(x), int(y)), (int(0.45 * iod), int(0.3 * iod)), 0, 0, 360, (25, 25, 25), -1)
    result = run_check("anti_eye_blockage", _frames(covered), "low")
    assert result.valid and not result.passed


def test_same_person_links_every_image(astronaut: np.ndarray, celeba: Path) -> None:
    from facesaas.liveness.service import SAME_PERSON_FAR

    engine, threshold = get_engine(), load_calibration().similarity_at_far(SAME_PERSON_FAR)
    same = checks.same_person(engine, _frames(astronaut, _tilted(astronaut, 3)), threshold)
    assert same.valid and same.passed and same.score > 90
    stranger = cv2.imread(str(sorted((celeba / "7201").iterdir())[0]))
    swapped = checks.same_person(engine, _frames(astronaut, _tilted(astronaut, 3), stranger), threshold)
    assert swapped.valid and not swapped.passed
    assert not checks.same_person(engine, _frames(astronaut), threshold).valid


def test_screen_grid_fails_anti_screen(astronaut: np.ndarray) -> None:
    assert run_check("anti_screen", _frames(astronaut), "high").passed
    # A display's sub-pixel stripes at a 3 px pitch, photographed sharp.
    big = cv2.resize(astronaut, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST).astype(np.float32)
    stripes = np.zeros_like(big)
    for channel in range(3):
        stripes[:, channel::3, channel] = 1.0
    screen = np.clip(big * (0.1 + 1.5 * stripes), 0, 255).astype(np.uint8)
    result = run_check("anti_screen", _frames(screen), "high")
    assert result.valid and not result.passed
