"""Actions from a face mesh over time: blink, open mouth, turn head left/right, nod.

Each frame's mesh (:mod:`facesaas.face.mesh`) gives four measures (:func:`measure`):

- ``yaw`` (degrees): positive when the person has turned to **their own left**. In the
  camera's unmirrored frame (what a phone records; the preview is mirrored only on screen) the
  nose then moves to the image's right and the cheek on the image's right recedes. Computed
  from the depth difference of the two cheek edges (mesh points 234 and 454).
- ``pitch`` (degrees): positive when the head is bowed (chin toward the chest), from the
  depth difference of forehead top and chin (points 10 and 152).
- ``eye`` (ratio): eye opening, the mean eyelid gap over the eye's width, both eyes averaged,
  from the eye network (:attr:`facesaas.face.mesh.MeshResult.eye`: ~0.35–0.4 open, ~0.1
  shut); from the mesh's own lid points (159/145, 158/153, 160/144 over 33–133, and their
  mirror) when it is not given, which barely move when the eye shuts.
- ``mouth`` (ratio): inner-lip gap over mouth width (points 13/14 over 61–291); ~0–0.05
  closed, > 0.35 wide open.

An action is an *event* in these series, relative to the person's resting face (the median
over the clip's frames, which are mostly at rest):

- ``blink``: ``eye`` drops below 65 % of rest and comes back above 80 % within 1.5 s (on the
  tuning seed's clips the eye network read requested blinks at 0.22–0.96 of rest, median
  0.42, and never went below 0.81 outside a blink);
- ``mouth_open``: ``mouth`` rises 0.18 above rest and stays for ≥ 0.15 s;
- ``turn_left`` / ``turn_right``: ``yaw`` goes ≥ 10° from rest to the side named, held ≥ 0.15 s
  (the mesh reads about 0.7 of a real turn: 10° measured is a ~15° turn);
- ``nod``: ``pitch`` goes ≥ 10° bowed from rest while ``yaw`` stays under 10° (a turned head
  reads slightly bowed), held ≥ 0.1 s, and comes back.

A measure that dips below its threshold for less than 0.25 s inside a held pose does not split
it into two actions.

Each event has a start, a peak and an end (seconds into the clip) and a strength (how far the
measure went, in units of its threshold: 1.0 = just enough). Thresholds were chosen on the
test suite's generated clips (one seed) and are reported on another (docs/liveness.md).
Pure numpy; cost negligible next to the mesh.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ACTIONS", "Measures", "Event", "measure", "find_events", "match_sequence", "DELIBERATE"]

ACTIONS = ("blink", "mouth_open", "turn_left", "turn_right", "nod")
"""The actions a session can ask for, by their API names."""
DELIBERATE = frozenset({"mouth_open", "turn_left", "turn_right", "nod"})
"""Actions nobody does without being asked. Blinks happen anyway, so an unrequested blink is
never held against a clip; an unrequested deliberate action is (it marks a replayed clip)."""

_LEFT_EYE = (33, 133, (159, 145), (158, 153), (160, 144))
_RIGHT_EYE = (362, 263, (386, 374), (385, 380), (387, 373))
_YAW_MIN, _PITCH_MIN = 10.0, 10.0
_MOUTH_RISE = 0.18
_BLINK_SHUT, _BLINK_OPEN, _BLINK_MAX_S = 0.65, 0.8, 1.5
_HOLD_S = 0.15
_NOD_HOLD_S = 0.1
_BRIDGE_S = 0.25


@dataclass(frozen=True)
class Measures:
    """One frame's measures (see the module); ``t`` is the frame's time in seconds."""

    t: float
    yaw: float
    pitch: float
    eye: float
    mouth: float


@dataclass(frozen=True)
class Event:
    """One action found in a clip: ``start``/``peak``/``end`` in seconds, ``strength`` ≥ 1."""

    action: str
    start: float
    peak: float
    end: float
    strength: float


def _gap(points: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(points[a, :2] - points[b, :2]))


def _eye(points: np.ndarray, eye: tuple) -> float:
    outer, inner, *lids = eye
    width = _gap(points, outer, inner)
    return sum(_gap(points, up, down) for up, down in lids) / (len(lids) * width) if width > 0 else 0.0


def measure(points: np.ndarray, t: float, eye: float | None = None) -> Measures:
    """The measures of one mesh (468, 3) at time ``t`` seconds; ``eye`` the eye network's
    opening when it ran."""
    p = points.astype(np.float64)
    yaw = np.degrees(np.arctan2(p[454, 2] - p[234, 2], p[454, 0] - p[234, 0]))
    pitch = np.degrees(np.arctan2(p[152, 2] - p[10, 2], np.hypot(*(p[152, :2] - p[10, :2]))))
    if eye is None:
        eye = (_eye(p, _LEFT_EYE) + _eye(p, _RIGHT_EYE)) / 2
    width = _gap(p, 61, 291)
    mouth = _gap(p, 13, 14) / width if width > 0 else 0.0
    return Measures(t, float(yaw), float(pitch), float(eye), float(mouth))


def _runs(mask: np.ndarray, times: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Index ranges ``[start, end)`` where ``mask`` is true; with ``times``, runs less than
    :data:`_BRIDGE_S` apart are one run (a held pose whose measure dips for a frame or two is
    one action, not two)."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    runs = list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))
    if times is None:
        return runs
    merged: list[tuple[int, int]] = []
    for start, end in runs:
        if merged and times[start] - times[merged[-1][1] - 1] <= _BRIDGE_S:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _held(times: np.ndarray, values: np.ndarray, mask: np.ndarray, hold: float, action: str,
          threshold: float, sign: float) -> list[Event]:  # fmt: skip
    events = []
    for start, end in _runs(mask, times):
        # A run's duration counts the frame after it, the moment the person was seen leaving.
        stop = times[end] if end < len(times) else times[end - 1]
        if stop - times[start] < hold:
            continue
        peak = start + int(np.argmax(sign * values[start:end]))
        events.append(Event(action, float(times[start]), float(times[peak]), float(times[end - 1]),
                            float(abs(values[peak]) / threshold)))  # fmt: skip
    return events


def find_events(series: list[Measures]) -> list[Event]:
    """Every action in ``series`` (frames in time order; frames without a face left out),
    ordered by peak time."""
    if len(series) < 3:
        return []
    t = np.array([m.t for m in series])
    yaw = np.array([m.yaw for m in series])
    pitch = np.array([m.pitch for m in series])
    eye = np.array([m.eye for m in series])
    mouth = np.array([m.mouth for m in series])
    yaw, pitch = yaw - np.median(yaw), pitch - np.median(pitch)
    events: list[Event] = []
    events += _held(t, yaw, yaw >= _YAW_MIN, _HOLD_S, "turn_left", _YAW_MIN, 1.0)
    events += _held(t, yaw, yaw <= -_YAW_MIN, _HOLD_S, "turn_right", _YAW_MIN, -1.0)
    rise = mouth - np.median(mouth)
    events += _held(t, rise, rise >= _MOUTH_RISE, _HOLD_S, "mouth_open", _MOUTH_RISE, 1.0)
    # A head turned sideways reads as slightly bowed too: pitch counts only while yaw is small.
    bowed = (pitch >= _PITCH_MIN) & (np.abs(yaw) < _YAW_MIN)
    for event in _held(t, pitch, bowed, _NOD_HOLD_S, "nod", _PITCH_MIN, 1.0):
        # A nod comes back up: some later frame is back within half the threshold.
        after = (t > event.end) & (pitch < _PITCH_MIN / 2)
        if after.any():
            events.append(event)
    rest = float(np.median(eye))
    if rest > 0:
        ratio = eye / rest
        for start, end in _runs(ratio < _BLINK_SHUT):
            reopened = np.flatnonzero((t > t[end - 1]) & (ratio > _BLINK_OPEN))
            # Eyes shut while the head is turned are foreshortening, not a blink: skip runs
            # inside a turn or nod.
            turned = np.abs(yaw[start:end]).max() >= _YAW_MIN or pitch[start:end].max() >= _PITCH_MIN
            if not reopened.size or t[reopened[0]] - t[start] > _BLINK_MAX_S or turned:
                continue
            peak = start + int(np.argmin(ratio[start:end]))
            events.append(Event("blink", float(t[start]), float(t[peak]), float(t[reopened[0]]),
                                float((1 - ratio[peak]) / (1 - _BLINK_SHUT))))  # fmt: skip
    return sorted(events, key=lambda e: e.peak)


def match_sequence(events: list[Event], wanted: list[str]) -> tuple[list[Event | None], list[Event]]:
    """Match the ``wanted`` actions, in order, against ``events`` (by peak time).

    Returns, for each wanted action, the event matched to it (None when missing: it did not
    happen after the previous matched action), and the *unexpected* deliberate events: those
    of a deliberate kind (:data:`DELIBERATE`) not matched to any wanted action. A genuine clip
    has every action matched and nothing unexpected; a clip recorded for another sequence has
    actions missing or out of place.
    """
    matched: list[Event | None] = []
    used: set[int] = set()
    after = -np.inf
    for action in wanted:
        found = None
        for index, event in enumerate(events):
            if index not in used and event.action == action and event.peak > after:
                found = index
                break
        if found is None:
            matched.append(None)
            continue
        used.add(found)
        matched.append(events[found])
        after = events[found].peak
    unexpected = [e for i, e in enumerate(events) if i not in used and e.action in DELIBERATE]
    return matched, unexpected
