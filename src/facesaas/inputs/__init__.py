"""Shared request inputs, below the endpoint families: body parsing, image limits, image
loading, and the liveness-package options two families read."""

from facesaas.inputs.package_options import PackageOptions, Strictness
from facesaas.inputs.requests import ImageLimits, load_image, parse_request, require_choice

__all__ = ["ImageLimits", "PackageOptions", "Strictness", "load_image", "parse_request", "require_choice"]
