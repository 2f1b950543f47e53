"""The infrared check of CS202.2 ``query_image_additional_info`` (manual 9.2).

Cameras of bank and telecom counters pair the colour camera with a near-infrared (NIR) one lit
by its own IR lamp. A real face reflects NIR and shows up in both frames; a phone or monitor
held up to the cameras emits no NIR, so the IR frame shows a dark slab where the colour frame
shows a face. The check therefore passes only when

1. the IR frame is an IR frame: one grey channel (colour channels within a few levels of each
   other — a colour photo sent as "infrared" proves nothing);
2. the IR frame holds a face (the same YuNet detector, at its usual score threshold 0.7);
3. that face sits where the colour face is, within a quarter of the frame (the two cameras
   sit side by side and see the same scene; an IR frame of another moment or scene fails);
4. when the client sends ``face_key_point_info`` — the 5 key points its own IR detector found,
   a JSON array ``[[x, y], ...]`` in IR-image pixels (right eye, left eye, nose tip, right and
   left mouth corner) — every point lies inside our IR face box (grown by 10 %).

A printed photo does reflect NIR and can pass this check; the package checks of 101.3
(anti_picture) are the answer to prints. Cost: one detection, ~10 ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from facesaas.face.engine import Detection, FaceEngine

__all__ = ["InfraredResult", "check_infrared", "infrared_check"]

_MAX_CHANNEL_SPREAD = 6.0
"""Mean absolute difference (levels) between colour channels above which a frame is colour."""

_MAX_CENTRE_SHIFT = 0.25
"""How far (share of the frame's width/height) the IR face centre may sit from the colour one."""


@dataclass(frozen=True)
class InfraredResult:
    """Outcome: ``is_live`` (all conditions hold), ``infrared_face_num`` (faces in the IR
    frame) and ``message`` (which condition failed, or "OK")."""

    is_live: bool
    infrared_face_num: int
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"is_live": self.is_live, "infrared_face_num": self.infrared_face_num, "message": self.message}


def _centre(box: tuple[float, float, float, float], shape: tuple[int, ...]) -> np.ndarray:
    x, y, w, h = box
    return np.array([(x + w / 2) / shape[1], (y + h / 2) / shape[0]])


def check_infrared(
    engine: FaceEngine,
    infrared: np.ndarray,
    colour_face: Detection | None,
    colour_shape: tuple[int, ...],
    key_points: np.ndarray | None = None,
) -> InfraredResult:
    """Judge the IR frame ``infrared`` (BGR uint8) against the colour frame's main face
    ``colour_face`` (None: the colour frame has no face, only conditions 1, 2 and 4 apply) in
    a colour frame of ``colour_shape`` (height, width, …)."""
    channels = infrared.astype(np.int16)
    spread = float(np.abs(channels[..., 0] - channels[..., 1]).mean() + np.abs(channels[..., 1] - channels[..., 2]).mean()) / 2
    if spread > _MAX_CHANNEL_SPREAD:
        return InfraredResult(False, 0, "infrared_face_image_content is a colour image, not an infrared frame")
    detections = engine.detect(infrared)
    if not detections:
        return InfraredResult(False, 0, "no face in the infrared frame (a screen shows none)")
    face = detections[0]
    if colour_face is not None:
        shift = np.abs(_centre(face.box, infrared.shape) - _centre(colour_face.box, colour_shape))
        if (shift > _MAX_CENTRE_SHIFT).any():
            return InfraredResult(False, len(detections), "the infrared face is not where the colour face is")
    if key_points is not None:
        x, y, w, h = face.box
        inside = (
            (key_points[:, 0] >= x - 0.1 * w) & (key_points[:, 0] <= x + 1.1 * w)
            & (key_points[:, 1] >= y - 0.1 * h) & (key_points[:, 1] <= y + 1.1 * h)
        )  # fmt: skip
        if not inside.all():
            return InfraredResult(False, len(detections), "face_key_point_info does not lie on the infrared face")
    return InfraredResult(True, len(detections), "OK")


def infrared_check(engine: FaceEngine) -> partial[InfraredResult]:
    """:func:`check_infrared` with ``engine`` bound: what CS202.2's service takes as its
    ``check_infrared`` (``facesaas.recognition.InfraredCheck``)."""
    return partial(check_infrared, engine)
