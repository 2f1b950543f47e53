"""Every request example printed in the manual (7.3.2 and 9.1–9.4), replayed against a live
server over a raw HTTP connection: request line and headers as printed (Host values included),
the body as printed, and then with its placeholders filled with real content.

Three replays of each sample:
- **as printed**, signature included: the printed ``x-signature`` values (a 32-hex string, or
  ``$signature``/``$SIGNATURE``) cannot be signatures, so every one is -1004;
- **printed body, real signature**: the placeholder texts ("照片的 Base64 编码", "...") are not
  base64 images, so each gets its documented input error (or, for a liveness package, the
  business answer ``is_valid_package: false``);
- **filled**: the placeholders replaced by real photos, a real liveness package and real or
  rendered cards; each works, or gets the documented error where the sample itself breaks a
  rule of the manual's own tables (upload and delete without the required ``repo_name``).

docs/api.md ("The manual's samples") lists each deliberate difference.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from facesaas.auth.signature import build_content, load_public_key, sign
from facesaas.sdk import build_package
from facesaas.tenants.service import NewCredentials
from tests.conftest import RunningServer


@dataclass(frozen=True)
class Sample:
    """One printed request: where (manual section), the request line, the headers after it as
    printed (Content-Length and the auth headers are filled in), the body text as printed."""

    name: str
    request_line: str
    host: str
    printed_signature: str
    body: str


# Transcribed from ../shared/spec/facesaas-manual.zh.txt; the PDF's line breaks inside the JSON
# are removed, everything else (quotes, spaces, placeholder texts) is as printed.
SAMPLES = [
    Sample("7.3.2 check_image_package", "POST /face/basic/check_image_package HTTP/1.1", "http://staging.yitutech.com", "$signature",
           '{ “query_image_package”:”活体检测 SDK 加密编码内容”, “query_image_package_return_image_list”:true, '
           '“query_image_package_check_same_person”:true }'),
    Sample("9.1 101.3 check_image_package", "POST /face/basic/check_image_package    HTTP/1.1", "http: //www.yitu-test.com",
           "e4305df7e61b38adbd59eabef7f8b706",
           '{ "query_image_package": " Base64 编码之后的活体 SDK 捕获的编码的数据包内容", "query_image_package_return_image_list": false }'),
    Sample("9.2 CS201.1 feature_extraction", "POST face/v1/algorithm/recognition/feature_extraction  HTTP/1.1",
           "http://www.yitu-test.com", "e4305df7e61b38adbd59eabef7f8b706",
           '{ "image_content": "照片的 Base64 编码", "image_type": 3 }'),
    Sample("9.2 CS202.2 网纹照比类证件照", "POST /face/v1/algorithm/recognition/face_pair_verification  HTTP/1.1",
           "http://staging.yitutech.com", "e4305df7e61b38adbd59eabef7f8b706",
           '{ "database_image_content":" BASE64 编码的 JPG 登记照片图片内容", "database_image_type":101, '
           '"query_image_content":" BASE64 编码的 JPG 比对照片图片内容", "query_image_type":301, "true_negative_rate":"99.9" }'),
    Sample("9.2 CS202.2 网纹照比活体检测加密包", "POST /face/v1/algorithm/recognition/face_pair_verification  HTTP/1.1",
           "http://staging.yitutech.com", "e4305df7e61b38adbd59eabef7f8b706",
           '{ "database_image_content":"/9j/...(BASE64 编码的 JPG 网纹照)", "database_image_type": 101, '
           '"query_image_package":"Ymv..(BASE64 编码加密包)", "query_image_package_return_image_list":true, '
           '"query_image_package_check_same_person":true, "auto_rotate_for_database":true, "true_negative_rate": "99.99" }'),
    Sample("9.3 102.1 upload", "POST /face/basic/register_in_repo HTTP/1.1", "staging.yitutech.com", "$signature",
           '{ "mode" : 1, "user_info" : { "user_id" : "b001", "label" : 1, "image_content" : "BASE64 编码的 JPG 比对照片图片内容" }, '
           '"options" : { "image_type" : 301 } }'),
    Sample("9.3 102.1 delete", "POST /face/basic/register_in_repo HTTP/1.1", "staging.yitutech.com", "$signature",
           '{ "user_info" : { "user_id" : "b001", "label" : 1 } }'),
    Sample("9.3 103.1 retrieval", "POST /face/basic/retrieval_in_repo HTTP/1.1", "staging.yitutech.com", "$signature",
           '{ "session_id":"bb73024589d9d4d66a11ad28bd4e18db", "mode":1, "user_info": { "label":1, '
           '"image_content":"BASE64 编码的 JPG 图片内容" }, "options" : { "image_type" : 301, "auto_rotate" : false, '
           '"auto_flip" : false, "true_negative_rate" : "99.99", "return_face_image" : true } }'),
    Sample("9.4 105.1 身份证正面 OCR", "POST /face/basic/ocr HTTP/1.1", "121.42.167.95", "$SIGNATURE",
           '{ "user_info": { "image_content": "..." }, "options": { "auto_rotate": true, "ocr_mode": 1, "ocr_type": 1 } }'),
    Sample("9.4 105.2 驾驶证真假鉴别", "POST /face/basic/distinguish HTTP/1.1", "121.42.167.95", "$SIGNATURE",
           '{ "user_info": { "image_content": "..." }, "options": { "auto_rotate": true, "distinguish_type": 2 } }'),
    Sample("9.4 105.3 license_classification", "POST /face/basic/license_classification HTTP/1.1", "121.42.167.95", "$SIGNATURE",
           '{ "user_info": { "image_content": "..." }, "options": { "license_type": 1 } }'),
]  # fmt: skip
IDS = [sample.name for sample in SAMPLES]
FACE, SAME_PERSON = "7437/084788.jpg", "7437/097369.jpg"


def _replay(server: RunningServer, sample: Sample, access_id: str, signature: str, body: bytes) -> tuple[int, bytes]:
    """Send the sample's request line and headers as printed, with this body; status and raw body."""
    method, target = sample.request_line.split()[:2]
    port = int(server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in (("Host", sample.host), ("Content-Length", str(len(body))), ("Content-Type", "application/json"),
                            ("x-access-id", access_id), ("x-signature", signature)):  # fmt: skip
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _signed(server: RunningServer, credentials: NewCredentials, sample: Sample, body: bytes) -> tuple[int, Any]:
    signature = sign(load_public_key(server.public_pem), build_content(credentials.access_key, body))
    status, raw = _replay(server, sample, credentials.tenant.access_id, signature, body)
    return status, json.loads(raw) if raw.startswith(b"{") else raw.decode()


def _with_slash(sample: Sample) -> Sample:
    return Sample(sample.name, sample.request_line.replace(" face/", " /face/"), sample.host, sample.printed_signature, sample.body)


def _printed_body(sample: Sample) -> bytes:
    return sample.body.encode("utf-8")


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_printed_signature_is_refused(server: RunningServer, credentials: NewCredentials, sample: Sample) -> None:
    # 9.2's target without its leading slash never reaches the service (test_path_without_slash).
    sample = _with_slash(sample)
    status, raw = _replay(server, sample, credentials.tenant.access_id, sample.printed_signature, _printed_body(sample))
    answer = json.loads(raw)
    assert (status, answer["rtn"]) == (401, -1004) and answer["global_request_id"]


def test_path_without_slash(server: RunningServer, credentials: NewCredentials) -> None:
    """9.2's sample writes ``POST face/v1/...``: not an HTTP request target (RFC 9112 3.2), so the
    HTTP server answers a plain 400 before the service sees it; with the slash it works."""
    sample = next(s for s in SAMPLES if s.name.startswith("9.2 CS201.1"))
    status, answer = _signed(server, credentials, sample, _printed_body(sample))
    assert status == 400 and answer == "Invalid HTTP request received."
    status, answer = _signed(server, credentials, _with_slash(sample), _printed_body(sample))
    assert (status, answer["rtn"]) == (400, -2005)


PRINTED_BODY_ANSWERS = {
    "7.3.2 check_image_package": (400, -2001),  # typographic quotes “ ” are not JSON
    "9.3 102.1 upload": (400, -2002),  # user_info.repo_name is required (the manual's own table)
    "9.3 102.1 delete": (400, -2002),  # repo_name is required for delete (DESIGN.md)
}
"""Status and rtn of the printed bodies, signed for real; the rest are bad base64 (-2005) except
the liveness package, which is a business answer."""


@pytest.mark.parametrize("sample", SAMPLES, ids=IDS)
def test_printed_body_with_a_real_signature(server: RunningServer, credentials: NewCredentials, sample: Sample) -> None:
    status, answer = _signed(server, credentials, _with_slash(sample), _printed_body(sample))
    if sample.name == "9.1 101.3 check_image_package":
        result = answer["query_image_package_result"]
        assert (status, answer["rtn"], result["is_valid_package"]) == (200, 0, False)
        assert result["invalid_reason"] == "not_base64"
        return
    assert (status, answer["rtn"]) == PRINTED_BODY_ANSWERS.get(sample.name, (400, -2005)), answer
    assert answer["message"] and answer["global_request_id"]


@pytest.fixture
def filled(credentials: NewCredentials, celeba: Path, shared_data: Path) -> dict[str, Any]:
    """Real content for each placeholder: base64 photos, a maker of fresh liveness packages of
    this customer (a package is accepted once), a real ID front and a rendered driving licence."""
    from tests.documents.generator import make_document

    assert credentials.package_key is not None
    face, same = (celeba / FACE).read_bytes(), (celeba / SAME_PERSON).read_bytes()
    key = credentials.package_key
    licence = make_document("driving", np.random.default_rng(3), dt.date.today(), distortions="none").image
    ok, licence_jpeg = cv2.imencode(".jpg", licence, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    b64 = lambda data: base64.b64encode(data).decode("ascii")  # noqa: E731
    return {
        "face": b64(face), "same": b64(same), "licence": b64(licence_jpeg.tobytes()),
        "package": lambda: build_package([face, same], key=key.key, key_id=key.key_id, customer_defined_content="manual sample"),
        "card": b64((shared_data / "idcards" / "id_front" / "cardocr_test0.png").read_bytes()),
    }  # fmt: skip


def _fill(sample: Sample, content: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(sample.body.replace("“", '"').replace("”", '"'))
    if "query_image_package" in body:
        body["query_image_package"] = content["package"]()
    if "database_image_content" in body:
        body["database_image_content"] = content["same"]
    if "query_image_content" in body:
        body["query_image_content"] = content["face"]
    if "image_content" in body:
        body["image_content"] = content["face"]
    info = body.get("user_info", {})
    if "image_content" in info:
        kind = body.get("options", {})
        info["image_content"] = (
            content["licence"] if kind.get("distinguish_type") == 2
            else content["card"] if "ocr_type" in kind or "license_type" in kind
            else content["face"]
        )  # fmt: skip
    return body


def test_filled_samples(server: RunningServer, credentials: NewCredentials, filled: dict[str, Any]) -> None:
    """Each sample with real content, in the manual's order: upload and delete are refused for
    the missing repo_name; with it added they work, and the retrieval finds the upload."""
    answers: dict[str, tuple[int, Any]] = {}
    for sample in SAMPLES:
        fixed = _with_slash(sample)
        body = json.dumps(_fill(sample, filled), ensure_ascii=False).encode("utf-8")
        answers[sample.name] = _signed(server, credentials, fixed, body)
        if sample.name.startswith("9.3 102.1"):
            assert answers[sample.name][0] == 400 and answers[sample.name][1]["rtn"] == -2002, answers[sample.name]
            assert "repo_name" in answers[sample.name][1]["message"]
            with_repo = _fill(sample, filled)
            with_repo["user_info"]["repo_name"] = "manual"
            if sample.name.endswith("delete"):
                # Search before the delete, so the retrieval sample below still has a face to find.
                retrieval = next(s for s in SAMPLES if s.name == "9.3 103.1 retrieval")
                answers["retrieval before delete"] = _signed(server, credentials, retrieval, json.dumps(_fill(retrieval, filled)).encode())
            answers[sample.name + " with repo_name"] = _signed(server, credentials, fixed, json.dumps(with_repo).encode())
    for name, (status, answer) in answers.items():
        if not name.startswith("9.3 102.1") or name.endswith("with repo_name"):
            assert (status, answer["rtn"], answer["message"]) == (200, 0, "OK"), (name, answer)

    package = answers["7.3.2 check_image_package"][1]["query_image_package_result"]
    assert package["is_valid_package"] is True and package["is_same_person"] is True
    assert len(package["query_image_contents"]) == 2
    without_images = answers["9.1 101.3 check_image_package"][1]["query_image_package_result"]
    assert without_images["is_valid_package"] is True and "query_image_contents" not in without_images
    assert answers["9.2 CS201.1 feature_extraction"][1]["face_num"] == 1
    assert answers["9.2 CS202.2 网纹照比类证件照"][1]["pair_verify_result"] == 0
    with_package = answers["9.2 CS202.2 网纹照比活体检测加密包"][1]
    assert with_package["pair_verify_result"] == 0 and with_package["query_image_package_result"]["is_same_person"] is True
    hits = answers["retrieval before delete"][1]["repo_result"]
    assert hits[0]["user_id"] == "b001" and hits[0]["is_same_person"] is True and hits[0]["face_image_content"]
    assert answers["9.3 103.1 retrieval"][1]["repo_result"] == []  # searched after the delete
    assert answers["9.4 105.1 身份证正面 OCR"][1]["idcard_ocr_result"]["citizen_id"] == "445281198606095334"
    assert answers["9.4 105.2 驾驶证真假鉴别"][1]["driving_license_distinguish_result"]["result"] == 1
    assert answers["9.4 105.3 license_classification"][1]["classification_result"]["result"] == 1


def test_header_example_of_7_3_1(server: RunningServer, credentials: NewCredentials) -> None:
    """7.3.1's header example: method written ``Post`` (methods are case-sensitive, RFC 9110 9.1:
    the HTTP server's plain 400), and a path, ``/register_user_info``, of no endpoint in the
    manual's lists (-4004, as JSON)."""
    sample = Sample("7.3.1 header example", "Post /register_user_info HTTP/1.1", "http://staging.yitutech.com", "$signature", "{}")
    assert _signed(server, credentials, sample, b"{}") == (400, "Invalid HTTP request received.")
    upper = Sample(sample.name, "POST /register_user_info HTTP/1.1", sample.host, sample.printed_signature, sample.body)
    status, answer = _signed(server, credentials, upper, b"{}")
    assert (status, answer["rtn"]) == (404, -4004), answer
