"""101.3 check_image_package: liveness image packages (manual 9.1)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facesaas.api.deps import Ctx, SignedBody
from facesaas.api.openapi import signed_operation
from facesaas.api.responses import ok
from facesaas.inputs import parse_request
from facesaas.liveness.schemas import CheckImagePackageRequest, PackageResponse

router = APIRouter(prefix="/face/basic", tags=["活体检测 (manual 9.1)"])


@router.post(
    "/check_image_package",
    summary="101.3 手机 SDK 捕获图片数据包验证接口",
    response_model=PackageResponse,
    **signed_operation(CheckImagePackageRequest),
)
async def check_image_package(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Open a signed image package and run the checks asked for. A package that is not valid
    (forged, altered, expired, replayed, not ours) is ``is_valid_package: false`` with its
    reason, not an error."""
    parsed = parse_request(CheckImagePackageRequest, signed.body)
    tenant_id = signed.principal.tenant_id
    result = await context.gate.run(context.packages.check, tenant_id, parsed.query_image_package, parsed)
    return ok(request, {"query_image_package_result": result})
