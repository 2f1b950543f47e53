"""102.1 register/delete and 103.1 retrieval through signed HTTP with real celeba photos."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from facesaas.api.server import BackgroundServer
from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES, load_calibration
from facesaas.sdk import ApiError, Client
from facesaas.sdk.client import REGISTER_PATH
from facesaas.settings import Settings
from facesaas.tenants.service import NewCredentials, TenantService
from tests.conftest import RunningServer

# Three photos each of three people (celeba identity folders).
ALICE = ("7437/084788.jpg", "7437/097369.jpg")
BOB = ("7201/001085.jpg", "7201/018834.jpg")
CAROL = "7292/067624.jpg"


def _read(celeba: Path, name: str) -> bytes:
    return (celeba / name).read_bytes()


def _error(call) -> ApiError:  # noqa: ANN001
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


@pytest.fixture
def enrolled(client: Client, celeba: Path) -> Client:
    """A blacklist repo 'bl' holding alice, bob and carol (one photo each)."""
    client.register_in_repo("bl", "alice", label=1, image=_read(celeba, ALICE[0]), description={"risk": "high"})
    client.register_in_repo("bl", "bob", label=1, image=_read(celeba, BOB[0]), timestamp=1700000000000)
    client.register_in_repo("bl", "carol", label=1, image=_read(celeba, CAROL))
    return client


def test_search_finds_the_same_person_first_with_the_1to1_score(enrolled: Client, celeba: Path) -> None:
    probe = _read(celeba, ALICE[1])
    result = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=probe, return_topk_face=3, true_negative_rate="99.99")
    hits = result["repo_result"]
    assert [hit["user_id"] for hit in hits][0] == "alice"
    assert len(hits) == 3 and [h["confidence"] for h in hits] == sorted((h["confidence"] for h in hits), reverse=True)
    assert hits[0]["is_same_person"] is True and hits[0]["description"] == {"risk": "high"}
    assert all(h["is_same_person"] is False for h in hits[1:])
    assert "face_image_content" not in hits[0]
    # The same two photos compared 1:1 give the same similarity (exact re-ranking).
    pair = enrolled.face_pair_verification(query_image=probe, database_image=_read(celeba, ALICE[0]))
    assert hits[0]["confidence"] == pytest.approx(pair["pair_verify_similarity"], abs=1e-3)
    assert hits[0]["confidence"] >= load_calibration().similarity_threshold("99.99")


def test_return_face_image_gives_the_stored_face_crop(enrolled: Client, celeba: Path) -> None:
    result = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=_read(celeba, BOB[1]), return_face_image=True)
    (hit,) = result["repo_result"]
    assert hit["user_id"] == "bob"
    crop = Image.open(io.BytesIO(base64.b64decode(hit["face_image_content"])))
    assert crop.format == "JPEG" and max(crop.size) <= 256 and min(crop.size) >= 40


def test_feature_mode_register_and_search(client: Client, celeba: Path) -> None:
    feature = client.feature_extraction(_read(celeba, ALICE[0]), image_type=1)["feature"]
    client.register_in_repo("vip", "a1", feature=feature)
    query = client.feature_extraction(_read(celeba, ALICE[1]), image_type=3)["feature"]
    (hit,) = client.retrieval_in_repo(repo_name="vip", feature=query, return_face_image=True)["repo_result"]
    assert hit["user_id"] == "a1" and hit["face_image_content"] == ""  # registered without an image
    pair = client.face_pair_verification(query_feature=query, database_feature=feature)
    assert hit["confidence"] == pytest.approx(pair["pair_verify_similarity"], abs=1e-3)


def test_duplicate_user_id_is_409_and_keeps_the_first(enrolled: Client, celeba: Path) -> None:
    error = _error(lambda: enrolled.register_in_repo("bl", "alice", label=1, image=_read(celeba, CAROL)))
    assert (error.rtn, error.http_status) == (-4009, 409)
    (hit,) = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=_read(celeba, ALICE[1]))["repo_result"]
    assert hit["user_id"] == "alice" and hit["is_same_person"]


def test_delete_mode_3_and_the_manuals_form(enrolled: Client, celeba: Path) -> None:
    enrolled.delete_from_repo("bl", "alice", label=1)
    hits = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=_read(celeba, ALICE[1]), return_topk_face=10)["repo_result"]
    assert "alice" not in [h["user_id"] for h in hits] and len(hits) == 2
    # The manual's delete: no mode, no image or feature content.
    enrolled.call(REGISTER_PATH, {"user_info": {"user_id": "bob", "label": 1, "repo_name": "bl"}})
    hits = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=_read(celeba, BOB[1]), return_topk_face=10)["repo_result"]
    assert [h["user_id"] for h in hits] == ["carol"]
    assert _error(lambda: enrolled.delete_from_repo("bl", "alice", label=1)).rtn == -4002
    assert _error(lambda: enrolled.delete_from_repo("nosuch", "alice", label=1)).rtn == -4001
    # A deleted user_id can be registered again.
    enrolled.register_in_repo("bl", "alice", label=1, image=_read(celeba, ALICE[0]))


def test_upload_that_forgot_its_image_is_an_error_not_a_delete(enrolled: Client, celeba: Path) -> None:
    error = _error(lambda: enrolled.call(REGISTER_PATH, {"mode": 1, "user_info": {"user_id": "alice", "label": 1, "repo_name": "bl"}}))
    assert (error.rtn, error.http_status) == (-2002, 400)
    error = _error(lambda: enrolled.call(REGISTER_PATH, {"mode": 2, "user_info": {"user_id": "alice", "label": 1, "repo_name": "bl"}}))
    assert error.rtn == -2002
    (hit,) = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=_read(celeba, ALICE[1]))["repo_result"]
    assert hit["user_id"] == "alice"


@pytest.mark.parametrize(
    ("user_info", "rtn"),
    [
        ({"user_id": "a_b", "repo_name": "r", "label": 1}, -2003),
        ({"user_id": "a" * 19, "repo_name": "r", "label": 1}, -2003),
        ({"user_id": "张三丰张三丰张", "repo_name": "r", "label": 1}, -2003),  # 21 bytes of UTF-8
        ({"user_id": "a", "repo_name": "", "label": 1}, -2003),
        ({"user_id": "a", "repo_name": "my_repo", "label": 1}, -2003),
        ({"user_id": "a\n", "repo_name": "r", "label": 1}, -2003),
        ({"user_id": "a", "repo_name": "r", "label": 4}, -2003),
        ({"user_id": "a", "repo_name": "r", "label": "1"}, -2003),
        ({"user_id": "a", "repo_name": "r"}, -2002),
        ({"repo_name": "r", "label": 1}, -2002),
        ({"user_id": "a", "repo_name": "r", "label": 1, "description": "not an object"}, -2003),
        ({"user_id": "a", "repo_name": "r", "label": 1, "description": {"x": "y" * 5000}}, -2003),
        ({"user_id": "a", "repo_name": "r", "label": 1, "timestamp": -1}, -2003),
        ({"user_id": "a", "repo_name": "r", "label": 1, "timestamp": 2**63}, -2003),  # beyond a 64-bit column
        ({"user_id": "a", "repo_name": "r", "label": 1, "image_content": "!!notbase64!!"}, -2005),
        ({"user_id": "a", "repo_name": "r", "label": 1, "feature_content": "QUJD"}, -2010),
    ],
)
def test_register_validation(client: Client, astronaut_jpeg: bytes, user_info: dict, rtn: int) -> None:
    mode = 2 if "feature_content" in user_info else 1
    error = _error(lambda: client.call(REGISTER_PATH, {"mode": mode, "user_info": user_info}))
    assert error.rtn == rtn, error.message
    feature = client.feature_extraction(astronaut_jpeg)["feature"]
    assert client.retrieval_in_repo(label=1, feature=feature)["repo_result"] == []  # nothing was stored


def test_register_refuses_a_photo_without_a_face_or_with_two_people(client: Client, shared_data: Path) -> None:
    labels = (shared_data / "multi_face" / "labels.tsv").read_text(encoding="utf-8").splitlines()[1:]
    no_face = next(line.split("\t")[0] for line in labels if line.split("\t")[1] == "0")
    group = next(line.split("\t")[0] for line in labels if line.split("\t")[1] not in ("0", "1"))
    assert _error(lambda: client.register_in_repo("r", "x", image=(shared_data / "multi_face" / no_face).read_bytes())).rtn == -3001
    error = _error(lambda: client.register_in_repo("r", "x", image=(shared_data / "multi_face" / group).read_bytes()))
    assert (error.rtn, error.http_status) == (-3002, 422)


@pytest.mark.parametrize(
    ("options", "rtn"),
    [
        ({"return_topk_face": 11}, -2003),
        ({"return_topk_face": 0}, -2003),
        ({"true_negative_rate": "99.5"}, -2003),
        ({"true_negative_rate": 99.99}, -2003),
        ({"image_type": 1}, -2003),
        ({"return_face_image": "yes"}, -2003),
    ],
)
def test_retrieval_validation(enrolled: Client, celeba: Path, options: dict, rtn: int) -> None:
    error = _error(lambda: enrolled.retrieval_in_repo(label=1, image=_read(celeba, ALICE[1]), **options))
    assert error.rtn == rtn, error.message


def test_every_true_negative_rate_is_accepted_and_stricter_rates_accept_less(enrolled: Client, celeba: Path) -> None:
    feature = enrolled.feature_extraction(_read(celeba, ALICE[1]))["feature"]
    decisions = []
    for rate in SEARCH_TRUE_NEGATIVE_RATES:
        (hit,) = enrolled.retrieval_in_repo(label=1, feature=feature, true_negative_rate=rate)["repo_result"]
        decisions.append(hit["is_same_person"])
    assert decisions[0] is True
    assert decisions == sorted(decisions, reverse=True)  # once refused, refused at every stricter rate


def test_unknown_repo_is_404_and_label_wide_search_spans_repos(enrolled: Client, celeba: Path) -> None:
    assert _error(lambda: enrolled.retrieval_in_repo(label=1, repo_name="other", image=_read(celeba, ALICE[1]))).rtn == -4001
    enrolled.register_in_repo("bl2", "alice2", label=1, image=_read(celeba, ALICE[1]))
    enrolled.register_in_repo("bl", "alice", label=2, image=_read(celeba, ALICE[1]))  # label 2 is separate
    hits = enrolled.retrieval_in_repo(label=1, image=_read(celeba, ALICE[0]), return_topk_face=10)["repo_result"]
    assert {(h["repo_name"], h["user_id"]) for h in hits} == {("bl", "alice"), ("bl2", "alice2"), ("bl", "bob"), ("bl", "carol")}
    assert hits[0]["user_id"] in ("alice", "alice2") and hits[1]["user_id"] in ("alice", "alice2")
    label2 = enrolled.retrieval_in_repo(label=2, image=_read(celeba, ALICE[0]), return_topk_face=10)["repo_result"]
    assert [(h["repo_name"], h["user_id"]) for h in label2] == [("bl", "alice")]


def test_tenants_are_isolated(enrolled: Client, server: RunningServer, tenants: TenantService, celeba: Path) -> None:
    other = tenants.create("other customer")
    with Client(server.url, other.tenant.access_id, other.access_key, server.public_pem) as intruder:
        probe = _read(celeba, ALICE[1])
        assert _error(lambda: intruder.retrieval_in_repo(label=1, repo_name="bl", image=probe)).rtn == -4001
        assert intruder.retrieval_in_repo(label=1, image=probe)["repo_result"] == []
        assert _error(lambda: intruder.delete_from_repo("bl", "alice", label=1)).rtn == -4001
        # The same repo name and user_id are free for another customer, and stay separate.
        intruder.register_in_repo("bl", "alice", label=1, image=_read(celeba, CAROL))
        (hit,) = intruder.retrieval_in_repo(label=1, repo_name="bl", image=probe)["repo_result"]
        assert hit["is_same_person"] is False
    (hit,) = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=probe)["repo_result"]
    assert hit["user_id"] == "alice" and hit["is_same_person"] is True


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_registered_faces_survive_a_restart_and_a_lost_index(settings: Settings, credentials: NewCredentials, celeba: Path) -> None:
    public_pem = (settings.keys_dir / "server_public.pem").read_text()

    def search(url: str) -> list[str]:
        with Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as client:
            hits = client.retrieval_in_repo(repo_name="r", image=_read(celeba, ALICE[1]), return_topk_face=10)["repo_result"]
            return [hit["user_id"] for hit in hits]

    with BackgroundServer(settings) as url:
        with Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as client:
            client.register_in_repo("r", "alice", image=_read(celeba, ALICE[0]))
            client.register_in_repo("r", "bob", image=_read(celeba, BOB[0]))
            client.delete_from_repo("r", "bob")
        # A second service on the same data directory is refused while the first runs.
        with pytest.raises(RuntimeError):
            BackgroundServer(settings).start(timeout=20)
    assert list(settings.index_dir.glob("*.faiss")), "the index is saved at shutdown"
    with BackgroundServer(settings) as url:
        assert search(url) == ["alice"]
    for snapshot in settings.index_dir.glob("*.faiss"):
        snapshot.unlink()  # lost: rebuilt from the database at start
    with BackgroundServer(settings) as url:
        assert search(url) == ["alice"]


def test_openapi_documents_the_repository_endpoints(server: RunningServer) -> None:
    import httpx

    schema = httpx.get(server.url + "/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "18" in components["RegisterUserInfo"]["properties"]["user_id"]["description"]
    assert "99.9999999" in components["RetrievalOptions"]["properties"]["true_negative_rate"]["description"]
    for path in ("/face/basic/register_in_repo", "/face/basic/retrieval_in_repo"):
        parameters = schema["paths"][path]["post"]["parameters"]
        assert {p["name"] for p in parameters} == {"x-access-id", "x-signature"}


def test_auto_rotate_and_auto_flip_find_the_person(enrolled: Client, celeba: Path) -> None:
    from tests.images import reencode

    turned = reencode(_read(celeba, ALICE[1]), rotate=90)
    (hit,) = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=turned, auto_rotate=True)["repo_result"]
    assert hit["user_id"] == "alice" and hit["is_same_person"]
    plain = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=_read(celeba, ALICE[1]), return_topk_face=3)["repo_result"]
    flipped = enrolled.retrieval_in_repo(label=1, repo_name="bl", image=_read(celeba, ALICE[1]), return_topk_face=3, auto_flip=True)
    scores = {h["user_id"]: h["confidence"] for h in flipped["repo_result"]}
    # Each hit keeps the higher of the plain and the mirrored score.
    assert all(scores[h["user_id"]] >= h["confidence"] - 1e-6 for h in plain)


def test_repository_images_may_be_3_mb_where_1to1_allows_1_mb(client: Client, celeba: Path) -> None:
    big = _read(celeba, "7243/092309.jpg")  # 1.3 MB
    assert 1024 * 1024 < len(big) <= 3 * 1024 * 1024
    assert _error(lambda: client.feature_extraction(big)).rtn == -2006
    client.register_in_repo("r", "big", image=big)
    padded = big + b"\0" * (3 * 1024 * 1024 + 1 - len(big))  # still a JPEG, now over 3 MB
    error = _error(lambda: client.register_in_repo("r", "big2", image=padded))
    assert (error.rtn, error.http_status) == (-2006, 413)


def test_nan_is_not_json_so_it_can_never_be_stored(client: Client, astronaut_jpeg: bytes) -> None:
    feature = client.feature_extraction(astronaut_jpeg)["feature"]
    for constant in ("NaN", "Infinity", "-Infinity"):
        body = (
            '{"mode":2,"user_info":{"user_id":"a","repo_name":"r","label":1,'
            f'"feature_content":"{feature}","description":{{"x":{constant}}}}}}}'
        ).encode()
        response = client.post_raw(REGISTER_PATH, body)
        assert (response.status_code, response.json()["rtn"]) == (400, -2001), constant
    assert client.retrieval_in_repo(label=1, feature=feature)["repo_result"] == []
