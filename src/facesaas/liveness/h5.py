"""What the H5 video liveness endpoints do, independent of HTTP (docs/liveness.md).

Two audiences:

- the customer's back end (signed calls): :meth:`VideoLiveness.create` a session, then
  :meth:`VideoLiveness.result` of it;
- the end user's browser, holding only the page token: :meth:`VideoLiveness.page` (the
  prompts), :meth:`VideoLiveness.preview` (live feedback on one small frame) and
  :meth:`VideoLiveness.upload` (the clip, once). The browser learns whether it passed and,
  if not, which step failed — never scores, features or the customer's data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from facesaas.errors import FaceSaaSError, InternalError, InvalidParameter
from facesaas.face.calibration import TRUE_NEGATIVE_RATES, Calibration
from facesaas.face.engine import FaceEngine
from facesaas.face.feature import decode_feature, encode_feature
from facesaas.face.image import decode_image
from facesaas.face.mesh import get_mesh, roi_from_detection
from facesaas.imaging.video import VideoLimits, decode_video
from facesaas.liveness import motion
from facesaas.liveness.schemas import CreateVideoSessionRequest
from facesaas.liveness.sessions import VideoSessions, choose_actions
from facesaas.liveness.video import VideoOptions, judge_clip

__all__ = ["VideoLiveness", "H5Defaults", "PAGE_MESSAGES"]

PAGE_MESSAGES = {
    "": "通过 Passed",
    "no_face": "未检测到人脸 No face was seen",
    "multiple_faces": "画面中有多人 More than one person was seen",
    "face_lost": "人脸离开画面 The face left the picture",
    "actions_missing": "未完成指定动作 An action was not seen in order",
    "face_too_small": "人脸太小或不清晰 The face was too small or unclear",
    "anti_eye_blockage": "眼部被遮挡 The eyes are covered",
    "dark_illumination": "光线太暗 Too dark",
    "not_live": "未通过活体检测 Liveness was not confirmed",
}
"""What the page shows (Chinese, then English). Reasons the user can fix are named; the
anti-spoofing reasons (screen, picture, another person, unexpected actions) all show as
``not_live``, so an attacker at the page learns nothing about which defence caught them. The
customer's back end gets the exact reason from 101.5."""
_PREVIEW_MAX_BYTES = 300_000
_PREVIEW_MAX_PIXELS = 1280 * 1280


@dataclass(frozen=True)
class H5Defaults:
    """The deployment's settings for sessions (FACESAAS_H5_*)."""

    action_count: int = 3
    session_seconds: int = 300
    result_hours: float = 24.0
    max_preview_frames: int = 400
    mesh_threads: int = 1


