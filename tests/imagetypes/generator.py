"""Photos of the manual's image types (9.2 image_type), built from real face photos: ID
portraits, chip photos (4), ID-card recaptures (2), hand-held-ID scenes (302), VTM scenes
(303) and infrared frames (query_image_additional_info). No public photos of these kinds
exist, so they are rendered; every function is seeded through the ``rng`` it is given.

Mesh watermarks (5/7/9) are :func:`tests.watermark.generator.add_mesh`, applied to
:func:`id_portrait`. Coordinates are pixels, landmarks ``(5, 2)`` in YuNet order (right eye,
left eye, nose tip, right and left mouth corner), as :func:`tests.liveness.generator.landmarks_of`
returns them.
"""

from __future__ import annotations

import datetime as dt

import cv2
import numpy as np

from tests.images import jpeg_roundtrip

__all__ = ["id_portrait", "chip_photo", "card_recapture", "hand_held", "vtm_scene", "infrared", "screen_infrared"]

ID_SIZE = (178, 220)
"""Width, height of a medium public-security ID photo (px)."""

CHIP_SIZE = (102, 126)
"""Width, height of the photo stored on a resident ID card's chip (px)."""


def id_portrait(photo: np.ndarray, landmarks: np.ndarray, size: tuple[int, int] = ID_SIZE, *,
                background: bool = True, eyes: tuple[float, float] = (0.22, 0.45)) -> np.ndarray:  # fmt: skip
    """An ID-photo framing of the face in ``photo``: eyes level, ``eyes[0]`` of the width apart
    and ``eyes[1]`` of the height down, face centred; outside the photo the border is replicated. With ``background`` the
    area outside a head-and-shoulders ellipse is whitened a little towards the pale backdrop of
    ID photos (a hint only: the real backdrop of a CelebA photo stays visible)."""
    width, height = size
    right_eye, left_eye = landmarks[0], landmarks[1]
    centre = (right_eye + left_eye) / 2
    distance = float(np.linalg.norm(left_eye - right_eye))
    angle = float(np.degrees(np.arctan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])))
    scale = eyes[0] * width / max(distance, 1.0)
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    matrix[:, 2] += np.array([width / 2, eyes[1] * height]) - centre
    out = cv2.warpAffine(photo, matrix, (width, height), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_REPLICATE)  # fmt: skip
    if background:
        keep = np.zeros((height, width), np.float32)
        cv2.ellipse(keep, (width // 2, int(0.5 * height)), (int(0.36 * width), int(0.46 * height)), 0, 0, 360, 1.0, -1)
        cv2.ellipse(keep, (width // 2, height), (int(0.55 * width), int(0.22 * height)), 0, 0, 360, 1.0, -1)
        keep = cv2.GaussianBlur(keep, (0, 0), 0.06 * width)[..., None]
        out = (out * (0.6 + 0.4 * keep) + 245 * 0.4 * (1 - keep)).clip(0, 255).astype(np.uint8)
    return out


def chip_photo(portrait: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The 102 × 126 photo an ID card's chip holds: ``portrait`` shrunk and compressed hard
    (the chip stores ~1 KB; JPEG quality 25–50 comes close), slightly washed out."""
    small = cv2.resize(portrait, CHIP_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
    small = small * rng.uniform(0.85, 0.95) + rng.uniform(15, 30)
    return jpeg_roundtrip(small.clip(0, 255).astype(np.uint8), int(rng.integers(25, 51)))


def card_recapture(portrait: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone photo of a resident ID card's front whose portrait is ``portrait``: rendered with
    made-up fields (tests/documents' card renderer), placed on a desk, turned up to ±10°,
    perspective, blur and JPEG; 900–1400 px wide."""
    from tests.documents._generator_layouts import render_id_front
    from tests.documents.generator import distort, random_person

    person = random_person(rng, dt.date(2026, 11, 1), min_age=18)
    card, _ = render_id_front(person, rng, portrait)
    photo, _ = distort(card, rng, skew=float(rng.uniform(-10, 10)), perspective=0.03,
                       blur=float(rng.uniform(0, 1.2)), jpeg=int(rng.integers(70, 92)))  # fmt: skip
    return photo


def _paste(scene: np.ndarray, item: np.ndarray, x: int, y: int, angle: float = 0.0) -> np.ndarray:
    """``item`` pasted into ``scene`` with its top-left corner at (x, y), turned by ``angle``
    degrees about its centre (the turned-out corners stay the scene's)."""
    h, w = item.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[:, 2] += (x, y)
    size = (scene.shape[1], scene.shape[0])
    warped = cv2.warpAffine(item, matrix, size, flags=cv2.INTER_AREA)
    mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, size, flags=cv2.INTER_AREA)[..., None] / 255.0
    return (scene * (1 - mask) + warped * mask).astype(np.uint8)


def hand_held(selfie: np.ndarray, landmarks: np.ndarray, portrait: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A hand-held-ID photo (302): ``selfie`` (the holder, whose face has ``landmarks``) framed
    head and shoulders in a 720 × 960 portrait, holding up beside the chin an ID card whose
    portrait is ``portrait`` (which may show someone else). The card's portrait face comes out
    30–45 % as tall as the holder's, as it does in such photos."""
    scene = id_portrait(selfie, landmarks, (720, 960), background=False, eyes=(0.17, 0.3))
    from tests.documents._generator_layouts import render_id_front
    from tests.documents.generator import random_person

    person = random_person(rng, dt.date(2026, 11, 1), min_age=18)
    card, _ = render_id_front(person, rng, portrait)
    # The holder's face is ~2.5 eye distances (0.17 × 720 px) tall; the card's portrait area is
    # 35 mm of the card's 54 mm height, the face in it about half of that.
    face_height = 2.5 * 0.17 * 720
    card_height = rng.uniform(0.30, 0.45) * face_height / (0.5 * 35 / 54)
    card = cv2.resize(card, (int(card_height * card.shape[1] / card.shape[0]), int(card_height)),
                      interpolation=cv2.INTER_AREA)  # fmt: skip
    x = int(rng.uniform(0.0, 1.0) * (720 - card.shape[1]))
    y = int(960 - card.shape[0] - rng.uniform(0.02, 0.1) * 960)
    scene = _paste(scene, card, x, y, float(rng.uniform(-12, 12)))
    return jpeg_roundtrip(scene, int(rng.integers(75, 92)))


def vtm_scene(customer: np.ndarray, landmarks: np.ndarray, others: list[tuple[np.ndarray, np.ndarray]],
              rng: np.random.Generator) -> np.ndarray:  # fmt: skip
    """A bank video-teller-machine camera frame (303): 640 × 480, the ``customer`` in front
    (face ~40 % of the frame height), the people of ``others`` (photo, landmarks) queueing
    behind, a quarter to a third as tall; dim, noisy and soft like a kiosk webcam."""
    scene = np.full((480, 640, 3), rng.uniform(60, 120, 3), np.float32).astype(np.uint8)
    for photo, marks in others:
        small = id_portrait(photo, marks, (120, 150), background=False)
        side = int(rng.uniform(0, 30)) if rng.random() < 0.5 else 640 - 120 - int(rng.uniform(0, 30))
        scene = _paste(scene, small, side, int(rng.uniform(20, 120)))
    front = id_portrait(customer, landmarks, (300, 400), background=False)
    scene = _paste(scene, front, int(rng.uniform(150, 190)), 480 - 400 + int(rng.uniform(0, 30)))
    gain, noise = rng.uniform(0.55, 0.8), rng.uniform(3, 7)
    dim = scene.astype(np.float32) * gain + rng.normal(0, noise, scene.shape)
    dim = cv2.GaussianBlur(dim.clip(0, 255).astype(np.uint8), (0, 0), rng.uniform(0.6, 1.2))
    return jpeg_roundtrip(dim, int(rng.integers(60, 80)))


def infrared(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A near-infrared frame of the scene in ``photo``, as the IR camera beside an RGB camera
    sees it: one grey channel (skin bright and smooth in NIR, close to the red channel), lit by
    the module's own IR lamp (centre brighter), soft and noisy; returned as 3 equal channels."""
    red = photo[..., 2].astype(np.float32)
    grey = 0.8 * red + 0.2 * photo[..., 1].astype(np.float32)
    h, w = grey.shape
    yy, xx = np.mgrid[0:h, 0:w]
    lamp = 1.15 - 0.5 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2)
    grey = cv2.GaussianBlur(grey * lamp * rng.uniform(0.8, 1.0), (0, 0), rng.uniform(0.8, 1.5))
    grey = (grey + rng.normal(0, rng.uniform(2, 5), grey.shape)).clip(0, 255).astype(np.uint8)
    return jpeg_roundtrip(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), 85)


def screen_infrared(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """What the IR camera sees when a phone or monitor is held up to it: a screen emits no
    near-infrared, so the display is a near-black slab (its glass reflects a little of the
    lamp) in front of a dim room."""
    h, w = shape
    frame = np.full((h, w), rng.uniform(30, 60), np.float32)
    x0, y0 = int(rng.uniform(0.05, 0.2) * w), int(rng.uniform(0.05, 0.2) * h)
    frame[y0 : h - y0, x0 : w - x0] = rng.uniform(5, 15)
    cv2.circle(frame, (int(rng.uniform(0.3, 0.7) * w), int(rng.uniform(0.3, 0.7) * h)), int(0.08 * w), 70.0, -1)
    frame = cv2.GaussianBlur(frame, (0, 0), 0.03 * w) + rng.normal(0, 3, frame.shape)
    return jpeg_roundtrip(cv2.cvtColor(frame.clip(0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR), 85)
