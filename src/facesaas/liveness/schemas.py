"""Request and response bodies of 101.3 check_image_package (manual 9.1), with the manual's field names.
Types are strict and unknown fields are ignored, as for every endpoint (docs/api.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from facesaas.inputs import PackageOptions

__all__ = ["PackageOptions", "CheckImagePackageRequest", "PackageResponse", "CHECKS"]

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
