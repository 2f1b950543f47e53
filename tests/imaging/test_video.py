"""Decoding clips: the containers and codecs a browser records, the limits, and every kind of
broken upload refused with its code (never a crash, never unbounded work)."""

from __future__ import annotations

import numpy as np
import pytest

from facesaas.errors import CorruptVideo, VideoTooLarge, VideoTooLong
from facesaas.imaging.video import VideoLimits, decode_video, sniff_container
from tests.liveness.clips import Clip, encode


def _clip(seconds: float = 2.0, fps: float = 30.0, size: tuple[int, int] = (480, 640)) -> Clip:
    """A moving gradient with a frame counter drawn as a bright square."""
    frames = []
    for index in range(int(seconds * fps)):
        frame = np.zeros((*size, 3), np.uint8)
        frame[:, :, 1] = np.linspace(0, 200, size[1], dtype=np.uint8)[None, :]
        x = 20 + (index * 7) % (size[1] - 80)
        frame[40:100, x : x + 60] = 255
        frames.append(frame)
    return Clip(frames=frames, fps=fps, kind="live", actions=[], meta={})


@pytest.mark.parametrize(("container", "codec", "name"), [("webm", "vp8", "vp8"), ("webm", "vp9", "vp9"), ("mp4", "h264", "h264")])
def test_browser_formats_decode(container: str, codec: str, name: str) -> None:
    clip = _clip()
    data = encode(clip, container, codec)
    assert sniff_container(data) == container
    video = decode_video(data, VideoLimits(), max_fps=15)
    assert video.container == container and video.codec == name and video.size == (640, 480)
    # 60 frames at 30 fps, kept at most 15 per second: every other frame.
    assert 29 <= len(video.frames) <= 31
    assert np.all(np.diff(video.times) >= 1 / 15 - 1e-3) and video.times[0] == 0.0
    assert 1.8 <= video.duration <= 2.0
    # The content survives: the bright square of the first frame is where it was drawn.
    assert video.frames[0][70, 50].mean() > 200 and video.frames[0][300, 50].mean() < 150


def test_frames_are_scaled_down_to_the_longest_side() -> None:
    video = decode_video(encode(_clip(1.0, size=(720, 1280)), "webm", "vp8"), VideoLimits(), max_side=640)
    assert video.frames[0].shape == (360, 640, 3) and video.size == (1280, 720)


def test_limits() -> None:
    data = encode(_clip(3.0), "webm", "vp8")
    with pytest.raises(VideoTooLarge):
        decode_video(data, VideoLimits(max_bytes=len(data) - 1))
    with pytest.raises(VideoTooLong):
        decode_video(data, VideoLimits(max_seconds=1.5))
    with pytest.raises(VideoTooLong):
        decode_video(data, VideoLimits(max_pixels=640 * 480 - 1))
    assert len(decode_video(data, VideoLimits(max_seconds=3.0)).frames) >= 44


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a" + b"\0" * 100,
        b"\x1a\x45\xdf\xa3" + b"\0" * 64,  # a WebM header and nothing else
        b"\x1a\x45\xdf\xa3" + bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8)),
        b"\0\0\0\x18ftypmp42" + bytes(np.random.default_rng(2).integers(0, 256, 5000, dtype=np.uint8)),
    ],
    ids=["empty", "gif", "webm-header-only", "webm-garbage", "mp4-garbage"],
)
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(CorruptVideo):
        decode_video(data, VideoLimits())


def test_truncated_and_damaged_clips_never_crash() -> None:
    data = encode(_clip(2.0), "webm", "vp8")
    rng = np.random.default_rng(3)
    outcomes = {"decoded": 0, "refused": 0}
    for cut in (40, 200, len(data) // 4, len(data) // 2, len(data) - 7):
        try:
            video = decode_video(data[:cut], VideoLimits())
            assert video.frames and all(frame.shape == video.frames[0].shape for frame in video.frames)
            outcomes["decoded"] += 1
        except CorruptVideo:
            outcomes["refused"] += 1
    damaged = bytearray(data)
    for _ in range(30):
        position = int(rng.integers(200, len(damaged)))
        damaged[position] ^= 0xFF
    try:
        decode_video(bytes(damaged), VideoLimits())
        outcomes["decoded"] += 1
    except CorruptVideo:
        outcomes["refused"] += 1
    assert sum(outcomes.values()) == 6 and outcomes["refused"] >= 1
