"""Bulk registration of a directory of user folders through a running service (the same
folder layout and summary as :mod:`facesaas.repositories.bulk`'s in-process import).

Used by ``facesaas repo import --url``; one signed 102.1 request per image tried.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from facesaas.errors import DuplicateUserId, ImageTooLarge, NoFaceDetected, Overloaded
from facesaas.repositories.bulk import (
    FolderFailures,
    ImportSummary,
    Progress,
    folder_images,
    read_image_file,
    user_id_problem,
)
from facesaas.repositories.service import check_name
from facesaas.sdk.client import ApiError, Client

__all__ = ["import_remote"]

_RETRIES_WHEN_OVERLOADED = 5
"""A 503 (-1503, the service's queue is full) is retried this many times, 0.5 s more each time."""


def import_remote(
    client: Client,
    repo_name: str,
    label: int,
    folders: Sequence[Path],
    *,
    max_bytes: int,
    progress: Progress | None = None,
) -> ImportSummary:
    """The same import through a running service: one signed 102.1 register per image tried
    (the server embeds it), until one is accepted. rtn -4009 counts as a duplicate. Errors that
    are not about the image (authentication, server or network failures) stop the import with
    :class:`facesaas.sdk.ApiError` or ``httpx.HTTPError``; what was registered stays, and a
    re-run counts it as duplicates. ``max_bytes``: files larger are not sent."""
    check_name(repo_name, "repo_name")
    summary = ImportSummary()
    started = time.monotonic()
    for folder in folders:
        problem = user_id_problem(folder.name)
        if problem is not None:
            summary.error(folder.name, problem)
        else:
            failures = FolderFailures()
            outcome = None
            for path in folder_images(folder):
                try:
                    image = read_image_file(path, max_bytes)
                except ImageTooLarge as exc:
                    failures.add(exc.client_message, no_face=False)
                    continue
                except OSError as exc:
                    failures.add(f"{path.name}: cannot read ({exc.strerror or exc})", no_face=False)
                    continue
                for attempt in range(_RETRIES_WHEN_OVERLOADED + 1):
                    try:
                        client.register_in_repo(repo_name, folder.name, label=label, image=image)
                        outcome = "enrolled"
                    except ApiError as exc:
                        if exc.rtn == Overloaded.rtn and attempt < _RETRIES_WHEN_OVERLOADED:
                            time.sleep(0.5 * (attempt + 1))
                            continue
                        if exc.rtn == DuplicateUserId.rtn:
                            outcome = "duplicate"
                        elif exc.rtn == NoFaceDetected.rtn:
                            failures.add(f"{path.name}: {exc.message}", no_face=True)
                        elif -4000 < exc.rtn <= -2000:  # the image's fault: invalid input or face count
                            failures.add(f"{path.name}: {exc.message}", no_face=False)
                        else:
                            raise
                    break
                if outcome is not None:
                    break
            if outcome == "enrolled":
                summary.enrolled += 1
            elif outcome == "duplicate":
                summary.duplicates += 1
            else:
                failures.record(summary, folder.name)
        if progress:
            progress(1)
    summary.seconds = time.monotonic() - started
    return summary
