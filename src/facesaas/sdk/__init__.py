"""Python SDK: a signing HTTP client for every endpoint, the liveness package builder, and
(:mod:`facesaas.sdk.bulk`, imported on its own) bulk registration of a folder tree."""

from facesaas.sdk.client import ApiError, Client
from facesaas.sdk.images import fit_image
from facesaas.sdk.package import build_package

__all__ = ["ApiError", "Client", "build_package", "fit_image"]
