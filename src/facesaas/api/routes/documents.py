"""105.1 OCR, 105.2 distinguish and 105.3 classification of ID documents (manual 9.4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from facesaas.api import decisions
from facesaas.api.context import AppContext
from facesaas.api.deps import Ctx, SignedBody, SignedJson
from facesaas.api.openapi import signed_operation
from facesaas.api.responses import ok
from facesaas.documents import service
from facesaas.documents.schemas import ClassificationRequest, DistinguishRequest, DocumentResponse, OcrRequest
from facesaas.inputs import parse_request

router = APIRouter(prefix="/face/basic", tags=["OCR 识别 (manual 9.4)"])


async def _answer(
    request: Request,
    context: AppContext,
    signed: SignedJson,
    model: type[BaseModel],
    work: Callable[..., dict[str, Any]],
    summary: Callable[[Any, dict[str, Any]], dict[str, Any]],
) -> JSONResponse:
    """Parse the body as ``model``, run ``work(ocr, parsed, limits)`` through the engine gate and
    wrap its result; ``summary(parsed, result)`` is what the audit log records. The OCR engine
    is fetched inside the worker thread: its first load (~1 s) must not block the loop."""
    parsed = parse_request(model, signed.body)
    result = await context.gate.run(lambda: work(context.ocr(), parsed, context.limits_repo))
    decisions.note(request, summary(parsed, result))
    return ok(request, result)


@router.post("/ocr", summary="105.1 OCR 通用接口", response_model=DocumentResponse, **signed_operation(OcrRequest))
async def ocr(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Read the fields of an ID card (either side or both), a driving licence or a vehicle licence."""
    return await _answer(request, context, signed, OcrRequest, service.ocr_document, decisions.document_ocr)


@router.post(
    "/distinguish",
    summary="105.2 证件鉴别通用接口",
    response_model=DocumentResponse,
    **signed_operation(DistinguishRequest),
)
async def distinguish(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Judge whether an ID card or driving licence is genuine, with the checks that decided."""
    return await _answer(request, context, signed, DistinguishRequest, service.distinguish_document,
                         decisions.document_distinguish)  # fmt: skip


@router.post(
    "/license_classification",
    summary="105.3 证件分类通用接口",
    response_model=DocumentResponse,
    **signed_operation(ClassificationRequest),
)
async def license_classification(request: Request, context: Ctx, signed: SignedBody) -> JSONResponse:
    """Say whether the photo shows an ID card's front (1), back (2), both (3) or none (-1)."""
    return await _answer(request, context, signed, ClassificationRequest, service.classify_document,
                         decisions.document_classification)  # fmt: skip
