"""The liveness sequence generator on real CelebA photos.

Geometry is checked with the project's own detector: landmarks re-detected in the frames
must be related by a homography for the planar attacks (print, screen) and not for a live
person's different photos. (A holed mask is not planar where it matters: the eyes seen through
the holes belong to the wearer, who moves 1–3 px on their own.) YuNet's landmarks jitter by
several per cent of the inter-ocular distance (IOD) from frame to frame, so each frame is first
registered onto the first with a homography fitted to a rough detection, and landmarks are
re-detected in the registered image (averaged over mirror and shifted copies) and mapped back:
a plane then looks the same to the detector in every frame, a real head does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.liveness import generator as gen

SEED = 20240607


@dataclass(frozen=True)
class Person:
    """Photos of one identity (BGR) and their detected landmarks."""

    identity: str
    photos: list[np.ndarray]
    landmarks: list[np.ndarray]


@pytest.fixture(scope="module")
def people(celeba: Path) -> list[Person]:
    """The first four identities in labels.tsv with at least five photos whose face the detector
    finds confidently (score ≥ 0.9) and at least 100 px tall: re-detecting landmarks on a print
    of a 60-px face measures the detector, not the geometry."""
    from facesaas.face.engine import get_engine

    detector = get_engine(2).detector
    chosen = []
    for identity, paths in gen.load_identities(celeba).items():
        photos, marks = [], []
        for path in paths:
            photo = cv2.imread(str(path))
            found = detector.detect(photo)
            if found and found[0].score >= 0.9 and gen.face_height(found[0].landmarks) >= 100:
                photos.append(photo)
                marks.append(found[0].landmarks.astype(np.float64))
        if len(photos) >= 5:
            chosen.append(Person(identity, photos[:6], marks[:6]))
        if len(chosen) == 4:
            return chosen
    pytest.fail("fewer than four usable identities in celeba")


def _mirrored_landmarks(image: np.ndarray, shifts: tuple[tuple[int, int], ...] = ((0, 0),)) -> np.ndarray | None:
    """Landmarks averaged over the image and its mirror image, each also shifted by ``shifts``
    (px): averaging cancels part of the detector's dependence on where the face falls on its
    anchor grid and its left/right bias."""
    found = []
    height, width = image.shape[:2]
    for dx, dy in shifts:
        moved = cv2.warpAffine(image, np.float64([[1, 0, dx], [0, 1, dy]]), (width, height), borderMode=cv2.BORDER_REPLICATE)
        for mirror in (False, True):
            points = gen.landmarks_of(np.ascontiguousarray(moved[:, ::-1]) if mirror else moved)
            if points is None:
                continue
            if mirror:
                points[:, 0] = width - 1 - points[:, 0]
                points = points[[1, 0, 2, 4, 3]]
            found.append(points - [dx, dy])
    return np.mean(found, axis=0) if found else None


def _registered_landmarks(frames: list[np.ndarray]) -> list[np.ndarray]:
    """Precise landmarks per frame (frame px): each frame is warped onto a common 300×300 view
    of the first frame's face by the homography its rough landmarks give, re-detected there and
    mapped back."""
    rough = [_mirrored_landmarks(frame) for frame in frames]
    assert all(points is not None for points in rough), "the detector lost the face"
    size, iod = 300, gen._iod(rough[0])
    eyes = np.array([[size / 2 - iod / 2, 0.42 * size], [size / 2 + iod / 2, 0.42 * size]])  # same scale, upright
    view = np.vstack([gen._similarity(rough[0][:2], eyes), [0, 0, 1]])
    precise = []
    for frame, points in zip(frames, rough, strict=True):
        to_first, _ = cv2.findHomography(points, rough[0], 0)
        warp = view @ to_first
        registered = cv2.warpPerspective(frame, warp, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        found = _mirrored_landmarks(registered, ((0, 0), (10, 0), (0, 10), (10, 10)))
        assert found is not None, "the detector lost the registered face"
        precise.append(gen._apply(np.linalg.inv(warp), found))
    return precise


def _planar_residual(frames: list[np.ndarray]) -> float:
    """Worst over frames 1… of the RMS distance (in IODs) between a frame's landmarks and the
    first frame's mapped by the least-squares homography between them."""
    points = _registered_landmarks(frames)
    worst = 0.0
    for other in points[1:]:
        homography, _ = cv2.findHomography(points[0], other, 0)
        error = np.linalg.norm(gen._apply(homography, points[0]) - other, axis=1)
        worst = max(worst, float(np.sqrt((error**2).mean())) / gen._iod(other))
    return worst


