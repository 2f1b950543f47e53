"""CS202.2 1:1 verification through signed HTTP with real images."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from facesaas.face.calibration import load_calibration
from facesaas.sdk import ApiError, Client
from tests.images import reencode, side_by_side

SAME = ("7437/084788.jpg", "7437/097369.jpg")
OTHER = "7292/067624.jpg"


def _read(celeba: Path, name: str) -> bytes:
    return (celeba / name).read_bytes()


def test_same_person_image_vs_image(client: Client, celeba: Path) -> None:
    result = client.face_pair_verification(
        query_image=_read(celeba, SAME[0]), database_image=_read(celeba, SAME[1]), database_image_type=3
    )
    assert result["pair_verify_result"] == 0
    assert load_calibration().similarity_threshold("99.99") <= result["pair_verify_similarity"] <= 100
    assert "verify_detail" not in result


def test_different_people(client: Client, celeba: Path) -> None:
    result = client.face_pair_verification(query_image=_read(celeba, SAME[0]), database_image=_read(celeba, OTHER))
    assert result["pair_verify_result"] == 1
    assert 0 <= result["pair_verify_similarity"] < load_calibration().similarity_threshold("99.9")


def test_features_on_either_side_give_the_same_score(client: Client, celeba: Path) -> None:
    query, database = _read(celeba, SAME[0]), _read(celeba, SAME[1])
    qf = client.feature_extraction(query, image_type=3)["feature"]
    df = client.feature_extraction(database, image_type=1)["feature"]
    scores = {
        client.face_pair_verification(query_image=query, database_image=database)["pair_verify_similarity"],
        client.face_pair_verification(query_feature=qf, database_image=database)["pair_verify_similarity"],
        client.face_pair_verification(query_image=query, database_feature=df)["pair_verify_similarity"],
        client.face_pair_verification(query_feature=qf, database_feature=df)["pair_verify_similarity"],
    }
    assert max(scores) - min(scores) < 1e-3


def test_threshold_follows_true_negative_rate(client: Client, celeba: Path) -> None:
    """A score between two thresholds passes the looser and fails the stricter level."""
    calibration = load_calibration()
    low, high = calibration.similarity_threshold("99.9"), calibration.similarity_threshold("99.999")
    with open(celeba / "pairs.tsv", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["same"] == "1"]
    for row in rows[:80]:
        try:
            result = client.face_pair_verification(
                query_image=_read(celeba, row["image1"]), database_image=_read(celeba, row["image2"]), true_negative_rate="99.9"
            )
        except ApiError as exc:  # a query photo of two people, or no detectable face
            assert exc.rtn in (-3001, -3002)
            continue
        if low <= result["pair_verify_similarity"] < high:
            strict = client.face_pair_verification(
                query_image=_read(celeba, row["image1"]),
                database_image=_read(celeba, row["image2"]),
                true_negative_rate="99.999",
            )
            assert (result["pair_verify_result"], strict["pair_verify_result"]) == (0, 1)
            return
    pytest.fail("no same-person pair scored between the 99.9 and 99.999 thresholds")


@pytest.mark.parametrize("rate", ["99", "99.9999", "0.999", ""])
def test_true_negative_rate_values(client: Client, celeba: Path, rate: str) -> None:
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(
            query_image=_read(celeba, SAME[0]), database_image=_read(celeba, SAME[1]), true_negative_rate=rate
        )
    assert info.value.rtn == -2003


def test_verify_detail_with_face_rects(client: Client, celeba: Path) -> None:
    two = side_by_side(_read(celeba, OTHER), _read(celeba, SAME[0]))
    result = client.face_pair_verification(
        query_image=two, database_image=_read(celeba, SAME[1]), max_faces_allowed=2,
        enable_verify_detail=True, return_face_rect=True,
    )
    detail = result["verify_detail"]
    assert len(detail["score_list"]) == 2 and detail["score_list"] == sorted(detail["score_list"], reverse=True)
    assert result["pair_verify_similarity"] == detail["score_list"][0] and result["pair_verify_result"] == 0
    rects = detail["query_face_rect"]
    assert set(rects[0]) == {"x", "y", "w", "h"}
    width_of_left = 178  # celeba images are 178 px wide: the matching face is the right one
    assert rects[0]["x"] >= width_of_left > rects[1]["x"]
    without = client.face_pair_verification(
        query_image=two, database_image=_read(celeba, SAME[1]), max_faces_allowed=2, enable_verify_detail=True
    )
    assert "query_face_rect" not in without["verify_detail"]


def test_too_many_faces_in_query(client: Client, celeba: Path) -> None:
    two = side_by_side(_read(celeba, OTHER), _read(celeba, SAME[0]))
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=two, database_image=_read(celeba, SAME[1]))
    assert (info.value.rtn, info.value.http_status) == (-3002, 422)


def test_small_background_faces_do_not_count(client: Client, celeba: Path) -> None:
    """7440/023563.jpg shows a 16-px-tall bystander behind a 157-px-tall subject."""
    result = client.face_pair_verification(query_image=_read(celeba, "7440/023563.jpg"), database_image=_read(celeba, OTHER))
    assert result["rtn"] == 0
    assert client.feature_extraction(_read(celeba, "7440/023563.jpg"), image_type=3)["face_num"] == 2


def test_no_face_names_the_side(client: Client, celeba: Path, shared_data: Path) -> None:
    landscape = (shared_data / "multi_face" / "no_face" / "facenet_pilatus800.jpg").read_bytes()
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=_read(celeba, SAME[0]), database_image=landscape)
    assert info.value.rtn == -3001 and "database_image_content" in info.value.message
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=landscape, database_image=_read(celeba, SAME[0]))
    assert "query_image_content" in info.value.message


def test_auto_rotate_for_query_and_database(client: Client, celeba: Path) -> None:
    query = reencode(_read(celeba, SAME[0]), rotate=90)
    database = reencode(_read(celeba, SAME[1]), rotate=270)
    result = client.face_pair_verification(
        query_image=query, database_image=database, auto_rotate_for_query=True, auto_rotate_for_database=True
    )
    assert result["pair_verify_result"] == 0


def test_auto_flip_never_lowers_the_score(client: Client, celeba: Path) -> None:
    import io

    from PIL import Image, ImageOps

    buffer = io.BytesIO()
    ImageOps.mirror(Image.open(io.BytesIO(_read(celeba, SAME[0])))).save(buffer, format="JPEG", quality=95)
    plain = client.face_pair_verification(query_image=buffer.getvalue(), database_image=_read(celeba, SAME[1]))
    flipped = client.face_pair_verification(
        query_image=buffer.getvalue(), database_image=_read(celeba, SAME[1]), auto_flip=True
    )
    assert flipped["pair_verify_similarity"] >= plain["pair_verify_similarity"]


def test_query_image_types_accepted_and_checked(client: Client, celeba: Path) -> None:
    for query_type in (301, 303, 4, 2):
        result = client.face_pair_verification(
            query_image=_read(celeba, SAME[0]), database_image=_read(celeba, SAME[1]), query_image_type=query_type
        )
        assert result["pair_verify_result"] == 0
    # A hand-held-ID photo (302) must show the holder and the card: one face is refused.
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=_read(celeba, SAME[0]), database_image=_read(celeba, SAME[1]), query_image_type=302)
    assert info.value.rtn == -3003 and info.value.http_status == 422
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=_read(celeba, SAME[0]), database_image=_read(celeba, SAME[1]), query_image_type=1)
    assert info.value.rtn == -2003


def test_sides_are_required_and_exclusive(client: Client, celeba: Path) -> None:
    image = _read(celeba, SAME[0])
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=image)
    assert info.value.rtn == -2002 and "database_image" in info.value.message
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(database_image=image)
    assert info.value.rtn == -2002 and "query_image" in info.value.message
    feature = client.feature_extraction(image, image_type=3)["feature"]
    with pytest.raises(ApiError) as info:
        client.face_pair_verification(query_image=image, query_feature=feature, database_image=image)
    assert info.value.rtn == -2003
    with pytest.raises(ApiError) as info:
        client.call(
            "/face/v1/algorithm/recognition/face_pair_verification",
            {"query_image_feature": feature, "database_image_content": client_b64(image)},
        )
    assert info.value.rtn == -2002 and "database_image_type" in info.value.message


def client_b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def test_a_feature_of_another_embedding_scheme_is_refused(client: Client, celeba: Path) -> None:
    """A feature kept from a server of the other scheme (same face, real embedding) is refused on
    either side and in 1:N search, never scored."""
    import numpy as np

    from facesaas.face.embedder import SCHEMES
    from facesaas.face.engine import FaceEngine, get_engine
    from facesaas.face.feature import encode_feature, feature_scheme
    from facesaas.face.image import decode_image

    image = _read(celeba, SAME[0])
    served = client.feature_extraction(image, image_type=3)["feature"]
    assert feature_scheme(served, "f") == "sface-mirror"  # the default scheme
    base = get_engine()
    plain = FaceEngine(base.detector, base.embedder, SCHEMES["sface"])
    vector = plain.analyze(decode_image(image, field="f", max_bytes=1 << 30, max_pixels=1 << 30)).faces[0].embedding
    old = encode_feature(np.asarray(vector)[None], SCHEMES["sface"])
    for sides in ({"query_feature": old, "database_image": image}, {"query_image": image, "database_feature": old}):
        with pytest.raises(ApiError) as info:
            client.face_pair_verification(**sides)
        assert info.value.rtn == -2011
        assert "made by embedding scheme sface, this server uses sface-mirror" in info.value.message
    client.register_in_repo("r", "u1", image=image)
    for call in (lambda: client.retrieval_in_repo(repo_name="r", feature=old), lambda: client.register_in_repo("r", "u2", feature=old)):
        with pytest.raises(ApiError) as info:
            call()
        assert info.value.rtn == -2011
    assert client.retrieval_in_repo(repo_name="r", feature=served)["repo_result"][0]["user_id"] == "u1"
