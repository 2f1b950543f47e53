"""``facesaas video judge`` on real clips of a real face (generated motion)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
from click.testing import CliRunner
from skimage import data

from facesaas.cli.main import cli
from tests.liveness.clips import encode, live_clip


def _clip(tmp_path: Path, actions: list[str]) -> Path:
    photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    path = tmp_path / "clip.webm"
    path.write_bytes(encode(live_clip(photo, actions, np.random.default_rng(4), fps=15), "webm", "libvpx-vp9"))
    return path


def test_judge_a_clip(tmp_path: Path) -> None:
    clip = _clip(tmp_path, ["nod", "turn_left"])
    passed = CliRunner().invoke(cli, ["video", "judge", str(clip), "--actions", "nod,turn_left"])
    assert passed.exit_code == 0, passed.output
    result = json.loads(passed.output)
    assert result["is_live"] is True and [a["action"] for a in result["actions"]] == ["nod", "turn_left"]
    assert "best_frame_image_content" not in result and result["feature_string"]
    # The same clip for the other order: the turn comes after the nod it was asked before.
    refused = CliRunner().invoke(cli, ["video", "judge", str(clip), "--actions", "turn_left,nod", "--with-frame"])
    assert refused.exit_code == 1
    result = json.loads(refused.output)
    assert result["is_live"] is False and result["invalid_reason"] == "actions_missing"
    assert result["best_frame_image_content"]


def test_bad_input(tmp_path: Path) -> None:
    junk = tmp_path / "junk.webm"
    junk.write_bytes(b"not a clip")
    unreadable = CliRunner().invoke(cli, ["video", "judge", str(junk), "--actions", "blink,nod"])
    assert unreadable.exit_code == 2 and json.loads(unreadable.output)["rtn"] == -2015
    wrong = CliRunner().invoke(cli, ["video", "judge", str(junk), "--actions", "blink,wave"])
    assert wrong.exit_code == 2 and "actions must be from" in wrong.output
