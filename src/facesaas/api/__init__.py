"""HTTP layer: the FastAPI app, signed-request dependencies, routes per endpoint family, the
response helpers (:mod:`facesaas.api.responses`) and the one exception-to-response mapping
(:mod:`facesaas.api.errors`). Wires the families together (api/context.py)."""

from facesaas.api.app import create_app

__all__ = ["create_app"]
