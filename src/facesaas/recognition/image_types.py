"""What each ``image_type`` of manual 9.2 changes before and after face detection.

Registration-side types (CS201.1 ``image_type``, CS202.2 ``database_image_type``):

- 1 证件照, 3 类证件照: the photo as given.
- 2 证件照翻拍 (a photo of the ID card): the card's portrait is the largest face the detector
  finds; the detector sees the whole photo scaled to 640 px, and the face is cut from the
  full-resolution photo, so a portrait of ~60 px or more anywhere on the card is found.
- 4 芯片照 (the 102 × 126 chip photo): the detector enlarges it into its 640 × 640 input and the
  face is aligned from the small photo itself. Sharpening, denoising, contrast stretching and
  bigger borders were measured and did not raise the accept rate (docs/accuracy.md), so none
  is applied: a chip photo simply carries less of the face.
- 5/7/9 (mesh-watermarked "网纹照" of the kind declared) and 101 (kind unknown): the mesh is
  found (:func:`facesaas.face.watermark.read_mesh`, which also tells its kind) and, when found,
  taken out before detection by a learned de-mesher (:mod:`facesaas.face.demesher`) run on the
  photo as received: on medium photos (wider than :data:`SMALL_MESH_WIDTH`) the general one,
  on small ones the one trained on 102 × 126 photos only. Both choices were made on the old
  three renderings (never a hold-out family): at 178 × 220 the general one verified more often
  for all three; at 102 × 126 it lost 9 points on pale (finance) meshes against selfies, the
  small-photo one was at least as good as the classical remover (``remove_mesh``) on faces
  lost and against selfies for all three and on the six training families
  (docs/accuracy.md, bench/results/demesh-decision-latest.md). The refined type
  reported back is 5/7/9 for a small photo (at most :data:`SMALL_MESH_WIDTH` px wide, the
  102 × 126 class) and 6/8/10 for a larger one (the 178 × 220 class); 101 with no mesh found
  is reported as 1.

Query-side types (CS202.2 ``query_image_type``) choose which faces are compared:

- 301 类证件照, 2, 4: every face up to ``max_faces_allowed``, the best score decides.
- 302 手持身份证场景 (a person holding up their ID card) and 303 VTM 场景 (a bank kiosk camera,
  people queueing behind): only the largest face — the holder or customer — is compared. The
  card's portrait in a 302 photo is never compared: otherwise anyone holding a stolen card
  would match the card owner's registration photo. For the same reason a 302 photo in which
  only one face is found is refused (rtn -3003): that face may be the card's. Smaller faces (the card's portrait, people
  behind) do not count against ``max_faces_allowed``; a second person as close as the first
  does (rtn -3002 when the limit is 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from facesaas.errors import InternalError
from facesaas.face.demesher import get_demesher, get_small_demesher
from facesaas.face.engine import Analysis, FaceEngine
from facesaas.face.watermark import NO_MESH, MeshReading, read_mesh, remove_mesh

__all__ = [
    "MESH_TYPES",
    "SMALL_MESH_WIDTH",
    "Prepared",
    "analyze_prepared",
    "faces_to_compare",
    "prepare",
    "refined_type",
    "second_looks",
]

MESH_TYPES = frozenset({5, 7, 9, 101})
"""Input types whose photo carries a mesh watermark (101: of a kind to be detected)."""

SMALL_MESH_WIDTH = 128
"""Widest meshed photo (px) reported as 小尺寸 (5/7/9); wider ones are 中尺寸 (6/8/10)."""

_SINGLE_SUBJECT_QUERIES = frozenset({302, 303})


@dataclass(frozen=True)
class Prepared:
    """A photo ready for detection: ``image`` (BGR uint8, the same pixel grid as the input),
    the refined ``image_type`` to report, and the ``mesh`` read (None for non-mesh types)."""

    image: np.ndarray
    image_type: int
    mesh: MeshReading | None = None

    @property
    def demeshed(self) -> bool:
        """True when a mesh was found and painted out."""
        return self.mesh is not None and self.mesh.kind != NO_MESH


def refined_type(kind: int, width: int) -> int:
    """The manual's output type of a meshed photo of ``kind`` (5, 7 or 9) ``width`` px wide:
    ``kind`` when small, ``kind + 1`` when medium."""
    return kind if width <= SMALL_MESH_WIDTH else kind + 1


def prepare(bgr: np.ndarray, image_type: int) -> Prepared:
    """``bgr`` as detection should see it for ``image_type``. For mesh types this costs the
    mesh search (~3–8 ms on a 178 × 220 photo) and, when a mesh is found, a learned
    de-mesher (~7 ms at p50 at 178 × 220, ~3 ms at 102 × 126; its first call also loads it);
    other types cost nothing."""
    if image_type not in MESH_TYPES:
        return Prepared(bgr, image_type)
    declared = None if image_type == 101 else image_type
    reading = read_mesh(bgr, declared)
    width = bgr.shape[1]
    if reading.kind == NO_MESH:
        # A declared kind is believed (the photo may be a clean one sent as meshed); an
        # automatic search that finds nothing reports an ordinary ID photo.
        return Prepared(bgr, refined_type(declared, width) if declared else 1, reading)
    cleaned = (get_demesher() if width > SMALL_MESH_WIDTH else get_small_demesher()).run(bgr)
    return Prepared(cleaned, refined_type(reading.kind, width), reading)


def second_looks(bgr: np.ndarray, prepared: Prepared) -> Iterator[Prepared]:
    """Other versions of a de-meshed photo to look for its face in when none is found in
    ``prepared.image``: the classical remover's output (inpainting, ``remove_mesh``), then the
    photo as received. Nothing for a photo that was not
    de-meshed. Lazy: each costs its remover (~2–10 ms) only if asked for. On the held-out mesh
    families it brings back most faces the first remover lost (docs/accuracy.md)."""
    if not prepared.demeshed:
        return
    assert prepared.mesh is not None
    # Both sizes are first de-meshed by a learned network: the second look is the classical
    # remover, which fails differently (it paints out only the strokes it found).
    yield Prepared(remove_mesh(bgr, prepared.mesh), prepared.image_type, prepared.mesh)
    yield Prepared(bgr, prepared.image_type, prepared.mesh)


def analyze_prepared(engine: FaceEngine, bgr: np.ndarray, image_type: int, **options: Any) -> tuple[Prepared, Analysis]:
    """Prepare ``bgr`` for ``image_type`` (:func:`prepare`) and analyse it (``options`` as
    :meth:`FaceEngine.analyze`'s). A de-meshed photo in which no face is found gets a second
    look (:func:`second_looks`) before the caller reports -3001; the version in which a face
    was found is returned with its analysis. Cost: one preparation and analysis, more only when
    a de-meshed photo shows no face. OpenCV failures become InternalError."""
    try:
        prepared = prepare(bgr, image_type)
        analysis = engine.analyze(prepared.image, **options)
        if analysis.faces:
            return prepared, analysis
        for other in second_looks(bgr, prepared):
            found = engine.analyze(other.image, **options)
            if found.faces:
                return other, found
    except cv2.error as exc:  # inpainting or filters; never expected for a decoded image
        raise InternalError("de-meshing failed") from exc
    return prepared, analysis


def faces_to_compare(query_type: int, max_faces_allowed: int) -> int:
    """How many of the query photo's largest faces are compared with the registration face."""
    return 1 if query_type in _SINGLE_SUBJECT_QUERIES else max_faces_allowed
