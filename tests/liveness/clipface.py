"""A real photo's face, posed by warping: the geometry under :mod:`tests.liveness.clips`.

A :class:`Rig` is one photo placed in a video frame with the 468-point face mesh
(:mod:`facesaas.face.mesh`) of that placed frame. :func:`render` moves the mesh's points for a
:class:`Pose` — expression first (eyelids, jaw, in the face's own plane), then a rigid 3-D
rotation about the head's pivot, projected orthographically — and warps the rest frame
piecewise-affinely from the points' rest positions to the moved ones (a Delaunay triangulation
of the moved points; every output pixel samples the rest frame through its triangle's affine
map). Two rings of extra points keep the rest of the frame in place: one round the head
(hair, ears, neck) moving with the face's outline at reduced amplitude, and a fixed one
further out, plus the corners of the warped box. An open mouth gets a dark cavity (and
sometimes upper teeth) painted between the moved inner-lip contours.

Conventions: images are ``(height, width, 3)`` BGR, float32 0–255 inside the renderer; points
are ``(x, y)`` frame px (top-left origin, y down) with mesh depth ``z`` in the same px scale,
smaller = nearer the camera; angles in degrees. ``yaw`` > 0 turns the person to *their own
left*, which in the unmirrored frame moves the nose to the image's right (as
:mod:`facesaas.liveness.motion` measures it); ``pitch`` > 0 bows the head (chin toward the
chest); ``roll`` > 0 turns the face clockwise on screen. Nothing runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from tests.liveness import generator as gen

# MediaPipe face-mesh topology (FACEMESH_FACE_OVAL, eye and lip contours).
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)  # fmt: skip
# Upper-lid margin point → the lower-lid margin point below it, both eyes.
LIDS = ((246, 7), (161, 163), (160, 144), (159, 145), (158, 153), (157, 154), (173, 155),
        (466, 249), (388, 390), (387, 373), (386, 374), (385, 380), (384, 381), (398, 382))  # fmt: skip
INNER_UPPER_LIP = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
INNER_LOWER_LIP = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
OUTER_LOWER_LIP = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
_HEAD_RING, _FIXED_RING = 1.3, 2.0
"""Extra rings: the face oval scaled by these factors about the face's centre."""


@dataclass(frozen=True)
class Pose:
    """One frame's pose: ``yaw``/``pitch``/``roll`` degrees (see the module), ``eyes`` lid
    closure 0 (rest) – 1 (shut), ``mouth`` extra inner-lip gap as a fraction of the mouth's
    width, ``shift`` (dx, dy) px of the head in the frame."""

    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    eyes: float = 0.0
    mouth: float = 0.0
    shift: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Rig:
    """A photo placed in a frame, ready to pose.

    ``scene``: the rest frame, float32 BGR 0–255 ``(H, W, 3)``; ``points``: its mesh (468, 3)
    frame px; ``landmarks``: YuNet's five points (5, 2) frame px at rest; ``cover``: float32
    (H, W) 0–1, where the person (head, hair, neck) is; ``matrix``: 2×3 photo px → frame px;
    ``teeth``: whether an open mouth shows upper teeth; ``pivot``: (x, y, z) px the head
    rotates about; ``width``: face width px (cheek edge to cheek edge); ``extra``, ``box``:
    :func:`control_points`; ``triangles`` (T, 3) indices into the mesh then ``extra``, the
    rest Delaunay triangulation, and ``orientation`` (T,) the sign of each one's area at rest;
    ``closed``: ``scene`` with the eyes shut (:func:`closed_eyes`).
    """

    scene: np.ndarray
    points: np.ndarray
    landmarks: np.ndarray
    cover: np.ndarray
    matrix: np.ndarray
    teeth: bool
    pivot: np.ndarray
    width: float
    extra: np.ndarray
    box: tuple[int, int, int, int]
    triangles: np.ndarray
    orientation: np.ndarray
    closed: np.ndarray | None = None


