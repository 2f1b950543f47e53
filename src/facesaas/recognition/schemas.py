"""Request and response bodies of CS201.1 and CS202.2, with the manual's field descriptions.

Types are strict: ``"image_type": "3"`` or ``"auto_rotate": 1`` are wrong types, not coerced.
Unknown fields are ignored (forward compatibility). What each image type changes is in
:mod:`facesaas.recognition.image_types`.
"""

from __future__ import annotations

import json

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from facesaas.errors import InvalidParameter
from facesaas.inputs import FaceQuality, PackageOptions

__all__ = [
    "ExtractionRequest",
    "ExtractionResponse",
    "VerificationRequest",
    "PackageVerificationRequest",
    "VerificationResponse",
    "VerifyDetail",
    "FaceRect",
    "AdditionalInfo",
    "EXTRACTION_IMAGE_TYPES",
    "QUERY_IMAGE_TYPES",
    "DATABASE_IMAGE_TYPES",
    "parse_key_points",
]

EXTRACTION_IMAGE_TYPES = frozenset({1, 2, 3, 4, 5, 7, 9, 101})
DATABASE_IMAGE_TYPES = EXTRACTION_IMAGE_TYPES
QUERY_IMAGE_TYPES = frozenset({301, 302, 303, 4, 2})

_IMAGE_TYPES_DOC = (
    "证件照=1, 证件照翻拍=2, 类证件照=3, 芯片照=4, 金融行业水印证件照=5, 公安行业水印证件照=7, "
    "铁丝网水印证件照=9, 自动类型水印照=101 (mesh kind detected). 5/7/9/101 are de-meshed before "
    "detection; 2 uses the card's portrait (the largest face)."
)


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class ExtractionRequest(_Strict):
    """CS201.1 人脸特征抽取 — detect faces and extract features."""

    image_content: str = Field(description="输入图像(JPG/PNG)的 BASE64 编码; decoded image at most 1 MB.")
    image_type: int = Field(description="输入图像的类型. " + _IMAGE_TYPES_DOC)
    auto_rotate: bool = Field(False, description="是否开启自动旋转: try 0/90/180/270° and keep the best face.")
    flip_image: bool = Field(False, description="是否开启镜像: also return flip_feature of the mirrored face(s).")
    max_faces_allowed: int = Field(1, description="最多抽取人脸特征数, 1 or 2: the largest faces are kept.")
    remove_watermark: bool = Field(False, description="是否返回去水印照片: return the de-meshed photo as processed_image_content (image_type 5/7/9/101 only; other types: rtn -2003).")
    idcard_ocr: bool = Field(False, description="开启身份证识别 (image_type=2 only): also return idcard_type and idcard_ocr_result; a side without a face gives face_num 0 and feature \"\".")
    idcard_ocr_mode: int = Field(1, description="1 正面, 2 背面, 3 auto 自动区分正面背面 (with idcard_ocr).")
    return_face_quality: bool = Field(False, description="FaceSaaS's own option: also return face_quality, one object per extracted face (~0.3 ms a face).")


class ExtractionResponse(BaseModel):
    rtn: int = Field(description="0 表示 OK, <0 表示错误 (docs/errors.md).")
    message: str = Field(description="OK, or what to fix.")
    global_request_id: str = Field(description="请求的流水号 (also the X-Request-Id header).")
    feature: str = Field(description="特征向量: base64 feature string holding up to max_faces_allowed faces, largest first.")
    flip_feature: str | None = Field(None, description="特征向量 of the mirrored image; only when flip_image is true.")
    face_num: int = Field(description="图像识别得到的人脸个数 (all faces found, not only those extracted).")
    processed_image_content: str | None = Field(None, description="去水印后网纹照图片内容: base64 JPEG (quality 95) of the de-meshed photo, same size as the input; only with remove_watermark.")
    image_type: int = Field(description="图像的类型: the input type, refined for mesh photos: 5/7/9 small (≤128 px wide), 6/8/10 medium; 101 without a mesh found → 1.")
    idcard_type: int | None = Field(None, description="识别出的身份证图片类型 (with idcard_ocr): 1 正面, 2 背面, 3 双面, -1 无效.")
    idcard_ocr_result: dict[str, str] | None = Field(None, description="身份证信息 (with idcard_ocr): the fields of the side(s) idcard_ocr_mode asks for, as in 105.1.")
    face_quality: list[FaceQuality] | None = Field(None, description="FaceSaaS's own field, with return_face_quality: the quality of each face of feature, in the same order.")


class AdditionalInfo(_Strict):
    """红外照额外信息: the near-infrared frame taken with the colour query photo."""

    face_key_point_info: str = Field("", description="The client's IR key points: JSON array of 5 [x, y] (right eye, left eye, nose tip, right and left mouth corner), IR-image pixels; default empty.")
    infrared_face_image_content: str = Field("", description="红外照片: base64 JPEG/PNG, <1 MB; default empty (no check).")


