"""What decided: the package version, the embedding scheme and the model files, as one line
stored with every audit row."""

from __future__ import annotations

from importlib import metadata

from facesaas import __version__

__all__ = ["model_version"]


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def model_version(scheme: str) -> str:
    """``facesaas 0.1.0; scheme sface-mirror; yunet 49f000ec501f; sface fb143eea0783; …``: the
    first 12 hex digits of each pinned model file's SHA-256 (the files are checked against the
    full digest when they load), and the OCR package's version (its models ship inside it).
    Cost: a few metadata reads; call once per process."""
    from facesaas.face._models import SFACE, YUNET
    from facesaas.face.demesher import DEMESH_SHA256, DEMESH_SMALL_SHA256
    from facesaas.face.mesh import IRIS_SHA256, MESH_SHA256

    files = {"yunet": YUNET.sha256, "sface": SFACE.sha256, "mesh": MESH_SHA256, "iris": IRIS_SHA256,
             "demesh": DEMESH_SHA256, "demesh-small": DEMESH_SMALL_SHA256}  # fmt: skip
    pinned = "; ".join(f"{name} {digest[:12]}" for name, digest in files.items())
    return f"facesaas {__version__}; scheme {scheme}; {pinned}; rapidocr {_package('rapidocr')}"
