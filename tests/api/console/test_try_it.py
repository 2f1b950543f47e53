"""The console's "try it": two photos compared in-process, with boxes, landmarks, similarity and
the threshold ladder; inputs validated like CS202.2's."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image

from facesaas.face.calibration import load_calibration
from tests.api.console.conftest import ConsoleClient


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _jpeg(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_same_person_across_two_photos(console: ConsoleClient, celeba: Path) -> None:
    a = (celeba / "7437/084788.jpg").read_bytes()
    b = (celeba / "7437/097369.jpg").read_bytes()
    answer = console.post("/console/api/try", {"image_a": _b64(a), "image_b": _b64(b)})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["rtn"] == 0
    for side, raw in (("image_a", a), ("image_b", b)):
        photo = result[side]
        width, height = Image.open(io.BytesIO(raw)).size
        assert (photo["width"], photo["height"]) == (width, height)
        assert photo["face_num"] >= 1 and len(photo["faces"]) == photo["face_num"]
        face = photo["faces"][0]
        x, y, w, h = face["box"]
        assert 0 <= x < width and 0 <= y < height and w > 20 and h > 20
        assert len(face["landmarks"]) == 5
        # The landmarks (eyes, nose, mouth corners) lie inside the box.
        assert all(x <= lx <= x + w and y <= ly <= y + h for lx, ly in face["landmarks"])
        assert 0.7 <= face["score"] <= 1
    calibration = load_calibration()
    rates = [t["true_negative_rate"] for t in result["thresholds"]]
    assert rates == ["99.9", "99.99", "99.999"]
    for entry in result["thresholds"]:
        assert abs(entry["similarity"] - calibration.similarity_threshold(entry["true_negative_rate"])) < 1e-3
        assert entry["same_person"] is (result["similarity"] >= entry["similarity"])
    assert result["similarity"] > result["thresholds"][-1]["similarity"]  # the same person at every rate


def test_different_people_score_below_the_ladder(console: ConsoleClient, celeba: Path) -> None:
    a = (celeba / "7437/084788.jpg").read_bytes()
    b = (celeba / "7292/067624.jpg").read_bytes()
    result = console.post("/console/api/try", {"image_a": _b64(a), "image_b": _b64(b)}).json()
    assert result["rtn"] == 0 and result["similarity"] < result["thresholds"][0]["similarity"]
    assert [t["same_person"] for t in result["thresholds"]] == [False, False, False]


def test_a_photo_without_a_face_is_shown_not_refused(console: ConsoleClient, astronaut_jpeg: bytes) -> None:
    blank = _jpeg(np.full((200, 300, 3), 128, dtype=np.uint8))
    result = console.post("/console/api/try", {"image_a": _b64(astronaut_jpeg), "image_b": _b64(blank)}).json()
    assert result["rtn"] == 0
    assert result["image_a"]["face_num"] == 1 and result["image_b"] == {"width": 300, "height": 200, "face_num": 0, "faces": []}
    assert result["similarity"] is None and all(t["same_person"] is None for t in result["thresholds"])


def test_inputs_are_checked_like_a_verification(console: ConsoleClient, astronaut_jpeg: bytes) -> None:
    good = _b64(astronaut_jpeg)
    cases = [
        ({"image_a": good}, -2002, 400),
        ({"image_a": good, "image_b": 7}, -2003, 400),
        ({"image_a": good, "image_b": "not base64!"}, -2005, 400),
        ({"image_a": good, "image_b": _b64(b"GIF89a" + b"\0" * 100)}, -2007, 400),
        ({"image_a": good, "image_b": _b64(astronaut_jpeg[: len(astronaut_jpeg) // 3])}, -2008, 400),
        ({"image_a": good, "image_b": _b64(b"\xff\xd8\xff" + b"\0" * (1024 * 1024 + 1))}, -2006, 413),
    ]
    for body, rtn, status in cases:
        answer = console.post("/console/api/try", body)
        assert (answer.status_code, answer.json()["rtn"]) == (status, rtn), (rtn, answer.text)
        assert "image_b" in answer.json()["message"] or rtn == -2002
    too_big = console.http.post("/console/api/try", content=b"{" + b" " * (6 * 1024 * 1024) + b"}",
                                headers={"X-CSRF-Token": console.csrf, "Content-Type": "application/json"})  # fmt: skip
    assert (too_big.status_code, too_big.json()["rtn"]) == (413, -2004)
