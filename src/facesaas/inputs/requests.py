"""Shared request inputs of every endpoint family: body parsing, image limits, image loading.

Below the endpoint families (recognition, repositories, liveness, documents) and above the
engines, so each family parses its requests the same way without reaching into another:

    request = parse_request(RegisterRequest, body)        # pydantic model, our error codes
    bgr = load_image(request.user_info.image_content, "user_info.image_content", limits)

Routes parse (``parse_request``) and hand the parsed model to a family's service; services
load images with the endpoint's :class:`ImageLimits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from facesaas.errors import InvalidParameter, MissingParameter
from facesaas.face.image import decode_base64, decode_image
from facesaas.settings import Settings

__all__ = ["ImageLimits", "parse_request", "load_image", "require_choice"]

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class ImageLimits:
    """What one endpoint accepts of a single image: ``max_image_bytes`` of the decoded file
    (JPEG/PNG bytes after base64) and ``max_image_pixels`` (width × height, checked from the
    header before any pixel is decoded)."""

    max_image_bytes: int
    max_image_pixels: int

    @classmethod
    def for_one_to_one(cls, settings: Settings) -> ImageLimits:
        """CS201.1 and CS202.2: ``max_image_bytes`` (the manual's 1 MB)."""
        return cls(settings.max_image_bytes, settings.max_image_pixels)

    @classmethod
    def for_repositories(cls, settings: Settings) -> ImageLimits:
        """102.1, 103.1 and the 105.x documents: ``max_repo_image_bytes`` (the manual's 5 MB)."""
        return cls(settings.max_repo_image_bytes, settings.max_image_pixels)


def parse_request(model: type[Model], body: Any) -> Model:
    """Validate a decoded JSON body against ``model``; a missing field is MissingParameter
    (-2002), any other problem InvalidParameter (-2003) naming each field. Cost: pydantic's
    validation, microseconds (base64 strings are not decoded here)."""
    if not isinstance(body, Mapping):
        raise InvalidParameter("body must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        missing = [".".join(map(str, e["loc"])) for e in exc.errors() if e["type"] == "missing"]
        if missing:
            raise MissingParameter(", ".join(missing)) from exc
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InvalidParameter(problems) from exc


def require_choice(value: int, allowed: frozenset[int], name: str) -> None:
    """InvalidParameter unless ``value`` is one of ``allowed`` (the manual's enumerations)."""
    if value not in allowed:
        raise InvalidParameter(f"{name} must be one of {sorted(allowed)}, got {value}")


def load_image(content: str, field: str, limits: ImageLimits) -> np.ndarray:
    """The image a base64 request field carries, as BGR uint8 ``(H, W, 3)`` with its EXIF
    orientation applied. Raises InvalidBase64, ImageTooLarge, UnsupportedImageFormat,
    ImageDimensionsTooLarge or CorruptImage naming ``field``. Cost: one decode, ~10 ms a MB."""
    data = decode_base64(content, field)
    return decode_image(data, field=field, max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels)
