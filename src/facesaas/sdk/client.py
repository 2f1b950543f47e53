"""Python client for the FaceSaaS HTTP API: signs every request as the manual's 7.3.1 says.

    from facesaas.sdk import Client
    client = Client("http://127.0.0.1:9500", access_id, access_key, public_key_pem)
    result = client.face_pair_verification(query_image=selfie_bytes, database_image=id_bytes,
                                           database_image_type=1)
    result["pair_verify_result"] == 0   # same person

Calls return the response object as a dict; a response with ``rtn < 0`` raises
:class:`ApiError` carrying the code, message, HTTP status and request id.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from facesaas.auth.signature import build_content, load_public_key, sign

__all__ = [
    "Client",
    "ApiError",
    "EXTRACTION_PATH",
    "VERIFICATION_PATH",
    "REGISTER_PATH",
    "RETRIEVAL_PATH",
    "OCR_PATH",
    "DISTINGUISH_PATH",
    "CLASSIFICATION_PATH",
    "PACKAGE_PATH",
]

EXTRACTION_PATH = "/face/v1/algorithm/recognition/feature_extraction"
REGISTER_PATH = "/face/basic/register_in_repo"
RETRIEVAL_PATH = "/face/basic/retrieval_in_repo"
VERIFICATION_PATH = "/face/v1/algorithm/recognition/face_pair_verification"
OCR_PATH = "/face/basic/ocr"
DISTINGUISH_PATH = "/face/basic/distinguish"
CLASSIFICATION_PATH = "/face/basic/license_classification"
PACKAGE_PATH = "/face/basic/check_image_package"
VIDEO_SESSION_PATH = "/face/basic/video_liveness/create_session"
VIDEO_RESULT_PATH = "/face/basic/video_liveness/query_result"


class ApiError(Exception):
    """The service answered with a negative ``rtn``."""

    def __init__(self, rtn: int, message: str, http_status: int, request_id: str) -> None:
        super().__init__(f"rtn {rtn} (HTTP {http_status}): {message} [request {request_id}]")
        self.rtn = rtn
        self.message = message
        self.http_status = http_status
        self.request_id = request_id


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Client:
    """A signing client. ``transport`` (an ``httpx.BaseTransport``) is the seam for tests and
    custom networking; by default plain HTTP(S) is used. Thread-safe like ``httpx.Client``."""

    def __init__(
        self,
        url: str,
        access_id: str,
        access_key: str,
        public_key_pem: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        custom_content: bytes = b"",
    ) -> None:
        self.access_id = access_id
        self._access_key = access_key
        self._public_key = load_public_key(public_key_pem)
        self._custom = custom_content
        self._http = httpx.Client(base_url=url.rstrip("/"), transport=transport, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def signed_headers(self, body: bytes) -> dict[str, str]:
        """The two authentication headers for exactly these body bytes."""
        content = build_content(self._access_key, body, custom=self._custom)
        return {
            "x-access-id": self.access_id,
            "x-signature": sign(self._public_key, content),
            "content-type": "application/json",
        }

    def post_raw(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        """POST ``body`` as is (signed unless ``headers`` are given). For tests and tools."""
        return self._http.post(path, content=body, headers=headers if headers is not None else self.signed_headers(body))

    def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Sign and POST a JSON object; return the response object or raise ApiError."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        response = self.post_raw(path, body)
        try:
            data = response.json()
        except ValueError as exc:
            raise ApiError(-5000, f"non-JSON response: {response.text[:200]}", response.status_code, "") from exc
        if not isinstance(data, dict) or data.get("rtn", -5000) < 0:
            rtn = data.get("rtn", -5000) if isinstance(data, dict) else -5000
            message = data.get("message", "") if isinstance(data, dict) else str(data)
            request_id = data.get("global_request_id", "") if isinstance(data, dict) else ""
            raise ApiError(rtn, message, response.status_code, request_id)
        return data

    def feature_extraction(self, image: bytes, image_type: int = 3, **options: Any) -> dict[str, Any]:
        """CS201.1. ``options``: auto_rotate, flip_image, max_faces_allowed, … as in the manual."""
        return self.call(EXTRACTION_PATH, {"image_content": _b64(image), "image_type": image_type, **options})

    def face_pair_verification(
        self,
        *,
        query_image: bytes | None = None,
        query_feature: str | None = None,
        query_package: str | None = None,
        database_image: bytes | None = None,
        database_feature: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """CS202.2. Give one of query_image/query_feature/query_package (a liveness package from
        :func:`facesaas.sdk.build_package`) and one of database_image/database_feature;
        ``options`` are the manual's other fields (database_image_type, true_negative_rate,
        query_image_package_check_same_person, …)."""
        payload: dict[str, Any] = dict(options)
        if query_package is not None:
            payload["query_image_package"] = query_package
        if query_image is not None:
            payload["query_image_content"] = _b64(query_image)
        if query_feature is not None:
            payload["query_image_feature"] = query_feature
        if database_image is not None:
            payload["database_image_content"] = _b64(database_image)
            payload.setdefault("database_image_type", 1)
        if database_feature is not None:
            payload["database_image_feature"] = database_feature
        return self.call(VERIFICATION_PATH, payload)

    def register_in_repo(
        self,
        repo_name: str,
        user_id: str,
        *,
        label: int = 2,
        image: bytes | None = None,
        feature: str | None = None,
        description: dict[str, Any] | None = None,
        timestamp: int | None = None,
        image_type: int = 1,
        quality_gate: str | None = None,
    ) -> dict[str, Any]:
        """102.1 upload: one face from ``image`` (mode 1) or ``feature`` (mode 2). ``quality_gate``
        ("off", "lenient", "strict") overrides the server's enrolment quality gate; the answer
        to an image carries ``face_quality``."""
        info: dict[str, Any] = {"user_id": user_id, "repo_name": repo_name, "label": label}
        if image is not None:
            info["image_content"] = _b64(image)
        if feature is not None:
            info["feature_content"] = feature
        if description is not None:
            info["description"] = description
        if timestamp is not None:
            info["timestamp"] = timestamp
        mode = 2 if feature is not None and image is None else 1
        options: dict[str, Any] = {"image_type": image_type}
        if quality_gate is not None:
            options["quality_gate"] = quality_gate
        return self.call(REGISTER_PATH, {"mode": mode, "user_info": info, "options": options})

    def delete_from_repo(self, repo_name: str, user_id: str, *, label: int = 2) -> dict[str, Any]:
        """102.1 delete (mode 3)."""
        return self.call(REGISTER_PATH, {"mode": 3, "user_info": {"user_id": user_id, "repo_name": repo_name, "label": label}})

    def retrieval_in_repo(
        self,
        *,
        label: int = 2,
        repo_name: str = "",
        image: bytes | None = None,
        feature: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """103.1: search one repository (or all of ``label`` when ``repo_name`` is empty).
        ``options``: true_negative_rate, return_topk_face, return_face_image, auto_rotate, …"""
        info: dict[str, Any] = {"label": label, "repo_name": repo_name}
        if image is not None:
            info["image_content"] = _b64(image)
        if feature is not None:
            info["feature_content"] = feature
        mode = 2 if feature is not None and image is None else 1
        return self.call(RETRIEVAL_PATH, {"mode": mode, "user_info": info, "options": {"image_type": 301, **options}})

    def ocr(self, image: bytes, *, ocr_type: int = 1, **options: Any) -> dict[str, Any]:
        """105.1: read an ID card (``ocr_type`` 1; ``ocr_mode`` 1 front, 2 back, 3 auto, 4 both),
        a driving licence (2) or a vehicle licence (3). ``options``: ocr_mode, auto_rotate."""
        return self.call(OCR_PATH, {"mode": 1, "user_info": {"image_content": _b64(image)}, "options": {"ocr_type": ocr_type, **options}})

    def distinguish(self, image: bytes, *, distinguish_type: int = 1, **options: Any) -> dict[str, Any]:
        """105.2: judge an ID card (``distinguish_type`` 1) or driving licence (2). ``options``: auto_rotate."""
        payload = {"mode": 1, "user_info": {"image_content": _b64(image)}, "options": {"distinguish_type": distinguish_type, **options}}
        return self.call(DISTINGUISH_PATH, payload)

    def license_classification(self, image: bytes, **options: Any) -> dict[str, Any]:
        """105.3: 1 ID front, 2 back, 3 both, -1 not an ID card (``classification_result.result``)."""
        payload = {"mode": 1, "user_info": {"image_content": _b64(image)}, "options": {"license_type": 1, **options}}
        return self.call(CLASSIFICATION_PATH, payload)

    def check_image_package(self, package: str, **options: Any) -> dict[str, Any]:
        """101.3: open a liveness package (base64, from :func:`facesaas.sdk.build_package` or
        the browser module) and run checks. ``options`` are the manual's fields without the
        ``query_image_package_`` prefix, e.g. ``check_same_person=True``,
        ``check_anti_screen_threshold="low"``, ``return_image_list=False``."""
        payload = {"query_image_package": package, **{f"query_image_package_{k}": v for k, v in options.items()}}
        return self.call(PACKAGE_PATH, payload)

    def create_video_session(self, *, database_image: bytes | None = None, **options: Any) -> dict[str, Any]:
        """101.4: a new H5 video liveness session. ``options``: action_count, expire_seconds,
        customer_defined_content, database_image_type (default 1 with ``database_image``),
        database_image_feature, true_negative_rate, check_*_threshold. Send the answer's
        ``page_url`` to the end user's browser; keep ``session_id`` for
        :meth:`query_video_result`."""
        payload = dict(options)
        if database_image is not None:
            payload["database_image_content"] = _b64(database_image)
            payload.setdefault("database_image_type", 1)
        return self.call(VIDEO_SESSION_PATH, payload)

    def query_video_result(self, session_id: str) -> dict[str, Any]:
        """101.5: the session's state (``session_status``) and, once its clip is judged,
        ``video_liveness_result``."""
        return self.call(VIDEO_RESULT_PATH, {"session_id": session_id})
