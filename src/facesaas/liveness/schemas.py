"""Request and response bodies of 101.3 check_image_package (manual 9.1), with the manual's field names.
Types are strict and unknown fields are ignored, as for every endpoint (docs/api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from facesaas.inputs import PackageOptions
from facesaas.inputs.package_options import Strictness

__all__ = [
    "PackageOptions",
    "CheckImagePackageRequest",
    "PackageResponse",
    "CHECKS",
    "CreateVideoSessionRequest",
    "VideoSessionResultRequest",
]

CHECKS = ("same_person", "anti_screen", "dark_illumination", "anti_picture", "anti_eye_blockage", "anti_hole")
"""The checks in the manual's order; the request's flags are query_image_package_check_<name>
and thresholds query_image_package_check_<name>_threshold (same_person has no threshold)."""


class CheckImagePackageRequest(PackageOptions):
    """101.3 手机 SDK 捕获图片数据包验证接口."""

    query_image_package: str = Field(description="Base64 of the package (format: docs/liveness.md), ≤ 4 MB decoded.")


class PackageResponse(BaseModel):
    """rtn/message/global_request_id and ``query_image_package_result`` (docs/liveness.md lists
    every field)."""

    model_config = ConfigDict(extra="allow")

    rtn: int
    message: str
    global_request_id: str


class CreateVideoSessionRequest(BaseModel):
    """101.4 H5 视频活体会话创建: the customer's back end asks for a session; the server
    chooses the actions. Optional database face (image or feature) for a 1:1 result with the
    clip's best frame (CS202.2 semantics)."""

    model_config = ConfigDict(strict=True, extra="ignore")

    action_count: int | None = Field(None, description="动作数量 2–4 (default FACESAAS_H5_ACTION_COUNT, 3); the actions and their order are chosen by the server at random.")
    expire_seconds: int | None = Field(None, description="会话有效期 (s), 30–3600 (default FACESAAS_H5_SESSION_SECONDS, 300): the clip must be uploaded before.")
    customer_defined_content: str = Field("", max_length=1024, description="客户自定义内容, returned with the result.")
    database_image_content: str | None = Field(None, description="登记照片(JPG/PNG)的 Base64 编码, <1 MB: compared with the clip's best frame.")
    database_image_feature: str | None = Field(None, description="登记人脸的特征量 (instead of database_image_content).")
    database_image_type: int | None = Field(None, description="登记照片的类型 (as CS202.2), required with database_image_content.")
    auto_rotate_for_database: bool = Field(False, description="是否开启登记照的自动旋转识别.")
    true_negative_rate: str = Field("99.99", description='期望的误报率 of pair_verify_result: "99.9", "99.99" or "99.999".')
    check_anti_screen_threshold: Literal["high", "low"] = Field("high", description="防屏幕翻拍检测的阈值.")
    check_anti_picture_threshold: Strictness = Field("medium", description="防照片检测的阈值.")
    check_anti_eye_blockage_threshold: Strictness = Field("medium", description="眼部遮挡检测的阈值.")
    check_dark_illumination_threshold: Strictness = Field("medium", description="允许的昏暗程度.")


class VideoSessionResultRequest(BaseModel):
    """101.5 H5 视频活体结果查询."""

    model_config = ConfigDict(strict=True, extra="ignore")

    session_id: str = Field(max_length=64, description="101.4 返回的 session_id.")
