"""Image types of manual 9.2 through signed HTTP: mesh-watermarked ID photos (5/7/9/101,
remove_watermark), chip photos (4), card recaptures (2), hand-held-ID (302) and VTM (303)
scenes, and the infrared frame of query_image_additional_info. The photos are rendered by
tests/imagetypes and tests/watermark from real CelebA faces and the shared clean portraits."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from facesaas.face.calibration import load_calibration
from facesaas.face.image import encode_jpeg
from facesaas.sdk import ApiError, Client
from tests.imagetypes.generator import (
    card_recapture,
    chip_photo,
    hand_held,
    id_portrait,
    infrared,
    screen_infrared,
    vtm_scene,
)
from tests.liveness.generator import landmarks_of
from tests.watermark.generator import add_mesh

PERSON = ("7437/084788.jpg", "7437/097369.jpg")  # two photos of one person
OTHER = ("7292/067624.jpg", "7201/001085.jpg")  # other people


def _jpeg(bgr: np.ndarray) -> bytes:
    return encode_jpeg(bgr, 92)


def _photo(celeba: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    bgr = cv2.imread(str(celeba / name))
    marks = landmarks_of(bgr)
    assert marks is not None, name
    return bgr, marks


def _threshold() -> float:
    return load_calibration().similarity_threshold("99.99")


@pytest.fixture(scope="module")
def clean_portraits(shared_data: Path) -> dict[str, np.ndarray]:
    paths = sorted((shared_data / "watermarked" / "clean").glob("*.jpg"))
    return {path.name: cv2.imread(str(path)) for path in paths}


# ----------------------------------------------------------------------- mesh watermarks


@pytest.mark.parametrize("style", ["finance", "police", "wire"])
def test_meshed_portrait_is_demeshed_before_extraction(client: Client, clean_portraits: dict[str, np.ndarray], style: str) -> None:
    portrait = clean_portraits["meshtest.jpg"]  # 178 × 220: a medium photo
    meshed = _jpeg(add_mesh(portrait, np.random.default_rng(11), style))
    clean = client.feature_extraction(_jpeg(portrait), image_type=1)["feature"]
    as_is = client.feature_extraction(meshed, image_type=1)
    demeshed = client.feature_extraction(meshed, image_type=101, remove_watermark=True)
    assert as_is["image_type"] == 1 and "processed_image_content" not in as_is
    assert demeshed["image_type"] in (6, 8, 10)  # medium size: 6 finance, 8 police, 10 wire
    if style == "finance":
        assert demeshed["image_type"] == 6
    cleaned = cv2.imdecode(np.frombuffer(base64.b64decode(demeshed["processed_image_content"]), np.uint8), cv2.IMREAD_COLOR)
    assert cleaned.shape == portrait.shape
    # The cleaned photo is closer to the clean original than the meshed one was.
    assert np.abs(cleaned.astype(int) - portrait).mean() < np.abs(add_mesh(portrait, np.random.default_rng(11), style).astype(int) - portrait).mean()

    def score(feature: str) -> float:
        return client.face_pair_verification(query_feature=feature, database_feature=clean)["pair_verify_similarity"]

    assert score(demeshed["feature"]) >= _threshold()
    if style == "finance":
        # The pale mesh costs this portrait nothing (92.0 as is); the learned de-mesher, which
        # takes medium photos' meshes out, stays within a point of that (91.7).
        assert score(demeshed["feature"]) > score(as_is["feature"]) - 1.0
    else:
        assert score(demeshed["feature"]) > score(as_is["feature"])


def test_declared_kind_and_size_give_the_manuals_output_type(client: Client, clean_portraits: dict[str, np.ndarray]) -> None:
    small = next(image for image in clean_portraits.values() if image.shape[1] <= 128)
    medium = clean_portraits["meshtest.jpg"]
    rng = np.random.default_rng(5)
    for kind, style in ((5, "finance"), (7, "police"), (9, "wire")):
        assert client.feature_extraction(_jpeg(add_mesh(small, rng, style)), image_type=kind)["image_type"] == kind
        assert client.feature_extraction(_jpeg(add_mesh(medium, rng, style)), image_type=kind)["image_type"] == kind + 1
    # No mesh: 101 reports an ordinary ID photo, and remove_watermark returns the photo unchanged.
    plain = client.feature_extraction(_jpeg(medium), image_type=101, remove_watermark=True)
    assert plain["image_type"] == 1
    returned = cv2.imdecode(np.frombuffer(base64.b64decode(plain["processed_image_content"]), np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(returned.astype(int) - cv2.imdecode(np.frombuffer(_jpeg(medium), np.uint8), cv2.IMREAD_COLOR)).mean() < 2


def test_remove_watermark_needs_a_watermark_type(client: Client, clean_portraits: dict[str, np.ndarray]) -> None:
    with pytest.raises(ApiError) as info:
        client.feature_extraction(_jpeg(clean_portraits["meshtest.jpg"]), image_type=3, remove_watermark=True)
    assert info.value.rtn == -2003 and "remove_watermark" in info.value.message


def test_meshed_database_photo_verifies_its_person(client: Client, celeba: Path) -> None:
    photo, marks = _photo(celeba, PERSON[0])
    meshed = _jpeg(add_mesh(id_portrait(photo, marks), np.random.default_rng(3), "police"))
    selfie = (celeba / PERSON[1]).read_bytes()
    stranger = (celeba / OTHER[0]).read_bytes()
    same = client.face_pair_verification(query_image=selfie, database_image=meshed, database_image_type=101)
    assert same["pair_verify_result"] == 0
    other = client.face_pair_verification(query_image=stranger, database_image=meshed, database_image_type=101)
    assert other["pair_verify_result"] == 1
    feature = client.feature_extraction(meshed, image_type=7)["feature"]
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=selfie, database_feature=feature, database_image_type=101)
    assert info.value.rtn == -2003 and "101" in info.value.message


# ----------------------------------------------------------- chip, recapture, scenes


def test_chip_photo_and_card_recapture_verify_against_a_selfie(client: Client, celeba: Path) -> None:
    photo, marks = _photo(celeba, PERSON[0])
    rng = np.random.default_rng(8)
    chip = chip_photo(id_portrait(photo, marks), rng)
    assert chip.shape[:2] == (126, 102)
    recapture = card_recapture(id_portrait(photo, marks, (300, 420)), rng)
    selfie = (celeba / PERSON[1]).read_bytes()
    for database_type, image in ((4, chip), (2, recapture)):
        result = client.face_pair_verification(query_image=selfie, database_image=_jpeg(image), database_image_type=database_type)
        assert result["pair_verify_result"] == 0, database_type
    # The other way round: the selfie registered, the chip or card photo as the query.
    for query_type, image in ((4, chip), (2, recapture)):
        result = client.face_pair_verification(
            query_image=_jpeg(image), database_image=selfie, database_image_type=3, query_image_type=query_type
        )
        assert result["pair_verify_result"] == 0, query_type


def test_hand_held_id_compares_the_holder_not_the_card(client: Client, celeba: Path) -> None:
    owner, owner_marks = _photo(celeba, PERSON[0])
    card_portrait = id_portrait(owner, owner_marks, (300, 420))
    registered = _jpeg(id_portrait(owner, owner_marks))
    rng = np.random.default_rng(4)
    selfie, selfie_marks = _photo(celeba, PERSON[1])
    thief, thief_marks = _photo(celeba, OTHER[0])
    genuine = _jpeg(hand_held(selfie, selfie_marks, card_portrait, rng))
    stolen = _jpeg(hand_held(thief, thief_marks, card_portrait, rng))
    options = {"database_image_type": 1, "enable_verify_detail": True, "return_face_rect": True}

    result = client.face_pair_verification(query_image=genuine, database_image=registered, query_image_type=302, **options)
    assert result["pair_verify_result"] == 0
    assert len(result["verify_detail"]["score_list"]) == 1  # the card's portrait is not compared
    # The thief holds the owner's card: as a plain photo (301) the card's portrait matches…
    plain = client.face_pair_verification(
        query_image=stolen, database_image=registered, query_image_type=301, max_faces_allowed=2, **options
    )
    assert plain["pair_verify_result"] == 0 and len(plain["verify_detail"]["score_list"]) == 2
    # …as a hand-held-ID photo (302) only the holder is compared, and the thief is refused.
    refused = client.face_pair_verification(query_image=stolen, database_image=registered, query_image_type=302, **options)
    assert refused["pair_verify_result"] == 1
    rect = refused["verify_detail"]["query_face_rect"][0]
    assert rect["h"] > 300  # the holder's face, not the card's small portrait


def test_vtm_scene_compares_the_customer_and_ignores_the_queue(client: Client, celeba: Path) -> None:
    customer, marks = _photo(celeba, PERSON[1])
    others = [_photo(celeba, name) for name in OTHER]
    scene = _jpeg(vtm_scene(customer, marks, others, np.random.default_rng(6)))
    registered = (celeba / PERSON[0]).read_bytes()
    result = client.face_pair_verification(
        query_image=scene, database_image=registered, database_image_type=3, query_image_type=303, enable_verify_detail=True
    )
    assert result["pair_verify_result"] == 0 and len(result["verify_detail"]["score_list"]) == 1
    assert client.feature_extraction(scene, image_type=3, max_faces_allowed=2)["face_num"] == 3


# ------------------------------------------------------------------------- infrared


def _infrared_call(client: Client, celeba: Path, frame: np.ndarray | None, **info: str) -> dict:
    query = (celeba / PERSON[1]).read_bytes()
    if frame is not None:
        info["infrared_face_image_content"] = base64.b64encode(_jpeg(frame)).decode()
    return client.face_pair_verification(
        query_image=query, database_image=(celeba / PERSON[0]).read_bytes(), database_image_type=3,
        query_image_additional_info=info,
    )  # fmt: skip


def test_infrared_frame_with_the_face_passes(client: Client, celeba: Path) -> None:
    colour = cv2.imread(str(celeba / PERSON[1]))
    result = _infrared_call(client, celeba, infrared(colour, np.random.default_rng(1)))
    assert result["query_image_additional_info_result"] == {"is_live": True, "infrared_face_num": 1, "message": "OK"}
    assert result["pair_verify_result"] == 0


def test_infrared_frame_without_a_face_fails_liveness(client: Client, celeba: Path) -> None:
    colour = cv2.imread(str(celeba / PERSON[1]))
    result = _infrared_call(client, celeba, screen_infrared(colour.shape[:2], np.random.default_rng(2)))
    assert result["query_image_additional_info_result"]["is_live"] is False
    assert result["query_image_additional_info_result"]["infrared_face_num"] == 0
    assert result["pair_verify_result"] == 1  # same person, but liveness failed
    assert result["pair_verify_similarity"] >= _threshold()
    # A colour photo sent as the infrared frame proves nothing.
    colour_as_ir = _infrared_call(client, celeba, colour)
    assert colour_as_ir["pair_verify_result"] == 1 and "colour" in colour_as_ir["query_image_additional_info_result"]["message"]


def test_infrared_key_points(client: Client, celeba: Path) -> None:
    colour = cv2.imread(str(celeba / PERSON[1]))
    frame = infrared(colour, np.random.default_rng(1))
    marks = landmarks_of(frame)
    assert marks is not None
    on_face = _infrared_call(client, celeba, frame, face_key_point_info=json.dumps(marks.round(1).tolist()))
    assert on_face["query_image_additional_info_result"]["is_live"] is True
    elsewhere = _infrared_call(client, celeba, frame, face_key_point_info=json.dumps([[1, 1]] * 5))
    assert elsewhere["query_image_additional_info_result"]["is_live"] is False and elsewhere["pair_verify_result"] == 1
    for bad in ("not json", "[[1, 2]]", '[[1, 2], [3, 4], [5, 6], [7, 8], ["x", 9]]'):
        with pytest.raises(ApiError) as info:
            _infrared_call(client, celeba, frame, face_key_point_info=bad)
        assert info.value.rtn == -2003, bad
    with pytest.raises(ApiError) as info:
        _infrared_call(client, celeba, None, face_key_point_info=json.dumps(marks.tolist()))
    assert info.value.rtn == -2002


def test_infrared_needs_a_colour_query_image(client: Client, celeba: Path) -> None:
    query = (celeba / PERSON[1]).read_bytes()
    feature = client.feature_extraction(query, image_type=3)["feature"]
    frame = base64.b64encode(_jpeg(infrared(cv2.imread(str(celeba / PERSON[1])), np.random.default_rng(1)))).decode()
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(
            query_feature=feature, database_image=(celeba / PERSON[0]).read_bytes(), database_image_type=3,
            query_image_additional_info={"infrared_face_image_content": frame},
        )  # fmt: skip
    assert info.value.rtn == -2003
    for broken, code in (("@@@", -2005), (base64.b64encode(b"not an image").decode(), -2007), (42, -2003)):
        with pytest.raises(ApiError) as info:
            client.face_pair_verification(
                query_image=query, database_image=(celeba / PERSON[0]).read_bytes(), database_image_type=3,
                query_image_additional_info={"infrared_face_image_content": broken},
            )  # fmt: skip
        assert info.value.rtn == code, broken
    # An empty infrared_face_image_content (the manual's default) checks nothing.
    result = client.face_pair_verification(
        query_image=query, database_image=(celeba / PERSON[0]).read_bytes(), database_image_type=3,
        query_image_additional_info={"infrared_face_image_content": ""},
    )  # fmt: skip
    assert "query_image_additional_info_result" not in result
