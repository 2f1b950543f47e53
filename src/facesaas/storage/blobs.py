"""Face images on local disk, one file per face id, written atomically.

Layout: ``<root>/<id // 10000>/<id>.jpg`` (at most 10,000 files a folder). A file is written
(and fsynced) *before* the database row that refers to it commits, and removed after the row's
delete commits, so a committed row always has its image; a crash can leave an unreferenced
file at worst, never a row without its image. Unreferenced files are never served (only rows
are) and are overwritten if their id is reused.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LocalBlobStore"]


class LocalBlobStore:
    """JPEG bytes keyed by an integer id under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: int) -> Path:
        return self.root / str(key // 10_000) / f"{key}.jpg"

    def put(self, key: int, data: bytes) -> None:
        """Write atomically and durably: temporary file, fsync, rename. Cost: one fsync."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def get(self, key: int) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: int) -> None:
        self._path(key).unlink(missing_ok=True)
