"""Open the face repositories a process serves: vector backend, face images, start-up check.

Chosen by settings: ``FACESAAS_VECTOR_URL`` ``embedded`` (in-process FAISS under the data
directory) or ``milvus://host:port`` (a Milvus every worker and host shares), and
``FACESAAS_BLOB_URL`` ``local`` (files under the data directory) or ``database`` (the metadata
database's ``face_images`` table).

One process at a time owns a data directory's *embedded* index (an exclusive lock file): it
lives in that process's memory, so a second writer would silently diverge. A running service
therefore refuses a CLI import into the same directory, which must go through the service
instead (``facesaas repo import --url``). A shared Milvus takes no lock: every worker and host
writes to it and reads its own writes.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from facesaas.errors import ConfigurationError
from facesaas.repositories.store import FaceRepositories
from facesaas.settings import Settings
from facesaas.storage.blobs import BlobStore, DatabaseBlobStore, LocalBlobStore
from facesaas.storage.database import Database
from facesaas.vectors import VectorStore

__all__ = ["OpenRepositories", "open_repositories", "index_lock", "check_index_free", "vector_store", "blob_store"]

log = logging.getLogger(__name__)


class OpenRepositories:
    """The repositories plus what keeps them consistent: the directory lock and the periodic
    snapshot thread. ``close()`` saves the index and releases the lock."""

    def __init__(self, repositories: FaceRepositories, lock_fd: int | None, snapshot_seconds: float) -> None:
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
            if self._lock_fd is not None:
                os.close(self._lock_fd)


def _lock(directory: Path) -> int:
    """Take ``directory``'s exclusive lock (``flock`` on ``LOCK``: the kernel releases it when
    the holder exits, kill -9 included, so a stale file never blocks a start) and write the
    holder into the file (pid, host, command, time) for the message a second process gets."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        holder = os.pread(fd, 512, 0).decode("utf-8", errors="replace").strip() or "unknown"
        os.close(fd)
        raise ConfigurationError(
            f"{directory} is in use by another facesaas process (holder: {holder}); one process at a time owns an "
            "embedded index: stop it first, or send the work through the running service with --url"
        ) from exc
    command = " ".join(["facesaas", *sys.argv[1:3]])  # e.g. 'facesaas serve --data-dir'
    holder = f"pid {os.getpid()} on {socket.gethostname()}, {command!r}, since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode() + b"\n", 0)
    except OSError:  # a full disk: the lock holds all the same, only its description is missing
        log.warning("could not record the index lock's holder in %s", directory / "LOCK")
    return fd


def check_index_free(settings: Settings) -> None:
    """Raise ConfigurationError (naming the directory and the holder) if another process holds
    the embedded index's lock; nothing for a shared vector service. For ``facesaas serve`` to
    refuse at once, before loading models (the app's start-up takes the lock for good)."""
    if settings.vector_url == "embedded":
        os.close(_lock(settings.index_dir))


@contextmanager
def index_lock(settings: Settings) -> Iterator[None]:
    """Hold the embedded index directory's lock (nothing for a shared vector service), as a
    serving process does: for offline work on the index (``facesaas repo re-embed``)."""
    fd = _lock(settings.index_dir) if settings.vector_url == "embedded" else None
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def vector_store(settings: Settings) -> VectorStore:
    """The vector backend ``settings.vector_url`` names (not yet opened)."""
    url = settings.vector_url
    if url == "embedded":
        from facesaas.vectors import FaissVectorStore

        return FaissVectorStore(settings.index_dir, flat_limit=settings.index_flat_limit, partitions=settings.index_partitions)
    if url.startswith("milvus://"):
        from facesaas.vectors import MilvusVectorStore

        return MilvusVectorStore(url, namespace=settings.namespace)
    raise ConfigurationError(f"FACESAAS_VECTOR_URL must be 'embedded' or milvus://host:port, got {url!r}")


def blob_store(settings: Settings, database: Database) -> BlobStore:
    """The face-image store ``settings.blob_url`` names."""
    if settings.blob_url == "local":
        return LocalBlobStore(settings.face_images_dir)
    if settings.blob_url == "database":
        return DatabaseBlobStore(database)
    raise ConfigurationError(f"FACESAAS_BLOB_URL must be 'local' or 'database', got {settings.blob_url!r}")


def open_repositories(settings: Settings, database: Database) -> OpenRepositories:
    """Lock the embedded index directory (embedded only), load the vector index and repair it
    from the database. Cost: the start-up check (a grouped count over ``faces``) plus any
    repair."""
    embedded = settings.vector_url == "embedded"
    fd = _lock(settings.index_dir) if embedded else None
    try:
        vectors = vector_store(settings)
        repositories = FaceRepositories(database, vectors, blob_store(settings, database), settings.embedding_scheme)
        report = repositories.open()
    except BaseException:
        if fd is not None:
            os.close(fd)
        raise
    if report["rebuilt"] or report["repaired"]:
        log.info("vector index checked against the database: %s", report)
    opened = OpenRepositories(repositories, fd, settings.index_snapshot_seconds if embedded else 0)
    opened.report = report
    return opened
