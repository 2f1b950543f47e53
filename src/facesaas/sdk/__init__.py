"""Python SDK: a signing HTTP client for every endpoint."""

from facesaas.sdk.client import ApiError, Client
from facesaas.sdk.images import fit_image

__all__ = ["ApiError", "Client", "fit_image"]
