"""Every signature failure of DESIGN.md, through real HTTP, each with its own code."""

from __future__ import annotations

import hashlib
import os
import struct
import time

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from facesaas.auth.signature import build_content, load_public_key, sign
from facesaas.sdk import ApiError, Client
from facesaas.sdk.client import VERIFICATION_PATH
from facesaas.tenants.service import NewCredentials, TenantService
from tests.conftest import RunningServer, raw_json

BODY = raw_json({"image_type": 3})  # reaches auth only; any body works
PATH = "/face/v1/algorithm/recognition/feature_extraction"


def _post(server: RunningServer, headers: dict[str, str], body: bytes = BODY) -> httpx.Response:
    return httpx.post(server.url + PATH, content=body, headers={"content-type": "application/json", **headers})


def _signature(server: RunningServer, access_key: str, body: bytes = BODY, **kwargs) -> str:
    return sign(load_public_key(server.public_pem), build_content(access_key, body, **kwargs))


def _yitu_sdk_signature(
    public_pem: str, access_key: str, body: bytes, *, timestamp: int | None = None, random: int | None = None,
    md5_upper: bool = False, hex_upper: bool = False,
) -> str:
    """Sign as Yitu's published iOS SDK does, written out here without our signature module:
    the uint32 time and the uint64 random are copied from memory, so in host byte order
    (little-endian on ARM and x86); the MD5 is hex of the body digest."""
    key = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    digest = hashlib.md5(body).hexdigest()
    stamp = int(time.time()) if timestamp is None else timestamp
    nonce = int.from_bytes(os.urandom(8)) if random is None else random
    content = (
        access_key.encode("ascii") + (digest.upper() if md5_upper else digest).encode("ascii")
        + struct.pack("<I", stamp) + struct.pack("<Q", nonce)
    )  # fmt: skip
    signature = key.encrypt(content, padding.PKCS1v15()).hex()
    return signature.upper() if hex_upper else signature


def _assert_error(response: httpx.Response, rtn: int, status: int) -> None:
    data = response.json()
    assert (data["rtn"], response.status_code) == (rtn, status), data
    assert data["message"] and data["global_request_id"]
    assert response.headers["x-request-id"] == data["global_request_id"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-access-id": "abc"}, {"x-signature": "00"}, {"x-access-id": "", "x-signature": ""}],
)
def test_missing_headers(server: RunningServer, headers: dict[str, str]) -> None:
    _assert_error(_post(server, headers), -1001, 401)


def test_unknown_and_overlong_access_id(server: RunningServer, credentials: NewCredentials) -> None:
    signature = _signature(server, credentials.access_key)
    _assert_error(_post(server, {"x-access-id": "0123456789abcdef", "x-signature": signature}), -1002, 401)
    _assert_error(_post(server, {"x-access-id": "x" * 17, "x-signature": signature}), -1002, 401)


def test_disabled_access_id(server: RunningServer, credentials: NewCredentials, tenants: TenantService) -> None:
    tenants.set_enabled(credentials.tenant.access_id, False)
    headers = {"x-access-id": credentials.tenant.access_id, "x-signature": _signature(server, credentials.access_key)}
    _assert_error(_post(server, headers), -1003, 403)


@pytest.mark.parametrize(
    "signature",
    ["e4305df7e61b38adbd59eabef7f8b706", "zz" * 128, "00" * 128, "ab" * 256],
    ids=["manual-sample", "not-hex", "zeros", "wrong-length"],
)
def test_undecryptable_signature(server: RunningServer, credentials: NewCredentials, signature: str) -> None:
    _assert_error(_post(server, {"x-access-id": credentials.tenant.access_id, "x-signature": signature}), -1004, 401)


def test_signature_made_with_another_public_key(server: RunningServer, credentials: NewCredentials) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    signature = sign(other, build_content(credentials.access_key, BODY))
    _assert_error(_post(server, {"x-access-id": credentials.tenant.access_id, "x-signature": signature}), -1004, 401)


def test_wrong_access_key_and_rotated_key(server: RunningServer, credentials: NewCredentials, tenants: TenantService) -> None:
    access_id = credentials.tenant.access_id
    _assert_error(_post(server, {"x-access-id": access_id, "x-signature": _signature(server, "B" * 32)}), -1005, 401)
    rotated = tenants.rotate(access_id)
    _assert_error(_post(server, {"x-access-id": access_id, "x-signature": _signature(server, credentials.access_key)}), -1005, 401)
    ok = _post(server, {"x-access-id": access_id, "x-signature": _signature(server, rotated.access_key)})
    assert ok.json()["rtn"] != -1005  # authenticated; the body itself is then judged


def test_body_md5_mismatch(server: RunningServer, credentials: NewCredentials) -> None:
    signature = _signature(server, credentials.access_key, body=BODY)
    tampered = raw_json({"image_type": 1})
    headers = {"x-access-id": credentials.tenant.access_id, "x-signature": signature}
    _assert_error(_post(server, headers, body=tampered), -1006, 401)


