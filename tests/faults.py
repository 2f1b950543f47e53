"""Helpers of the fault tests (tests/api/test_faults.py, tests/api/test_storage_faults.py):
concurrent registers of real photos, what the database and the image directory hold, the
guarantees checked after a crash, a TCP proxy that can cut a database off, a small file system."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, text

from facesaas.sdk import ApiError, Client
from facesaas.settings import Settings

REFUSED_PHOTO = (-3001, -3002, -3004)
"""Answers that store nothing because of the photo itself (no face, several, poor quality)."""


def celeba_photos(celeba: Path, count: int, start: int = 0) -> list[tuple[str, bytes]]:
    """``count`` (user_id, JPEG bytes): the first photo of as many celeba identities."""
    names = sorted(p.name for p in celeba.iterdir() if p.is_dir())[start : start + count]
    assert len(names) == count, "not enough celeba identities"
    return [(f"p{name}", sorted((celeba / name).glob("*.jpg"))[0].read_bytes()) for name in names]


@dataclass
class Registers:
    """``threads`` clients registering ``photos`` (split between them) into ``repo`` at once. Each
    records the registers that answered rtn 0, and the one in flight when its connection broke
    (the service was killed): that register may or may not have committed."""

    url: str
    access: tuple[str, str, str]
    repo: str
    photos: list[tuple[str, bytes]]
    threads: int = 3
    answered: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Registers:
        for number in range(self.threads):
            worker = threading.Thread(target=self._run, args=(self.photos[number :: self.threads],), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def _run(self, photos: list[tuple[str, bytes]]) -> None:
        with Client(self.url, *self.access, timeout=120) as client:
            for user_id, image in photos:
                try:
                    client.register_in_repo(self.repo, user_id, image=image)
                except ApiError as exc:
                    if exc.rtn not in REFUSED_PHOTO:
                        self.refused.append((user_id, exc.rtn))
                        return
                    self.refused.append((user_id, exc.rtn))
                    continue
                except httpx.HTTPError:
                    self.in_flight.append(user_id)
                    return
                self.answered.append(user_id)

    def wait_for(self, count: int, deadline: float = 300.0) -> None:
        import time

        end = time.monotonic() + deadline
        while len(self.answered) < count and any(w.is_alive() for w in self._workers):
            assert time.monotonic() < end, f"only {len(self.answered)} registers answered in {deadline} s"
            time.sleep(0.01)

    def join(self) -> None:
        for worker in self._workers:
            worker.join(timeout=180)


def face_rows(database_url: str) -> dict[str, tuple[int, bool, int]]:
    """Every face row: user_id -> (face id, has_image, embedding bytes)."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT user_id, id, has_image, embedding FROM faces")).all()
    finally:
        engine.dispose()
    return {row[0]: (int(row[1]), bool(row[2]), len(row[3])) for row in rows}


def face_embeddings(database_url: str, repo: str) -> tuple[list[str], np.ndarray]:
    """The user_ids and stored embeddings of repository ``repo`` (any tenant), by face id."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT f.user_id, f.embedding FROM faces f JOIN repos r ON r.id = f.repo_id WHERE r.name = :name ORDER BY f.id"),
                {"name": repo},
            ).all()
    finally:
        engine.dispose()
    return [row[0] for row in rows], np.stack([np.frombuffer(row[1], dtype="<f4") for row in rows])


def image_files(settings: Settings) -> tuple[set[int], list[Path]]:
    """The face ids of the stored crops under the data directory, and any leftover temporary files."""
    root = settings.face_images_dir
    if not root.exists():
        return set(), []
    return {int(path.stem) for path in root.rglob("*.jpg")}, sorted(root.rglob("*.tmp"))


def check_after_crash(
    settings: Settings,
    client: Client,
    repo: str,
    photos: dict[str, bytes],
    answered: list[str],
    in_flight: list[str],
    others: int = 0,
) -> dict[str, int]:
    """The guarantees after kill -9 and a restart (the restarted service behind ``client``):
    every answered register is a row with its 512-byte embedding and its crop, found by 103.1
    with its own photo as the top hit; a register in flight is all there or not at all; the
    index counts exactly the rows (103.1's gallery_size, ``others`` rows not of ``photos``
    included); crop files without a row are only those of registers in flight (never served:
    only rows are). Returns the counts."""
    every = face_rows(settings.resolved_database_url)
    rows = {user_id: row for user_id, row in every.items() if user_id in photos}
    assert len(every) - len(rows) == others
    assert set(answered) <= set(rows), f"answered but lost: {sorted(set(answered) - set(rows))}"
    extra = set(rows) - set(answered)
    assert extra <= set(in_flight), f"rows nobody registered: {sorted(extra - set(in_flight))}"
    files, temporaries = image_files(settings)
    for user_id, (face_id, has_image, size) in rows.items():
        assert size == 512 and has_image, user_id
        assert face_id in files, f"{user_id}: row without its crop"
    orphans = files - {face_id for face_id, _, _ in rows.values()}
    assert len(orphans) + len(temporaries) <= len(in_flight), f"crops without a row: {orphans}, {temporaries}"
    gallery = None
    for user_id in sorted(rows):
        found = client.retrieval_in_repo(repo_name=repo, image=photos[user_id], return_topk_face=1)
        (hit,) = found["repo_result"]
        assert hit["user_id"] == user_id and hit["is_same_person"], (user_id, hit)
        gallery = found["gallery_size"]
    assert gallery == len(every), "the index must hold exactly the database's faces"
    return {"answered": len(answered), "in_flight": len(in_flight), "rows": len(rows),
            "in_flight_committed": len(extra), "orphan_crops": len(orphans), "temporary_files": len(temporaries)}


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target`` over real sockets. :meth:`cut` closes every
    forwarded connection and stops listening (new connections are refused); :meth:`restore`
    listens on the same port again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                downstream, _ = listener.accept()
            except OSError:  # cut: the listener was shut down
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets += [downstream, upstream]
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self._listener is not None
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of its thread
        self._listener.close()
        with self._lock:
            for end in self._sockets:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
            self._sockets.clear()

    def close(self) -> None:
        self.cut()


@contextlib.contextmanager
def small_filesystem(path: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted at ``path`` (root only; skipped otherwise, failed when
    FACESAAS_REQUIRE_TOOLS is set, as in CI), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    mount = shutil.which("mount")
    result = (
        subprocess.run([mount, "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)], capture_output=True, text=True)
        if mount and os.geteuid() == 0
        else None
    )
    if result is None or result.returncode != 0:
        reason = f"cannot mount a tmpfs at {path}: {result.stderr.strip() if result else 'not root'}"
        if os.environ.get("FACESAAS_REQUIRE_TOOLS"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> Path:
    """Fill ``directory``'s file system to the last page with one file (returned: delete it to
    free the space)."""
    filler = directory / "filler"
    with open(filler, "ab", buffering=0) as handle:
        for chunk in (1 << 20, 4096, 1):
            try:
                while handle.write(b"\0" * chunk):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
    return filler
