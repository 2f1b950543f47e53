"""The interactive API reference at ``/docs``, served entirely by this service.

FastAPI's own page loads Swagger UI from a public CDN and its favicon from fastapi.tiangolo.com,
so on a bank's machine without internet it is blank. The Swagger UI files (JS bundle, CSS,
favicon) come instead from the PyPI package ``fastapi-offline`` (pinned in pyproject.toml),
used as a data package: its folder is located without importing it and the three files are
served from ``/docs/assets/``. Swagger UI's validator badge (a request to validator.swagger.io
for every spec not on localhost) is switched off. Nothing on the page asks for any host but the
one that served it; ``tests/api/test_docs_offline.py`` proves it in headless Chromium with the
network blocked.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from facesaas.errors import ConfigurationError

__all__ = ["install_docs", "DOCS_ASSETS"]

_PACKAGE = "fastapi_offline"
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon.png": "image/png",
}
"""The files /docs needs, by name under ``/docs/assets/``, with their media types."""


@cache
def _static_dir() -> Path:
    """The package's ``static`` folder (found once; importing the package would run its code)."""
    spec = importlib.util.find_spec(_PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "static"
        if all((folder / name).is_file() for name in DOCS_ASSETS):
            return folder
    raise ConfigurationError(f"package {_PACKAGE!r} with the Swagger UI files is not installed")


def install_docs(app: FastAPI, *, openapi_url: str = "/openapi.json", title: str = "FaceSaaS") -> None:
    """Add ``GET /docs`` and ``GET /docs/assets/{name}`` (unsigned, left out of the schema)."""

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        assets = f"{root}/docs/assets"
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{title} API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/docs/assets/{name}", include_in_schema=False)
    async def swagger_asset(name: str) -> Response:
        # Only the listed names: the path parameter never reaches the file system otherwise.
        media_type = DOCS_ASSETS.get(name)
        if media_type is None:
            return Response(status_code=404)
        return FileResponse(
            _static_dir() / name, media_type=media_type, headers={"cache-control": "public, max-age=86400"}
        )