class VerificationRequest(_Strict):
    """CS202.2 比对服务 — is the database photo's person among the query photo's faces?"""

    query_image_content: str | None = Field(None, description="查询图片(JPG/PNG)的 Base64 编码, <1 MB. One of image or feature is required.")
    query_image_feature: str | None = Field(None, description="查询人脸的特征量 (a feature string from CS201.1).")
    query_image_type: int = Field(301, description="查询照片的类型: 类证件照=301, 手持身份证场景=302, VTM 场景=303, 芯片照=4, 身份证翻拍照=2. 302/303 compare only the largest face (the holder / customer), never the card's portrait; a 302 photo with one face found is rtn -3003.")
    database_image_content: str | None = Field(None, description="登记照片(JPG/PNG)的 Base64 编码, <1 MB. One of image or feature is required.")
    database_image_feature: str | None = Field(None, description="登记人脸的特征量 (the first face of the feature is used).")
    database_image_type: int | None = Field(None, description="登记照片的类型, required with database_image_content. " + _IMAGE_TYPES_DOC)
    auto_flip: bool = Field(False, description="是否开启自动镜像优化: each query face also compared mirrored, the higher score kept (query images only).")
    auto_rotate_for_query: bool = Field(False, description="是否开启查询照的自动旋转识别.")
    auto_rotate_for_database: bool = Field(False, description="是否开启登记照的自动旋转识别.")
    true_negative_rate: str = Field("99.99", description='期望的误报率: "99.9" (FAR 1e-3), "99.99" (1e-4) or "99.999" (1e-5).')
    max_faces_allowed: int = Field(1, description="查询照片中至多有几个人脸, >= 1; more faces in the query image is an error (rtn -3002).")
    enable_verify_detail: bool = Field(False, description="是否返回比对的详细信息 (verify_detail.score_list).")
    return_face_rect: bool = Field(False, description="是否返回查询照每张人脸的位置 (with enable_verify_detail, query images only).")
    query_image_additional_info: AdditionalInfo | None = Field(None, description="红外照额外信息 (with query_image_content only): an infrared frame without a face where the colour photo has one fails liveness — pair_verify_result 1 and the reason in query_image_additional_info_result (docs/liveness.md).")


class PackageVerificationRequest(VerificationRequest, PackageOptions):
    """CS202.2 with ``query_image_package``: the query face is the package's frontal image
    (its first), and the package's checks run as in 101.3."""

    query_image_package: str = Field(description="查询人脸的大礼包: base64 of a liveness package (docs/liveness.md).")
    query_image_package_return_image_list: bool = Field(False, description="是否返回大礼包中解出的图片列表 (default false in CS202.2).")


class FaceRect(BaseModel):
    x: int = Field(description="左上角 x, pixels.")
    y: int = Field(description="左上角 y, pixels.")
    w: int = Field(description="矩形的宽度, pixels.")
    h: int = Field(description="矩形的高度, pixels.")


class VerifyDetail(BaseModel):
    score_list: list[float] = Field(description="查询照每张人脸和登记照人脸比对的分数, 按从高到低排序.")
    query_face_rect: list[FaceRect] | None = Field(None, description="与 score_list 一一对应的人脸位置 (return_face_rect).")


class InfraredResult(BaseModel):
    is_live: bool = Field(description="true: the infrared frame shows the colour photo's face; false: pair_verify_result is 1.")
    infrared_face_num: int = Field(description="Faces found in the infrared frame.")
    message: str = Field(description="OK, or which condition failed.")


class VerificationResponse(BaseModel):
    rtn: int
    message: str
    global_request_id: str
    pair_verify_result: int = Field(description="0 表示认为是同一个人, 1 表示认为不是同一个人.")
    pair_verify_similarity: float = Field(description="相似值 0–100, 值越大越相似.")
    verify_detail: VerifyDetail | None = Field(None, description="比对的详细信息, only with enable_verify_detail.")
    query_image_additional_info_result: InfraredResult | None = Field(None, description="The infrared check's outcome, only when an infrared frame was sent.")



def parse_key_points(text: str) -> np.ndarray | None:
    """``face_key_point_info`` as a ``(5, 2)`` float array of ``(x, y)`` IR-image pixels, or
    None when empty. Raises InvalidParameter when it is not a JSON array of 5 ``[x, y]``
    number pairs."""
    if not text:
        return None
    try:
        points = np.asarray(json.loads(text), dtype=np.float64)
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        # RecursionError: nesting past the parser's depth; OverflowError: an integer past
        # float range (10^309); ValueError also covers integers past 4,300 digits. All three
        # were 500s (found while fuzzing, docs/reliability.md).
        raise InvalidParameter("face_key_point_info must be a JSON array of 5 [x, y] points") from exc
    if points.shape != (5, 2) or not np.isfinite(points).all():
        raise InvalidParameter(f"face_key_point_info must hold 5 [x, y] points, got shape {points.shape}")
    return points
