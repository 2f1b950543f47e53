"""Property test of the clip decoder (facesaas.imaging.video, the H5 page's upload): real WebM
(VP8, VP9) and MP4 (H.264) clips truncated, bit-flipped, with bytes inserted or removed,
decode to consistent frames or raise only the three documented video errors, never another
exception. Examples per run: the hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

import functools

from hypothesis import given
from hypothesis import strategies as st

from facesaas.errors import CorruptVideo, VideoTooLarge, VideoTooLong
from facesaas.imaging.video import VideoLimits, decode_video
from tests.imaging.test_video import _clip
from tests.liveness.clips import encode

LIMITS = VideoLimits(max_bytes=2_000_000, max_seconds=5.0, max_pixels=640 * 480)


@functools.cache
def _clips() -> dict[str, bytes]:
    clip = _clip(0.5, size=(96, 128))
    return {name: encode(clip, container, codec) for name, container, codec in
            (("vp8", "webm", "vp8"), ("vp9", "webm", "vp9"), ("h264", "mp4", "h264"))}  # fmt: skip


@st.composite
def broken_clips(draw: st.DrawFn) -> bytes:
    data = _clips()[draw(st.sampled_from(["vp8", "vp9", "h264"]))]
    how = draw(st.sampled_from(["truncate", "flip", "insert", "delete"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip":
        out = bytearray(data)
        for position in draw(st.lists(st.integers(0, len(data) * 8 - 1), min_size=1, max_size=24)):
            out[position // 8] ^= 1 << (position % 8)
        return bytes(out)
    at = draw(st.integers(0, len(data) - 1))
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    return data[:at] + data[at + draw(st.integers(1, 512)) :]


@given(broken_clips())
def test_broken_clips_decode_or_raise_a_documented_error(data: bytes) -> None:
    try:
        video = decode_video(data, LIMITS)
    except (CorruptVideo, VideoTooLarge, VideoTooLong):
        return
    assert video.frames and len(video.frames) == len(video.times)
    assert all(frame.shape == video.frames[0].shape and frame.dtype.name == "uint8" for frame in video.frames)
    assert all(b >= a for a, b in zip(video.times, video.times[1:], strict=False))
