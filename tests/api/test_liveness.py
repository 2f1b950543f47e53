"""101.3 check_image_package through signed HTTP: packages built by the SDK with the customer's
key, real face images, invalid packages answered (not errors), bad requests refused."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from facesaas.sdk import ApiError, Client, build_package
from facesaas.sdk.client import PACKAGE_PATH
from facesaas.tenants.service import NewCredentials
from tests.sdk.test_js_package import build, images, node, run_js  # noqa: F401 - the browser packer's fixtures

CHECK_PREFIXES = ("is_anti_screen_check", "is_dark_illumination_check", "is_anti_picture_check",
                  "is_anti_eye_blockage_check", "is_anti_hole_check")  # fmt: skip


def _package(credentials: NewCredentials, frames: list[bytes], **options: object) -> str:
    assert credentials.package_key is not None
    return build_package(frames, key=credentials.package_key.key, key_id=credentials.package_key.key_id, **options)  # type: ignore[arg-type]


def test_every_check_answers_with_the_manuals_fields(client: Client, credentials: NewCredentials,
                                                     astronaut_jpeg: bytes) -> None:  # fmt: skip
    package = _package(credentials, [astronaut_jpeg, astronaut_jpeg], customer_defined_content="user defined content")
    answer = client.check_image_package(
        package, return_feature_string=True, check_same_person=True, check_anti_screen=True,
        check_dark_illumination=True, check_anti_picture=True, check_anti_eye_blockage=True, check_anti_hole=True,
        check_anti_screen_threshold="low", check_dark_illumination_threshold="high",
    )  # fmt: skip
    assert answer["rtn"] == 0
    result = answer["query_image_package_result"]
    assert result["is_valid_package"] is True
    assert result["customer_defined_content"] == "user defined content"
    assert [base64.b64decode(image) for image in result["query_image_contents"]] == [astronaut_jpeg] * 2
    assert result["feature_string"] and result["is_same_person"] is True
    for prefix in CHECK_PREFIXES:
        assert isinstance(result[f"{prefix}_valid"], bool) and isinstance(result[f"{prefix}_passed"], bool)
        assert isinstance(result[f"{prefix}_score"], float)
    # The same image twice has no parallax: a flat picture as far as anti-picture can tell.
    assert result["is_anti_picture_check_valid"] is True and result["is_anti_picture_check_passed"] is False
    # A well-lit photo passes the darkness check.
    assert result["is_dark_illumination_check_passed"] is True


def test_invalid_packages_are_answers_not_errors(client: Client, credentials: NewCredentials,
                                                 astronaut_jpeg: bytes) -> None:  # fmt: skip
    package = _package(credentials, [astronaut_jpeg])
    assert client.check_image_package(package, return_image_list=False)["query_image_package_result"]["is_valid_package"]
    replay = client.check_image_package(package)["query_image_package_result"]
    assert replay == {"is_valid_package": False, "invalid_reason": "replayed", "invalid_detail": "this package has been checked before"}
    for text, reason in (("not base64 at all!", "not_base64"), ("", "truncated"), (base64.b64encode(b"x" * 64).decode(), "bad_magic")):
        result = client.check_image_package(text)["query_image_package_result"]
        assert (result["is_valid_package"], result["invalid_reason"]) == (False, reason)
    assert "query_image_contents" not in result and "customer_defined_content" not in result


def test_bad_requests_are_refused(client: Client, credentials: NewCredentials, astronaut_jpeg: bytes) -> None:
    with pytest.raises(ApiError) as missing:
        client.call(PACKAGE_PATH, {})
    assert missing.value.rtn == -2002  # MissingParameter
    with pytest.raises(ApiError) as wrong_type:
        client.call(PACKAGE_PATH, {"query_image_package": 5})
    assert wrong_type.value.rtn == -2003
    with pytest.raises(ApiError) as bad_level:
        client.check_image_package(_package(credentials, [astronaut_jpeg]), check_anti_screen_threshold="medium")
    assert bad_level.value.rtn == -2003  # the manual offers "high" and "low" only for anti-screen
    with pytest.raises(ApiError) as too_many:
        client.check_image_package(_package(credentials, [astronaut_jpeg]), return_feature_string=True, feature_number=2)
    assert too_many.value.rtn == -2003


def test_verification_with_a_package(client: Client, credentials: NewCredentials, astronaut_jpeg: bytes) -> None:
    package = _package(credentials, [astronaut_jpeg, astronaut_jpeg], customer_defined_content="loan 3")
    answer = client.face_pair_verification(
        query_package=package, database_image=astronaut_jpeg, query_image_package_check_same_person=True,
        query_image_package_check_dark_illumination=True, true_negative_rate="99.9",
    )  # fmt: skip
    assert answer["pair_verify_result"] == 0 and answer["pair_verify_similarity"] > 90
    result = answer["query_image_package_result"]
    assert result["is_valid_package"] is True and result["customer_defined_content"] == "loan 3"
    assert "query_image_contents" not in result  # CS202.2 returns the images only when asked
    assert result["is_same_person"] is True and result["is_dark_illumination_check_passed"] is True
    replayed = client.face_pair_verification(query_package=package, database_image=astronaut_jpeg)
    assert (replayed["pair_verify_result"], replayed["pair_verify_similarity"]) == (1, 0.0)
    assert replayed["query_image_package_result"]["invalid_reason"] == "replayed"
    with pytest.raises(ApiError) as both:
        client.face_pair_verification(query_package=_package(credentials, [astronaut_jpeg]), query_image=astronaut_jpeg,
                                      database_image=astronaut_jpeg)  # fmt: skip
    assert both.value.rtn == -2003


def test_a_browser_built_package_through_the_server(client: Client, credentials: NewCredentials, astronaut_jpeg: bytes,
                                                    build: Callable[..., str]) -> None:  # noqa: F811  # fmt: skip
    # The ES module under Node, with this customer's key, judged by the running service.
    assert credentials.package_key is not None
    package = build(key=credentials.package_key.key, keyId=credentials.package_key.key_id, createdAt=None,
                    customerDefinedContent="浏览器", image_list=[astronaut_jpeg])  # fmt: skip
    result = client.check_image_package(package, check_dark_illumination=True)["query_image_package_result"]
    assert result["is_valid_package"] is True and result["customer_defined_content"] == "浏览器"
    assert result["is_dark_illumination_check_passed"] is True
