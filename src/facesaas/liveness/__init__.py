"""Liveness: signed image packages (manual 9.1 "大礼包"), the checks run on their images
(101.3, and CS202.2 with ``query_image_package``), and the infrared check of CS202.2's
``query_image_additional_info``. What CS202.2 borrows is handed to recognition by the caller
(:meth:`PackageChecker.evidence`, :func:`infrared_check`)."""

from facesaas.liveness.infrared import InfraredResult, check_infrared, infrared_check
from facesaas.liveness.keys import PackageKeyStore
from facesaas.liveness.package import InvalidPackage
from facesaas.liveness.service import OpenedPackage, PackageChecker

__all__ = [
    "InfraredResult",
    "InvalidPackage",
    "OpenedPackage",
    "PackageChecker",
    "PackageKeyStore",
    "check_infrared",
    "infrared_check",
]