@pytest.fixture(scope="module")
def filmed(people: list[Person]) -> dict[str, list[gen.Sequence]]:
    """Live, print and screen sequences of each person (one seed each)."""
    out: dict[str, list[gen.Sequence]] = {"live": [], "print": [], "screen": []}
    for i, person in enumerate(people):
        out["live"].append(gen.live_sequence(person.photos, np.random.default_rng(SEED + i), landmarks=person.landmarks))
        out["print"].append(gen.print_attack(person.photos[0], person.landmarks[0], np.random.default_rng(SEED + i)))
        out["screen"].append(gen.screen_attack(person.photos[0], person.landmarks[0], np.random.default_rng(SEED + i)))
    return out


def _all_kinds(person: Person, other: Person, seed: int) -> list[gen.Sequence]:
    """One sequence of every kind, each from a fresh generator seeded with ``seed``."""

    def rng() -> np.random.Generator:
        return np.random.default_rng(seed)

    photo, points = person.photos[0], person.landmarks[0]
    return [
        gen.live_sequence(person.photos[:3], rng(), landmarks=person.landmarks[:3]),
        gen.print_attack(photo, points, rng()),
        gen.screen_attack(photo, points, rng()),
        gen.eye_occlusion(photo, points, rng(), frames=2),
        gen.holed_mask(photo, points, other.photos[1], other.landmarks[1], rng()),
        gen.dark_exposure(photo, rng(), level="medium", landmarks=points),
    ]


def test_load_identities(celeba: Path) -> None:
    identities = gen.load_identities(celeba)
    rows = (celeba / "labels.tsv").read_text().splitlines()[1:]
    assert sum(len(paths) for paths in identities.values()) == len([r for r in rows if r.strip()])
    assert len(identities) > 100
    first = next(iter(identities.values()))
    assert all(path.is_file() and path.suffix == ".jpg" for path in first)
    assert len({path.parent.name for path in first}) == 1  # a folder per identity


def test_same_seed_same_frames_other_seed_other_frames(people: list[Person]) -> None:
    first, again, other = (_all_kinds(people[0], people[1], seed) for seed in (5, 5, 6))
    for a, b, c in zip(first, again, other, strict=True):
        assert a.kind == b.kind and a.meta == b.meta
        assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames, strict=True)), a.kind
        assert not np.array_equal(a.frames[-1], c.frames[-1]), f"{a.kind} ignores its generator"


def test_shapes_kinds_and_meta(people: list[Person]) -> None:
    sequences = _all_kinds(people[0], people[1], 1)
    assert [s.kind for s in sequences] == ["live", "print", "screen", "eye_occlusion", "holed_mask", "dark"]
    assert {s.kind for s in sequences} - {"live"} == set(gen.ATTACKS)
    counts = [3, 3, 3, 2, 3, 1]
    for sequence, count in zip(sequences, counts, strict=True):
        assert len(sequence.frames) == count, sequence.kind
        for frame in sequence.frames:
            assert frame.shape == (480, 360, 3) and frame.dtype == np.uint8 and frame.flags.c_contiguous
        assert json.loads(json.dumps(sequence.meta)) == sequence.meta  # plain JSON types only
        assert len(sequence.meta["landmarks"]) == count
    small = gen.print_attack(people[0].photos[0], people[0].landmarks[0], np.random.default_rng(0), frames=2, size=320)
    assert [f.shape for f in small.frames] == [(320, 240, 3)] * 2


def test_live_faces_are_selfie_sized_and_the_most_frontal_comes_first(
    filmed: dict[str, list[gen.Sequence]], people: list[Person]
) -> None:
    from facesaas.face.engine import get_engine

    for sequence, person in zip(filmed["live"], people, strict=True):
        order = sequence.meta["order"]
        assert sorted(order) == list(range(len(person.photos)))
        asymmetry = [gen.asymmetry(person.landmarks[i]) for i in order]
        assert asymmetry[0] == min(asymmetry)
        for frame in sequence.frames:
            face = get_engine(2).detector.detect(frame)[0]
            assert 0.3 <= face.box[3] / frame.shape[0] <= 0.6
        # Different photos, not one photo moved: the frames differ far more than noise does.
        grey = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY).astype(float) for f in sequence.frames]
        assert min(np.abs(grey[0] - g).mean() for g in grey[1:]) > 10


