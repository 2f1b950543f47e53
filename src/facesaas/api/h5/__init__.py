"""The H5 video liveness page and the calls it makes, under ``/h5`` (docs/liveness.md).

Nothing here is signed: the page's only credential is the session's one-time token, in its URL
path. The token admits exactly what the page needs — its prompts, live feedback on small
frames (a bounded number) and one clip upload — and nothing of the customer's. Every asset is
package data served from ``/h5/static``; the page loads nothing from another host.

Headers on every ``/h5`` answer: a strict Content-Security-Policy (no inline script, media
and connections to this origin only), ``X-Frame-Options: DENY``, ``Referrer-Policy:
no-referrer`` (the URL holds the token; the page sends no form, so the ``Origin: null`` that
policy causes for form posts does not matter here), ``Permissions-Policy: camera=(self)``,
``nosniff``, and ``Cache-Control: no-store`` except on the static assets.
"""

from __future__ import annotations

from fastapi import FastAPI

from facesaas.api.h5.routes import H5Headers, router

__all__ = ["install_h5"]


def install_h5(app: FastAPI) -> None:
    """Add the page, its assets and its calls to ``app`` (before it starts)."""
    app.add_middleware(H5Headers)
    app.include_router(router)