def mesh_of(bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(mesh points (468, 3), YuNet landmarks (5, 2), presence) of the main face in a BGR
    uint8 image, or None without a face: YuNet's region, then one refinement from the mesh's
    own points, as MediaPipe tracks."""
    from facesaas.face.mesh import get_mesh, roi_from_detection, roi_from_points

    marks = gen.landmarks_of(bgr)
    if marks is None:
        return None
    from facesaas.face.engine import get_engine

    detection = min(get_engine(2).detector.detect(bgr), key=lambda d: float(np.abs(d.landmarks - marks).sum()))
    first = get_mesh().run([bgr], [roi_from_detection(detection)])[0]
    second = get_mesh().run([bgr], [roi_from_points(first.points)])[0]
    return second.points.astype(np.float64), marks, second.presence


def _upright(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (along, down) of the face's own frame: along the eye line toward the
    image's right, and perpendicular to it, down the face."""
    along = points[263, :2] - points[33, :2]
    along = along / np.linalg.norm(along)
    return along, np.array([-along[1], along[0]])


def make_rig(photo: np.ndarray, shape: tuple[int, int], rng: np.random.Generator, *, fraction: float,
             nose: tuple[float, float], background: str = "photo") -> Rig:  # fmt: skip
    """Place ``photo`` (BGR uint8) in a frame of ``shape`` (height, width): the face
    ``fraction`` of the frame height (YuNet box estimate, :func:`generator.face_height`), the
    nose tip at ``nose`` (x, y px). ``background`` "photo" continues the photo (blurred mirror
    beyond its edge), "room" puts the head and shoulders over a synthetic wall
    (:func:`generator._room`). Raises ValueError when the photo has no usable face."""
    marks = gen.landmarks_of(photo)
    if marks is None:
        raise ValueError("no detectable face in the photo")
    matrix = gen._placement(marks, shape, fraction, np.asarray(nose, np.float64))
    scene = gen._warp(photo, matrix, shape)
    found = mesh_of(np.clip(np.round(scene), 0, 255).astype(np.uint8))
    if found is None or found[2] < 0.5:
        raise ValueError("no face mesh on the placed photo")
    points, landmarks, _ = found
    oval = points[list(FACE_OVAL), :2]
    centre = oval.mean(0)
    _, down = _upright(points)
    # Head and hair: the oval grown 1.3× (1.6× above the brows for hair); neck and shoulders:
    # a trapezoid from the jaw to the bottom of the frame.
    grow = np.where(((oval - centre) @ down < 0)[:, None], 1.6, 1.3)
    head = centre + (oval - centre) * grow
    jaw = points[[172, 397], :2]
    neck_top = jaw + (centre - jaw) * 0.25
    bottom = shape[0] + 10
    shoulders = np.array([neck_top[0], neck_top[1], [neck_top[1, 0] + 1.4 * (jaw[1, 0] - jaw[0, 0]), bottom],
                          [neck_top[0, 0] - 1.4 * (jaw[1, 0] - jaw[0, 0]), bottom]])  # fmt: skip
    width = float(np.linalg.norm(points[454, :2] - points[234, :2]))
    person = np.maximum(gen._poly_mask(shape, [head]), gen._poly_mask(shape, [shoulders]))
    cover = cv2.GaussianBlur(person, (0, 0), 0.03 * width + 1)
    if background == "room":
        _, wall = gen._room(rng, shape, float(rng.uniform(0.7, 1.1)))
        scene = gen._over(wall, scene, cover)
    elif background != "photo":
        raise ValueError("background must be 'photo' or 'room'")
    # The head turns about an axis through the ears: 10 % of the face width behind the cheek
    # edges, level with the eyes' midpoint (a nod's axis is lower, handled in _rotate).
    pivot = np.array([*points[[234, 454], :2].mean(0), points[[234, 454], 2].mean() + 0.1 * width])
    from scipy.spatial import Delaunay

    extra, box = control_points(points, shape)
    rest = np.vstack([points[:, :2], extra])
    triangles = Delaunay(rest).simplices
    d = rest[triangles]
    orientation = np.sign((d[:, 1, 0] - d[:, 0, 0]) * (d[:, 2, 1] - d[:, 0, 1]) - (d[:, 1, 1] - d[:, 0, 1]) * (d[:, 2, 0] - d[:, 0, 0]))
    return Rig(scene.astype(np.float32), points, landmarks, cover, matrix, bool(rng.random() < 0.6), pivot, width,
               extra, box, triangles, orientation, closed_eyes(scene, points, width))


def _expression(rig: Rig, pose: Pose) -> np.ndarray:
    """The mesh with eyelids closed by ``pose.eyes`` and the jaw dropped by ``pose.mouth``
    (displacements in the face's own plane; depth unchanged)."""
    p = rig.points.copy()
    if pose.eyes > 0:
        for upper, lower in LIDS:
            p[upper, :2] += 0.92 * pose.eyes * (rig.points[lower, :2] - rig.points[upper, :2])
    if pose.mouth > 0:
        along, down = _upright(rig.points)
        mouth_width = float(np.linalg.norm(rig.points[291, :2] - rig.points[61, :2]))
        drop = pose.mouth * mouth_width
        seam = (rig.points[13, :2] + rig.points[14, :2]) / 2
        u = (rig.points[:, :2] - seam) @ along
        v = (rig.points[:, :2] - seam) @ down
        # The jaw hinges near the ears: below the lip seam, points move down by the drop,
        # less toward the jaw's angle; the lower lips move whole, their corners little.
        weight = np.exp(-((u / (0.45 * rig.width)) ** 2)) * np.clip(v / (0.05 * mouth_width) + 0.5, 0, 1)
        lips = list(INNER_LOWER_LIP[1:-1]) + list(OUTER_LOWER_LIP[1:-1])
        weight[lips] = np.clip(1.15 - 0.6 * (u[lips] / (0.5 * mouth_width)) ** 2, 0.3, 1)
        weight[[61, 291, 78, 308]] = 0.2
        weight[list(INNER_UPPER_LIP)[1:-1]] = 0.0
        p[:, :2] += (drop * weight)[:, None] * down
    return p


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """3×3 rotation of frame coordinates (x right, y down, z away from the camera) for the
    module's angle conventions."""
    a, b, c = np.deg2rad([yaw, pitch, roll])
    # yaw about the vertical axis: x' = x cos − z sin moves a near point (z < 0) to +x.
    ry = np.array([[np.cos(a), 0, -np.sin(a)], [0, 1, 0], [np.sin(a), 0, np.cos(a)]])
    # pitch about the horizontal axis: a near point (z < 0) moves down, the chin recedes.
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ rx @ ry


def posed_points(rig: Rig, pose: Pose) -> np.ndarray:
    """The mesh (468, 3) frame px in ``pose``: expression, then rotation about the pivot (a
    nod about an axis at the chin's height), then the shift."""
    p = _expression(rig, pose)
    pivot = rig.pivot.copy()
    if pose.pitch:
        pivot[1] = rig.points[152, 1]  # the neck bends below the face: chin-level axis
    moved = (p - pivot) @ _rotation(pose.yaw, pose.pitch, pose.roll).T + pivot
    moved[:, :2] += pose.shift
    return moved


def _rings(rig: Rig, moved: np.ndarray) -> np.ndarray:
    """Moved positions (N, 2) of the control points beyond the mesh (:attr:`Rig.extra` at
    rest): the head ring following the oval at 60 %, then the fixed ring and box corners."""
    head = len(FACE_OVAL)
    moved_head = rig.extra[:head] + 0.6 * (moved[list(FACE_OVAL), :2] - rig.points[list(FACE_OVAL), :2])
    return np.vstack([moved_head, rig.extra[head:]])


def control_points(points: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Rest positions (N, 2) of the extra control points of a mesh ``points`` in a frame of
    ``shape`` (height, width): the head ring (1.3 × the face oval about its centre), the fixed
    ring (2 ×) and the corners of the box (x0, y0, x1, y1) px, ends exclusive, that they span:
    the only part of the frame a pose changes."""
    oval = points[list(FACE_OVAL), :2]
    centre = oval.mean(0)
    fixed = centre + (oval - centre) * _FIXED_RING
    x0, y0 = np.floor(fixed.min(0)).astype(int) - 2
    x1, y1 = np.ceil(fixed.max(0)).astype(int) + 3
    box = (max(0, int(x0)), max(0, int(y0)), min(shape[1], int(x1)), min(shape[0], int(y1)))
    corners = np.array([[box[0] - 1, box[1] - 1], [box[2], box[1] - 1], [box[2], box[3]], [box[0] - 1, box[3]]], np.float64)
    return np.vstack([centre + (oval - centre) * _HEAD_RING, fixed, corners]), box


def warp_maps(rig: Rig, moved: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The backward maps of the piecewise-affine warp taking the rest mesh to ``moved``:
    map_x, map_y float32 over :attr:`Rig.box` (rest-frame px each output px samples).

    The triangles are the rest points' Delaunay triangulation (:attr:`Rig.triangles`);
    moved, they are drawn far to near (by mean depth) after those turned over (facing away
    after a turn), so a receding cheek is hidden behind the nose, not folded over it."""
    x0, y0, x1, y1 = rig.box
    dst = np.vstack([moved[:, :2], _rings(rig, moved)])
    src = np.vstack([rig.points[:, :2], rig.extra])
    depth = np.concatenate([moved[:, 2], np.full(len(rig.extra), moved[:, 2].max() + 1.0)])
    tri = rig.triangles
    d = dst[tri]
    area = (d[:, 1, 0] - d[:, 0, 0]) * (d[:, 2, 1] - d[:, 0, 1]) - (d[:, 1, 1] - d[:, 0, 1]) * (d[:, 2, 0] - d[:, 0, 0])
    facing = np.sign(area) == rig.orientation
    usable = np.abs(area) > 1e-6
    # Affine map per triangle, output px → rest px: solve [x y 1] · A = src for its 3 corners.
    system = np.concatenate([d, np.ones((len(tri), 3, 1))], 2)
    system[~usable] = np.eye(3)  # never drawn; keeps the batch solvable
    a = np.linalg.solve(system, src[tri])
    ids = np.full((y1 - y0, x1 - x0), -1, np.int32)
    offset = np.array([x0, y0])
    # Turned-over triangles are drawn first, under everything: thin slivers of the rest
    # triangulation flip at the smallest motion, and would otherwise leave holes.
    back, front = np.flatnonzero(usable & ~facing), np.flatnonzero(usable & facing)
    for index in [*back, *front[np.argsort(-depth[tri[front]].mean(1), kind="stable")]]:
        cv2.fillConvexPoly(ids, np.round((d[index] - offset) * 16).astype(np.int32), int(index), cv2.LINE_8, 4)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float64)
    inside = ids >= 0
    coef = a[np.where(inside, ids, 0)]  # (h, w, 3, 2)
    map_x = np.where(inside, xx * coef[..., 0, 0] + yy * coef[..., 1, 0] + coef[..., 2, 0], xx)
    map_y = np.where(inside, xx * coef[..., 0, 1] + yy * coef[..., 1, 1] + coef[..., 2, 1], yy)
    return map_x.astype(np.float32), map_y.astype(np.float32)


def _eye_outlines(points: np.ndarray) -> list[tuple[list[int], list[int]]]:
    """Per eye: (upper margin, lower margin) mesh indices, corner to corner."""
    return [([33, *(u for u, _ in LIDS[:7]), 133], [33, *(d for _, d in LIDS[:7]), 133]),
            ([263, *(u for u, _ in LIDS[7:]), 362], [263, *(d for _, d in LIDS[7:]), 362])]  # fmt: skip


def closed_eyes(scene: np.ndarray, points: np.ndarray, width: float) -> np.ndarray:
    """``scene`` with both eye openings (grown by ~3 % of the face width) filled with the
    surrounding skin by inpainting (OpenCV's Telea method): the closed lids' texture."""
    mask = np.zeros(scene.shape[:2], np.uint8)
    for upper, lower in _eye_outlines(points):
        outline = np.vstack([points[upper, :2], points[lower[::-1], :2]])
        cv2.fillPoly(mask, [np.round(outline * 16).astype(np.int32)], 255, cv2.LINE_8, 4)
    grow = max(1, int(round(0.05 * width)))
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    filled = cv2.inpaint(np.clip(np.round(scene), 0, 255).astype(np.uint8), mask, 2 * grow + 1, cv2.INPAINT_TELEA)
    # Closed lids are a little darker than the skin round them.
    shade = 1 - 0.08 * cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), grow)
    return (filled.astype(np.float32) * shade[..., None]).astype(np.float32)