def test_planar_attacks_fit_a_homography_and_live_sequences_do_not(filmed: dict[str, list[gen.Sequence]]) -> None:
    residual = {kind: [_planar_residual(s.frames) for s in sequences] for kind, sequences in filmed.items()}
    assert max(residual["print"]) < 0.02 and max(residual["screen"]) < 0.02, residual
    # Two celeba photos of one person can share a pose closely enough for a homography; these
    # sequences mix five or six photos each, enough for a clearly non-planar pair.
    assert min(residual["live"]) > 0.02, residual
    # The geometry recorded in meta is where the detector finds the face.
    for sequence in filmed["print"] + filmed["screen"]:
        for frame, recorded in zip(sequence.frames, sequence.meta["landmarks"], strict=True):
            found = gen.landmarks_of(frame)
            assert found is not None
            assert np.linalg.norm(found - recorded, axis=1).max() < 0.25 * gen._iod(found)


def _peak_ratio(frame: np.ndarray, centre: np.ndarray, n: int = 128) -> float:
    """Strongest spectral line in an n×n grey crop around ``centre`` (x, y): the largest FFT
    magnitude at 0.2–0.5 cycles/px over the median magnitude at the same radial frequency
    (rings 1/64 cycle/px wide). A pixel grid is a line; faces and camera noise fall off
    smoothly with frequency, which comparing within a ring discounts."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
    x = int(np.clip(round(centre[0]), n // 2, grey.shape[1] - n // 2))
    y = int(np.clip(round(centre[1]), n // 2, grey.shape[0] - n // 2))
    crop = grey[y - n // 2 : y + n // 2, x - n // 2 : x + n // 2]
    spectrum = np.abs(np.fft.fft2((crop - crop.mean()) * np.outer(np.hanning(n), np.hanning(n))))
    fy, fx = np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij")
    ring = np.round(np.hypot(fx, fy) * 64).astype(int)
    best = 0.0
    for r in range(13, 33):  # 0.2–0.5 cycles/px
        values = spectrum[ring == r]
        best = max(best, float(values.max() / np.median(values)))
    return best


def test_screen_frames_show_a_spectral_peak_that_live_frames_lack(filmed: dict[str, list[gen.Sequence]]) -> None:
    def ratios(kind: str) -> list[float]:
        return [_peak_ratio(f, np.array(s.meta["landmarks"][i])[2]) for s in filmed[kind] for i, f in enumerate(s.frames)]

    live, screen = ratios("live"), ratios("screen")
    assert max(live) < 15, live
    # The grid need not survive in every frame, but it does in most.
    assert np.mean(np.array(screen) > 20) >= 0.75, screen


def _eye_contrast(image: np.ndarray, points: np.ndarray) -> list[float]:
    """Grey-level standard deviation in a box ±0.22 × ±0.1 IOD around each eye centre (sized
    by the IOD, so the photo and the frame, at different scales, compare)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    d = gen._iod(points)
    out = []
    for x, y in points[:2]:
        box = grey[int(y - 0.1 * d) : int(np.ceil(y + 0.1 * d)) + 1, int(x - 0.22 * d) : int(np.ceil(x + 0.22 * d)) + 1]
        out.append(float(box.std()))
    return out


@pytest.mark.parametrize("occluder", gen.OCCLUDERS)
def test_eye_occlusion_flattens_the_covered_eyes(people: list[Person], occluder: str) -> None:
    for i, person in enumerate(people[:3]):
        sequence = gen.eye_occlusion(person.photos[0], person.landmarks[0], np.random.default_rng(SEED + i), occluder=occluder)
        assert sequence.meta["occluder"] == occluder
        before = _eye_contrast(person.photos[0], person.landmarks[0])
        after = _eye_contrast(sequence.frames[0], np.array(sequence.meta["landmarks"][0]))
        for eye, side in enumerate(("left", "right")):
            if side in sequence.meta["covered"]:
                assert after[eye] < 0.5 * before[eye], (person.identity, side, before, after)
            else:  # the other eye is left alone
                assert after[eye] > 0.6 * before[eye], (person.identity, side, before, after)


