"""The local face-image store on a full file system (storage/blobs.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from facesaas.errors import StorageFull
from facesaas.storage.blobs import LocalBlobStore


def test_a_full_file_system_is_storage_full_and_leaves_no_file(tmp_path: Path) -> None:
    """The image's temporary file is a link to /dev/full, where every write fails with the
    kernel's ENOSPC: put raises StorageFull, and neither the image nor its temporary file is
    left (the full-disk test of a running service is tests/api/test_storage_faults.py)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    store = LocalBlobStore(tmp_path)
    store.put(1, b"first")
    temporary = tmp_path / "0" / "2.tmp"
    temporary.symlink_to("/dev/full")
    with pytest.raises(StorageFull) as caught:
        store.put(2, b"\xff\xd8 a face crop" * 100)
    assert caught.value.detail == "face images"
    assert sorted(p.name for p in (tmp_path / "0").iterdir()) == ["1.jpg"]
    assert store.get(1) == b"first" and store.get(2) is None
