"""Python SDK: a signing HTTP client for every endpoint."""

from facesaas.sdk.client import ApiError, Client

__all__ = ["ApiError", "Client"]
