"""What each image type changes before detection (facesaas.recognition.image_types)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facesaas.face.watermark import NO_MESH
from facesaas.recognition.image_types import SMALL_MESH_WIDTH, faces_to_compare, prepare, refined_type, second_looks
from tests.watermark.generator import add_mesh


@pytest.fixture
def portrait(shared_data: Path) -> np.ndarray:
    return cv2.imread(str(shared_data / "watermarked" / "clean" / "meshtest.jpg"))


def test_refined_type_follows_the_manuals_sizes() -> None:
    for kind in (5, 7, 9):
        assert refined_type(kind, 102) == kind
        assert refined_type(kind, SMALL_MESH_WIDTH) == kind
        assert refined_type(kind, SMALL_MESH_WIDTH + 1) == kind + 1
        assert refined_type(kind, 178) == kind + 1


def test_non_mesh_types_pass_the_photo_through(portrait: np.ndarray) -> None:
    for image_type in (1, 2, 3, 4):
        prepared = prepare(portrait, image_type)
        assert prepared.image is portrait and prepared.image_type == image_type and prepared.mesh is None
        assert not prepared.demeshed


def test_mesh_types_clean_the_photo_at_its_own_size(portrait: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    small = cv2.resize(portrait, (102, 126), interpolation=cv2.INTER_AREA)
    for photo in (portrait, small):
        found = 0
        for _ in range(6):  # a police mesh is missed now and then (docs/accuracy.md: ~10 %)
            meshed = add_mesh(photo, rng, "police")
            prepared = prepare(meshed, 101)
            assert prepared.image.shape == meshed.shape
            if not prepared.demeshed:
                assert prepared.image is meshed and prepared.image_type == 1
                continue
            found += 1
            assert prepared.image_type in (refined_type(7, photo.shape[1]), refined_type(9, photo.shape[1]))
            # Painting the strokes out brings the photo closer to the clean one.
            assert np.abs(prepared.image.astype(int) - photo).mean() < np.abs(meshed.astype(int) - photo).mean()
        assert found >= 4, photo.shape


def test_declared_kind_is_believed_and_polarity_is_the_declared_ones(portrait: np.ndarray) -> None:
    pale = add_mesh(portrait, np.random.default_rng(4), "finance")
    # Declared police (dark): the pale strokes are not looked for, so nothing is found…
    declared = prepare(pale, 7)
    assert declared.mesh is not None and declared.mesh.kind == NO_MESH and declared.image is pale
    assert declared.image_type == 8  # …and the type is reported as declared.
    assert prepare(pale, 5).demeshed and prepare(pale, 101).image_type == 6
    assert prepare(portrait, 101).image_type == 1  # no mesh: an ordinary ID photo


def test_scene_queries_compare_one_face() -> None:
    assert faces_to_compare(302, 4) == 1 and faces_to_compare(303, 2) == 1
    assert faces_to_compare(301, 3) == 3 and faces_to_compare(2, 1) == 1 and faces_to_compare(4, 2) == 2


def test_meshed_photos_go_through_the_learned_demesher_of_their_size(portrait: np.ndarray) -> None:
    from facesaas.face.demesher import get_demesher, get_small_demesher
    from facesaas.face.watermark import read_mesh, remove_mesh

    rng = np.random.default_rng(8)
    small = cv2.resize(portrait, (102, 126), interpolation=cv2.INTER_AREA)
    for photo in (portrait, small):
        meshed = add_mesh(photo, rng, "wire")
        prepared = prepare(meshed, 9)
        assert prepared.demeshed
        expected = (get_demesher() if photo.shape[1] > SMALL_MESH_WIDTH else get_small_demesher()).run(meshed)
        assert np.array_equal(prepared.image, expected), photo.shape
        # The second look is the classical remover, at both sizes.
        look = next(second_looks(meshed, prepared))
        assert np.array_equal(look.image, remove_mesh(meshed, read_mesh(meshed, 9))), photo.shape


def test_a_face_lost_by_the_first_remover_gets_a_second_look(portrait: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """If de-meshing leaves no detectable face, the classical remover's output and then the photo as
    received are tried before -3001; a photo whose face survives is analysed once."""
    from facesaas.face.demesher import Demesher
    from facesaas.face.engine import get_engine
    from facesaas.recognition.image_types import analyze_prepared

    engine = get_engine()
    meshed = add_mesh(portrait, np.random.default_rng(5), "wire")
    assert meshed.shape[1] > SMALL_MESH_WIDTH and prepare(meshed, 101).demeshed
    first, analysis = analyze_prepared(engine, meshed, 101)
    assert analysis.faces and first.image is not meshed
    wiped = {"calls": 0}

    def wipe(self: Demesher, bgr: np.ndarray) -> np.ndarray:  # a remover that loses the face
        wiped["calls"] += 1
        return np.full_like(bgr, 128)

    monkeypatch.setattr(Demesher, "run", wipe)
    second, analysis = analyze_prepared(engine, meshed, 101)
    assert wiped["calls"] == 1 and analysis.faces  # the inpainted version still shows the face
    assert second.demeshed and second.image_type == first.image_type
    assert float(analysis.faces[0].embedding @ engine.analyze(portrait).faces[0].embedding) > 0.5
    # Nothing to look at twice when the photo had no mesh to remove.
    assert list(second_looks(portrait, prepare(portrait, 1))) == []
