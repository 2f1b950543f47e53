"""The operators' console under ``/console`` (docs/console.md): pages, their static files and the
operators' JSON API (``/console/api``), none of it in the public OpenAPI schema.

``install_console(app)`` adds the routes and the security-headers middleware; the operator
accounts and sessions live in :mod:`facesaas.operators` (``AppContext.operators``).
"""

from __future__ import annotations

from fastapi import FastAPI

from facesaas.api.console import account, pages, reports, tenants, tryit
from facesaas.api.console.security import ConsoleHeaders

__all__ = ["install_console"]


def install_console(app: FastAPI) -> None:
    """Add the console's routes and headers to ``app`` (before it starts)."""
    app.add_middleware(ConsoleHeaders)
    app.include_router(account.router)
    app.include_router(tenants.router)
    app.include_router(tenants.forms)
    app.include_router(reports.router)
    app.include_router(tryit.router)
    app.include_router(pages.router)
