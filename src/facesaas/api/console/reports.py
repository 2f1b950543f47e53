"""The operators' reports: a tenant's usage in a month (JSON or CSV) and its go-live review.

``GET /console/api/usage?access_id=...&month=YYYY-MM[&format=csv]`` and
``GET /console/api/review?access_id=...[&predicted_peak_rps=N]``, read-only (no CSRF token
needed; the session cookie is SameSite=Strict). The numbers come from the metered calls
(:mod:`facesaas.metering`, docs/billing.md); a tenant of the private cluster has none. Cost: one
grouped query over the tenant's calls of the month and the price table (the review: a few over
all its calls).
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from facesaas.api.console.security import Operator
from facesaas.api.responses import ok
from facesaas.errors import ConsoleUnknownTenant, InvalidParameter, MissingParameter
from facesaas.metering import MAX_PREDICTED_RPS, current_month, go_live_review, month_days, usage_report
from facesaas.tenants.service import TenantInfo, UnknownTenant

__all__ = ["router"]

router = APIRouter(prefix="/console/api", include_in_schema=False)

async def _tenant(request: Request, access_id: str | None) -> TenantInfo:
    if not access_id:
        raise MissingParameter("access_id")
    try:
        return await run_in_threadpool(request.app.state.context.tenants.get, access_id)
    except UnknownTenant as exc:
        raise ConsoleUnknownTenant(access_id) from exc


def _peak(text: str | None) -> float | None:
    """The optional predicted peak (requests/s); parsed here so a bad value gets our error body."""
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and 0 <= value <= MAX_PREDICTED_RPS):
        raise InvalidParameter(f"predicted_peak_rps must be a number from 0 to {MAX_PREDICTED_RPS:g}")
    return value


@router.get("/usage")
async def usage(
    request: Request,
    _session: Operator,
    access_id: str | None = None,
    month: str | None = None,
    answer_format: Annotated[str, Query(alias="format")] = "json",
) -> Response:
    """The tenant's calls, billable calls and amounts per endpoint and per day of ``month``
    (default: the current billing month, FACESAAS_BILLING_UTC_OFFSET_HOURS); ``format=csv``
    answers the same as a CSV download."""
    settings = request.app.state.context.settings
    chosen = month or current_month(settings.billing_utc_offset_hours)
    try:
        month_days(chosen)
    except ValueError as exc:
        raise InvalidParameter("month must be YYYY-MM") from exc
    if answer_format not in ("json", "csv"):
        raise InvalidParameter("format must be json or csv")
    tenant = await _tenant(request, access_id)
    database = request.app.state.context.database

    report = await run_in_threadpool(
        usage_report, database, tenant.id, tenant.access_id, tenant.cluster, chosen, settings.currency
    )
    if answer_format == "csv":
        request.state.rtn = 0
        return Response(
            report.csv(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="facesaas-usage-{access_id}-{chosen}.csv"'},
        )
    return ok(request, {"usage": report.as_dict()})


@router.get("/review")
async def review(
    request: Request, _session: Operator, access_id: str | None = None, predicted_peak_rps: str | None = None
) -> JSONResponse:
    """The go-live review of the tenant's calls so far: the report and its plain-text version."""
    peak = _peak(predicted_peak_rps)
    tenant = await _tenant(request, access_id)
    database = request.app.state.context.database
    result = await run_in_threadpool(
        lambda: go_live_review(database, tenant.id, tenant.access_id, tenant.cluster, predicted_peak_rps=peak)
    )
    return ok(request, {"review": result.as_dict(), "text": result.text()})
