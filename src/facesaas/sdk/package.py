"""Building liveness image packages on the capture side (manual 9.1, format in
:mod:`facesaas.liveness.package` and docs/liveness.md). The browser twin is
``facesaas/sdk/js/facesaas-package.mjs``."""

from __future__ import annotations

import base64
from typing import Any

from facesaas.liveness.package import pack

__all__ = ["build_package"]


def build_package(
    images: list[bytes],
    *,
    key: bytes,
    key_id: str,
    customer_defined_content: str = "",
    capture: dict[str, Any] | None = None,
    created_at: float | None = None,
    package_id: str | None = None,
) -> str:
    """``images`` (JPEG/PNG bytes, frontal face first) sealed with the customer's package
    ``key`` (32 bytes) under ``key_id``, base64-encoded as ``query_image_package`` takes it.
    ``created_at`` (Unix seconds) defaults to now, ``package_id`` to a random one."""
    sealed = pack(images, key=key, key_id=key_id, customer_defined_content=customer_defined_content,
                  capture=capture, created_at=created_at, package_id=package_id)  # fmt: skip
    return base64.b64encode(sealed).decode("ascii")
