"""Hostile and careless inputs: each gets its documented code, never a 500."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from facesaas.sdk import Client
from facesaas.sdk.client import EXTRACTION_PATH, VERIFICATION_PATH
from tests.conftest import RunningServer, raw_json
from tests.images import png_bomb

FACE = "7437/084788.jpg"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _expect(response: httpx.Response, rtn: int, status: int) -> dict:
    data = response.json()
    assert (data["rtn"], response.status_code) == (rtn, status), data
    assert data["global_request_id"]
    return data


def test_truncated_jpeg(client: Client, celeba: Path) -> None:
    data = (celeba / FACE).read_bytes()
    body = raw_json({"image_content": _b64(data[: len(data) // 2]), "image_type": 3})
    _expect(client.post_raw(EXTRACTION_PATH, body), -2008, 400)


def test_png_decompression_bomb_is_refused_before_decoding(client: Client) -> None:
    bomb = png_bomb()
    assert len(bomb) < 1024 * 1024
    body = raw_json({"image_content": _b64(bomb), "image_type": 3})
    data = _expect(client.post_raw(EXTRACTION_PATH, body), -2009, 413)
    assert "pixels" in data["message"]
    # A bomb below Pillow's own guard is stopped by ours, which names the size.
    modest = png_bomb(8000, 8000)
    body = raw_json({"image_content": _b64(modest), "image_type": 3})
    assert "8000x8000" in _expect(client.post_raw(EXTRACTION_PATH, body), -2009, 413)["message"]


def test_five_megabyte_body(client: Client) -> None:
    body = raw_json({"image_content": "A" * (6 * 1024 * 1024), "image_type": 3})
    _expect(client.post_raw(EXTRACTION_PATH, body), -2004, 413)


def test_five_megabyte_body_is_refused_before_auth_work(server: RunningServer) -> None:
    response = httpx.post(server.url + EXTRACTION_PATH, content=b"x" * (6 * 1024 * 1024))
    _expect(response, -2004, 413)


@pytest.mark.parametrize(
    "value",
    ["not base64!", "QUJD\nREVG", "QUJDRA", "////", "", "🙂🙂🙂🙂"],
    ids=["symbols", "line-break", "no-padding", "valid-but-not-image", "empty", "non-ascii"],
)
def test_garbage_base64(client: Client, value: str) -> None:
    body = raw_json({"image_content": value, "image_type": 3})
    response = client.post_raw(EXTRACTION_PATH, body)
    expected = -2007 if value == "////" else -2005  # "////" decodes, to bytes that are no image
    _expect(response, expected, 400)


def test_not_an_image_format(client: Client) -> None:
    gif = b"GIF89a" + b"\x00" * 64
    _expect(client.post_raw(EXTRACTION_PATH, raw_json({"image_content": _b64(gif), "image_type": 3})), -2007, 400)


@pytest.mark.parametrize(
    "body,rtn",
    [
        ({"image_content": 12345, "image_type": 3}, -2003),
        ({"image_content": "QUJD", "image_type": "3"}, -2003),
        ({"image_content": "QUJD", "image_type": 3.0}, -2003),
        ({"image_content": "QUJD", "image_type": 3, "auto_rotate": 1}, -2003),
        ({"image_content": "QUJD", "image_type": 3, "auto_rotate": "true"}, -2003),
        ({"image_content": "QUJD", "image_type": 3, "max_faces_allowed": None}, -2003),
        ({"image_content": ["QUJD"], "image_type": 3}, -2003),
        ({"image_type": 3}, -2002),
        ({"image_content": "QUJD"}, -2002),
        ({}, -2002),
    ],
)
def test_wrong_types_and_missing_fields_in_extraction(client: Client, body: dict, rtn: int) -> None:
    data = _expect(client.post_raw(EXTRACTION_PATH, raw_json(body)), rtn, 400)
    assert ":" in data["message"]  # the detail names the field


@pytest.mark.parametrize(
    "body,rtn",
    [
        ({"query_image_feature": 1, "database_image_feature": "x"}, -2003),
        ({"query_image_feature": "QUJD", "database_image_feature": "QUJD", "true_negative_rate": 99.99}, -2003),
        ({"query_image_feature": "QUJD", "database_image_feature": "QUJD", "enable_verify_detail": "yes"}, -2003),
        ({"query_image_feature": "QUJD"}, -2002),
    ],
)
def test_wrong_types_and_missing_fields_in_verification(client: Client, body: dict, rtn: int) -> None:
    _expect(client.post_raw(VERIFICATION_PATH, raw_json(body)), rtn, 400)


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"[1, 2]", b'"string"', b"\xff\xfe{}", b'{"a": ' * 5000],
    ids=["empty", "text", "array", "string", "not-utf8", "deeply-nested"],
)
def test_bodies_that_are_not_json_objects(client: Client, raw: bytes) -> None:
    _expect(client.post_raw(EXTRACTION_PATH, raw), -2001, 400)


def test_features_that_are_not_ours(client: Client, celeba: Path) -> None:
    good = client.feature_extraction((celeba / FACE).read_bytes(), image_type=3)["feature"]
    raw = base64.b64decode(good)
    cases = {
        "QUJD": -2010,  # too short
        _b64(b"XXXX" + raw[4:]): -2010,  # bad magic
        _b64(raw[:4] + b"\x09" + raw[5:]): -2010,  # unknown version
        _b64(raw[:5] + b"\x07" + raw[6:]): -2011,  # another model
        _b64(raw[:-4]): -2010,  # truncated
        _b64(raw[:10] + b"\x00\x00\x80\x7f" * 128): -2010,  # infinities
        _b64(raw[:10] + b"\x00\x00\x00\x40" * 128): -2010,  # not normalised
    }
    for feature, rtn in cases.items():
        body = raw_json({"query_image_feature": feature, "database_image_feature": good})
        _expect(client.post_raw(VERIFICATION_PATH, body), rtn, 400)


def test_routing_errors_use_the_same_envelope(server: RunningServer) -> None:
    _expect(httpx.get(server.url + EXTRACTION_PATH), -4005, 405)
    _expect(httpx.post(server.url + "/face/v1/nothing", content=b"{}"), -4004, 404)


def test_health_and_openapi_are_public(server: RunningServer) -> None:
    assert httpx.get(server.url + "/healthz").json()["rtn"] == 0
    schema = httpx.get(server.url + "/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "人脸个数" in components["ExtractionResponse"]["properties"]["face_num"]["description"]
    assert "误报率" in components["VerificationRequest"]["properties"]["true_negative_rate"]["description"]
    operation = schema["paths"][VERIFICATION_PATH]["post"]
    assert {p["name"] for p in operation["parameters"]} == {"x-access-id", "x-signature"}
    assert httpx.get(server.url + "/docs").status_code == 200


def test_a_bug_becomes_a_clean_internal_error(client: Client, celeba: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception is logged and answered as -5000 without internals."""
    from facesaas.recognition import service

    def explode(*args: object) -> None:
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(service, "extract_features", explode)
    body = raw_json({"image_content": _b64((celeba / FACE).read_bytes()), "image_type": 3})
    response = client.post_raw(EXTRACTION_PATH, body)
    data = _expect(response, -5000, 500)
    assert "secret" not in data["message"]
    assert response.headers["x-request-id"] == data["global_request_id"]


def test_fuzz_findings_are_documented_refusals(client: Client, astronaut_jpeg: bytes) -> None:
    """Regressions of what fuzzing over HTTP found (docs/reliability.md), on both databases: key
    points nested past the JSON parser's depth or holding an integer past float range were
    500s; a session_id with a NUL was a 500 on PostgreSQL (text cannot hold NUL)."""
    from facesaas.sdk.client import VIDEO_RESULT_PATH

    feature = client.feature_extraction(astronaut_jpeg)["feature"]
    for points in ("[" * 50_000, "[[" + "9" * 400 + ", 1], [1, 2], [1, 2], [1, 2], [1, 2]]"):
        body = raw_json({"query_image_content": _b64(astronaut_jpeg), "database_image_feature": feature,
                         "query_image_additional_info": {"face_key_point_info": points,
                                                         "infrared_face_image_content": _b64(astronaut_jpeg)}})  # fmt: skip
        _expect(client.post_raw(VERIFICATION_PATH, body), -2003, 400)
    for session_id in ("\x00", "0" * 31 + "\x00", "A" * 32):
        _expect(client.post_raw(VIDEO_RESULT_PATH, raw_json({"session_id": session_id})), -6001, 404)
