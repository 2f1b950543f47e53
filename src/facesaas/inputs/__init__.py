"""Shared request inputs, below the endpoint families: body parsing, image limits, image
loading, the liveness-package options two families read, and the face-quality object two
families return."""

from facesaas.inputs.face_quality import FaceQuality
from facesaas.inputs.package_options import PackageOptions, Strictness
from facesaas.inputs.requests import ImageLimits, load_image, parse_request, require_choice

__all__ = ["FaceQuality", "ImageLimits", "PackageOptions", "Strictness", "load_image", "parse_request", "require_choice"]
