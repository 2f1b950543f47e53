"""CS201.1 feature extraction and CS202.2 1:1 verification (manual 9.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from facesaas.api import decisions
from facesaas.api.deps import Ctx, SignedBody
from facesaas.api.openapi import signed_operation
from facesaas.api.responses import ok
from facesaas.inputs import parse_request
from facesaas.recognition import service
from facesaas.recognition.schemas import (
    ExtractionRequest,
    ExtractionResponse,
    PackageVerificationRequest,
    VerificationRequest,
    VerificationResponse,
)

router = APIRouter(prefix="/face/v1/algorithm/recognition", tags=["1:1 比对 (manual 9.2)"])


@router.post(
    "/feature_extraction",
    summary="CS201.1 人脸特征抽取服务",
    response_model=ExtractionResponse,
    **signed_operation(ExtractionRequest),
)
async def feature_extraction(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Detect faces and return the feature string of the largest ones (manual 9.2 CS201.1)."""
    parsed = parse_request(ExtractionRequest, signed.body)
    result = await context.gate.run(
        service.extract_features, context.engine, parsed, context.limits_1to1, context.read_idcard
    )
    decisions.note(request, decisions.extraction(parsed, result, context.settings.detection_threshold))
    return ok(request, result)


@router.post(
    "/face_pair_verification",
    summary="CS202.2 比对服务",
    response_model=VerificationResponse,
    **signed_operation(VerificationRequest, PackageVerificationRequest),
)
async def face_pair_verification(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Compare a query photo or feature with a database photo or feature (manual 9.2 CS202.2),
    at the caller's thresholds (its own table if it has one: docs/accuracy.md)."""
    if "query_image_package" in signed.body:
        package = parse_request(PackageVerificationRequest, signed.body)
        calibration = await context.calibration_of(signed.principal.tenant_id)
        result = await context.gate.run(
            service.verify_package_pair, context.engine, calibration, context.packages,
            signed.principal.tenant_id, package, context.limits_1to1,
        )  # fmt: skip
        decisions.note(request, decisions.verification(package, calibration, result))
        return ok(request, result)
    parsed = parse_request(VerificationRequest, signed.body)
    calibration = await context.calibration_of(signed.principal.tenant_id)
    result = await context.gate.run(
        service.verify_pair, context.engine, calibration, parsed, context.limits_1to1, context.check_infrared
    )
    decisions.note(request, decisions.verification(parsed, calibration, result))
    return ok(request, result)
