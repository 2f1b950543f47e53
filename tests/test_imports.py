"""Every module imports on its own (no import cycles) and importing does no work:
no model runtime, no database engine is touched at import time."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import facesaas

# __main__ runs the CLI when imported: that is its job.
MODULES = sorted(m.name for m in pkgutil.walk_packages(facesaas.__path__, "facesaas.") if not m.name.endswith("__main__"))

CHECK = """
import sys, importlib
importlib.import_module({name!r})
heavy = [m for m in ("onnxruntime", "faiss", "cv2", "sqlalchemy.dialects.sqlite.pysqlite") if m in sys.modules]
print(",".join(heavy))
"""


@pytest.mark.parametrize("name", [m for m in MODULES if m.count(".") == 1] + ["facesaas.api.app", "facesaas.cli.main"])
def test_module_imports_alone_without_loading_models(name: str) -> None:
    result = subprocess.run([sys.executable, "-c", CHECK.format(name=name)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "onnxruntime" not in result.stdout, f"{name} loads onnxruntime at import time"
    assert "faiss" not in result.stdout, f"{name} loads FAISS at import time"