def _lids(rig: Rig, image: np.ndarray, closed: np.ndarray, moved: np.ndarray, open_: np.ndarray, pose: Pose) -> np.ndarray:
    """Lower the upper eyelids over ``image``: the closed-lid texture ``closed`` (posed like
    ``image``) between the lid margin's open position ``open_`` (raised a little, over the
    photo's lashes) and its moved one, with a thin dark lash line along the moved margin."""
    lids, lines = [], []
    _, down = _upright(open_)
    for upper, _ in _eye_outlines(rig.points):
        raised = open_[upper, :2] - down * 0.06 * rig.width * np.sin(np.linspace(0, np.pi, len(upper)))[:, None]
        lids.append(np.vstack([raised, moved[upper[::-1], :2]]))
        lines.append(moved[upper, :2])
    mask = cv2.GaussianBlur(gen._poly_mask(image.shape[:2], lids), (0, 0), 0.012 * rig.width + 0.5)
    image = gen._over(image, closed, mask)
    lash = np.zeros(image.shape[:2], np.uint8)
    thickness = max(1, int(round(0.012 * rig.width)))
    cv2.polylines(lash, [np.round(line * 16).astype(np.int32) for line in lines], False, 255, thickness, cv2.LINE_AA, 4)
    strength = 0.55 * float(np.clip(pose.eyes / 0.6, 0, 1))
    return gen._over(image, np.float32([30, 30, 35]), cv2.GaussianBlur(lash.astype(np.float32) / 255, (0, 0), 0.5) * strength)


