"""Open the face repositories of a data directory: vector backend, face images, start-up check.

One process at a time owns a data directory's vector index (an exclusive lock file): the
embedded index lives in that process's memory, so a second writer would silently diverge.
A running service therefore refuses a CLI import into the same directory, which must go
through the service instead (``facesaas repo import --url``).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from facesaas.errors import ConfigurationError
from facesaas.repositories.store import FaceRepositories
from facesaas.settings import Settings
from facesaas.storage.blobs import LocalBlobStore
from facesaas.storage.database import Database

__all__ = ["OpenRepositories", "open_repositories"]

log = logging.getLogger(__name__)


class OpenRepositories:
    """The repositories plus what keeps them consistent: the directory lock and the periodic
    snapshot thread. ``close()`` saves the index and releases the lock."""

    def __init__(self, repositories: FaceRepositories, lock_fd: int, snapshot_seconds: float) -> None:
        self.repositories = repositories
        self.report: dict[str, int] = {}
        self._lock_fd = lock_fd
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if snapshot_seconds > 0:
            self._thread = threading.Thread(target=self._snapshots, args=(snapshot_seconds,), name="index-snapshot", daemon=True)
            self._thread.start()

    def _snapshots(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                written = self.repositories.save()
                if written:
                    log.info("saved %d vector index snapshot(s)", written)
            except Exception:  # the next attempt or shutdown retries; the database is intact
                log.exception("vector index snapshot failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.repositories.close()
        finally:
            os.close(self._lock_fd)


def _lock(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise ConfigurationError(
            f"{directory} is in use by another facesaas process (a running service?); send the work through it with --url"
        ) from exc
    return fd


def open_repositories(settings: Settings, database: Database) -> OpenRepositories:
    """Lock the index directory, load the vector snapshots and repair them from the database.
    Cost: the start-up check (a grouped count over ``faces``) plus any repair."""
    from facesaas.vectors import FaissVectorStore

    fd = _lock(settings.index_dir)
    try:
        vectors = FaissVectorStore(settings.index_dir, flat_limit=settings.index_flat_limit, partitions=settings.index_partitions)
        repositories = FaceRepositories(database, vectors, LocalBlobStore(settings.face_images_dir))
        report = repositories.open()
    except BaseException:
        os.close(fd)
        raise
    if report["rebuilt"] or report["repaired"]:
        log.info("vector index checked against the database: %s", report)
    opened = OpenRepositories(repositories, fd, settings.index_snapshot_seconds)
    opened.report = report
    return opened
