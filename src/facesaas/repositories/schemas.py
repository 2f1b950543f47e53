"""Request and response bodies of 102.1 (register/delete) and 103.1 (retrieval), manual 9.3.

Types are strict, unknown fields are ignored, as for the 1:1 endpoints (docs/api.md).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from facesaas.inputs import FaceQuality

__all__ = [
    "RegisterUserInfo",
    "RegisterOptions",
    "RegisterRequest",
    "RetrievalUserInfo",
    "RetrievalOptions",
    "RetrievalRequest",
    "RetrievalResponse",
    "RepoResult",
    "PlainResponse",
    "RegisterResponse",
    "REGISTER_IMAGE_TYPES",
    "LABELS",
]

REGISTER_IMAGE_TYPES = frozenset({1, 301})
LABELS = frozenset({1, 2, 3})

_NAME_RULES = "1–18 bytes of UTF-8, no underscore, no control characters"


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class RegisterUserInfo(_Strict):
    user_id: str = Field(description=f"人像标识 ID: {_NAME_RULES}; unique in its repository (409 if taken).")
    repo_name: str = Field(description=f"库的名称 (用户自定义): {_NAME_RULES}. Created by its first register.")
    label: int = Field(description="库类型: 1 黑名单库, 2 用户库, 3 人像库. Repositories of different labels are separate.")
    timestamp: int | None = Field(None, description="人像产生的时间戳, milliseconds since the epoch, 0 to 2^63 - 1.")
    description: dict[str, Any] | None = Field(None, description="描述此照片的信息: any JSON object, at most 4,096 bytes serialised.")
    image_content: str | None = Field(None, description="登记照 (JPEG/PNG) 的 Base64, decoded at most 3 MB; mode 1.")
    feature_content: str | None = Field(None, description="登记照特征 (a feature string of CS201.1 holding one face); mode 2.")


class RegisterOptions(_Strict):
    image_type: int = Field(1, description="图片类型: 1 证件照, 301 类证件照.")
    quality_gate: str | None = Field(
        None,
        description="FaceSaaS's own option: the enrolment quality gate for this register from an image, \"off\", "
        "\"lenient\" or \"strict\"; default the deployment's FACESAAS_ENROL_QUALITY (lenient). A face failing it "
        "is rtn -3004 and nothing is stored. Registering by feature is never gated.",
    )


class RegisterRequest(_Strict):
    """102.1 人像库管理: upload (mode 1 image, 2 feature) or delete (mode 3, or no mode and no content)."""

    mode: int | None = Field(None, description="1 上传图片 (default), 2 上传特征, 3 删除 (this service's explicit delete).")
    user_info: RegisterUserInfo
    options: RegisterOptions = Field(default_factory=RegisterOptions)


class RetrievalUserInfo(_Strict):
    label: int = Field(description="在哪类库中检索: 1 黑名单库, 2 注册用户, 3 人像库.")
    repo_name: str = Field("", description="在指定库中进行搜索; empty: every repository of this label.")
    image_content: str | None = Field(None, description="查询照 (JPEG/PNG) 的 Base64, decoded at most 3 MB; mode 1.")
    feature_content: str | None = Field(None, description="查询特征 (a feature string; its first face is searched); mode 2.")


class RetrievalOptions(_Strict):
    image_type: int = Field(301, description="图片类型: 301 类证件照 (the only type the manual allows here).")
    auto_rotate: bool = Field(False, description="开启自动旋转矫正: try 0/90/180/270°.")
    auto_flip: bool = Field(False, description="开启自动镜面翻转: also search the mirrored face, keep each hit's higher score.")
    true_negative_rate: str = Field(
        "99.99999",
        description='期望误报率 per comparison: "99.9" (1e-3) … "99.9999999" (1e-9); below 1e-5 from a fitted tail (docs/accuracy.md).',
    )
    return_face_image: bool = Field(False, description="是否返回比对命中的人脸图片 (face_image_content).")
    return_topk_face: int = Field(1, description="返回前多少个最相似的人像, 1–10, best first.")


class RetrievalRequest(_Strict):
    """103.1 人像库检索."""

    mode: int = Field(1, description="1 上传图片进行查询, 2 上传特征进行查询.")
    user_info: RetrievalUserInfo
    options: RetrievalOptions = Field(default_factory=RetrievalOptions)


class PlainResponse(BaseModel):
    rtn: int = Field(description="0 表示 OK, <0 表示错误 (docs/errors.md).")
    message: str
    global_request_id: str


class RegisterResponse(PlainResponse):
    face_quality: FaceQuality | None = Field(
        None, description="FaceSaaS's own field: the registered face's quality (register from an image only)."
    )


class RepoResult(BaseModel):
    is_same_person: bool = Field(description="系统判断是否和检索人像为同一人 (confidence >= the true_negative_rate threshold).")
    user_id: str = Field(description="库中人像用户名.")
    repo_name: str = Field(description="The repository holding it (useful when every repository of a label was searched).")
    confidence: float = Field(description="库中人像和检索人像的相似度 0–100 (the same scale as 1:1 verification).")
    description: dict[str, Any] = Field(description="库中人像的 description ({} if none was given).")
    face_image_content: str | None = Field(
        None, description="库中人像的人脸照片 (JPEG base64) with return_face_image; \"\" if it was registered by feature."
    )


class RetrievalResponse(PlainResponse):
    repo_result: list[RepoResult] = Field(description="Up to return_topk_face results, best first; [] if the repositories are empty.")
    gallery_size: int = Field(
        description="检索的人像库中的人像数: faces in the searched repositories (ours, not the manual's; docs/api.md)."
    )
    expected_fpir: float = Field(
        description="Expected false-positive identification rate: the chance that a person enrolled in none of the "
        "searched repositories still gets a result with is_same_person true, 1 − (1 − FAR)^(gallery_size × query "
        "vectors) for the per-comparison FAR of true_negative_rate (ours; docs/accuracy.md)."
    )
