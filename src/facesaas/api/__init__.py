"""HTTP layer: the FastAPI app, signed-request dependencies, routes per resource."""

from facesaas.api.app import create_app

__all__ = ["create_app"]