def _cavity(rig: Rig, image: np.ndarray, moved: np.ndarray, pose: Pose) -> np.ndarray:
    """Paint the open mouth's inside between the moved inner-lip contours: a dark, slightly
    red cavity darker at the back, and, for a rig with teeth, an upper-teeth band."""
    mouth_width = float(np.linalg.norm(moved[291, :2] - moved[61, :2]))
    upper, lower = moved[list(INNER_UPPER_LIP), :2], moved[list(INNER_LOWER_LIP), :2]
    gap = float(np.linalg.norm(moved[14, :2] - moved[13, :2]))
    strength = float(np.clip((pose.mouth - 0.03) / 0.1, 0, 1))
    if strength <= 0 or gap < 1:
        return image
    hole = gen._poly_mask(image.shape[:2], [np.vstack([upper, lower[::-1]])])
    hole = cv2.GaussianBlur(hole, (0, 0), 0.6) * strength
    yy = np.arange(image.shape[0], dtype=np.float32)[:, None]
    depth = np.clip((yy - moved[13, 1]) / max(gap, 1.0), 0, 1)  # 0 under the upper lip, 1 at the lower
    inside = np.float32([38, 36, 70]) * (1 - 0.5 * np.sin(np.pi * depth))[..., None]
    out = gen._over(image, inside * np.ones_like(image), hole)
    if rig.teeth:
        band = np.vstack([upper, upper[::-1] + np.array([0, min(0.12 * mouth_width, 0.45 * gap)])])
        teeth = gen._poly_mask(image.shape[:2], [band]) * hole
        shade = image[np.clip(int(moved[13, 1]) - 3, 0, image.shape[0] - 1)].mean() / 160
        out = gen._over(out, np.float32([200, 210, 215]) * float(np.clip(shade, 0.6, 1.1)), 0.9 * teeth)
    return out


def render(rig: Rig, pose: Pose) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rest frame posed: (image float32 BGR 0–255, person cover float32 (H, W) 0–1, moved
    mesh (468, 3) frame px). Eyelids close over the eyes (the eyes themselves are not moved):
    the warp uses the mesh with open eyes, and the lids are painted on."""
    opened = Pose(pose.yaw, pose.pitch, pose.roll, 0.0, pose.mouth, pose.shift)
    moved = posed_points(rig, opened)
    x0, y0, x1, y1 = rig.box
    map_x, map_y = warp_maps(rig, moved)
    image, cover = rig.scene.copy(), rig.cover.copy()
    image[y0:y1, x0:x1] = cv2.remap(rig.scene, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    cover[y0:y1, x0:x1] = cv2.remap(rig.cover, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if pose.mouth > 0:
        image = _cavity(rig, image, moved, pose)
    if pose.eyes > 0:
        closed = rig.scene.copy() if rig.closed is None else rig.closed.copy()
        closed[y0:y1, x0:x1] = cv2.remap(closed, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        shut = posed_points(rig, pose)
        image = _lids(rig, image, closed, shut, moved, pose)
        moved = shut
    return image, cover, moved
