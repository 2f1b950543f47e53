"""The chain's arithmetic: the canonical encoding of a row and its SHA-256.

A row's hash covers every column but itself, ``prev_hash`` included, so changing any field of
any row, removing a row or moving one breaks the link to the next row. The encoding is JSON
with sorted keys, no spaces, UTF-8 (Chinese kept as is), ``decision`` as the exact text stored
and the time as UTC ISO 8601 with microseconds: the same bytes on SQLite and PostgreSQL, and
easy to recompute outside FaceSaaS (docs/security.md shows how). Pure functions, no database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from typing import Any

__all__ = ["GENESIS", "VERSION", "canonical_row", "row_hash", "canonical_decision", "format_time"]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row of a chain that was never pruned."""

VERSION = 1
"""The encoding's version, hashed with every row: a future encoding cannot be confused with it."""

_FIELDS = ("seq", "at", "tenant_id", "access_id", "endpoint", "request_id", "http_status", "rtn", "decision", "model",
           "prev_hash")  # fmt: skip


def format_time(value: dt.datetime) -> str:
    """``value`` (aware, or naive UTC as SQLite returns it) as ``2026-12-06T19:14:20.123456Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_row(fields: dict[str, Any]) -> bytes:
    """The bytes a row's hash covers: ``{"v":1, <the fields>}`` as compact sorted JSON. ``at``
    may be a datetime or its :func:`format_time` text."""
    values = {name: fields[name] for name in _FIELDS}
    if isinstance(values["at"], dt.datetime):
        values["at"] = format_time(values["at"])
    values["v"] = VERSION
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def row_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (hex) of :func:`canonical_row`. Cost ~2 µs."""
    return hashlib.sha256(canonical_row(fields)).hexdigest()


def _plain(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars become numbers, tuples lists, and a
    non-finite float its name (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def canonical_decision(decision: dict[str, Any] | None) -> str:
    """The ``decision`` column: compact sorted JSON text ("{}" for a refusal without one)."""
    return json.dumps(_plain(decision or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
