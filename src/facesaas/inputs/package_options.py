"""The liveness-package options of a request (manual 9.1), read by two endpoints of two families:
101.3 check_image_package (liveness) and CS202.2 with ``query_image_package`` (recognition).
Types are strict and unknown fields are ignored, as for every endpoint (docs/api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PackageOptions", "Strictness"]

Strictness = Literal["high", "medium", "low"]
"""The manual's three strictness levels of a check."""


class PackageOptions(BaseModel):
    """Everything 101.3 and CS202.2 read besides the package itself."""

    model_config = ConfigDict(strict=True, extra="ignore")

    query_image_package_return_image_list: bool = Field(True, description="是否返回大礼包中解出的图片列表.")
    query_image_package_return_feature_string: bool = Field(False, description="是否返回正脸特征 (feature_string).")
    query_image_package_feature_number: int = Field(
        1, ge=1, le=8, description="feature_string 中特征的数量 (the first N images' faces); more than the package holds is an error."
    )
    query_image_package_check_same_person: bool = Field(False, description="检查大礼包图片是否为同一个人.")
    query_image_package_check_anti_screen: bool = Field(False, description="防屏幕翻拍检测.")
    query_image_package_check_anti_screen_threshold: Literal["high", "low"] = Field("high", description='"high" 较严格, "low" 一般.')
    query_image_package_check_dark_illumination: bool = Field(False, description="光线昏暗检测.")
    query_image_package_check_dark_illumination_threshold: Strictness = Field(
        "medium", description='允许的昏暗程度: "high" 非常昏暗, "medium" 比较昏暗, "low" 相对昏暗.'
    )
    query_image_package_check_anti_picture: bool = Field(False, description="防照片检测.")
    query_image_package_check_anti_picture_threshold: Strictness = Field("medium", description="防照片检测的阈值.")
    query_image_package_check_anti_eye_blockage: bool = Field(False, description="眼部遮挡检测.")
    query_image_package_check_anti_eye_blockage_threshold: Strictness = Field("medium", description="眼部遮挡检测的阈值.")
    query_image_package_check_anti_hole: bool = Field(False, description="防孔洞检测.")
    query_image_package_check_anti_hole_threshold: Strictness = Field("medium", description="防孔洞检测的阈值.")
