"""105.1 OCR, 105.2 distinguish, 105.3 classification and CS201.1 idcard_ocr through signed HTTP,
with the real ID samples and rendered cards."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from facesaas.sdk import ApiError, Client
from facesaas.sdk.client import CLASSIFICATION_PATH, DISTINGUISH_PATH, OCR_PATH
from tests.documents.generator import make_both_sides, make_document

TODAY = dt.date.today()  # the service judges dates against its own clock


def _jpeg(image: np.ndarray, quality: int = 92) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def _document(kind: str, seed: int, **options: object):  # noqa: ANN202
    return make_document(kind, np.random.default_rng(seed), TODAY, **options)


def _front_truth(shared_data: Path, image: str) -> dict[str, str]:
    with open(shared_data / "idcards" / "ground_truth.tsv", encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle, delimiter="\t") if r["image"] == image)
    return {
        "name": "?", "gender": row["sex"], "nation": row["nation"], "birthday": row["birth"].replace("-", ""),
        "address": row["address"], "citizen_id": row["id_number"],
    }  # fmt: skip


def test_real_front(client: Client, shared_data: Path) -> None:
    data = (shared_data / "idcards" / "id_front" / "cardocr_test0.png").read_bytes()
    result = client.ocr(data, ocr_type=1, ocr_mode=1)
    assert result["rtn"] == 0
    assert result["idcard_ocr_result"] == {**_front_truth(shared_data, "id_front/cardocr_test0.png"), "idcard_type": 1}


def test_back_both_sides_and_modes(client: Client) -> None:
    back = _document("id_back", 5)
    read = client.ocr(_jpeg(back.image), ocr_type=1, ocr_mode=2)["idcard_ocr_result"]
    assert read == {**back.fields, "idcard_type": 2}
    # ocr_mode 1 on a back: the front's fields are "?" and idcard_type says what was seen.
    front_only = client.ocr(_jpeg(back.image), ocr_type=1, ocr_mode=1)["idcard_ocr_result"]
    assert front_only["idcard_type"] == 2 and front_only["citizen_id"] == "?"
    page = make_both_sides(np.random.default_rng(51), TODAY)
    both = client.ocr(_jpeg(page.image), ocr_type=1, ocr_mode=4, auto_rotate=True)["idcard_ocr_result"]
    assert both == {**page.fields, "idcard_type": 3}


def test_rotated_front_needs_auto_rotate(client: Client) -> None:
    document = _document("id_front", 7, rotation=180)
    read = client.ocr(_jpeg(document.image), ocr_type=1, ocr_mode=3, auto_rotate=True)["idcard_ocr_result"]
    assert read == {**document.fields, "idcard_type": 1}


def test_licences(client: Client) -> None:
    driving = _document("driving", 2)
    assert client.ocr(_jpeg(driving.image), ocr_type=2)["driving_license_ocr_result"] == driving.fields
    vehicle = _document("vehicle", 2)
    assert client.ocr(_jpeg(vehicle.image), ocr_type=3)["vehicle_license_ocr_result"] == {**vehicle.fields, "license_type": 1}
    # A vehicle licence read as a driving licence says it is not one.
    assert client.ocr(_jpeg(vehicle.image), ocr_type=2)["driving_license_ocr_result"]["license_type"] == -2


def test_classification(client: Client, shared_data: Path) -> None:
    idcards = shared_data / "idcards"
    assert client.license_classification((idcards / "id_front" / "cardocr_test3.png").read_bytes())["classification_result"] == {"result": 1}
    assert client.license_classification(_jpeg(_document("id_back", 9).image))["classification_result"]["result"] == 2
    for negative in ("chineseocr_train_ticket1.jpg", "cardocr_bankcard3.jpeg"):
        assert client.license_classification((idcards / "negatives" / negative).read_bytes())["classification_result"]["result"] == -1
    assert client.license_classification(_jpeg(_document("driving", 9).image))["classification_result"]["result"] == -1


def _debug_image(result: dict) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(result["debug_image"]))))


def test_distinguish_genuine_and_forged_id_cards(client: Client) -> None:
    genuine = client.distinguish(_jpeg(_document("id_front", 11).image), distinguish_type=1)["idcard_distinguish_result"]
    assert (genuine["result"], genuine["is_valid"], genuine["reason"]) == (1, True, "")
    assert all(check["passed"] for check in genuine["checks"] if check["severity"] == "forgery")
    assert 0 < genuine["confidence"] <= 1 and _debug_image(genuine).ndim == 3
    forged = client.distinguish(_jpeg(_document("id_front", 12, forgery="check_digit").image))["idcard_distinguish_result"]
    assert (forged["result"], forged["is_valid"], forged["reason"]) == (0, False, "假身份证")
    failed = [check for check in forged["checks"] if not check["passed"]]
    assert [check["code"] for check in failed] == ["citizen_id.check_digit"] and failed[0]["field"] == "citizen_id"
    # The debug image marks the failing field in red; the genuine one has no red box.
    red = lambda image: int(((image[:, :, 0] > 200) & (image[:, :, 1] < 60) & (image[:, :, 2] < 60)).sum())  # noqa: E731
    assert red(_debug_image(forged)) > 200 > red(_debug_image(genuine))
    invalid = client.distinguish(_jpeg(_document("id_back", 13, forgery="validity").image))["idcard_distinguish_result"]
    assert invalid["result"] == 0 and any(c["code"].startswith("validity.") and not c["passed"] for c in invalid["checks"])


def test_distinguish_driving_licence_and_not_a_card(client: Client, shared_data: Path) -> None:
    forged = client.distinguish(_jpeg(_document("driving", 14, forgery="gender_mismatch").image), distinguish_type=2)
    verdict = forged["driving_license_distinguish_result"]
    assert (verdict["result"], verdict["reason"]) == (0, "假证")
    assert any(c["code"] == "citizen_id.gender_mismatch" for c in verdict["checks"])
    genuine = client.distinguish(_jpeg(_document("driving", 15).image), distinguish_type=2)
    assert genuine["driving_license_distinguish_result"]["result"] == 1
    ticket = (shared_data / "idcards" / "negatives" / "chineseocr_train_ticket2.jpg").read_bytes()
    result = client.distinguish(ticket)["idcard_distinguish_result"]
    assert (result["result"], result["reason"], result["is_valid"]) == (-2, "不是身份证", False)


def test_real_joke_specimen_is_forged(client: Client, shared_data: Path) -> None:
    data = (shared_data / "idcards" / "id_front" / "cardocr_test1.png").read_bytes()
    verdict = client.distinguish(data)["idcard_distinguish_result"]
    assert verdict["result"] == 0
    assert {"citizen_id.check_digit", "citizen_id.birthday_implausible"} <= {c["code"] for c in verdict["checks"] if not c["passed"]}


def test_feature_extraction_with_idcard_ocr(client: Client, astronaut_jpeg: bytes) -> None:
    portrait = cv2.imdecode(np.frombuffer(astronaut_jpeg, np.uint8), cv2.IMREAD_COLOR)[0:300, 120:360]
    document = _document("id_front", 21, portrait=portrait, distortions="none")
    result = client.feature_extraction(_jpeg(document.image), image_type=2, idcard_ocr=True, idcard_ocr_mode=3)
    assert result["face_num"] == 1 and result["feature"]
    assert result["idcard_type"] == 1 and result["idcard_ocr_result"] == document.fields
    back = _document("id_back", 22)
    result = client.feature_extraction(_jpeg(back.image), image_type=2, idcard_ocr=True, idcard_ocr_mode=2)
    assert (result["face_num"], result["feature"], result["idcard_type"]) == (0, "", 2)
    assert result["idcard_ocr_result"] == back.fields
    with pytest.raises(ApiError) as info:
        client.feature_extraction(_jpeg(back.image), image_type=3, idcard_ocr=True)
    assert info.value.rtn == -2003 and "image_type 2" in info.value.message


# A JPEG cut off after its first 120 bytes: the right magic, then nothing decodable.
_IMAGE = base64.b64encode(_jpeg(np.full((64, 64, 3), 128, np.uint8))[:120]).decode()


@pytest.mark.parametrize(
    ("path", "body", "rtn"),
    [
        (OCR_PATH, {"mode": 2, "user_info": {"feature_content": "abc"}, "options": {"ocr_type": 1}}, -2013),
        (DISTINGUISH_PATH, {"mode": 2, "user_info": {"feature_content": "abc"}}, -2013),
        (CLASSIFICATION_PATH, {"mode": 2, "user_info": {"feature_content": "abc"}, "options": {"license_type": 1}}, -2013),
        (OCR_PATH, {"user_info": {"image_content": _IMAGE}, "options": {}}, -2002),
        (OCR_PATH, {"user_info": {}, "options": {"ocr_type": 1}}, -2002),
        (OCR_PATH, {"options": {"ocr_type": 1}}, -2002),
        (OCR_PATH, {"user_info": {"image_content": _IMAGE}, "options": {"ocr_type": 4}}, -2003),
        (OCR_PATH, {"user_info": {"image_content": _IMAGE}, "options": {"ocr_type": 1, "ocr_mode": 5}}, -2003),
        (OCR_PATH, {"user_info": {"image_content": _IMAGE}, "options": {"ocr_type": "1"}}, -2003),
        (OCR_PATH, {"mode": 3, "user_info": {"image_content": _IMAGE}, "options": {"ocr_type": 1}}, -2003),
        (OCR_PATH, {"user_info": {"image_content": "%%%garbage"}, "options": {"ocr_type": 1}}, -2005),
        (OCR_PATH, {"user_info": {"image_content": _IMAGE}, "options": {"ocr_type": 1}}, -2008),
        (OCR_PATH, {"user_info": {"image_content": base64.b64encode(b"GIF89a....").decode()}, "options": {"ocr_type": 1}}, -2007),
        (DISTINGUISH_PATH, {"user_info": {"image_content": _IMAGE}, "options": {"distinguish_type": 3}}, -2003),
        (DISTINGUISH_PATH, {"user_info": {"image_content": _IMAGE}, "options": {"auto_rotate": "yes"}}, -2003),
        (CLASSIFICATION_PATH, {"user_info": {"image_content": _IMAGE}, "options": {"license_type": 2}}, -2003),
        (CLASSIFICATION_PATH, {"user_info": {"image_content": _IMAGE}}, -2002),
    ],
)
def test_invalid_document_requests(client: Client, path: str, body: dict, rtn: int) -> None:
    with pytest.raises(ApiError) as info:
        client.call(path, body)
    assert info.value.rtn == rtn and info.value.http_status == 400, info.value.message


def test_oversize_document_image(client: Client) -> None:
    noise = np.random.default_rng(0).integers(0, 255, (1300, 1300, 3), np.uint8)  # 3.2 MB as JPEG
    data = _jpeg(noise, quality=100)
    assert 3 * 1024 * 1024 < len(data) < 3.5 * 1024 * 1024  # over the 3 MB limit, under the 5 MiB body
    with pytest.raises(ApiError) as info:
        client.ocr(data, ocr_type=1)
    assert (info.value.rtn, info.value.http_status) == (-2006, 413)
