"""OpenAPI documentation of signed endpoints.

Request bodies are parsed by hand after the signature is checked (see :mod:`facesaas.api.deps`),
so FastAPI cannot infer them; :func:`signed_operation` describes the body and the two auth
headers, and :func:`install_openapi` adds the body models to the schema components.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from facesaas import __version__
from facesaas.errors import ERROR_CLASSES

__all__ = ["signed_operation", "install_openapi"]

_BODY_MODELS: list[type[BaseModel]] = []

_AUTH_HEADERS = [
    {
        "name": "x-access-id",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "maxLength": 16},
        "description": "客户标识 AccessID (最大 16B).",
    },
    {
        "name": "x-signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "Hex(RSA_PKCS1_encrypt(AccessKey ‖ hex MD5(body) ‖ uint32 Unix time (big- or little-endian) ‖ 8 random bytes ‖ ≤41 custom bytes, server public key)).",
    },
]


def signed_operation(body_model: type[BaseModel], *alternatives: type[BaseModel]) -> dict[str, Any]:
    """Route keyword arguments documenting a signed JSON body of ``body_model`` (or, with
    ``alternatives``, of any one of them: CS202.2 takes a query package instead of a photo)."""
    models = (body_model, *alternatives)
    _BODY_MODELS.extend(models)
    refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
    return {
        "openapi_extra": {
            "parameters": _AUTH_HEADERS,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}},
            },
        },
        "responses": {
            400: {"description": "invalid input (rtn -2001…-2013)"},
            401: {"description": "authentication failed (rtn -1001…-1008)"},
            413: {"description": "body or image too large"},
            422: {"description": "no face / too many faces"},
            503: {"description": "overloaded"},
        },
    }


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        errors = "\n".join(f"| {c.rtn} | {c.http_status} | {c.message} |" for c in ERROR_CLASSES)
        schema = get_openapi(
            title="FaceSaaS",
            version=__version__,
            description=(
                "Self-hosted face recognition with the FaceSaaS manual's HTTP API. Every POST is "
                "signed (headers x-access-id, x-signature). Every response carries rtn, message "
                "and global_request_id.\n\n| rtn | HTTP | message |\n|---:|---:|---|\n" + errors
            ),
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in _BODY_MODELS:
            definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(definition.pop("$defs", {}))
            components[model.__name__] = definition
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
