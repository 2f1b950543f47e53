"""Liveness (manual 9.1): 101.3 check_image_package (image packages) and the H5 video sessions,
101.4 create and 101.5 query (the page those sessions drive is :mod:`facesaas.api.h5`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facesaas.api import decisions
from facesaas.api.deps import Ctx, SignedBody
from facesaas.api.openapi import signed_operation
from facesaas.api.responses import ok
from facesaas.inputs import parse_request
from facesaas.liveness.schemas import (
    CheckImagePackageRequest,
    CreateVideoSessionRequest,
    PackageResponse,
    VideoSessionResultRequest,
)
from facesaas.recognition import database_embedding, validate_database_side

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
    decisions.note(request, decisions.package_check(parsed, context.packages.calibration, result))
    return ok(request, {"query_image_package_result": result})


@router.post(
    "/video_liveness/create_session",
    summary="101.4 H5 视频活体会话创建",
    response_model=PackageResponse,
    **signed_operation(CreateVideoSessionRequest),
)
async def create_video_session(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Create an H5 video liveness session: the server chooses 2–4 actions at random; the answer
    holds the session_id (for 101.5), the one-time page token and the page's URL to send to the
    end user's browser. An optional database face is compared with the clip's best frame."""
    parsed = parse_request(CreateVideoSessionRequest, signed.body)
    content, feature = parsed.database_image_content, parsed.database_image_feature
    validate_database_side(content, feature, parsed.database_image_type, required=False)

    def create() -> dict:
        embedding = None
        if content is not None or feature is not None:
            embedding = database_embedding(
                context.engine, content=content, feature=feature, image_type=parsed.database_image_type,
                auto_rotate=parsed.auto_rotate_for_database, limits=context.limits_1to1,
            )  # fmt: skip
        return context.video.create(signed.principal.tenant_id, parsed, embedding)

    result = await context.gate.run(create)
    result["page_url"] = str(request.base_url).rstrip("/") + result["page_path"]
    decisions.note(request, decisions.video_session(parsed, context.video.calibration, result))
    return ok(request, result)


@router.post(
    "/video_liveness/query_result",
    summary="101.5 H5 视频活体结果查询",
    response_model=PackageResponse,
    **signed_operation(VideoSessionResultRequest),
)
async def query_video_result(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """The state of one of this AccessID's sessions and, once its clip is judged,
    ``video_liveness_result`` (docs/liveness.md lists every field)."""
    parsed = parse_request(VideoSessionResultRequest, signed.body)
    result = await context.gate.run(context.video.result, signed.principal.tenant_id, parsed.session_id)
    decisions.note(request, decisions.video_result(result))
    return ok(request, result)
