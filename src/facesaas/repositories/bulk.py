"""Bulk import of a directory of registration photos into one face repository, and the
catalogue and index statistics the ``facesaas repo`` commands print.

The import directory holds one folder per user_id (the folder's name); each folder's
``*.jpg``/``*.jpeg``/``*.png`` files are tried in name order and the first that shows exactly
one prominent face is registered, the rest ignored. Every folder ends in exactly one of the
summary's counts: enrolled, duplicates (user_id already in the repository), no_face (every
image tried showed no face) or errors (invalid name, no image, or images that are unreadable,
corrupt, too large or show several people).

In-process, folders are processed in batches and each batch is registered in one transaction
(:meth:`FaceRepositories.register_many`), so a crash or ``kill -9`` loses at most the batch in
progress and never leaves part of a batch behind; a re-run skips the user_ids already present
before embedding anything (they count as duplicates), so it resumes where the crash stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from facesaas.errors import (
    ImageTooLarge,
    InvalidInput,
    InvalidParameter,
    NoFaceDetected,
    TooManyFaces,
)
from facesaas.repositories.models import Face, Repo
from facesaas.repositories.service import check_name, registration_face
from facesaas.repositories.store import FaceRepositories, NewFace, RepoKey, list_repos
from facesaas.storage.database import Database

if TYPE_CHECKING:
    from facesaas.face.engine import FaceEngine
    from facesaas.inputs import ImageLimits

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_ERROR_DETAILS",
    "ImportSummary",
    "scan_user_folders",
    "import_in_process",
    "repository_stats",
    "FolderFailures",
    "folder_images",
    "user_id_problem",
    "read_image_file",
]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
"""Image files tried in a user folder (case-insensitive)."""

MAX_ERROR_DETAILS = 20
"""``error_details`` keeps the first this many "user_id: reason" lines."""


Progress = Callable[[int], None]
"""Called with the number of user folders just finished."""


@dataclass
class ImportSummary:
    """What an import did, one count per user folder; ``seconds`` is wall-clock time."""

    enrolled: int = 0
    no_face: int = 0
    duplicates: int = 0
    errors: int = 0
    error_details: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def error(self, user_id: str, reason: str) -> None:
        self.errors += 1
        if len(self.error_details) < MAX_ERROR_DETAILS:
            self.error_details.append(f"{user_id}: {reason}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "enrolled": self.enrolled,
            "no_face": self.no_face,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "error_details": list(self.error_details),
            "seconds": round(self.seconds, 2),
        }


@dataclass
class FolderFailures:
    """Why each image of one folder was not registered (shared with the SDK's remote import)."""

    problems: list[str] = field(default_factory=list)
    all_no_face: bool = True

    def add(self, problem: str, *, no_face: bool) -> None:
        self.problems.append(problem)
        self.all_no_face = self.all_no_face and no_face

    def record(self, summary: ImportSummary, user_id: str) -> None:
        """Count the folder: no_face if every image had no face, else an error."""
        if not self.problems:
            summary.error(user_id, f"no {'/'.join(sorted(IMAGE_SUFFIXES))} image in the folder")
        elif self.all_no_face:
            summary.no_face += 1
        else:
            summary.error(user_id, "; ".join(self.problems))


def scan_user_folders(root: Path) -> list[Path]:
    """The user folders of ``root``: its sub-directories (hidden ones skipped), sorted by name.
    Cost: one directory listing; the folders' own files are listed when each is imported."""
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def folder_images(folder: Path) -> list[Path]:
    """The folder's image files tried for a user, in name order."""
    images = (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return sorted(images, key=lambda p: p.name)


def user_id_problem(user_id: str) -> str | None:
    """Why a folder's name is not a valid user_id, or None."""
    try:
        check_name(user_id, "user_id")
    except InvalidInput as exc:
        return exc.client_message
    return None


def read_image_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; ImageTooLarge before reading a file over ``max_bytes``."""
    size = path.stat().st_size
    if size > max_bytes:
        raise ImageTooLarge(f"{path.name} is {size} bytes, limit {max_bytes}")
    return path.read_bytes()


def _embed(engine: FaceEngine, user_id: str, path: Path, limits: ImageLimits) -> NewFace:
    """The registration face of one photo, exactly as 102.1 mode 1 makes it (one detection
    and one embedding, ~40 ms): NoFaceDetected, TooManyFaces or an InvalidInput otherwise."""
    from facesaas.face.image import decode_image

    data = read_image_file(path, limits.max_image_bytes)
    bgr = decode_image(data, field=path.name, max_bytes=limits.max_image_bytes, max_pixels=limits.max_image_pixels)
    return registration_face(engine, bgr, user_id, path.name)


def _first_face(engine: FaceEngine, folder: Path, limits: ImageLimits) -> NewFace | FolderFailures:
    """The face of the folder's first usable image, or why none was usable."""
    failures = FolderFailures()
    for path in folder_images(folder):
        try:
            return _embed(engine, folder.name, path, limits)
        except NoFaceDetected as exc:
            failures.add(exc.client_message, no_face=True)
        except (InvalidInput, TooManyFaces) as exc:
            failures.add(exc.client_message, no_face=False)
        except OSError as exc:
            failures.add(f"{path.name}: cannot read ({exc.strerror or exc})", no_face=False)
    return failures


def _chunks(items: Sequence[Path], size: int) -> Iterator[Sequence[Path]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _present(database: Database, key: RepoKey, user_ids: list[str]) -> set[str]:
    """Which of ``user_ids`` the repository already holds (one indexed query)."""
    if not user_ids:
        return set()
    query = (
        select(Face.user_id)
        .join(Repo, Repo.id == Face.repo_id)
        .where(Repo.tenant_id == key.tenant_id, Repo.label == key.label, Repo.name == key.name)
        .where(Face.user_id.in_(user_ids))
    )
    with database.connect() as connection:
        return set(connection.execute(query).scalars())


def import_in_process(
    repositories: FaceRepositories,
    database: Database,
    engine: FaceEngine,
    key: RepoKey,
    folders: Sequence[Path],
    limits: ImageLimits,
    *,
    batch: int = 64,
    progress: Progress | None = None,
) -> ImportSummary:
    """Register the first usable face of each folder (named by its user_id) into ``key``.

    ``batch`` folders at a time: their user_ids already present are skipped as duplicates
    (nothing embedded), the rest embedded (~40 ms per image tried) and registered in one
    transaction, so an interruption loses at most ``batch`` folders' work and a re-run resumes.
    """
    check_name(key.name, "repo_name")
    if batch < 1:
        raise InvalidParameter(f"batch must be >= 1, got {batch}")
    summary = ImportSummary()
    started = time.monotonic()
    for chunk in _chunks(folders, batch):
        valid: list[Path] = []
        for folder in chunk:
            problem = user_id_problem(folder.name)
            if problem is None:
                valid.append(folder)
                continue
            summary.error(folder.name, problem)
            if progress:
                progress(1)
        present = _present(database, key, [folder.name for folder in valid])
        pending: list[NewFace] = []
        for folder in valid:
            if folder.name in present:
                summary.duplicates += 1
            else:
                outcome = _first_face(engine, folder, limits)
                if isinstance(outcome, NewFace):
                    pending.append(outcome)
                else:
                    outcome.record(summary, folder.name)
            if progress:
                progress(1)
        result = repositories.register_many(key, pending)
        summary.enrolled += result.enrolled
        summary.duplicates += result.duplicates
    summary.seconds = time.monotonic() - started
    return summary


# --- catalogue and statistics ---------------------------------------------------------------


def repository_stats(repositories: FaceRepositories, database: Database) -> dict[str, Any]:
    """Totals (repositories, faces, per label) and each repository's vector index (kind, live
    count, estimated memory in bytes) next to its database face count. Cost: one grouped count
    over ``faces`` plus the index's own statistics."""
    repos = list_repos(database)
    indexes = {int(stat["collection"]): stat for stat in repositories.index_stats()}
    labels: dict[str, dict[str, int]] = {}
    per_repo = []
    for info in repos:
        totals = labels.setdefault(str(info.label), {"repositories": 0, "faces": 0})
        totals["repositories"] += 1
        totals["faces"] += info.faces
        index = indexes.get(info.repo_id)
        per_repo.append(
            {
                "access_id": info.access_id,
                "label": info.label,
                "name": info.name,
                "faces": info.faces,
                "index_kind": index["kind"] if index else None,
                "index_count": int(index["count"]) if index else 0,
                "index_memory_bytes": int(index["memory_bytes"]) if index else 0,
            }
        )
    return {
        "repositories": len(repos),
        "faces": sum(item["faces"] for item in per_repo),
        "labels": dict(sorted(labels.items())),
        "index_memory_bytes": sum(item["index_memory_bytes"] for item in per_repo),
        "index": per_repo,
    }
