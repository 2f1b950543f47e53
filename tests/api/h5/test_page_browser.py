"""The H5 liveness page end to end in headless Chromium (network blocked), its camera a file.

Chromium's fake capture device plays a Y4M clip as the front camera (``tests/browser.
fake_camera_flags``) and grants the camera without asking. The page runs as on a phone: the
session's prompts, live previews, one MediaRecorder clip uploaded once; the outcome it shows is
checked in its DOM and against the customer's view (101.5 through the SDK). The fake camera
loops its file, so every clip is longer than the longest recording the page can make (lead-in,
every prompt to its timeout, the tail): a second loop would replay the actions.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from facesaas.sdk import Client
from tests.browser import Browser, fake_camera_flags, launch
from tests.conftest import RunningServer

FPS = 15
LONGEST_RECORDING_S = 2.5 + 5.0 * 4 + 0.8
"""The page's lead-in at most, four prompts to their timeouts, the tail (h5.js constants)."""
OUTCOME_TIMEOUT_S = 60.0
SCREENS = Path(__file__).parent / "screens"
VIEWPORT = (390, 844)
"""A portrait phone's CSS pixels."""


def write_still_y4m(path: Path, seconds: float, photo_bgr: np.ndarray) -> None:
    """A camera that sees one photo, unmoving, for ``seconds`` (640 × 480, YUV 4:2:0)."""
    frame = np.full((480, 640, 3), 96, np.uint8)
    frame[:, 80:560] = cv2.resize(photo_bgr, (480, 480), interpolation=cv2.INTER_AREA)
    planes = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W640 H480 F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(int(seconds * FPS)):
            out.write(b"FRAME\n")
            out.write(planes)


def astronaut_bgr() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def run_page(browser: Browser, page_url: str) -> dict[str, Any]:
    """Open the page, tap Start, wait for the outcome; the page's final state."""
    browser.set_viewport(*VIEWPORT)
    browser.open(page_url)
    browser.wait_for("document.body.dataset.state === 'intro'", timeout=15)
    started = time.monotonic()
    browser.click("#start")
    browser.wait_for("document.body.dataset.state === 'recording'", timeout=15)
    browser.wait_for("['done', 'error', 'upload-failed'].includes(document.body.dataset.state)", timeout=OUTCOME_TIMEOUT_S)
    state = browser.evaluate(
        "({state: document.body.dataset.state, outcome: document.body.dataset.outcome || '',"
        " message: document.getElementById('result-message').textContent,"
        " status: document.getElementById('status').textContent,"
        " result_visible: !document.getElementById('result').hidden,"
        " steps: [...document.querySelectorAll('#steps li')].map(li => [li.dataset.action, li.dataset.state]),"
        " storage: localStorage.length + sessionStorage.length, cookie: document.cookie})"
    )
    state["seconds"] = round(time.monotonic() - started, 1)
    return state


def assert_clean(browser: Browser, origin: str) -> None:
    """Only the service was asked for anything, and nothing was logged as an error."""
    assert browser.requests, "the page made no request"
    off_host = [r.url for r in browser.requests if r.host != "127.0.0.1" and not r.url.startswith(("data:", "blob:"))]
    assert off_host == [], off_host
    assert all(r.url.startswith((origin, "data:", "blob:")) for r in browser.requests)
    assert browser.errors == [], browser.errors


def video_upload_status(browser: Browser) -> list[int]:
    return [r.status for r in browser.responses if r.url.endswith("/video")]


def test_still_photo_fails(server: RunningServer, client: Client, tmp_path: Path) -> None:
    """A photo held still before the camera: no prompt is seen, each runs to its timeout, the
    server finds no action, the page shows a failure."""
    session = client.create_video_session(action_count=2)
    clip = tmp_path / "still.y4m"
    write_still_y4m(clip, LONGEST_RECORDING_S + 4, astronaut_bgr())
    with launch(tmp_path / "profile", fake_camera_flags(clip)) as browser:
        state = run_page(browser, session["page_url"])
        assert state["state"] == "done", state
        assert state["outcome"] == "fail" and state["result_visible"], state
        assert state["message"].startswith("未完成指定动作"), state
        assert [s for _, s in state["steps"]] == ["timeout", "timeout"], state
        assert state["storage"] == 0 and state["cookie"] == ""
        assert browser.evaluate("getComputedStyle(document.querySelector('#result .mark')).backgroundColor") == "rgb(210, 56, 59)"
        assert video_upload_status(browser) == [200]
        assert_clean(browser, server.url)
    result = client.query_video_result(session["session_id"])
    assert result["video_liveness_result"]["is_live"] is False
    assert result["video_liveness_result"]["invalid_reason"] == "actions_missing"