def test_random_occluders_vary_and_are_recorded(people: list[Person]) -> None:
    rng = np.random.default_rng(SEED)
    kinds = {gen.eye_occlusion(people[0].photos[0], people[0].landmarks[0], rng, size=240).meta["occluder"] for _ in range(12)}
    assert len(kinds) >= 4 and kinds <= set(gen.OCCLUDERS)


def _face_luminance(frame: np.ndarray, points: np.ndarray) -> float:
    """Mean grey level over the face from just above the eyes to just below the mouth."""
    d = gen._iod(points)
    x0, x1 = int(points[:, 0].min() - 0.15 * d), int(points[:, 0].max() + 0.15 * d)
    y0, y1 = int(points[:2, 1].min() - 0.2 * d), int(points[3:, 1].max() + 0.2 * d)
    return float(cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).mean())


def _relative_noise(first: np.ndarray, second: np.ndarray, points: np.ndarray) -> float:
    """Noise over signal between the eyes and the mouth, from two frames of one still scene
    that differ only in their noise: std(first − second) / √2 over the mean grey level."""
    x0, x1 = int(points[:, 0].min()), int(points[:, 0].max()) + 1
    y0, y1 = int(points[:2, 1].min()), int(points[3:, 1].max()) + 1
    a, b = (cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)[y0:y1, x0:x1].astype(np.float32) for f in (first, second))
    return float((a - b).std() / np.sqrt(2) / ((a + b) / 2).mean())


def test_dark_levels_reach_their_face_luminance_and_noise_grows_in_the_dark(people: list[Person]) -> None:
    for i, person in enumerate(people):
        noise = {}
        for level, (low, high) in gen.DARK_LEVELS.items():
            photo, points = person.photos[i % 3], person.landmarks[i % 3]
            sequence = gen.dark_exposure(photo, np.random.default_rng(SEED + i), level=level, landmarks=points, frames=2)
            for frame, marks in zip(sequence.frames, sequence.meta["landmarks"], strict=True):
                assert low <= _face_luminance(frame, np.array(marks)) <= high, (person.identity, level)
            noise[level] = _relative_noise(*sequence.frames, np.array(sequence.meta["landmarks"][0]))
        assert noise["high"] > noise["medium"] > noise["low"] and noise["high"] > 1.5 * noise["low"], noise
    with pytest.raises(ValueError):
        gen.dark_exposure(people[0].photos[0], np.random.default_rng(0), level="pitch", landmarks=people[0].landmarks[0])


def _sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``image`` at the nearest pixels to ``(N, 2)`` (x, y) points, clamped to the image."""
    x = np.clip(np.round(points[:, 0]).astype(int), 0, image.shape[1] - 1)
    y = np.clip(np.round(points[:, 1]).astype(int), 0, image.shape[0] - 1)
    return image[y, x]


def test_holed_mask_cuts_sharp_closed_rings_around_the_eyes(people: list[Person]) -> None:
    for i, (mask, wearer) in enumerate(zip(people, people[1:] + people[:1], strict=True)):
        rng = np.random.default_rng(SEED + i)
        sequence = gen.holed_mask(mask.photos[0], mask.landmarks[0], wearer.photos[0], wearer.landmarks[0], rng)
        for frame, holes, points in zip(sequence.frames, sequence.meta["holes"], sequence.meta["landmarks"], strict=True):
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)
            gradient = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
            x0, y0, x1, y1 = gen._face_box(np.array(points), grey.shape)
            face = float(gradient[y0:y1, x0:x1].mean())
            strongest = cv2.dilate(gradient, np.ones((3, 3), np.uint8))  # the cut within ±1 px
            for outline in holes:
                ring = np.array(outline)
                centre = ring.mean(axis=0)
                on_cut, wider = _sample(strongest, ring), _sample(strongest, centre + 1.6 * (ring - centre))
                assert on_cut.mean() > 2.0 * face, (mask.identity, on_cut.mean(), face)
                assert on_cut.mean() > 1.5 * wider.mean(), (mask.identity, on_cut.mean(), wider.mean())
                # Closed: the edge is there all the way round, not just on a dark eyebrow side.
                assert np.mean(on_cut > face) >= 0.9, (mask.identity, np.mean(on_cut > face))
