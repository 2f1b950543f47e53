""""Try it": an operator compares two photos in the console (``POST /console/api/try``).

The comparison runs in this process with the app's own face engine and calibration, not as a
signed customer call, so it is never metered or billed to anyone. Each photo is decoded with
CS202.2's limits (FACESAAS_MAX_IMAGE_BYTES, FACESAAS_MAX_IMAGE_PIXELS; the same image errors),
every face is detected (boxes, five landmarks, scores), the largest face of each is embedded,
and the answer carries their similarity (0–100) and the threshold of each true_negative_rate
(99.9 / 99.99 / 99.999) the page draws as a ladder. A photo without a face is not an error
here: its face list is empty and the similarity null, so the operator sees what was found.

Cost: two decodes, two detector passes (~9 ms each) and two embeddings (~20 ms each), run on
the engine gate like a customer's request (Overloaded when it is full).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from facesaas.api.console.security import CsrfChecked, read_json
from facesaas.api.responses import ok
from facesaas.face.calibration import TRUE_NEGATIVE_RATES, Calibration
from facesaas.face.engine import FaceEngine
from facesaas.inputs import ImageLimits, load_image, parse_request

__all__ = ["router", "compare_photos", "TryRequest"]

router = APIRouter(prefix="/console/api", include_in_schema=False)

MAX_FACES_SHOWN = 20
"""Faces listed per photo (largest first); a crowd photo still answers in bounded size."""


class TryRequest(BaseModel):
    """Two JPEG/PNG photos in standard base64."""

    model_config = ConfigDict(extra="forbid")

    image_a: str
    image_b: str


def _photo(engine: FaceEngine, content: str, field: str, limits: ImageLimits) -> tuple[dict[str, Any], np.ndarray | None]:
    """One photo: its size, its faces (largest first) and the embedding of the largest."""
    bgr = load_image(content, field, limits)
    detections = engine.detect(bgr)
    faces = [
        {
            "box": [round(float(v), 1) for v in d.box],
            "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in d.landmarks],
            "score": round(float(d.score), 4),
        }
        for d in detections[:MAX_FACES_SHOWN]
    ]
    embedding = engine.embed(bgr, detections[0].landmarks) if detections else None
    height, width = bgr.shape[:2]
    return {"width": width, "height": height, "face_num": len(detections), "faces": faces}, embedding


def compare_photos(engine: FaceEngine, calibration: Calibration, request: TryRequest, limits: ImageLimits) -> dict[str, Any]:
    """The try-it answer for two photos (see the module doc). CPU-heavy: call in a worker thread."""
    photo_a, embedding_a = _photo(engine, request.image_a, "image_a", limits)
    photo_b, embedding_b = _photo(engine, request.image_b, "image_b", limits)
    similarity = None
    if embedding_a is not None and embedding_b is not None:
        similarity = round(engine.similarity(embedding_a, embedding_b), 4)
    ladder = {rate: calibration.similarity_threshold(rate) for rate in TRUE_NEGATIVE_RATES}
    thresholds = [
        {
            "true_negative_rate": rate,
            "similarity": round(threshold, 4),
            "same_person": None if similarity is None else similarity >= threshold,
        }
        for rate, threshold in ladder.items()
    ]
    return {"image_a": photo_a, "image_b": photo_b, "similarity": similarity, "thresholds": thresholds}


@router.post("/try")
async def try_it(request: Request, _session: CsrfChecked) -> JSONResponse:
    """``{"image_a", "image_b"}`` (base64) → faces of both, similarity and the threshold ladder."""
    context = request.app.state.context
    parsed = parse_request(TryRequest, await read_json(request, context.settings.max_body_bytes))
    result = await context.gate.run(compare_photos, context.engine, context.calibration, parsed, context.limits_1to1)
    return ok(request, result)