@pytest.mark.parametrize("offset", [-301, 400, -10**6])
def test_timestamp_outside_window(server: RunningServer, credentials: NewCredentials, offset: int) -> None:
    signature = _signature(server, credentials.access_key, timestamp=int(time.time()) + offset)
    _assert_error(_post(server, {"x-access-id": credentials.tenant.access_id, "x-signature": signature}), -1007, 401)


def test_timestamp_inside_window_is_accepted(server: RunningServer, credentials: NewCredentials) -> None:
    signature = _signature(server, credentials.access_key, timestamp=int(time.time()) - 250)
    response = _post(server, {"x-access-id": credentials.tenant.access_id, "x-signature": signature})
    assert response.json()["rtn"] == -2002  # authenticated: now the missing image_content is reported


def test_replay_is_refused(server: RunningServer, credentials: NewCredentials) -> None:
    headers = {"x-access-id": credentials.tenant.access_id, "x-signature": _signature(server, credentials.access_key)}
    first = _post(server, headers)
    assert first.json()["rtn"] == -2002
    _assert_error(_post(server, headers), -1008, 401)


def test_custom_content_and_uppercase_hex_are_accepted(server: RunningServer, credentials: NewCredentials) -> None:
    signature = _signature(server, credentials.access_key, custom="客户-42".encode()).upper()
    response = _post(server, {"x-access-id": credentials.tenant.access_id, "x-signature": signature})
    assert response.json()["rtn"] == -2002


def test_auth_precedes_body_parsing(server: RunningServer) -> None:
    response = httpx.post(server.url + PATH, content=b"\xff not json")
    _assert_error(response, -1001, 401)


def test_sdk_raises_api_error_with_code(server: RunningServer, credentials: NewCredentials) -> None:
    with Client(server.url, credentials.tenant.access_id, "C" * 32, server.public_pem) as wrong:
        with pytest.raises(ApiError) as info:
            wrong.call(VERIFICATION_PATH, {})
    assert info.value.rtn == -1005 and info.value.http_status == 401 and info.value.request_id


@pytest.mark.parametrize("md5_upper", [False, True], ids=["md5-lower", "md5-upper"])
@pytest.mark.parametrize("hex_upper", [False, True], ids=["hex-lower", "hex-upper"])
def test_yitu_sdk_little_endian_signature_is_accepted(
    server: RunningServer, credentials: NewCredentials, md5_upper: bool, hex_upper: bool
) -> None:
    signature = _yitu_sdk_signature(server.public_pem, credentials.access_key, BODY, md5_upper=md5_upper, hex_upper=hex_upper)
    response = _post(server, {"x-access-id": credentials.tenant.access_id, "x-signature": signature})
    assert response.json()["rtn"] == -2002  # authenticated: now the missing image_content is reported


@pytest.mark.parametrize("offset", [-301, 400, -10**6])
def test_yitu_sdk_timestamp_outside_window(server: RunningServer, credentials: NewCredentials, offset: int) -> None:
    signature = _yitu_sdk_signature(server.public_pem, credentials.access_key, BODY, timestamp=int(time.time()) + offset)
    _assert_error(_post(server, {"x-access-id": credentials.tenant.access_id, "x-signature": signature}), -1007, 401)


def test_yitu_sdk_signature_keeps_every_other_check(server: RunningServer, credentials: NewCredentials) -> None:
    access_id = credentials.tenant.access_id
    wrong_key = _yitu_sdk_signature(server.public_pem, "W" * 32, BODY)
    _assert_error(_post(server, {"x-access-id": access_id, "x-signature": wrong_key}), -1005, 401)
    other_body = _yitu_sdk_signature(server.public_pem, credentials.access_key, raw_json({"image_type": 1}))
    _assert_error(_post(server, {"x-access-id": access_id, "x-signature": other_body}), -1006, 401)
    _assert_error(_post(server, {"x-access-id": "nobody", "x-signature": other_body}), -1002, 401)


def test_replay_identity_is_the_decoded_time(server: RunningServer, credentials: NewCredentials) -> None:
    """The same instant and random in the other byte order is the same request (a fresh RSA
    encryption of it, too); a replayed little-endian signature is refused like any other."""
    access_id, now, nonce = credentials.tenant.access_id, int(time.time()), int.from_bytes(os.urandom(8))
    little = _yitu_sdk_signature(server.public_pem, credentials.access_key, BODY, timestamp=now, random=nonce)
    assert _post(server, {"x-access-id": access_id, "x-signature": little}).json()["rtn"] == -2002
    _assert_error(_post(server, {"x-access-id": access_id, "x-signature": little}), -1008, 401)
    big = _signature(server, credentials.access_key, timestamp=now, random=struct.pack("<Q", nonce))
    _assert_error(_post(server, {"x-access-id": access_id, "x-signature": big}), -1008, 401)
