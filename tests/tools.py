"""External programs some tests need (chromium, javac, java): found on PATH, or the test skips
with the reason and how to install it; with FACESAAS_REQUIRE_TOOLS set (as .ci/run does) it
fails instead, so CI never skips them."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["require_tool"]


def require_tool(*names: str, install: str) -> str:
    """The path of the first of ``names`` on PATH; else skip (or fail) saying ``install``."""
    for name in names:
        path = shutil.which(name)
        if path is not None:
            return path
    problem = f"{' or '.join(names)} is not installed ({install})"
    if os.environ.get("FACESAAS_REQUIRE_TOOLS"):
        pytest.fail(problem)
    pytest.skip(problem)
