"""The infrared check of query_image_additional_info on a real face and rendered IR frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facesaas.face.engine import get_engine
from facesaas.liveness.infrared import check_infrared
from tests.imagetypes.generator import infrared, screen_infrared


@pytest.fixture
def colour(astronaut_jpeg: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(astronaut_jpeg, np.uint8), cv2.IMREAD_COLOR)


def test_live_frame_passes_and_screen_or_colour_frames_fail(colour: np.ndarray) -> None:
    engine = get_engine()
    face = engine.detect(colour)[0]
    live = check_infrared(engine, infrared(colour, np.random.default_rng(1)), face, colour.shape)
    assert live.is_live and live.infrared_face_num == 1 and live.message == "OK"
    screen = check_infrared(engine, screen_infrared(colour.shape[:2], np.random.default_rng(1)), face, colour.shape)
    assert not screen.is_live and screen.infrared_face_num == 0 and "no face" in screen.message
    assert not check_infrared(engine, colour, face, colour.shape).is_live  # a colour photo is no IR frame


def test_infrared_face_must_be_where_the_colour_face_is(colour: np.ndarray) -> None:
    engine = get_engine()
    face = engine.detect(colour)[0]
    frame = infrared(colour, np.random.default_rng(1))
    moved = np.roll(frame, frame.shape[1] // 2, axis=1)  # the face half a frame to the side
    result = check_infrared(engine, moved, face, colour.shape)
    assert not result.is_live and "not where" in result.message
    # Key points on the IR face pass; points elsewhere fail.
    marks = np.asarray(engine.detect(frame)[0].landmarks, np.float64)
    assert check_infrared(engine, frame, face, colour.shape, marks).is_live
    assert not check_infrared(engine, frame, face, colour.shape, marks + [frame.shape[1] / 2, 0]).is_live
