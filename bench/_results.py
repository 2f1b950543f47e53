"""Where a benchmark's report goes: ``<out>/<name>-<stamp>.md``, ``<out>/<name>-latest.md``
(the copy the docs quote) and, with ``data``, the raw figures as ``<out>/<name>-<stamp>.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def save(out: Path, name: str, stamp: str, text: str, data: Any = None) -> None:
    """Write the Markdown ``text`` (and ``data`` as JSON) for the run ``stamp`` of ``name``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}-{stamp}.md").write_text(text, encoding="utf-8")
    (out / f"{name}-latest.md").write_text(text, encoding="utf-8")
    if data is not None:
        (out / f"{name}-{stamp}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def cost_rows(milliseconds: dict[str, list[float]], digits: int = 1) -> list[str]:
    """Markdown rows ``| label | n | mean | p95 |`` of timings in milliseconds per label."""
    import numpy as np

    return [f"| {label} | {len(values)} | {np.mean(values):.{digits}f} | {np.percentile(values, 95):.{digits}f} |"
            for label, values in milliseconds.items()]  # fmt: skip
