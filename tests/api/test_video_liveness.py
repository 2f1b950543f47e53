"""H5 video liveness over real HTTP: 101.4/101.5 signed by the SDK, the page's token-gated
calls, real clips of a real face (generated motion), every refusal with its code."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import cv2
import httpx
import numpy as np
import pytest
from skimage import data

from facesaas.api.server import BackgroundServer
from facesaas.face.embedder import DEFAULT_SCHEME, SCHEMES
from facesaas.face.feature import decode_feature
from facesaas.sdk import ApiError, Client
from facesaas.settings import Settings
from facesaas.tenants.service import TenantService
from tests.conftest import RunningServer
from tests.liveness.clips import attack_clip, encode, live_clip

SCHEME = SCHEMES[DEFAULT_SCHEME]
"""The embedding scheme of a server with default settings."""


def _astronaut() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def _performed(actions: list[str], seed: int = 11) -> bytes:
    """A WebM clip (VP8, as Chromium records) of the astronaut doing ``actions`` in order."""
    return encode(live_clip(_astronaut(), actions, np.random.default_rng(seed), fps=15), "webm", "vp8")


def _error(response: httpx.Response) -> int:
    body = response.json()
    assert set(body) >= {"rtn", "message", "global_request_id"}
    return body["rtn"]


def test_a_live_clip_passes_once(client: Client, server: RunningServer, astronaut_jpeg: bytes) -> None:
    created = client.create_video_session(action_count=2, database_image=astronaut_jpeg,
                                          customer_defined_content="loan 42")  # fmt: skip
    assert created["page_url"] == f"{server.url}/h5/liveness/{created['token']}"
    token, actions = created["token"], created["actions"]
    info = httpx.get(f"{server.url}/h5/api/{token}").json()
    assert info["rtn"] == 0 and info["actions"] == actions and 0 < info["expires_in_ms"] <= 300_000
    assert client.query_video_result(created["session_id"])["session_status"] == "pending"

    answer = httpx.post(f"{server.url}/h5/api/{token}/video", content=_performed(actions), timeout=120,
                        headers={"content-type": "video/webm"}).json()  # fmt: skip
    assert answer["rtn"] == 0 and answer["is_live"] is True, answer
    assert answer["invalid_reason"] == "" and answer["page_message"].startswith("通过")
    assert set(answer) == {"rtn", "message", "global_request_id", "is_live", "invalid_reason", "page_message"}

    described = client.query_video_result(created["session_id"])
    assert described["session_status"] == "done" and described["customer_defined_content"] == "loan 42"
    result = described["video_liveness_result"]
    assert result["is_live"] is True and result["failed_checks"] == [] and result["unexpected_actions"] == []
    assert [a["action"] for a in result["actions"]] == actions and all(a["detected"] for a in result["actions"])
    assert result["actions"][0]["peak_ms"] < result["actions"][1]["peak_ms"]
    assert result["is_same_person"] is True and result["pair_verify_result"] == 0
    assert result["pair_verify_similarity"] > 80
    assert decode_feature(result["feature_string"], "feature", SCHEME).shape == (1, 128)
    frame = cv2.imdecode(np.frombuffer(base64.b64decode(result["best_frame_image_content"]), np.uint8), cv2.IMREAD_COLOR)
    assert frame.shape == (480, 640, 3)
    assert result["video_container"] == "webm" and result["video_codec"] == "vp8"

    again = httpx.post(f"{server.url}/h5/api/{token}/video", content=_performed(actions), timeout=120)
    assert again.status_code == 409 and _error(again) == -6003
    assert _error(httpx.get(f"{server.url}/h5/api/{token}")) == -6003
    assert _error(httpx.post(f"{server.url}/h5/api/{token}/preview", content=b"x")) == -6003


def test_a_clip_for_another_sequence_fails(client: Client, server: RunningServer) -> None:
    created = client.create_video_session(action_count=3)
    requested = created["actions"]
    clip = attack_clip("wrong_order", [_astronaut()], requested, np.random.default_rng(5), fps=15)
    answer = httpx.post(f"{server.url}/h5/api/{created['token']}/video", content=encode(clip), timeout=120).json()
    assert answer["is_live"] is False
    result = client.query_video_result(created["session_id"])["video_liveness_result"]
    assert result["invalid_reason"] in ("actions_missing", "unexpected_actions"), result["failed_checks"]
    # The page is told only that liveness was not confirmed; the back end knows why.
    assert answer["invalid_reason"] in ("actions_missing", "not_live")


def test_broken_uploads_leave_the_token_usable(client: Client, server: RunningServer) -> None:
    created = client.create_video_session(action_count=2)
    url = f"{server.url}/h5/api/{created['token']}/video"
    for body, rtn in ((b"", -2015), (b"not a video at all", -2015), (b"\x1a\x45\xdf\xa3" + bytes(3000), -2015)):
        response = httpx.post(url, content=body)
        assert response.status_code == 400 and _error(response) == rtn
    assert client.query_video_result(created["session_id"])["session_status"] == "pending"
    assert httpx.post(url, content=_performed(created["actions"]), timeout=120).json()["rtn"] == 0


@pytest.fixture
def small_server(settings: Settings) -> Iterator[RunningServer]:
    """A server with a 200 KB clip limit, a 3 s duration limit and 2 previews per session."""
    chosen = settings.model_copy(update={"max_video_bytes": 200_000, "max_video_seconds": 3.0, "h5_max_preview_frames": 2})
    with BackgroundServer(chosen) as url:
        yield RunningServer(url, chosen, (chosen.keys_dir / "server_public.pem").read_text())


def test_limits(small_server: RunningServer, tenants: TenantService, astronaut_jpeg: bytes) -> None:
    creds = tenants.create("small")
    with Client(small_server.url, creds.tenant.access_id, creds.access_key, small_server.public_pem) as sdk:
        created = sdk.create_video_session()
    url = f"{small_server.url}/h5/api/{created['token']}"
    big = httpx.post(f"{url}/video", content=bytes(200_001))
    assert big.status_code == 413 and _error(big) == -2014
    clip = live_clip(_astronaut(), ["blink", "nod", "turn_left"], np.random.default_rng(2), fps=10)
    small = encode(clip, "webm", "vp8", bitrate=100_000)
    assert len(small) < 200_000 and len(clip.frames) > 40
    long = httpx.post(f"{url}/video", content=small, timeout=60)
    assert long.status_code == 413 and _error(long) == -2016
    for _ in range(2):
        assert httpx.post(f"{url}/preview", content=astronaut_jpeg).json()["rtn"] == 0
    refused = httpx.post(f"{url}/preview", content=astronaut_jpeg)
    assert refused.status_code == 429 and _error(refused) == -6004
    assert httpx.get(url).json()["preview_frames_left"] == 0


def test_preview_measures_a_face(client: Client, server: RunningServer, astronaut_jpeg: bytes) -> None:
    token = client.create_video_session()["token"]
    answer = httpx.post(f"{server.url}/h5/api/{token}/preview", content=astronaut_jpeg).json()
    assert answer["rtn"] == 0 and answer["face_count"] == 1
    assert 0.2 < answer["face_rect"]["x"] < 0.6 and 0 < answer["face_rect"]["w"] < 0.5
    assert abs(answer["yaw"]) < 15 and 0.15 < answer["eye"] < 0.5 and answer["mouth"] < 0.3
    blank = cv2.imencode(".jpg", np.full((240, 320, 3), 128, np.uint8))[1].tobytes()
    assert httpx.post(f"{server.url}/h5/api/{token}/preview", content=blank).json()["face_count"] == 0
    for body, rtn in ((b"GIF89a....", -2007), (b"\xff\xd8\xff\xe0garbage", -2008)):
        assert _error(httpx.post(f"{server.url}/h5/api/{token}/preview", content=body)) == rtn
    assert _error(httpx.post(f"{server.url}/h5/api/{token}/preview", content=bytes(300_001))) == -2004


def test_unknown_tokens(server: RunningServer) -> None:
    traversal = httpx.get(f"{server.url}/h5/api/..%2F..%2Fetc")  # not a route at all once decoded
    assert traversal.status_code == 404 and _error(traversal) == -4004
    for token in ("nope", "A" * 43, "%00", "%E2%80%AE"):
        assert _error(httpx.get(f"{server.url}/h5/api/{token}")) == -6001
        assert _error(httpx.post(f"{server.url}/h5/api/{token}/preview", content=b"x")) == -6001
        response = httpx.post(f"{server.url}/h5/api/{token}/video", content=bytes(10))
        assert response.status_code == 404 and _error(response) == -6001


def test_create_validation(client: Client, astronaut_jpeg: bytes) -> None:
    cases = [
        ({"action_count": 1}, -2003), ({"action_count": 5}, -2003), ({"action_count": "3"}, -2003),
        ({"expire_seconds": 29}, -2003), ({"expire_seconds": 3601}, -2003), ({"true_negative_rate": "99"}, -2003),
        ({"check_anti_screen_threshold": "medium"}, -2003), ({"customer_defined_content": "x" * 1025}, -2003),
        ({"database_image_content": base64.b64encode(astronaut_jpeg).decode()}, -2002),
        ({"database_image_content": "!!!", "database_image_type": 1}, -2005),
        ({"database_image_content": "eA==", "database_image_feature": "eA==", "database_image_type": 1}, -2003),
        ({"database_image_feature": "AAAA"}, -2010),
        ({"database_image_feature": "AAAA", "database_image_type": 101}, -2003),
    ]  # fmt: skip
    for payload, rtn in cases:
        with pytest.raises(ApiError) as caught:
            client.call("/face/basic/video_liveness/create_session", payload)
        assert caught.value.rtn == rtn, payload
    blank = cv2.imencode(".jpg", np.full((200, 200, 3), 90, np.uint8))[1].tobytes()
    with pytest.raises(ApiError) as caught:
        client.create_video_session(database_image=blank)
    assert caught.value.rtn == -3001
    for payload, rtn in (({}, -2002), ({"session_id": 7}, -2003), ({"session_id": "0" * 32}, -6001)):
        with pytest.raises(ApiError) as caught:
            client.call("/face/basic/video_liveness/query_result", payload)
        assert caught.value.rtn == rtn


def test_sessions_are_private_to_their_customer(client: Client, server: RunningServer, tenants: TenantService) -> None:
    created = client.create_video_session()
    other = tenants.create("someone else")
    with Client(server.url, other.tenant.access_id, other.access_key, server.public_pem) as sdk:
        with pytest.raises(ApiError) as caught:
            sdk.query_video_result(created["session_id"])
    assert caught.value.rtn == -6001 and caught.value.http_status == 404


def test_page_headers_and_assets(client: Client, server: RunningServer) -> None:
    token = client.create_video_session()["token"]
    page = httpx.get(f"{server.url}/h5/liveness/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store" and "camera=(self)" in page.headers["permissions-policy"]
    assert token not in page.text  # the page holds no data; its script reads the token from the URL
    for name in ("h5.js", "h5.css"):
        asset = httpx.get(f"{server.url}/h5/static/{name}")
        assert asset.status_code == 200 and "no-store" not in asset.headers["cache-control"]
    for name in ("nope.js", "..%2F__init__.py", "routes.py"):
        response = httpx.get(f"{server.url}/h5/static/{name}")
        assert response.status_code == 404 and _error(response) == -4004
    # Every asset the page names is served from here.
    for src in ("/h5/static/h5.js", "/h5/static/h5.css"):
        assert src in page.text


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {getattr(record, 'fields', '')}")


def test_the_token_is_never_logged(client: Client, server: RunningServer, astronaut_jpeg: bytes) -> None:
    handler, logger = _Records(), logging.getLogger("facesaas")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        token = client.create_video_session()["token"]
        httpx.get(f"{server.url}/h5/liveness/{token}")
        httpx.get(f"{server.url}/h5/api/{token}")
        httpx.post(f"{server.url}/h5/api/{token}/preview", content=astronaut_jpeg)
        httpx.post(f"{server.url}/h5/api/{token}/video", content=b"junk")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    h5_lines = [line for line in handler.lines if "/h5/" in line]
    assert len(h5_lines) >= 4  # the access log did record the calls (positive control)
    assert all(token not in line for line in handler.lines)
    assert any("/h5/api/{token}/preview" in line for line in h5_lines)
