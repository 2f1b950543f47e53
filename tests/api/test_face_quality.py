"""Face quality over signed HTTP: CS201.1's face_quality, and 102.1's enrolment gate (rtn -3004,
nothing stored; FACESAAS_ENROL_QUALITY and options.quality_gate). The poor faces are real photos
with synthetic defects (painted sunglasses, blur) made here."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from facesaas.api.server import BackgroundServer
from facesaas.sdk import ApiError, Client
from facesaas.sdk.client import REGISTER_PATH
from facesaas.settings import Settings
from facesaas.tenants.service import NewCredentials
from tests.conftest import RunningServer

QUALITY_FIELDS = {"score", "inter_ocular", "face_height", "sharpness", "yaw", "pitch", "roll", "brightness",
                  "dark_share", "bright_share", "occlusion", "detector_score", "failed_lenient", "failed_strict"}  # fmt: skip


def _jpeg(bgr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def astronaut_bgr() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def sunglasses_jpeg(astronaut_bgr: np.ndarray) -> bytes:
    """The astronaut with dark lenses painted over both eyes (a synthetic occlusion)."""
    from facesaas.face.engine import get_engine

    detection = get_engine().detect(astronaut_bgr)[0]
    out, (eye_a, eye_b) = astronaut_bgr.copy(), detection.landmarks[:2]
    iod = float(np.hypot(*(eye_b - eye_a)))
    for eye in (eye_a, eye_b):
        cv2.ellipse(out, (int(eye[0]), int(eye[1])), (int(0.42 * iod), int(0.28 * iod)), 0, 0, 360, (25, 22, 20), -1)
    return _jpeg(out)


def _error(call) -> ApiError:  # noqa: ANN001
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def _stored_nothing(client: Client, astronaut_jpeg: bytes, settings: Settings) -> None:
    feature = client.feature_extraction(astronaut_jpeg)["feature"]
    assert client.retrieval_in_repo(label=2, feature=feature)["repo_result"] == []
    assert _error(lambda: client.retrieval_in_repo(label=2, repo_name="q", feature=feature)).rtn == -4001
    images = settings.face_images_dir
    assert not images.exists() or not any(p.is_file() for p in images.rglob("*"))


def test_extraction_returns_one_quality_per_face_only_when_asked(client: Client, astronaut_jpeg: bytes,
                                                                 sunglasses_jpeg: bytes) -> None:  # fmt: skip
    plain = client.feature_extraction(astronaut_jpeg, image_type=1)
    assert "face_quality" not in plain
    result = client.feature_extraction(astronaut_jpeg, image_type=1, return_face_quality=True)
    (quality,) = result["face_quality"]
    assert set(quality) == QUALITY_FIELDS
    assert quality["failed_lenient"] == [] and quality["score"] >= 90 and result["feature"] == plain["feature"]
    (covered,) = client.feature_extraction(sunglasses_jpeg, image_type=1, return_face_quality=True)["face_quality"]
    assert covered["failed_lenient"] == ["occlusion"] and covered["score"] < quality["score"]


def test_extraction_of_two_faces_gives_two_qualities_in_feature_order(client: Client, shared_data: Path) -> None:
    group = (shared_data / "multi_face" / "multi" / "deepface_couple.jpg").read_bytes()
    result = client.feature_extraction(group, image_type=3, max_faces_allowed=2, return_face_quality=True)
    qualities = result["face_quality"]
    assert len(qualities) == 2
    assert qualities[0]["face_height"] >= qualities[1]["face_height"]  # largest first, as the feature


def test_register_returns_the_quality_of_the_enrolled_face(client: Client, astronaut_jpeg: bytes) -> None:
    answer = client.register_in_repo("q", "astro", image=astronaut_jpeg)
    assert set(answer["face_quality"]) == QUALITY_FIELDS and answer["face_quality"]["failed_lenient"] == []
    feature = client.feature_extraction(astronaut_jpeg)["feature"]
    assert "face_quality" not in client.register_in_repo("q", "by-feature", feature=feature)  # nothing to judge


def test_the_default_lenient_gate_refuses_covered_eyes_and_stores_nothing(
    client: Client, server: RunningServer, astronaut_jpeg: bytes, sunglasses_jpeg: bytes
) -> None:
    assert server.settings.enrol_quality == "lenient"
    error = _error(lambda: client.register_in_repo("q", "shady", image=sunglasses_jpeg))
    assert (error.rtn, error.http_status) == (-3004, 422)
    assert error.message.startswith("face quality too poor for enrolment: user_info.image_content at gate 'lenient'")
    assert "occlusion: occlusion" in error.message
    _stored_nothing(client, astronaut_jpeg, server.settings)
    # The same user_id is free: the refused register left no row behind.
    assert client.register_in_repo("q", "shady", image=astronaut_jpeg)["rtn"] == 0


def test_a_blurred_face_is_refused_naming_blur(
    client: Client, server: RunningServer, astronaut_bgr: np.ndarray, astronaut_jpeg: bytes
) -> None:
    blurred = _jpeg(cv2.GaussianBlur(astronaut_bgr, (0, 0), 4))
    error = _error(lambda: client.register_in_repo("q", "smeared", image=blurred))
    assert error.rtn == -3004 and "blur: sharpness" in error.message
    _stored_nothing(client, astronaut_jpeg, server.settings)


def test_the_request_option_overrides_the_gate(
    client: Client, astronaut_bgr: np.ndarray, sunglasses_jpeg: bytes
) -> None:
    answer = client.register_in_repo("q", "shady", image=sunglasses_jpeg, quality_gate="off")
    assert answer["face_quality"]["failed_lenient"] == ["occlusion"]  # stored anyway, and told why it is poor
    # A slightly small face passes lenient but not strict (inter-ocular distance under 30 px).
    scale = 25 / 43.7
    small = _jpeg(cv2.resize(astronaut_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    assert client.register_in_repo("q", "small", image=small)["face_quality"]["failed_strict"] == ["size"]
    error = _error(lambda: client.register_in_repo("q", "small2", image=small, quality_gate="strict"))
    assert error.rtn == -3004 and "size: inter-ocular" in error.message


@pytest.mark.parametrize("value", ["medium", "", 1, True])
def test_an_unknown_gate_level_is_refused(client: Client, astronaut_jpeg: bytes, value: object) -> None:
    import base64

    body = {"mode": 1, "user_info": {"user_id": "a", "repo_name": "q", "label": 2,
                                     "image_content": base64.b64encode(astronaut_jpeg).decode()},
            "options": {"image_type": 1, "quality_gate": value}}  # fmt: skip
    assert _error(lambda: client.call(REGISTER_PATH, body)).rtn == -2003


@pytest.fixture
def ungated(settings: Settings, credentials: NewCredentials) -> Iterator[Client]:
    """A server whose deployment turned the enrolment gate off (FACESAAS_ENROL_QUALITY=off)."""
    off = settings.model_copy(update={"enrol_quality": "off"})
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    with (
        BackgroundServer(off) as url,
        Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as sdk,
    ):
        yield sdk


def test_the_setting_turns_the_gate_off(ungated: Client, sunglasses_jpeg: bytes) -> None:
    answer = ungated.register_in_repo("q", "shady", image=sunglasses_jpeg)
    assert answer["rtn"] == 0 and answer["face_quality"]["failed_lenient"] == ["occlusion"]
    # ... and a request may still ask for it.
    error = _error(lambda: ungated.register_in_repo("q", "shady2", image=sunglasses_jpeg, quality_gate="lenient"))
    assert error.rtn == -3004
