"""What the audit log records of each endpoint's answer: the decision, its scores, the
thresholds that decided and which calibration they came from (docs/security.md, "The audit
log"). Routes call :func:`note` with one of the summaries below before they answer;
:class:`facesaas.api.calls.CallMiddleware` writes it with the call's audit row.

Each summary picks named fields (a list of what to keep, never a list of what to drop), so
images, feature strings, the customer's own content and document field values never reach the
log whatever a family adds to its answers later. Scores are the answer's (rounded as the
customer saw them); thresholds are exact.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from facesaas.face.calibration import Calibration, similarity_from_cosine
from facesaas.liveness.checks import THRESHOLDS
from facesaas.liveness.service import SAME_PERSON_FAR
from facesaas.liveness.video import PASSIVE_CHECKS, VIDEO_SAME_PERSON_FAR, VIDEO_THRESHOLDS

__all__ = ["note", "extraction", "verification", "registration", "retrieval", "package_check", "video_session",
           "video_result", "document_ocr", "document_distinguish", "document_classification"]  # fmt: skip

_PACKAGE_CHECKS = ("anti_screen", "dark_illumination", "anti_picture", "anti_eye_blockage", "anti_hole")


def note(request: Request, decision: dict[str, Any]) -> None:
    """Leave ``decision`` for the call's audit row (written when the answer starts)."""
    request.state.decision = decision


def _calibration(calibration: Calibration) -> dict[str, Any]:
    """Which table the thresholds came from: the customer's own (with when it was built) or the
    shipped one (with its build date)."""
    source = calibration.source or {}
    if source.get("tenant"):
        return {"calibration": "tenant", "calibration_created_at": source.get("created_at"),
                "calibration_source": source.get("source")}  # fmt: skip
    return {"calibration": "shipped", "calibration_built": source.get("built")}


def _one_to_one(calibration: Calibration, rate: str) -> dict[str, Any]:
    return {"true_negative_rate": rate, "similarity": float(calibration.similarity_threshold(rate)),
            "cosine": float(calibration.cosine_threshold(rate)), **_calibration(calibration)}  # fmt: skip


def _liveness_flags(result: dict[str, Any]) -> dict[str, Any]:
    """The outcome fields of a package or clip result: validity, reasons and every check's
    ``is_*`` valid/passed/score, nothing else."""
    keep = ("is_valid_package", "invalid_reason", "invalid_detail", "package_id", "created_at", "is_live",
            "failed_checks", "pair_verify_result", "pair_verify_similarity", "video_duration_ms", "error")  # fmt: skip
    return {key: value for key, value in result.items() if key.startswith("is_") or key in keep}


def extraction(parsed: Any, result: dict[str, Any], detection_threshold: float) -> dict[str, Any]:
    """CS201.1: how many faces, of which image type, their quality scores, the card side read."""
    decision: dict[str, Any] = {"face_num": result.get("face_num"), "image_type": result.get("image_type"),
                                "features_returned": bool(result.get("feature"))}  # fmt: skip
    if "face_quality" in result:
        decision["quality_scores"] = [q.get("score") for q in result["face_quality"]]
    if "idcard_type" in result:
        decision["idcard_type"] = result["idcard_type"]
    return {"decision": decision, "thresholds": {"detection": detection_threshold}}


def verification(parsed: Any, calibration: Calibration, result: dict[str, Any]) -> dict[str, Any]:
    """CS202.2: same person or not, the score (and every query face's with verify_detail), the
    infrared or package checks when given, at the customer's thresholds."""
    decision: dict[str, Any] = {"same_person": result["pair_verify_result"] == 0,
                                "pair_verify_result": result["pair_verify_result"],
                                "similarity": result["pair_verify_similarity"]}  # fmt: skip
    detail = result.get("verify_detail")
    if detail is not None:
        decision["score_list"] = detail.get("score_list")
    if "query_image_additional_info_result" in result:
        decision["infrared"] = result["query_image_additional_info_result"]
    thresholds = _one_to_one(calibration, parsed.true_negative_rate)
    if "query_image_package_result" in result:
        decision["package"] = _liveness_flags(result["query_image_package_result"])
    return {"decision": decision, "thresholds": thresholds}


def registration(parsed: Any, result: dict[str, Any], deployment_gate: str) -> dict[str, Any]:
    """102.1: which user id was registered in (or deleted from) which repository, and the
    enrolment photo's quality at the gate that applied."""
    info = parsed.user_info
    mode = parsed.mode if parsed.mode is not None else (3 if info.image_content is None and info.feature_content is None else 1)
    decision: dict[str, Any] = {"action": "delete" if mode == 3 else "register", "mode": mode, "label": info.label,
                                "repo_name": info.repo_name, "user_id": info.user_id}  # fmt: skip
    thresholds: dict[str, Any] = {}
    if mode == 1:
        gate = parsed.options.quality_gate if parsed.options.quality_gate is not None else deployment_gate
        thresholds["quality_gate"] = gate
        if "face_quality" in result:
            decision["quality_score"] = result["face_quality"].get("score")
    return {"decision": decision, "thresholds": thresholds}


