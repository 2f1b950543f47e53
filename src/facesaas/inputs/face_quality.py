"""The wire form of a face's quality (``face_quality``), returned by two endpoints of two
families: CS201.1 extraction (recognition) and 102.1 register (repositories). The measures are
:class:`facesaas.face.quality.Quality`'s (units and geometry there; docs/api.md)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["FaceQuality"]


class FaceQuality(BaseModel):
    """The quality of one face (facesaas.face.quality; docs/api.md and docs/accuracy.md)."""

    score: int = Field(description="0–100 overall (geometric mean of the five checks' sub-scores).")
    inter_ocular: float = Field(description="Eye-to-eye distance, pixels of the photo (size).")
    face_height: float = Field(description="The face box's height, pixels of the photo (size).")
    sharpness: float = Field(
        description="Mean |Laplacian| / grey-level spread on the aligned face (blur); clear faces ~0.35."
    )
    yaw: float = Field(description="Degrees from the 5 landmarks; + nose towards the image's right.")
    pitch: float = Field(description="Degrees from the 5 landmarks; + face tilted down.")
    roll: float = Field(description="Degrees, the eye line; + clockwise in the image.")
    brightness: float = Field(description="Mean grey level 0–255 of the face region (exposure).")
    dark_share: float = Field(description="Share of the face region at grey 0–10 (exposure).")
    bright_share: float = Field(description="Share of the face region at grey 245–255 (exposure).")
    occlusion: float = Field(description="0–1: texture missing at the eyes or the mouth (glasses, mask, hand).")
    detector_score: float = Field(description="The face detector's confidence 0–1.")
    failed_lenient: list[str] = Field(
        description="Checks (size, blur, pose, exposure, occlusion) failed at the lenient gate."
    )
    failed_strict: list[str] = Field(description="Checks failed at the strict gate.")
