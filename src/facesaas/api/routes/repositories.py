"""102.1 face repository register/delete and 103.1 retrieval (manual 9.3)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facesaas.api import decisions
from facesaas.api.deps import Ctx, SignedBody
from facesaas.api.openapi import signed_operation
from facesaas.api.responses import ok
from facesaas.inputs import parse_request
from facesaas.repositories import service
from facesaas.repositories.schemas import RegisterRequest, RegisterResponse, RetrievalRequest, RetrievalResponse

router = APIRouter(prefix="/face/basic", tags=["1:N 比对 (manual 9.3)"])


@router.post(
    "/register_in_repo",
    summary="102.1 人像库管理接口 (上传 / 删除)",
    response_model=RegisterResponse,
    **signed_operation(RegisterRequest),
)
async def register_in_repo(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Register a face (mode 1 image, 2 feature) or delete a user_id (mode 3, or the manual's
    form without mode and content) in one of the caller's repositories."""
    parsed = parse_request(RegisterRequest, signed.body)
    result = await context.gate.run(
        service.register_or_delete,
        context.engine,
        context.repositories.repositories,
        signed.principal.tenant_id,
        parsed,
        context.limits_repo,
        context.settings.enrol_quality,
    )
    decisions.note(request, decisions.registration(parsed, result, context.settings.enrol_quality))
    return ok(request, result)


@router.post(
    "/retrieval_in_repo",
    summary="103.1 人像库检索接口",
    response_model=RetrievalResponse,
    **signed_operation(RetrievalRequest),
)
async def retrieval_in_repo(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Search one repository, or every repository of a label, for the most similar faces, at the
    caller's thresholds; reports the gallery size and the expected FPIR at the chosen rate."""
    parsed = parse_request(RetrievalRequest, signed.body)
    calibration = await context.calibration_of(signed.principal.tenant_id)
    result = await context.gate.run(
        service.retrieve,
        context.engine,
        context.repositories.repositories,
        calibration,
        signed.principal.tenant_id,
        parsed,
        context.limits_repo,
    )
    decisions.note(request, decisions.retrieval(parsed, calibration, result))
    return ok(request, result)
