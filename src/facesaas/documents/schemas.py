"""Request and response bodies of 105.1 OCR, 105.2 distinguish and 105.3 classification
(manual 9.4), with the manual's field descriptions. Types are strict and unknown fields are
ignored, as for every endpoint (docs/api.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "DocumentUserInfo",
    "OcrOptions",
    "OcrRequest",
    "DistinguishOptions",
    "DistinguishRequest",
    "ClassificationOptions",
    "ClassificationRequest",
    "DocumentResponse",
]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class DocumentUserInfo(_Strict):
    image_content: str | None = Field(None, description="翻拍证件照 (JPEG/PNG) 的 Base64, decoded at most 3 MB; mode 1.")
    feature_content: str | None = Field(None, description="mode 2 特征内容: a document cannot be read from a face feature (rtn -2013).")


class OcrOptions(_Strict):
    ocr_type: int = Field(description="识别的类型: 1 翻拍身份证照, 2 驾驶证, 3 行驶证.")
    auto_rotate: bool = Field(False, description="开启自动旋转矫正: a page turned 90/180/270° is read upright (all types). Skew is always levelled.")
    ocr_mode: int = Field(1, description="ocr_type 1: 1 正面, 2 背面, 3 auto (front, back or both), 4 双面 (both sides in one image).")


class OcrRequest(_Strict):
    """105.1 OCR 通用接口."""

    mode: int = Field(1, description="1 上传图片; 2 上传特征 (answered with rtn -2013).")
    user_info: DocumentUserInfo
    options: OcrOptions


class DistinguishOptions(_Strict):
    distinguish_type: int = Field(1, description="1 身份证假证鉴别, 2 驾驶证假证鉴别.")
    auto_rotate: bool = Field(False, description="开启自动旋转矫正. Accepted for the manual; 105.2 always judges the page turned upright, since its layout rules need it.")


class DistinguishRequest(_Strict):
    """105.2 证件鉴别通用接口."""

    mode: int = Field(1, description="1 上传图片; 2 上传特征 (answered with rtn -2013).")
    user_info: DocumentUserInfo
    options: DistinguishOptions = Field(default_factory=DistinguishOptions)


class ClassificationOptions(_Strict):
    license_type: int = Field(description="需要分类的类型: 1 身份证证件分类 (the only value).")
    auto_rotate: bool = Field(False, description="开启自动旋转矫正 (not in the manual for 105.3; same meaning as in 105.1).")


class ClassificationRequest(_Strict):
    """105.3 证件分类通用接口."""

    mode: int = Field(1, description="1 上传图片; 2 上传特征 (answered with rtn -2013).")
    user_info: DocumentUserInfo
    options: ClassificationOptions


class DocumentResponse(BaseModel):
    """rtn/message/global_request_id and one result object named as in the manual:
    ``idcard_ocr_result``, ``driving_license_ocr_result``, ``vehicle_license_ocr_result``,
    ``idcard_distinguish_result``, ``driving_license_distinguish_result`` or
    ``classification_result`` (docs/documents.md lists every field)."""

    model_config = ConfigDict(extra="allow")

    rtn: int
    message: str
    global_request_id: str
