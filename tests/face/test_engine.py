import numpy as np
import pytest

from facesaas.face.engine import _unrotate_box, get_engine
from facesaas.face.image import decode_image


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_unrotate_box_maps_back_to_the_original(degrees: int) -> None:
    import cv2

    height, width = 60, 100
    image = np.zeros((height, width), np.uint8)
    image[10:20, 30:50] = 255  # box x=30, y=10, w=20, h=10
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    rotated = image if degrees == 0 else cv2.rotate(image, codes[degrees])
    ys, xs = np.nonzero(rotated)
    box = (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min())
    assert _unrotate_box(box, degrees, (height, width)) == (30, 10, 20, 10)


def test_analyze_reports_rotation_and_box_in_original_frame(astronaut_jpeg: bytes) -> None:
    import cv2

    engine = get_engine()
    upright = decode_image(astronaut_jpeg, field="a", max_bytes=10**7, max_pixels=10**8)
    base = engine.analyze(upright)
    turned = cv2.rotate(upright, cv2.ROTATE_90_CLOCKWISE)
    found = engine.analyze(turned, auto_rotate=True)
    assert found.rotation == 270  # turning it back counter-clockwise is what finds the face
    assert float(found.faces[0].embedding @ base.faces[0].embedding) > 0.9
    x, y, w, h = found.faces[0].box
    assert 0 <= x and x + w <= turned.shape[1] and 0 <= y and y + h <= turned.shape[0]


def test_blank_image_has_no_face() -> None:
    assert get_engine().analyze(np.full((200, 200, 3), 128, np.uint8)).faces == []


def test_similarity_scale() -> None:
    engine = get_engine()
    a = np.eye(128, dtype=np.float32)[0]
    assert engine.similarity(a, a) == pytest.approx(100)
    assert engine.similarity(a, -a) == pytest.approx(0)
    assert engine.similarity(a, np.eye(128, dtype=np.float32)[1]) == pytest.approx(50)


def test_model_failures_are_wrapped(astronaut_jpeg: bytes) -> None:
    from facesaas.errors import InternalError
    from facesaas.face.engine import FaceEngine

    class Broken:
        def get_inputs(self):  # noqa: ANN202
            return get_engine().detector._session.get_inputs()  # noqa: SLF001

        def get_outputs(self):  # noqa: ANN202
            return get_engine().detector._session.get_outputs()  # noqa: SLF001

        def run(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise RuntimeError("onnxruntime exploded")

    from facesaas.face.detector import YuNetDetector

    engine = FaceEngine(YuNetDetector(Broken()), get_engine().embedder)
    image = decode_image(astronaut_jpeg, field="a", max_bytes=10**7, max_pixels=10**8)
    with pytest.raises(InternalError) as info:
        engine.analyze(image)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_mirror_scheme_averages_the_face_and_its_mirror(astronaut_jpeg: bytes) -> None:
    from facesaas.face.embedder import align_face, get_scheme
    from facesaas.face.engine import FaceEngine

    base = get_engine()
    plain = FaceEngine(base.detector, base.embedder, get_scheme("sface"))
    mirror = FaceEngine(base.detector, base.embedder, get_scheme("sface-mirror"))
    bgr = decode_image(astronaut_jpeg, field="a", max_bytes=10**7, max_pixels=10**8)
    crop = align_face(bgr, plain.detect(bgr)[0].landmarks)
    expected = base.embedder.embed(crop) + base.embedder.embed(np.ascontiguousarray(crop[:, ::-1]))
    expected /= np.linalg.norm(expected)
    face = mirror.analyze(bgr, flip=True).faces[0]
    assert np.allclose(face.embedding, expected, atol=1e-6) and abs(np.linalg.norm(face.embedding) - 1) < 1e-5
    assert face.flip_embedding is face.embedding  # the mean of a face and its mirror is its mirror's too
    plain_face = plain.analyze(bgr, flip=True).faces[0]
    assert np.allclose(plain_face.embedding, base.embedder.embed(crop), atol=1e-6)
    assert 0.9 < float(plain_face.embedding @ plain_face.flip_embedding) < 0.9999


def test_unknown_scheme_is_a_configuration_error() -> None:
    from facesaas.errors import ConfigurationError
    from facesaas.face.engine import FaceEngine

    with pytest.raises(ConfigurationError, match="unknown embedding scheme 'arcface'; known: sface, sface-mirror"):
        FaceEngine.load(scheme="arcface")
