"""What 101.3 check_image_package does (and the package part of CS202.2), independent of HTTP.

:class:`PackageChecker` opens a customer's package — it must authenticate with one of the
customer's package keys, be younger than ``max_age_seconds`` (and not from the future beyond
``future_skew_seconds``), hold decodable images and not have been checked before — and runs
the checks the request enables. Any failure of the package itself is an answer
(``is_valid_package: false`` with ``invalid_reason``), never an error: a client learns why,
and nothing is stored except the replay record of an authentic package.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facesaas.errors import FaceSaaSError, InvalidParameter
from facesaas.face.calibration import Calibration
from facesaas.face.engine import FaceEngine
from facesaas.face.feature import encode_feature
from facesaas.face.image import decode_image
from facesaas.inputs import PackageOptions
from facesaas.liveness import checks
from facesaas.liveness.keys import PackageKeyStore
from facesaas.liveness.package import InvalidPackage, Limits, Package, open_sealed, package_bytes, parse_header

__all__ = ["PackageChecker", "OpenedPackage", "SAME_PERSON_FAR", "run_check", "invalid_result"]

_CHECK_FIELDS = {
    "anti_screen": "is_anti_screen_check",
    "dark_illumination": "is_dark_illumination_check",
    "anti_picture": "is_anti_picture_check",
    "anti_eye_blockage": "is_anti_eye_blockage_check",
    "anti_hole": "is_anti_hole_check",
}
SAME_PERSON_FAR = 1e-2
"""False-accept rate per pair of the same-person check's threshold (no level in the manual).
Frames of one capture session are far more alike than the calibration's photos of one person
taken years apart, so a genuine package clears it easily; a face swapped in from a stranger
passes 1 % of the time, and the check is one of several (docs/liveness.md)."""


@dataclass(frozen=True)
class OpenedPackage:
    """A valid package and its decoded images (BGR uint8, frontal first)."""

    package: Package
    images: list[np.ndarray]


@dataclass
class PackageChecker:
    """Opens and checks packages for one service; thread-safe."""

    keys: PackageKeyStore
    engine: FaceEngine
    calibration: Calibration
    max_age_seconds: float = 300.0
    future_skew_seconds: float = 60.0
    limits: Limits = field(default_factory=Limits)
    max_pixels: int = 40_000_000
    clock: Callable[[], float] = time.time

    def open(self, tenant_id: int, text: str) -> OpenedPackage:
        """Decode, authenticate, date, decode the images of, and record (replay) the package
        ``text`` (base64) of customer ``tenant_id``; raises :class:`InvalidPackage`."""
        sealed = parse_header(package_bytes(text, self.limits), self.limits)
        key = self.keys.key_for(tenant_id, sealed.key_id)
        if key is None:
            raise InvalidPackage("unknown_key", f"no active package key {sealed.key_id} for this customer")
        package = open_sealed(sealed, key, self.limits)
        now = self.clock()
        if package.created_at > now + self.future_skew_seconds:
            raise InvalidPackage("from_the_future", "created_at is ahead of the server clock")
        if package.created_at < now - self.max_age_seconds:
            raise InvalidPackage("expired", f"created more than {self.max_age_seconds:g} s ago")
        images = []
        for index, data in enumerate(package.images):
            try:
                images.append(decode_image(data, field=f"image {index + 1}", max_bytes=self.limits.max_image_bytes,
                                           max_pixels=self.max_pixels))  # fmt: skip
            except FaceSaaSError as exc:
                raise InvalidPackage("image_undecodable", f"image {index + 1}: {exc.detail or exc.message}") from exc
        # Recorded last, once authentic, fresh and readable: a replay is refused even while the
        # first use is still being checked.
        expires = dt.datetime.fromtimestamp(package.created_at + self.max_age_seconds + self.future_skew_seconds, dt.UTC)
        if not self.keys.remember(tenant_id, package.package_id, expires):
            raise InvalidPackage("replayed", "this package has been checked before")
        return OpenedPackage(package, images)

    def check(self, tenant_id: int, text: str, options: PackageOptions) -> dict[str, Any]:
        """101.3's ``query_image_package_result``."""
        try:
            opened = self.open(tenant_id, text)
        except InvalidPackage as exc:
            return invalid_result(exc)
        return self.describe(opened, options)

    def evidence(self, tenant_id: int, text: str, options: PackageOptions) -> tuple[np.ndarray | None, dict[str, Any]]:
        """What CS202.2 needs of a package: its frontal image (BGR uint8; None when the
        package is not valid) and its ``query_image_package_result``."""
        try:
            opened = self.open(tenant_id, text)
        except InvalidPackage as exc:
            return None, invalid_result(exc)
        return opened.images[0], self.describe(opened, options)

    def describe(self, opened: OpenedPackage, options: PackageOptions) -> dict[str, Any]:
        """The result fields of a valid package: images, features and enabled checks."""
        package, images = opened.package, opened.images
        if options.query_image_package_feature_number > len(images):
            raise InvalidParameter(
                f"query_image_package_feature_number {options.query_image_package_feature_number} "
                f"exceeds the package's {len(images)} images"
            )
        result: dict[str, Any] = {
            "is_valid_package": True,
            "invalid_reason": "",
            "customer_defined_content": package.customer_defined_content,
            "package_id": package.package_id,
            "created_at": int(round(package.created_at * 1000)),
        }
        if options.query_image_package_return_image_list:
            result["query_image_contents"] = [base64.b64encode(data).decode("ascii") for data in package.images]
        frames = checks.observe(self.engine, images)
        wanted = options.query_image_package_return_feature_string or options.query_image_package_check_same_person
        embeddings = checks.embed_faces(self.engine, frames) if wanted else []
        if options.query_image_package_return_feature_string:
            vectors = [v for v in embeddings[: options.query_image_package_feature_number] if v is not None]
            result["feature_string"] = encode_feature(np.stack(vectors), self.engine.scheme) if vectors else ""
        if options.query_image_package_check_same_person:
            threshold = self.calibration.similarity_at_far(SAME_PERSON_FAR)
            same = checks.same_person(self.engine, frames, threshold, embeddings)
            result.update(is_same_person=same.passed, is_same_person_check_valid=same.valid,
                          is_same_person_check_score=same.score)  # fmt: skip
        for name, prefix in _CHECK_FIELDS.items():
            if not getattr(options, f"query_image_package_check_{name}"):
                continue
            level = getattr(options, f"query_image_package_check_{name}_threshold")
            outcome = run_check(name, frames, level)
            result.update({f"{prefix}_valid": outcome.valid, f"{prefix}_passed": outcome.passed,
                           f"{prefix}_score": outcome.score})  # fmt: skip
        return result


def invalid_result(exc: InvalidPackage) -> dict[str, Any]:
    """``query_image_package_result`` of a package that is not valid (101.3 and CS202.2)."""
    return {"is_valid_package": False, "invalid_reason": exc.reason, "invalid_detail": exc.detail}


def run_check(name: str, frames: list[checks.Frame], level: str) -> checks.CheckResult:
    """One pixel-level check by its request name at the threshold ``level`` names."""
    return checks.PIXEL_CHECKS[name](frames, checks.THRESHOLDS[name][level])