def retrieval(parsed: Any, calibration: Calibration, result: dict[str, Any]) -> dict[str, Any]:
    """103.1: the hits (user ids, repositories, confidences, same person or not), the gallery
    searched and its expected false-positive identification rate, at the customer's threshold."""
    hits = [{"user_id": hit["user_id"], "repo_name": hit["repo_name"], "confidence": hit["confidence"],
             "is_same_person": hit["is_same_person"]} for hit in result.get("repo_result", [])]  # fmt: skip
    decision = {"mode": parsed.mode, "label": parsed.user_info.label, "repo_name": parsed.user_info.repo_name or None,
                "hits": hits, "matches": sum(1 for hit in hits if hit["is_same_person"]),
                "gallery_size": result.get("gallery_size"), "expected_fpir": result.get("expected_fpir")}  # fmt: skip
    rate = parsed.options.true_negative_rate
    cosine = float(calibration.cosine_threshold(rate))
    thresholds = {"true_negative_rate": rate, "cosine": cosine, "similarity": float(similarity_from_cosine(cosine)),
                  "return_topk_face": parsed.options.return_topk_face, **_calibration(calibration)}  # fmt: skip
    return {"decision": decision, "thresholds": thresholds}


def package_check(parsed: Any, calibration: Calibration, result: dict[str, Any]) -> dict[str, Any]:
    """101.3: the package's validity and each check's outcome, at the levels asked for (with
    their numeric thresholds) and the same-person threshold of the shipped calibration."""
    thresholds: dict[str, Any] = {}
    for name in _PACKAGE_CHECKS:
        if getattr(parsed, f"query_image_package_check_{name}", False):
            level = getattr(parsed, f"query_image_package_check_{name}_threshold")
            thresholds[name] = {"level": level, "value": THRESHOLDS[name].get(level)}
    if getattr(parsed, "query_image_package_check_same_person", False):
        thresholds["same_person"] = {"far": SAME_PERSON_FAR, "similarity": float(calibration.similarity_at_far(SAME_PERSON_FAR)),
                                     **_calibration(calibration)}  # fmt: skip
    return {"decision": _liveness_flags(result), "thresholds": thresholds}


def video_session(parsed: Any, calibration: Calibration, result: dict[str, Any]) -> dict[str, Any]:
    """101.4: the session, its actions and whether a database face was given; the thresholds
    its clip will be judged at (101.5's rows name the session)."""
    levels = {"anti_screen": parsed.check_anti_screen_threshold, "anti_picture": parsed.check_anti_picture_threshold,
              "anti_eye_blockage": parsed.check_anti_eye_blockage_threshold,
              "dark_illumination": parsed.check_dark_illumination_threshold}  # fmt: skip
    thresholds: dict[str, Any] = {
        name: {"level": levels[name], "value": VIDEO_THRESHOLDS.get(name, THRESHOLDS[name]).get(levels[name])}
        for name in PASSIVE_CHECKS
    }
    thresholds["same_person"] = {"far": VIDEO_SAME_PERSON_FAR,
                                 "similarity": float(calibration.similarity_at_far(VIDEO_SAME_PERSON_FAR))}  # fmt: skip
    thresholds["pair"] = _one_to_one(calibration, parsed.true_negative_rate)
    database = parsed.database_image_content is not None or parsed.database_image_feature is not None
    decision = {"session_id": result["session_id"], "actions": result["actions"], "database_face": database}
    return {"decision": decision, "thresholds": thresholds}


def video_result(result: dict[str, Any]) -> dict[str, Any]:
    """101.5: the session's state and, once judged, the clip's outcome (no frame, no feature)."""
    decision: dict[str, Any] = {"session_id": result["session_id"], "session_status": result["session_status"]}
    judged = result.get("video_liveness_result")
    if judged is not None:
        decision["result"] = _liveness_flags(judged)
        if "actions" in judged:
            decision["result"]["actions"] = [{"action": a.get("action"), "detected": a.get("detected")} for a in judged["actions"]]
    return {"decision": decision, "thresholds": {"see": "the 101.4 row of this session_id"}}


def _fields_read(fields: dict[str, Any]) -> dict[str, Any]:
    """Which fields of a reading were read and which not ("?" or empty) — names, never values."""
    unread = sorted(name for name, value in fields.items() if value in ("?", "", None))
    return {"fields_read": len(fields) - len(unread), "fields_unread": unread}


def document_ocr(parsed: Any, result: dict[str, Any]) -> dict[str, Any]:
    """105.1: the kind of document read and which of its fields were read (not their values)."""
    decision: dict[str, Any] = {"ocr_type": parsed.options.ocr_type, "ocr_mode": parsed.options.ocr_mode}
    for key, fields in result.items():
        if isinstance(fields, dict):
            decision["result"] = key
            if "idcard_type" in fields:
                decision["idcard_type"] = fields["idcard_type"]
            decision.update(_fields_read({k: v for k, v in fields.items() if k != "idcard_type"}))
    return {"decision": decision, "thresholds": {}}


def document_distinguish(parsed: Any, result: dict[str, Any]) -> dict[str, Any]:
    """105.2: genuine or not, the reason and confidence, and which rules failed."""
    decision: dict[str, Any] = {"distinguish_type": parsed.options.distinguish_type}
    for key, verdict in result.items():
        if isinstance(verdict, dict):
            checks = verdict.get("checks", [])
            decision.update(result=verdict.get("result"), is_valid=verdict.get("is_valid"),
                            confidence=verdict.get("confidence"), reason=verdict.get("reason"), checks=len(checks),
                            failed_checks=[c.get("code") for c in checks if not c.get("passed")])  # fmt: skip
    return {"decision": decision, "thresholds": {}}


def document_classification(parsed: Any, result: dict[str, Any]) -> dict[str, Any]:
    """105.3: the class found (1 front, 2 back, 3 both, -1 not an ID card)."""
    return {"decision": {"class": result["classification_result"]["result"]}, "thresholds": {}}