@dataclass
class VideoLiveness:
    """The H5 video liveness service of one process; thread-safe."""

    sessions: VideoSessions
    engine: FaceEngine
    calibration: Calibration
    limits: VideoLimits
    defaults: H5Defaults

    def create(self, tenant_id: int, request: CreateVideoSessionRequest,
               database_embedding: np.ndarray | None) -> dict[str, Any]:  # fmt: skip
        """101.4: choose the actions, store the session; returns its id, token and actions.
        ``database_embedding`` is the database face already extracted by the caller."""
        count = request.action_count if request.action_count is not None else self.defaults.action_count
        if not 2 <= count <= 4:
            raise InvalidParameter("action_count must be 2–4")
        lifetime = request.expire_seconds if request.expire_seconds is not None else self.defaults.session_seconds
        if not 30 <= lifetime <= 3600:
            raise InvalidParameter("expire_seconds must be 30–3600")
        if request.true_negative_rate not in TRUE_NEGATIVE_RATES:
            raise InvalidParameter(f"true_negative_rate must be one of {list(TRUE_NEGATIVE_RATES)}")
        options = {
            "customer_defined_content": request.customer_defined_content,
            "true_negative_rate": request.true_negative_rate,
            "levels": {
                "anti_screen": request.check_anti_screen_threshold,
                "anti_picture": request.check_anti_picture_threshold,
                "anti_eye_blockage": request.check_anti_eye_blockage_threshold,
                "dark_illumination": request.check_dark_illumination_threshold,
            },
        }
        feature = encode_feature(database_embedding[None, :], self.engine.scheme) if database_embedding is not None else None
        created = self.sessions.create(
            tenant_id, choose_actions(count), lifetime_seconds=lifetime, retention_hours=self.defaults.result_hours,
            options=options, database_feature=feature,
        )  # fmt: skip
        return {
            "session_id": created.session_id,
            "token": created.token,
            "actions": list(created.actions),
            "expires_at": int(created.expires_at.timestamp() * 1000),
            "page_path": f"/h5/liveness/{created.token}",
        }

    def result(self, tenant_id: int, session_id: str) -> dict[str, Any]:
        """101.5: the session's state and, once judged, ``video_liveness_result``."""
        return self.sessions.describe(tenant_id, session_id)

    def page(self, token: str) -> dict[str, Any]:
        """What the page needs to run: the prompts, the time left, the upload limits."""
        session = self.sessions.page(token, self.defaults.max_preview_frames)
        left = (session.expires_at - dt.datetime.now(dt.UTC)).total_seconds()
        return {
            "actions": list(session.actions),
            "expires_in_ms": max(int(left * 1000), 0),
            "preview_frames_left": session.preview_frames_left,
            "max_video_bytes": self.limits.max_bytes,
            "max_video_seconds": self.limits.max_seconds,
        }

    def preview(self, token: str, jpeg: bytes) -> dict[str, Any]:
        """Live feedback on one frame (JPEG/PNG, ≤ 300 KB): how many faces, where the main
        one is (fractions of the frame), and its measures (:mod:`facesaas.liveness.motion`)
        for the page to compare with its own resting baseline. Counted against the session's
        preview allowance. Cost ~20 ms."""
        self.sessions.count_preview(token, self.defaults.max_preview_frames)
        image = decode_image(jpeg, field="frame", max_bytes=_PREVIEW_MAX_BYTES, max_pixels=_PREVIEW_MAX_PIXELS)
        detections = self.engine.detect(image)
        answer: dict[str, Any] = {"face_count": len(detections)}
        if detections:
            main = detections[0]
            height, width = image.shape[:2]
            x, y, w, h = main.box
            answer["face_rect"] = {"x": x / width, "y": y / height, "w": w / width, "h": h / height}
            (mesh,) = get_mesh(self.defaults.mesh_threads).run([image], [roi_from_detection(main)], eyes=True)
            if mesh.presence >= 0.5:
                m = motion.measure(mesh.points, 0.0, mesh.eye)
                answer.update(yaw=round(m.yaw, 2), pitch=round(m.pitch, 2), eye=round(m.eye, 4), mouth=round(m.mouth, 4))
        return answer

    def upload(self, token: str, data: bytes) -> dict[str, Any]:
        """The clip, once: checked, decoded (before the token is used, so a broken upload can
        be retried), then the token is used atomically and the clip judged. Returns what the
        page shows: ``is_live``, ``invalid_reason`` and a message."""
        self.sessions.check_usable(token)
        video = decode_video(data, self.limits)
        claimed = self.sessions.claim(token)
        options = claimed.options
        database = decode_feature(claimed.database_feature, "database", self.engine.scheme)[0] if claimed.database_feature else None
        try:
            result = judge_clip(
                self.engine, get_mesh(self.defaults.mesh_threads), self.calibration, video,
                VideoOptions(claimed.actions, options["levels"], database, options["true_negative_rate"]),
            )  # fmt: skip
        except Exception as exc:  # the session must not stay "judging" whatever broke
            error = exc if isinstance(exc, FaceSaaSError) else InternalError("video judgement failed")
            self.sessions.finish(claimed, {"error": error.rtn, "message": error.message}, failed=True)
            if error is exc:
                raise
            raise error from exc
        result["video_container"], result["video_codec"] = video.container, video.codec
        result["video_width"], result["video_height"] = video.size
        self.sessions.finish(claimed, result)
        reason = result["invalid_reason"]
        shown = reason if reason in PAGE_MESSAGES else "not_live"
        return {"is_live": result["is_live"], "invalid_reason": shown, "page_message": PAGE_MESSAGES[shown]}
