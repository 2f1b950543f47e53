"""The audit log over real signed HTTP with real images: every endpoint family's answers —
successes and refusals — leave one row holding the decision, the score and the thresholds the
answer was decided at (cross-checked against the answer and the calibration), never an image
or a feature; an unauthenticated request leaves none; an answer whose row cannot be written is
withheld (-5013); ``facesaas audit`` verifies, shows, anchors and prunes what the server wrote."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import text

from facesaas.audit import AuditLog
from facesaas.cli.main import cli
from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES, load_calibration, similarity_from_cosine
from facesaas.face.embedder import DEFAULT_SCHEME
from facesaas.liveness.checks import THRESHOLDS
from facesaas.liveness.service import SAME_PERSON_FAR
from facesaas.sdk import ApiError, Client, build_package
from facesaas.sdk.client import EXTRACTION_PATH
from facesaas.storage.database import Database, create_database
from facesaas.tenants.calibration import TenantCalibrations, TenantTable
from facesaas.tenants.service import NewCredentials
from tests.api.test_video_liveness import _performed
from tests.conftest import RunningServer

SAME = ("7437/084788.jpg", "7437/097369.jpg")
OTHER = "7292/067624.jpg"
CALIBRATION = load_calibration()
SQLITE_PASS_ONLY = pytest.mark.skipif(
    os.environ.get("FACESAAS_DATABASE_URL", "").startswith("postgresql"),
    reason="what a family's decision summary records does not depend on the database (its writes are tested on "
    "PostgreSQL by the other tests here); the OCR and clip judging would add ~30 s to the PostgreSQL pass",
)


@pytest.fixture
def audit_db(server: RunningServer) -> Iterator[Database]:
    database = create_database(server.settings.resolved_database_url)
    yield database
    database.dispose()


@pytest.fixture
def audit(audit_db: Database) -> AuditLog:
    return AuditLog(audit_db)


def _row(audit: AuditLog, request_id: str) -> dict[str, Any]:
    (row,) = audit.rows(request_id=request_id, limit=5)
    return row


def _holds_nothing_of(row: dict[str, Any], *blobs: str) -> None:
    """No image, feature or other bulk value reached the row: the row is small and holds no
    64-character stretch of any of ``blobs`` (base64 images, feature strings)."""
    encoded = json.dumps(row, ensure_ascii=False)
    assert len(encoded) < 3000, encoded
    for blob in blobs:
        for start in range(0, max(len(blob) - 64, 1), 997):
            assert blob[start : start + 64] not in encoded


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_recognition_rows_hold_the_score_and_thresholds(client: Client, credentials: NewCredentials, audit: AuditLog,
                                                        celeba: Path) -> None:  # fmt: skip
    query, database = (celeba / SAME[0]).read_bytes(), (celeba / SAME[1]).read_bytes()
    extracted = client.feature_extraction(query, image_type=3, return_face_quality=True)
    row = _row(audit, extracted["global_request_id"])
    assert (row["endpoint"], row["rtn"], row["http_status"]) == (EXTRACTION_PATH, 0, 200)
    assert row["access_id"] == credentials.tenant.access_id and row["tenant_id"] == credentials.tenant.id
    assert row["decision"]["decision"]["face_num"] == extracted["face_num"]
    assert row["decision"]["decision"]["quality_scores"] == [q["score"] for q in extracted["face_quality"]]
    assert row["decision"]["thresholds"] == {"detection": 0.7}
    assert "scheme sface-mirror" in row["model"] and "sface fb143eea0783" in row["model"]
    _holds_nothing_of(row, _b64(query), extracted["feature"])

    for other, rate in ((database, "99.9"), ((celeba / OTHER).read_bytes(), "99.99")):
        answer = client.face_pair_verification(query_image=query, database_image=other, database_image_type=3,
                                               true_negative_rate=rate, enable_verify_detail=True)  # fmt: skip
        recorded = _row(audit, answer["global_request_id"])["decision"]
        threshold = CALIBRATION.similarity_threshold(rate)
        assert recorded["decision"]["similarity"] == answer["pair_verify_similarity"]
        assert recorded["decision"]["pair_verify_result"] == answer["pair_verify_result"]
        assert recorded["decision"]["same_person"] is (answer["pair_verify_result"] == 0)
        assert recorded["decision"]["score_list"] == answer["verify_detail"]["score_list"]
        assert recorded["thresholds"]["true_negative_rate"] == rate
        assert recorded["thresholds"]["similarity"] == pytest.approx(threshold, abs=1e-9)
        assert recorded["thresholds"]["cosine"] == CALIBRATION.cosine_threshold(rate)
        assert recorded["thresholds"]["calibration"] == "shipped"
        assert (answer["pair_verify_similarity"] >= threshold) is (answer["pair_verify_result"] == 0)
    assert [r["decision"]["decision"]["same_person"] for r in audit.rows(limit=2)] == [True, False]


def test_a_customers_own_table_is_named_with_its_thresholds(client: Client, credentials: NewCredentials,
                                                              audit: AuditLog, audit_db: Database, celeba: Path) -> None:  # fmt: skip
    """Thresholds from the customer's table (``facesaas calibrate --tenant``) are recorded as
    such, with the values that decided, not the shipped ones."""
    thresholds = {rate: {"cosine": round(0.90 + 0.01 * i, 6), "source": "tenant measured"}
                  for i, rate in enumerate(SEARCH_TRUE_NEGATIVE_RATES)}  # fmt: skip
    table = TenantTable(scheme=DEFAULT_SCHEME, thresholds=thresholds, identities=2, images=4, genuine_pairs=2,
                        impostor_pairs=4, failure_to_enroll=0.0, source="audit test")  # fmt: skip
    stored = TenantCalibrations(audit_db, CALIBRATION, DEFAULT_SCHEME).save(credentials.tenant.id, table)
    answer = client.face_pair_verification(query_image=(celeba / SAME[0]).read_bytes(),
                                           database_image=(celeba / SAME[1]).read_bytes(), true_negative_rate="99.99")  # fmt: skip
    recorded = _row(audit, answer["global_request_id"])["decision"]
    assert answer["pair_verify_result"] == 1 and recorded["decision"]["same_person"] is False  # 0.91 is out of reach
    assert recorded["thresholds"]["cosine"] == thresholds["99.99"]["cosine"] != CALIBRATION.cosine_threshold("99.99")
    assert recorded["thresholds"]["similarity"] == pytest.approx(float(similarity_from_cosine(thresholds["99.99"]["cosine"])))
    assert recorded["thresholds"]["calibration"] == "tenant"
    assert recorded["thresholds"]["calibration_source"] == "audit test"
    assert stored.created_at is not None and recorded["thresholds"]["calibration_created_at"] == stored.created_at.isoformat()


def test_repository_rows_name_the_user_ids_and_threshold(client: Client, audit: AuditLog, celeba: Path) -> None:
    enrolled = client.register_in_repo("vip", "u1", label=2, image=(celeba / SAME[1]).read_bytes())
    row = _row(audit, enrolled["global_request_id"])["decision"]
    assert row["decision"] == {"action": "register", "mode": 1, "label": 2, "repo_name": "vip", "user_id": "u1",
                               "quality_score": enrolled["face_quality"]["score"]}  # fmt: skip
    assert row["thresholds"] == {"quality_gate": "lenient"}
    query = (celeba / SAME[0]).read_bytes()
    found = client.retrieval_in_repo(label=2, repo_name="vip", image=query, true_negative_rate="99.9")
    row = _row(audit, found["global_request_id"])["decision"]
    assert [hit["user_id"] for hit in row["decision"]["hits"]] == [hit["user_id"] for hit in found["repo_result"]] == ["u1"]
    assert row["decision"]["hits"][0]["confidence"] == found["repo_result"][0]["confidence"]
    assert row["decision"]["matches"] == sum(hit["is_same_person"] for hit in found["repo_result"]) == 1
    assert row["decision"]["gallery_size"] == found["gallery_size"] == 1
    assert row["thresholds"]["cosine"] == CALIBRATION.cosine_threshold("99.9")
    assert row["thresholds"]["similarity"] == pytest.approx(float(similarity_from_cosine(CALIBRATION.cosine_threshold("99.9"))))
    deleted = client.delete_from_repo("vip", "u1", label=2)
    assert _row(audit, deleted["global_request_id"])["decision"]["decision"]["action"] == "delete"


def test_liveness_rows_hold_each_check_and_its_level(client: Client, credentials: NewCredentials, audit: AuditLog,
                                                     astronaut_jpeg: bytes) -> None:  # fmt: skip
    assert credentials.package_key is not None
    package = build_package([astronaut_jpeg, astronaut_jpeg], key=credentials.package_key.key,
                            key_id=credentials.package_key.key_id, customer_defined_content="loan 7")  # fmt: skip
    answer = client.check_image_package(package, return_feature_string=True, check_same_person=True, check_anti_screen=True,
                                        check_anti_picture=True, check_anti_screen_threshold="low")  # fmt: skip
    result = answer["query_image_package_result"]
    row = _row(audit, answer["global_request_id"])
    decision, thresholds = row["decision"]["decision"], row["decision"]["thresholds"]
    assert decision["is_valid_package"] is True and decision["package_id"] == result["package_id"]
    for key in ("is_anti_screen_check_score", "is_anti_picture_check_passed", "is_same_person", "is_same_person_check_score"):
        assert decision[key] == result[key]
    assert thresholds["anti_screen"] == {"level": "low", "value": THRESHOLDS["anti_screen"]["low"]}
    assert thresholds["anti_picture"]["value"] == THRESHOLDS["anti_picture"]["medium"]
    assert thresholds["same_person"]["similarity"] == pytest.approx(CALIBRATION.similarity_at_far(SAME_PERSON_FAR))
    assert "customer_defined_content" not in decision
    _holds_nothing_of(row, package, result["feature_string"])
    replayed = client.check_image_package(package)
    assert _row(audit, replayed["global_request_id"])["decision"]["decision"]["invalid_reason"] == "replayed"


@SQLITE_PASS_ONLY
def test_video_liveness_rows(client: Client, server: RunningServer, audit: AuditLog, astronaut_jpeg: bytes) -> None:
    created = client.create_video_session(action_count=2, database_image=astronaut_jpeg, true_negative_rate="99.9",
                                          check_anti_picture_threshold="high")  # fmt: skip
    row = _row(audit, created["global_request_id"])["decision"]
    assert row["decision"] == {"session_id": created["session_id"], "actions": created["actions"], "database_face": True}
    assert row["thresholds"]["anti_picture"] == {"level": "high", "value": 0.5}
    assert row["thresholds"]["pair"]["similarity"] == pytest.approx(CALIBRATION.similarity_threshold("99.9"))
    assert created["token"] not in json.dumps(row)  # the page token is a credential of the end user's page
    pending = client.query_video_result(created["session_id"])
    assert _row(audit, pending["global_request_id"])["decision"]["decision"]["session_status"] == "pending"
    upload = httpx.post(f"{server.url}/h5/api/{created['token']}/video", content=_performed(created["actions"]),
                        timeout=120, headers={"content-type": "video/webm"})  # fmt: skip
    assert upload.json()["rtn"] == 0
    assert audit.rows(request_id=upload.json()["global_request_id"], limit=5) == []  # the page is no signed call
    judged = client.query_video_result(created["session_id"])
    result = judged["video_liveness_result"]
    row = _row(audit, judged["global_request_id"])
    recorded = row["decision"]["decision"]["result"]
    assert recorded["is_live"] is result["is_live"] and recorded["failed_checks"] == result["failed_checks"]
    assert recorded["pair_verify_similarity"] == result["pair_verify_similarity"]
    assert [a["action"] for a in recorded["actions"]] == created["actions"]
    _holds_nothing_of(row, result["best_frame_image_content"], result["feature_string"])


@SQLITE_PASS_ONLY
def test_document_rows_hold_the_class_not_the_fields(client: Client, audit: AuditLog, shared_data: Path) -> None:
    card = (shared_data / "idcards" / "id_front" / "cardocr_test0.png").read_bytes()
    read = client.ocr(card, ocr_type=1, ocr_mode=1)
    row = _row(audit, read["global_request_id"])
    fields = read["idcard_ocr_result"]
    decision = row["decision"]["decision"]
    assert decision["idcard_type"] == fields["idcard_type"] == 1
    assert decision["fields_read"] == sum(1 for k, v in fields.items() if k != "idcard_type" and v != "?")
    assert fields["citizen_id"] not in json.dumps(row, ensure_ascii=False)  # personal data stays out
    judged = client.distinguish(card, distinguish_type=1)
    verdict = judged["idcard_distinguish_result"]
    decision = _row(audit, judged["global_request_id"])["decision"]["decision"]
    assert (decision["result"], decision["is_valid"], decision["reason"]) == (verdict["result"], verdict["is_valid"], verdict["reason"])
    assert decision["failed_checks"] == [c["code"] for c in verdict["checks"] if not c["passed"]]
    _holds_nothing_of(_row(audit, judged["global_request_id"]), verdict["debug_image"])
    classified = client.license_classification(card)
    assert _row(audit, classified["global_request_id"])["decision"]["decision"] == {"class": 1}


def _grey_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_refusals_are_recorded_and_forgeries_are_not(client: Client, server: RunningServer, audit: AuditLog) -> None:
    with pytest.raises(ApiError) as refused:
        client.feature_extraction(_grey_jpeg())
    row = _row(audit, refused.value.request_id)
    assert (row["rtn"], row["http_status"], row["decision"]) == (-3001, refused.value.http_status, {})
    with pytest.raises(ApiError) as garbled:
        client.call(EXTRACTION_PATH, {"image_type": 3})
    assert _row(audit, garbled.value.request_id)["rtn"] == -2002
    before = audit.head().head_seq
    forged = httpx.post(f"{server.url}{EXTRACTION_PATH}", content=b'{"image_type":3}',
                        headers={"x-access-id": client.access_id, "x-signature": "00" * 128})  # fmt: skip
    assert forged.status_code == 401 and audit.head().head_seq == before
    assert audit.verify().ok


def test_an_answer_that_cannot_be_recorded_is_withheld(client: Client, audit: AuditLog, audit_db: Database,
                                                       celeba: Path) -> None:  # fmt: skip
    image = (celeba / SAME[0]).read_bytes()
    client.feature_extraction(image)
    with audit_db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    with pytest.raises(ApiError) as withheld:
        client.feature_extraction(image)
    assert (withheld.value.rtn, withheld.value.http_status) == (-5013, 503) and withheld.value.request_id
    with pytest.raises(ApiError) as refused:  # a refusal decides nothing: it is answered as it is
        client.feature_extraction(b"not an image at all")
    assert refused.value.rtn not in (0, -5013) and refused.value.http_status == 400
    with audit_db.engine.begin() as connection:
        connection.execute(text("ALTER TABLE audit_log_away RENAME TO audit_log"))
    assert audit.rows(request_id=withheld.value.request_id, limit=5) == []
    again = client.feature_extraction(image)
    assert _row(audit, again["global_request_id"])["seq"] == 2 and audit.verify().ok


def _cli(*args: str, data_dir: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["audit", *args, "--data-dir", str(data_dir)], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_the_cli_verifies_shows_anchors_and_prunes(client: Client, server: RunningServer, audit_db: Database,
                                                   celeba: Path) -> None:  # fmt: skip
    data_dir = server.settings.data_dir
    answers = [client.feature_extraction((celeba / name).read_bytes()) for name in (*SAME, OTHER)]
    code, out, _ = _cli("verify", data_dir=data_dir)
    assert code == 0 and out.startswith("intact: 3 rows, 1–3, head 3:")
    code, head, _ = _cli("head", data_dir=data_dir)
    assert code == 0 and head.strip() == out.split("head ")[1].strip()
    code, out, _ = _cli("show", "--request-id", answers[1]["global_request_id"], data_dir=data_dir)
    (line,) = out.splitlines()
    assert json.loads(line)["seq"] == 2
    code, out, _ = _cli("show", "--tenant", client.access_id, "--limit", "2", data_dir=data_dir)
    assert [json.loads(line)["seq"] for line in out.splitlines()] == [2, 3]

    code, out, err = _cli("prune", "--before", "2999-01-01", data_dir=data_dir)
    assert code == 1 and "inside the retention" in err
    code, out, _ = _cli("prune", "--before", "2999-01-01", "--force", data_dir=data_dir)
    assert code == 0 and "deleted 3 rows" in out
    code, out, _ = _cli("verify", "--expect", head.strip(), data_dir=data_dir)
    assert code == 0 and "pruned up to row 3" in out
    client.feature_extraction((celeba / OTHER).read_bytes())
    assert _cli("verify", data_dir=data_dir)[0] == 0

    with audit_db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET rtn = -1 WHERE seq = 5"))
    code, out, err = _cli("verify", data_dir=data_dir)
    assert code == 1 and "row 5: edited" in err
    code, out, _ = _cli("verify", "--json", data_dir=data_dir)
    assert code == 1 and json.loads(out)["problem"]["seq"] == 5
