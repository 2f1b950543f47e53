"""Tenants in the console: list, create, disable/enable, rotate, promote, limits.

Two doors to the same operations:

* the JSON API (``/console/api/tenants...``, X-CSRF-Token header) for operators' scripts: create,
  rotate and promote answer with the new credentials in the JSON body, as
  ``facesaas tenant create --json`` prints them;
* the console's forms (``/console/tenants/...``, csrf_token field), which the pages use: they
  answer with the credentials as a file download (``Content-Disposition: attachment;
  filename=facesaas-<access_id>.json``, ``Cache-Control: no-store``), so a customer's AccessKey
  never enters a page's DOM or any data its scripts can read.

Cost: one short transaction each (a create also makes the package key).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from facesaas.api.console.security import CsrfChecked, Operator, read_form, read_json
from facesaas.api.responses import ok
from facesaas.auth.access_keys import CLUSTERS
from facesaas.errors import ConsoleTenantConflict, ConsoleUnknownTenant, InvalidParameter, MissingParameter
from facesaas.tenants.service import NewCredentials, TenantService, UnknownTenant

__all__ = ["router", "forms", "credentials_payload"]

router = APIRouter(prefix="/console/api/tenants", include_in_schema=False)
forms = APIRouter(prefix="/console/tenants", include_in_schema=False)

LIMITS = ("per_second", "per_day", "concurrent")
T = TypeVar("T")


def _tenants(request: Request) -> TenantService:
    return request.app.state.context.tenants


def credentials_payload(request: Request, creds: NewCredentials) -> dict[str, Any]:
    """What a customer needs to call: the tenant, its AccessKey, the server public key and, when
    one was issued, its liveness package key (the shape of ``facesaas tenant create --json``)."""
    return creds.as_dict(request.app.state.context.keys.public_pem)


async def _call(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a TenantService call in a worker thread with its errors turned into ours."""
    try:
        return await run_in_threadpool(func, *args, **kwargs)
    except UnknownTenant as exc:
        raise ConsoleUnknownTenant(str(exc)) from exc


def _name_and_cluster(fields: dict[str, Any]) -> tuple[str, str]:
    name, cluster = fields.get("name"), fields.get("cluster") or "private"
    if name is None or name == "":
        raise MissingParameter("name")
    if not isinstance(name, str):
        raise InvalidParameter("name must be a string")
    if cluster not in CLUSTERS:
        raise InvalidParameter(f"cluster must be one of {list(CLUSTERS)}")
    return name, cluster


async def _create(request: Request, fields: dict[str, Any]) -> NewCredentials:
    name, cluster = _name_and_cluster(fields)
    try:
        return await _call(_tenants(request).create, name, cluster=cluster)
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from exc


async def _promote(request: Request, access_id: str) -> NewCredentials:
    try:
        return await _call(_tenants(request).promote, access_id)
    except ValueError as exc:
        raise ConsoleTenantConflict(str(exc)) from exc


def _download(request: Request, creds: NewCredentials) -> Response:
    """The credentials as a JSON file the browser saves; never shown, never cached."""
    request.state.rtn = 0  # for the access log and metrics
    body = json.dumps(credentials_payload(request, creds), indent=2, ensure_ascii=False).encode("utf-8")
    filename = f"facesaas-{creds.tenant.access_id}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"},
    )


# --- JSON API ----------------------------------------------------------------------------


@router.get("")
async def list_tenants(request: Request, _session: Operator, cluster: str | None = None) -> JSONResponse:
    """Every tenant (never a key), or those of one ``cluster``."""
    if cluster is not None and cluster not in CLUSTERS:
        raise InvalidParameter(f"cluster must be one of {list(CLUSTERS)}")
    tenants = await _call(_tenants(request).list, cluster)
    return ok(request, {"tenants": [t.as_dict() for t in tenants]})


@router.post("")
async def create_tenant(request: Request, _session: CsrfChecked) -> JSONResponse:
    """``{"name", "cluster"}`` → the new tenant's credentials in the body (for scripts)."""
    return ok(request, credentials_payload(request, await _create(request, await read_json(request))))


@router.post("/{access_id}/disable")
async def disable_tenant(request: Request, access_id: str, _session: CsrfChecked) -> JSONResponse:
    info = await _call(_tenants(request).set_enabled, access_id, False)
    return ok(request, {"tenant": info.as_dict()})


@router.post("/{access_id}/enable")
async def enable_tenant(request: Request, access_id: str, _session: CsrfChecked) -> JSONResponse:
    info = await _call(_tenants(request).set_enabled, access_id, True)
    return ok(request, {"tenant": info.as_dict()})


@router.post("/{access_id}/rotate")
async def rotate_tenant(request: Request, access_id: str, _session: CsrfChecked) -> JSONResponse:
    """A new AccessKey (the old one stops working at once), in the body."""
    return ok(request, credentials_payload(request, await _call(_tenants(request).rotate, access_id)))


@router.post("/{access_id}/promote")
async def promote_tenant(request: Request, access_id: str, _session: CsrfChecked) -> JSONResponse:
    """A staging tenant's production twin and its credentials, in the body."""
    return ok(request, credentials_payload(request, await _promote(request, access_id)))


@router.post("/{access_id}/limits")
async def set_limits(request: Request, access_id: str, _session: CsrfChecked) -> JSONResponse:
    """``{"per_second", "per_day", "concurrent"}``: each an integer ≥ 0 (0: unlimited) or null
    (the cluster's default); a field left out is set to null too."""
    body = await read_json(request)
    limits: dict[str, int | None] = {}
    for name in LIMITS:
        value = body.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise InvalidParameter(f"{name} must be an integer >= 0 or null")
        limits[name] = value
    try:
        info = await _call(_tenants(request).set_limits, access_id, **limits)
    except ValueError as exc:
        raise InvalidParameter(str(exc)) from exc
    return ok(request, {"tenant": info.as_dict()})


# --- the pages' forms: credentials as a download -----------------------------------------


@forms.post("/create")
async def create_form(request: Request, session: Operator) -> Response:
    return _download(request, await _create(request, await read_form(request, session)))


@forms.post("/{access_id}/rotate")
async def rotate_form(request: Request, access_id: str, session: Operator) -> Response:
    await read_form(request, session)
    return _download(request, await _call(_tenants(request).rotate, access_id))


@forms.post("/{access_id}/promote")
async def promote_form(request: Request, access_id: str, session: Operator) -> Response:
    await read_form(request, session)
    return _download(request, await _promote(request, access_id))
