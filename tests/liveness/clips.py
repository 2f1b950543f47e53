"""Synthetic H5 video-liveness clips: a real photo performing the requested actions, and attacks.

A :class:`Clip` is what a browser's ``MediaRecorder`` would have captured from a front camera
while the user followed a random action sequence (``blink``, ``mouth_open``, ``turn_left``,
``turn_right``, ``nod``: :data:`facesaas.liveness.motion.ACTIONS`, whose conventions hold here:
``turn_left`` = the person turns to *their own* left, so in the unmirrored frame the nose moves
to the image's right; ``nod`` = the head bows, chin toward the chest, and comes back up).

Live clips pose one real photo by warping it along its own 468-point face mesh
(:mod:`tests.liveness.clipface`). Each requested action ramps in (0.25–0.4 s), holds
(0.3–0.8 s) and ramps out, with 0.4–1.0 s pauses between actions, ~1 s of rest before and
~0.5 s after. Amplitudes: turns 25–32° yaw, nods 16–20° pitch, mouth opening 0.3–0.45 of the
mouth's width, blinks 0.08–0.12 s closing, 0.05–0.1 s shut, 0.12–0.18 s opening. Involuntary
blinks come every 2–6 s in every live clip (``meta["involuntary_blinks"]``, not in
``actions``); the head jitters (±1.5°), the phone shakes (±1.5 px), exposure drifts (±3 %) and
the sensor adds noise. Faces fill 35–55 % of the frame's height.

Conventions: frames are ``(height, width, 3)`` BGR uint8, all one shape, default 480 × 640
(landscape, what Chromium's fake camera gives); times are seconds from the first frame (frame
``i`` is at ``i / fps``); ``actions`` lists ``(action, start_s, end_s)`` in the order
performed; ``meta`` is JSON-serialisable and ``meta["seed"]`` with the same photos and
actions regenerates the clip. All randomness comes from the ``numpy.random.Generator`` passed
in: equal seeds give identical frames. Nothing runs at import time.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from facesaas.liveness import motion
from tests.liveness import clipface as cf
from tests.liveness import generator as gen

ACTIONS = motion.ACTIONS
ATTACKS = ("photo_still", "photo_tilt", "screen_replay", "wrong_order", "two_people", "face_swap", "no_face")
SIZE = (480, 640)
"""Default frame ``(height, width)`` px."""


@dataclass(frozen=True)
class Clip:
    """One recorded clip (see the module for units and conventions)."""

    frames: list[np.ndarray]
    fps: float
    kind: str  # "live" or an entry of ATTACKS
    actions: list[tuple[str, float, float]]
    meta: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        """Length in seconds: frames / fps."""
        return len(self.frames) / self.fps


@dataclass(frozen=True)
class _Segment:
    """One action in time: ``start``, ramp-in, hold, ramp-out durations (s), ``amplitude``
    (degrees for turns and nods, mouth widths for ``mouth_open``, closure 0–1 for blinks)."""

    action: str
    start: float
    ramp_in: float
    hold: float
    ramp_out: float
    amplitude: float

    @property
    def end(self) -> float:
        return self.start + self.ramp_in + self.hold + self.ramp_out

    def envelope(self, t: np.ndarray) -> np.ndarray:
        """0 at rest, 1 at full amplitude: cosine ramps (a blink's ramps are its closing and
        opening)."""
        up = np.clip((t - self.start) / self.ramp_in, 0, 1)
        down = np.clip((self.end - t) / self.ramp_out, 0, 1)
        return (0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))).astype(np.float64)


def _blink(start: float, rng: np.random.Generator) -> _Segment:
    return _Segment("blink", start, rng.uniform(0.08, 0.12), rng.uniform(0.05, 0.1), rng.uniform(0.12, 0.18), rng.uniform(0.95, 1.0))


def _segment(action: str, start: float, rng: np.random.Generator) -> _Segment:
    if action == "blink":
        return _blink(start, rng)
    amplitude = {"turn_left": (25, 32), "turn_right": (25, 32), "nod": (16, 20), "mouth_open": (0.3, 0.45)}[action]
    return _Segment(action, start, rng.uniform(0.25, 0.4), rng.uniform(0.3, 0.8), rng.uniform(0.25, 0.4), rng.uniform(*amplitude))


@dataclass(frozen=True)
class _Plan:
    """A clip's timeline: requested ``segments`` in order, ``involuntary`` blinks, jitter
    waves (amplitude, frequency Hz, phase rad) per channel, and the duration (s)."""

    segments: list[_Segment]
    involuntary: list[_Segment]
    waves: dict[str, np.ndarray]
    duration: float

    def truth(self) -> list[tuple[str, float, float]]:
        return [(s.action, round(s.start, 4), round(s.end, 4)) for s in self.segments]

    def jitter(self, channel: str, t: float) -> float:
        a, f, p = self.waves[channel].T
        return float(np.sum(a * np.sin(2 * np.pi * f * t + p)))

    def pose(self, t: float, *, actions: bool = True) -> cf.Pose:
        """The head's pose at ``t`` s: actions (unless ``actions`` is False), involuntary
        blinks and jitter."""
        values = {"yaw": self.jitter("yaw", t), "pitch": self.jitter("pitch", t), "roll": self.jitter("roll", t), "eyes": 0.0, "mouth": 0.0}
        sign = {"turn_left": ("yaw", 1.0), "turn_right": ("yaw", -1.0), "nod": ("pitch", 1.0), "mouth_open": ("mouth", 1.0)}
        for segment in (self.segments if actions else []) + self.involuntary:
            level = float(segment.envelope(np.array(t))) * segment.amplitude
            if segment.action == "blink":
                values["eyes"] = max(values["eyes"], level)
            else:
                key, direction = sign[segment.action]
                values[key] += direction * level
        return cf.Pose(**values, shift=(self.jitter("dx", t), self.jitter("dy", t)))


def _waves(rng: np.random.Generator, amplitude: float, count: int = 3) -> np.ndarray:
    """``count`` sinusoids (amplitude, Hz, phase) summing to a slow wobble of about ±``amplitude``."""
    return np.column_stack([np.full(count, amplitude / count) * rng.uniform(0.6, 1.4, count),
                            rng.uniform(0.15, 1.2, count), rng.uniform(0, 2 * np.pi, count)])  # fmt: skip


def _plan(actions: list[str], rng: np.random.Generator, lead_s: float, tail_s: float) -> _Plan:
    """Timeline for ``actions`` performed in order (see the module for the ranges)."""
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown:
        raise ValueError(f"unknown actions {unknown}; known: {ACTIONS}")
    t, segments = lead_s * rng.uniform(0.85, 1.15), []
    for index, action in enumerate(actions):
        if index:
            t += rng.uniform(0.4, 1.0)
        segments.append(_segment(action, t, rng))
        t = segments[-1].end
    duration = t + tail_s * rng.uniform(0.9, 1.2)
    # Involuntary blinks every 2–6 s, kept 0.6 s clear of a requested blink (which they would
    # blur into) and of the clip's ends.
    involuntary, t = [], rng.uniform(0.5, 3.0)
    while t < duration - 0.6:
        blink = _blink(t, rng)
        if all(blink.end + 0.6 < s.start or s.end + 0.6 < blink.start for s in segments if s.action == "blink"):
            involuntary.append(blink)
        t += rng.uniform(2.0, 6.0)
    waves = {"yaw": _waves(rng, 1.5), "pitch": _waves(rng, 1.2), "roll": _waves(rng, 1.0), "dx": _waves(rng, 2.0),
             "dy": _waves(rng, 1.5), "shake_x": _waves(rng, 1.5), "shake_y": _waves(rng, 1.5), "exposure": _waves(rng, 0.03)}
    return _Plan(segments, involuntary, waves, duration)


def _times(plan: _Plan, fps: float) -> np.ndarray:
    return np.arange(int(np.ceil(plan.duration * fps))) / fps


def _capture(scene: np.ndarray, plan: _Plan, t: float, rng: np.random.Generator, look: dict) -> np.ndarray:
    """The phone camera: shake (a sub-pixel shift), exposure drift, blur, noise, JPEG-like
    loss (:func:`generator._camera`); float BGR scene → uint8 frame."""
    shake = np.float32([[1, 0, plan.jitter("shake_x", t)], [0, 1, plan.jitter("shake_y", t)]])
    moved = cv2.warpAffine(scene, shake, scene.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    gain = look["exposure"] * (1 + plan.jitter("exposure", t))
    return gen._camera(moved * gain, rng, blur=look["blur"], noise=look["noise"], quality=look["quality"])


def _look(rng: np.random.Generator) -> dict:
    return {"exposure": round(float(rng.uniform(0.92, 1.06)), 4), "blur": round(float(rng.uniform(0.2, 0.6)), 3),
            "noise": round(float(rng.uniform(1.0, 2.5)), 3), "quality": int(rng.integers(88, 97))}  # fmt: skip


def _rig(photo: np.ndarray, shape: tuple[int, int], rng: np.random.Generator, *, nose_x: tuple[float, float] = (0.4, 0.6),
         fraction: tuple[float, float] = (0.35, 0.55), background: str | None = None) -> tuple[cf.Rig, dict]:  # fmt: skip
    """A rig of ``photo`` placed at random (face ``fraction`` of the frame height, nose at
    ``nose_x`` of the width, 45–55 % of the height), and its choices for ``meta``."""
    choice = {"face_fraction": round(float(rng.uniform(*fraction)), 4),
              "nose": [round(float(rng.uniform(*nose_x) * shape[1]), 2), round(float(rng.uniform(0.45, 0.55) * shape[0]), 2)],
              "background": background or str(rng.choice(["photo", "room"]))}  # fmt: skip
    rig = cf.make_rig(photo, shape, rng, fraction=choice["face_fraction"], nose=tuple(choice["nose"]), background=choice["background"])
    return rig, {**choice, "teeth": rig.teeth}


def _meta(seed: int, plan: _Plan, look: dict, **extra: object) -> dict:
    return {"seed": seed, **look, "duration_s": round(plan.duration, 4),
            "amplitudes": [round(s.amplitude, 4) for s in plan.segments],
            "involuntary_blinks": [[round(s.start, 4), round(s.end, 4)] for s in plan.involuntary], **extra}  # fmt: skip


def live_clip(photo_bgr: np.ndarray, actions: list[str], rng: np.random.Generator, *, fps: float = 30.0, lead_s: float = 1.0,
              tail_s: float = 0.5, size: tuple[int, int] = SIZE, background: str | None = None, name: str = "") -> Clip:  # fmt: skip
    """A live person: ``photo_bgr`` (BGR uint8, one real face) performing ``actions`` in order
    at ``fps`` frames/s in frames of ``size`` (height, width) px. ``background`` "photo" (the
    photo continues round the face) or "room" (a synthetic wall), random when None; ``name``
    goes to ``meta["photo"]``. Raises ValueError for an unknown action or a photo without a
    usable face."""
    seed = int(rng.integers(2**63))
    local = np.random.default_rng(seed)
    plan = _plan(list(actions), local, lead_s, tail_s)
    rig, placed = _rig(photo_bgr, size, local, background=background)
    look = _look(local)
    frames = [_capture(cf.render(rig, plan.pose(t))[0], plan, t, local, look) for t in _times(plan, fps)]
    return Clip(frames, float(fps), "live", plan.truth(), _meta(seed, plan, look, photo=name, **placed))


def _plane(shape: tuple[int, int], focal: float, scale: float, nose: np.ndarray, at: np.ndarray,
           yaw: float, pitch: float, roll: float) -> np.ndarray:  # fmt: skip
    """Homography (3×3, texture px → frame px) of a flat print turned about its ``nose`` point
    (texture px) by ``yaw``/``pitch``/``roll`` degrees (the module's conventions: ``yaw`` > 0
    makes the image's right side recede, as a head turning to its own left), seen by a pinhole
    camera of ``focal`` px, ``scale`` frame px per texture px at the nose, nose at ``at``."""
    h, w = shape
    camera = np.array([[focal, 0, (w - 1) / 2], [0, focal, (h - 1) / 2], [0, 0, 1]])
    to_plane = np.array([[scale, 0, -scale * nose[0]], [0, scale, -scale * nose[1]], [0, 0, 1]])
    rot = cf._rotation(yaw, pitch, roll)
    depth = focal
    offset = at - camera[:2, 2]
    translation = np.array([offset[0] * depth / focal, offset[1] * depth / focal, depth])
    matrix = camera @ np.column_stack([rot[:, 0], rot[:, 1], translation]) @ to_plane
    return matrix / matrix[2, 2]


def _print_clip(kind: str, photo: np.ndarray, actions: list[str], rng: np.random.Generator, fps: float,
                size: tuple[int, int], lead_s: float, tail_s: float) -> Clip:  # fmt: skip
    """``photo_still`` / ``photo_tilt``: a hand-held print (:func:`generator._print_texture`)."""
    seed = int(rng.integers(2**63))
    local = np.random.default_rng(seed)
    plan = _plan(list(actions), local, lead_s, tail_s)
    marks = gen.landmarks_of(photo)
    if marks is None:
        raise ValueError("no detectable face in the photo")
    fraction = float(local.uniform(0.38, 0.5))
    face_px = fraction * size[0] * gen._SS
    texture, tex_marks, look_print = gen._print_texture(photo, marks, local, face_px)
    light, wall = gen._room(local, size, 1.0)
    focal = float(local.uniform(0.8, 1.1)) * size[0]
    at = np.array([local.uniform(0.42, 0.58) * size[1], local.uniform(0.45, 0.55) * size[0]])
    base = local.uniform([-5, -8, -8], [5, 8, 8])  # how the print is held: roll, pitch, yaw
    look, frames, performed = _look(local), [], []
    for t in _times(plan, fps):
        pose = plan.pose(t, actions=kind == "photo_tilt")
        h = _plane(size, focal, fraction * size[0] / face_px, tex_marks[2], at + [2 * pose.shift[0], 2 * pose.shift[1]],
                   base[2] + 2 * pose.yaw if kind == "photo_still" else base[2] + pose.yaw,
                   base[1] + 2 * pose.pitch if kind == "photo_still" else base[1] + pose.pitch, base[0] + 2 * pose.roll)  # fmt: skip
        image, cover = gen._film(texture, np.ones(texture.shape[:2], np.float32), h, size)
        scene = gen._over(wall, image * light[..., None], cover)
        frames.append(_capture(scene, plan, t, local, look))
    if kind == "photo_tilt":
        performed = [s for s in plan.truth() if s[0] in ("turn_left", "turn_right", "nod")]
    meta = _meta(seed, plan, look, print=look_print, face_fraction=round(fraction, 4), requested=list(actions),
                 held=[round(float(v), 3) for v in base])  # fmt: skip
    return Clip(frames, float(fps), kind, performed, meta)


def _screen_clip(photo: np.ndarray, actions: list[str], rng: np.random.Generator, fps: float,
                 size: tuple[int, int], lead_s: float, tail_s: float) -> Clip:  # fmt: skip
    """``screen_replay``: a live clip of ``photo`` played on a phone or tablet
    (:func:`generator._screen_texture`, the same device every frame) and filmed hand-held."""
    live = live_clip(photo, actions, rng, fps=fps, lead_s=lead_s, tail_s=tail_s, size=size, background="photo")
    local = np.random.default_rng(live.meta["seed"] + 1)
    marks = gen.landmarks_of(live.frames[0])
    if marks is None:
        raise ValueError("no detectable face in the live clip")
    fraction, device = float(local.uniform(0.38, 0.5)), int(local.integers(2**63))
    _, wall = gen._room(local, size, float(local.uniform(0.4, 0.8)))
    focal = float(local.uniform(0.8, 1.1)) * size[0]
    at = np.array([local.uniform(0.42, 0.58) * size[1], local.uniform(0.45, 0.55) * size[0]])
    base, plan = local.uniform([-4, -6, -6], [4, 6, 6]), _plan([], local, 0.0, live.duration)
    look, frames, meta_screen = _look(local), [], {}
    for i, frame in enumerate(live.frames):
        t = i / fps
        texture, alpha, tex_marks, face_px, meta_screen = gen._screen_texture(frame, marks, np.random.default_rng(device), fraction * size[0])
        pose = plan.pose(t)
        h = _plane(size, focal, fraction * size[0] / face_px, tex_marks[2], at + [2 * pose.shift[0], 2 * pose.shift[1]],
                   base[2] + 2 * pose.yaw, base[1] + 2 * pose.pitch, base[0] + 2 * pose.roll)  # fmt: skip
        image, cover = gen._film(texture, alpha, h, size)
        frames.append(_capture(gen._over(wall, image, cover), plan, t, local, look))
    meta = {**live.meta, "screen": meta_screen, "screen_face_fraction": round(fraction, 4), "camera": look}
    return Clip(frames, float(fps), "screen_replay", live.actions, meta)


def _other_order(actions: list[str], rng: np.random.Generator) -> list[str]:
    """A different sequence of the same actions (a random other permutation); for one action
    or all alike, the first deliberate one is swapped for another action."""
    orders = {tuple(actions[i] for i in rng.permutation(len(actions))) for _ in range(24)} - {tuple(actions)}
    if orders:
        return list(sorted(orders)[int(rng.integers(len(orders)))])
    others = [a for a in ACTIONS if a not in actions and a in motion.DELIBERATE]
    return [str(rng.choice(others)), *actions[1:]] if actions else [str(rng.choice(others))]


def _people_clip(kind: str, photos: list[np.ndarray], actions: list[str], rng: np.random.Generator, fps: float,
                 size: tuple[int, int], lead_s: float, tail_s: float) -> Clip:  # fmt: skip
    """``two_people`` (a second identity beside the performer for part or all of the clip) and
    ``face_swap`` (the performer changes to a second identity between two actions)."""
    if len(photos) < 2:
        raise ValueError(f"{kind} needs photos of two identities")
    seed = int(rng.integers(2**63))
    local = np.random.default_rng(seed)
    plan = _plan(list(actions), local, lead_s, tail_s)
    room = int(local.integers(2**63))  # one room for both people
    if kind == "two_people":
        left = bool(local.random() < 0.5)
        first, placed = _rig(photos[0], size, np.random.default_rng(room), nose_x=(0.25, 0.32) if left else (0.68, 0.75),
                             fraction=(0.35, 0.42), background="room")  # fmt: skip
        second, other = _rig(photos[1], size, local, nose_x=(0.68, 0.75) if left else (0.25, 0.32), fraction=(0.35, 0.42), background="room")
        visit = [0.0, plan.duration + 1] if local.random() < 0.5 else sorted(local.uniform(0, plan.duration, 2).tolist())
        visit[1] = max(visit[1], min(plan.duration, visit[0] + 1.0))
        companion = _plan([], local, 0.0, plan.duration)  # the bystander's own blinks and jitter
        extra = {"second_person": [round(v, 4) for v in visit], "second_placement": other}
    else:
        first, placed = _rig(photos[0], size, np.random.default_rng(room), background="room")
        second, other = _rig(photos[1], size, np.random.default_rng(room), background="room")
        half = max(1, len(plan.segments) // 2)
        later = plan.segments[half].start if half < len(plan.segments) else plan.duration - tail_s
        switch = (plan.segments[half - 1].end + later) / 2 if plan.segments else plan.duration / 2
        extra = {"switch_s": round(switch, 4), "second_placement": other}
    look, frames = _look(local), []
    for t in _times(plan, fps):
        if kind == "two_people":
            image, _, _ = cf.render(first, plan.pose(t))
            if visit[0] <= t < visit[1]:
                guest, cover, _ = cf.render(second, companion.pose(t))
                image = gen._over(image, guest, cover)
        else:
            image = cf.render(first if t < switch else second, plan.pose(t))[0]
        frames.append(_capture(image, plan, t, local, look))
    return Clip(frames, float(fps), kind, plan.truth(), _meta(seed, plan, look, **placed, **extra))


def _empty_clip(photos: list[np.ndarray], actions: list[str], rng: np.random.Generator, fps: float,
                size: tuple[int, int], lead_s: float, tail_s: float) -> Clip:  # fmt: skip
    """``no_face``: an empty room, or (half the time, with a photo) a person who walks out of
    the frame sideways after the lead-in; no action is performed."""
    seed = int(rng.integers(2**63))
    local = np.random.default_rng(seed)
    plan = _plan(list(actions), local, lead_s, tail_s)
    _, wall = gen._room(local, size, float(local.uniform(0.6, 1.1)))
    leaves = bool(photos) and local.random() < 0.5
    extra: dict = {"leaves": leaves}
    if leaves:
        rig, extra["placement"] = _rig(photos[0], size, local, background="room")
        exit_start, direction = float(local.uniform(0.8, 1.2) * lead_s), float(local.choice([-1.0, 1.0]))
        extra["exit_s"] = [round(exit_start, 4), round(exit_start + 0.8, 4)]
    look, frames = _look(local), []
    for t in _times(plan, fps):
        scene = wall
        if leaves:
            image, cover, _ = cf.render(rig, plan.pose(t, actions=False))
            progress = float(np.clip((t - exit_start) / 0.8, 0, 1))
            if progress < 1:
                dx = direction * (0.5 - 0.5 * np.cos(np.pi * progress)) * 1.2 * size[1]
                move = np.float32([[1, 0, dx], [0, 1, 0]])
                person = cv2.warpAffine(image, move, size[::-1], borderMode=cv2.BORDER_REPLICATE)
                scene = gen._over(wall, person, cv2.warpAffine(cover, move, size[::-1]))
        frames.append(_capture(scene, plan, t, local, look))
    return Clip(frames, float(fps), "no_face", [], _meta(seed, plan, look, requested=list(actions), **extra))


def attack_clip(kind: str, photos: list[np.ndarray], actions: list[str], rng: np.random.Generator, *, fps: float = 30.0,
                size: tuple[int, int] = SIZE, lead_s: float = 1.0, tail_s: float = 0.5) -> Clip:  # fmt: skip
    """An attack of ``kind`` (:data:`ATTACKS`) on a session that asked for ``actions``.
    ``photos`` are BGR uint8 real faces, ``photos[0]`` the victim/performer, ``photos[1]`` a
    second identity (needed by ``two_people`` and ``face_swap``); ``no_face`` may take none.
    ``actions`` (ground truth) lists what was actually performed: nothing for the prints'
    still and ``no_face``, the turns and nods (rigidly) for ``photo_tilt``, another order for
    ``wrong_order`` (``meta["requested"]`` keeps the session's). Raises ValueError for an
    unknown kind or action, missing photos or a photo without a usable face."""
    if kind not in ATTACKS:
        raise ValueError(f"kind must be one of {ATTACKS}")
    if kind != "no_face" and not photos:
        raise ValueError(f"{kind} needs a photo")
    if kind in ("photo_still", "photo_tilt"):
        return _print_clip(kind, photos[0], actions, rng, fps, size, lead_s, tail_s)
    if kind == "screen_replay":
        return _screen_clip(photos[0], actions, rng, fps, size, lead_s, tail_s)
    if kind == "wrong_order":
        performed = _other_order(list(actions), rng)
        live = live_clip(photos[0], performed, rng, fps=fps, size=size, lead_s=lead_s, tail_s=tail_s)
        return Clip(live.frames, live.fps, kind, live.actions, {**live.meta, "requested": list(actions), "performed": performed})
    if kind in ("two_people", "face_swap"):
        return _people_clip(kind, photos, actions, rng, fps, size, lead_s, tail_s)
    return _empty_clip(photos, actions, rng, fps, size, lead_s, tail_s)


_CODECS = {"webm": ("libvpx", "vp8"), "mp4": ("libx264", "h264")}


def encode(clip: Clip, container: str = "webm", codec: str | None = None, *, bitrate: int = 1_000_000) -> bytes:
    """The clip as a ``container`` file ("webm" or "mp4") in memory, encoded by PyAV at
    ``bitrate`` bit/s, yuv420p: webm defaults to VP8 (``libvpx``, MediaRecorder's default),
    ``codec="libvpx-vp9"`` gives VP9; mp4 is H.264 (``libx264``)."""
    import av

    if container not in _CODECS:
        raise ValueError(f"container must be one of {tuple(_CODECS)}")
    height, width = clip.frames[0].shape[:2]
    if height % 2 or width % 2:
        raise ValueError("4:2:0 video needs even frame sides")
    rate = Fraction(clip.fps).limit_denominator(1001)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec or _CODECS[container][0], rate=rate)
        stream.width, stream.height, stream.pix_fmt, stream.bit_rate = width, height, "yuv420p", int(bitrate)
        stream.options = {"deadline": "realtime", "cpu-used": "8"} if "vpx" in stream.codec_context.name else {"preset": "veryfast"}
        for index, image in enumerate(clip.frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            frame.pts, frame.time_base = index, 1 / rate
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def decode(data: bytes) -> tuple[list[np.ndarray], list[float]]:
    """(frames BGR uint8, their times in seconds) of an encoded video, via PyAV."""
    import av

    frames, times = [], []
    with av.open(io.BytesIO(data)) as source:
        for frame in source.decode(video=0):
            frames.append(frame.to_ndarray(format="bgr24"))
            times.append(float(frame.time) if frame.time is not None else len(times) / 30.0)
    return frames, times


def write_y4m(clip: Clip, path: str | Path) -> None:
    """Write the clip as YUV4MPEG2, 4:2:0 (``C420``, BT.601 limited range, Y 16–235, as OpenCV converts it), for
    Chromium's ``--use-file-for-fake-video-capture``: header then ``FRAME`` + I420 planes."""
    height, width = clip.frames[0].shape[:2]
    if height % 2 or width % 2:
        raise ValueError("4:2:0 video needs even frame sides")
    rate = Fraction(clip.fps).limit_denominator(1001)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{rate.numerator}:{rate.denominator} Ip A1:1 C420\n".encode("ascii"))
        for image in clip.frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420).tobytes())


def frontal_photo(paths: list[Path]) -> tuple[str, np.ndarray]:
    """(name, BGR) of the most frontal of an identity's first six photos (least
    :func:`generator.asymmetry`): a session asks the user to face the camera first."""
    scored = []
    for path in paths[:6]:
        photo = cv2.imread(str(path))
        marks = gen.landmarks_of(photo)
        if marks is not None:
            scored.append((gen.asymmetry(marks), f"{path.parent.name}/{path.name}", photo))
    _, name, photo = min(scored, key=lambda item: item[0])
    return name, photo


def measure_clip(frames: list[np.ndarray], fps: float) -> list[motion.Measures]:
    """The judge's measures of a clip's frames (frame ``i`` at ``i / fps`` s): every frame in
    which its tracker holds the face (:func:`facesaas.liveness.video.measure_frames`)."""
    from facesaas.face.engine import get_engine
    from facesaas.face.mesh import get_mesh
    from facesaas.liveness.video import measure_frames

    return measure_frames(get_engine(2), get_mesh(), frames, [index / fps for index in range(len(frames))])
