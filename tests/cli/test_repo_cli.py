"""``facesaas repo import|list|stats`` and ``facesaas search``, in-process and through a server,
on photo trees built in the test's directory from the shared celeba and multi_face images."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, func, select, text

from facesaas.cli import cli
from facesaas.cli.repo import SEARCH_TRUE_NEGATIVE_RATES
from facesaas.face.calibration import SEARCH_TRUE_NEGATIVE_RATES as LIBRARY_RATES
from facesaas.repositories import open_repositories
from facesaas.repositories.models import Face
from facesaas.settings import Settings
from facesaas.storage.blobs import LocalBlobStore
from facesaas.storage.database import create_database
from facesaas.tenants.service import NewCredentials
from tests.conftest import RunningServer

CORRUPT_JPEG = b"\xff\xd8\xff\xe0" + b"this is not a JPEG stream" * 4
NO_FACE = "multi_face/no_face/facenet_pilatus800.jpg"  # labels.tsv: 0 faces
TWO_PEOPLE = "multi_face/multi/deepface_couple.jpg"  # labels.tsv: 2 faces


def _identities(celeba: Path, count: int) -> list[str]:
    names = sorted(p.name for p in celeba.iterdir() if p.is_dir())
    assert len(names) >= count
    return names[:count]


def _photos(celeba: Path, identity: str) -> list[Path]:
    return sorted((celeba / identity).glob("*.jpg"))


def _invoke(settings: Settings, *args: str) -> Result:
    """Run the command in this process against the test's data directory and database."""
    return CliRunner().invoke(
        cli,
        [*args, "--data-dir", str(settings.data_dir)],
        env={"FACESAAS_DATABASE_URL": settings.resolved_database_url},
        catch_exceptions=False,
    )


def _summary(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == {"enrolled", "no_face", "duplicates", "errors", "error_details", "seconds"}
    return summary


def _counts(summary: dict[str, Any]) -> tuple[int, int, int, int]:
    return summary["enrolled"], summary["no_face"], summary["duplicates"], summary["errors"]


def _build_tree(root: Path, celeba: Path, shared_data: Path) -> list[str]:
    """6 user folders (2 celeba photos of one identity each; the first also holds a corrupt
    JPEG and the second a no-face photo, both sorted before the real photos), plus ``noface``
    (a landscape only), ``bad_name`` (a valid photo, invalid user_id), ``corrupt`` (a broken
    .jpg only) and ``couple`` (two people). Returns the 6 identities."""
    identities = _identities(celeba, 6)
    for identity in identities:
        folder = root / f"u{identity}"
        folder.mkdir(parents=True)
        for photo in _photos(celeba, identity)[:2]:
            shutil.copy(photo, folder / photo.name)
    (root / f"u{identities[0]}" / "000000-broken.jpg").write_bytes(CORRUPT_JPEG)
    shutil.copy(shared_data / NO_FACE, root / f"u{identities[1]}" / "000000-landscape.jpg")
    (root / f"u{identities[1]}" / "notes.txt").write_text("not an image, never tried")
    for name, source in (("noface", shared_data / NO_FACE), ("bad_name", _photos(celeba, identities[0])[2]),
                         ("couple", shared_data / TWO_PEOPLE)):
        (root / name).mkdir()
        shutil.copy(source, root / name / source.name)
    (root / "corrupt").mkdir()
    (root / "corrupt" / "photo.jpg").write_bytes(CORRUPT_JPEG)
    return identities


def _check_first_summary(summary: dict[str, Any]) -> None:
    assert _counts(summary) == (6, 1, 0, 3), summary
    details = sorted(summary["error_details"])
    assert len(details) == 3
    assert details[0].startswith("bad_name: ") and "underscore" in details[0]
    assert details[1].startswith("corrupt: ") and "cannot be decoded" in details[1]
    assert details[2].startswith("couple: ") and "2 people" in details[2]


def test_cli_search_rates_match_the_library() -> None:
    assert SEARCH_TRUE_NEGATIVE_RATES == LIBRARY_RATES


def test_import_list_stats_and_search_in_process(
    settings: Settings, credentials: NewCredentials, celeba: Path, shared_data: Path, tmp_path: Path
) -> None:
    identities = _build_tree(tmp_path / "photos", celeba, shared_data)
    access_id = credentials.tenant.access_id
    args = ("repo", "import", str(tmp_path / "photos"), "--repo", "staff", "--label", "2", "--access-id", access_id,
            "--batch", "4")

    _check_first_summary(_summary(_invoke(settings, *args)))
    again = _summary(_invoke(settings, *args))
    assert _counts(again) == (0, 1, 6, 3), again

    listed = json.loads(_invoke(settings, "repo", "list", "--json").stdout)
    assert [(r["access_id"], r["label"], r["name"], r["faces"]) for r in listed] == [(access_id, 2, "staff", 6)]
    mine = json.loads(_invoke(settings, "repo", "list", "--json", "--access-id", access_id).stdout)
    assert mine == listed
    assert _invoke(settings, "repo", "list", "--access-id", "nobody").exit_code == 1

    stats_result = _invoke(settings, "repo", "stats", "--json")
    assert stats_result.exit_code == 0, stats_result.output
    stats = json.loads(stats_result.stdout)
    assert stats["repositories"] == 1 and stats["faces"] == 6
    assert stats["labels"] == {"2": {"repositories": 1, "faces": 6}}
    (index,) = stats["index"]
    assert (index["name"], index["faces"], index["index_count"], index["index_kind"]) == ("staff", 6, 6, "flat")
    assert index["index_memory_bytes"] >= 6 * 512 and stats["index_memory_bytes"] == index["index_memory_bytes"]

    # The registered photo of identities[1] is its first celeba photo (the landscape before it
    # has no face): searching with it gives that user, same person at the default 1e-7.
    query = _photos(celeba, identities[1])[0]
    result = _invoke(settings, "search", str(query), "--access-id", access_id, "--label", "2", "--repo", "staff",
                     "--top", "3")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [set(hit) for hit in hits] == [{"user_id", "repo_name", "confidence", "is_same_person"}] * 3
    assert hits[0]["user_id"] == f"u{identities[1]}" and hits[0]["is_same_person"] is True
    assert hits[0]["repo_name"] == "staff" and hits[0]["confidence"] > hits[1]["confidence"]
    assert [hit["is_same_person"] for hit in hits[1:]] == [False, False]
    # A photo that was not registered finds the same person first, in every repository of label 2.
    unseen = _photos(celeba, identities[0])[3]
    hits = json.loads(_invoke(settings, "search", str(unseen), "--access-id", access_id, "--label", "2").stdout)
    assert len(hits) == 5 and hits[0]["user_id"] == f"u{identities[0]}"
    # Nothing registered under label 1; an unknown repository is an error.
    assert json.loads(_invoke(settings, "search", str(unseen), "--access-id", access_id, "--label", "1").stdout) == []
    missing = _invoke(settings, "search", str(unseen), "--access-id", access_id, "--label", "2", "--repo", "other")
    assert missing.exit_code == 1 and "rtn -4001" in missing.stderr


def test_in_process_commands_refuse_while_the_index_is_locked(
    settings: Settings, credentials: NewCredentials, celeba: Path, tmp_path: Path
) -> None:
    (tmp_path / "photos" / "alice").mkdir(parents=True)
    shutil.copy(_photos(celeba, _identities(celeba, 1)[0])[0], tmp_path / "photos" / "alice")
    access_id = credentials.tenant.access_id
    database = create_database(settings.resolved_database_url)
    held = open_repositories(settings, database)  # as a running service holds it
    try:
        result = _invoke(settings, "repo", "import", str(tmp_path / "photos"), "--repo", "staff", "--label", "2",
                         "--access-id", access_id)
        assert result.exit_code == 1 and result.stdout == ""
        assert "in use by another facesaas process" in result.stderr and "--url" in result.stderr
        stats = _invoke(settings, "repo", "stats")
        assert stats.exit_code == 1 and "in use by another facesaas process" in stats.stderr
        # Listing reads only the database, so it works while the index is held.
        listed = _invoke(settings, "repo", "list", "--json")
        assert listed.exit_code == 0 and json.loads(listed.stdout) == []
    finally:
        held.close()
        database.dispose()
    after = _summary(_invoke(settings, "repo", "import", str(tmp_path / "photos"), "--repo", "staff", "--label", "2",
                             "--access-id", access_id))
    assert _counts(after) == (1, 0, 0, 0)


def test_import_and_search_through_the_server(
    server: RunningServer, credentials: NewCredentials, celeba: Path, shared_data: Path, tmp_path: Path
) -> None:
    identities = _build_tree(tmp_path / "photos", celeba, shared_data)
    pem = tmp_path / "server.pem"
    pem.write_text(server.public_pem)
    remote = ("--url", server.url, "--access-id", credentials.tenant.access_id, "--access-key", credentials.access_key,
              "--public-key", str(pem))
    args = ("repo", "import", str(tmp_path / "photos"), "--repo", "staff", "--label", "3", *remote)

    _check_first_summary(_summary(_invoke(server.settings, *args)))
    assert _counts(_summary(_invoke(server.settings, *args))) == (0, 1, 6, 3)

    query = str(_photos(celeba, identities[1])[0])
    result = _invoke(server.settings, "search", query, "--label", "3", "--top", "2", *remote)
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [set(hit) for hit in hits] == [{"user_id", "repo_name", "confidence", "is_same_person"}] * 2
    assert (hits[0]["user_id"], hits[0]["repo_name"], hits[0]["is_same_person"]) == (f"u{identities[1]}", "staff", True)
    # While the service runs, the in-process search is refused with the way out.
    local = _invoke(server.settings, "search", query, "--label", "3", "--access-id", credentials.tenant.access_id)
    assert local.exit_code == 1 and "--url" in local.stderr
    # A wrong AccessKey stops the import at once instead of counting every user as an error.
    wrong = list(args)
    wrong[wrong.index("--access-key") + 1] = "W" * 32
    stopped = _invoke(server.settings, *wrong)
    assert stopped.exit_code == 1 and "rtn -1005" in stopped.stderr and "re-run to resume" in stopped.stderr


def _command() -> list[str]:
    script = Path(sys.executable).with_name("facesaas")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from facesaas.cli import main; main()"]


def _face_count(engine: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Face)).scalar_one())


def test_kill_9_during_import_loses_only_uncommitted_batches(
    settings: Settings, credentials: NewCredentials, celeba: Path, tmp_path: Path
) -> None:
    """``kill -9`` of ``facesaas repo import`` (64 users, one celeba photo each, batch 4) once
    the database holds a committed face: the database then holds whole batches only (a multiple
    of 4 rows, each with a 512-byte unit embedding and its face image file), opening the
    repositories repairs the vector index to exactly those rows, and a re-run enrolls the rest
    and counts the survivors as duplicates.

    Observed (2 cores; 8 runs on SQLite, 2 on PostgreSQL, all alike): the poll saw 4 rows (the
    first batch), the database held 4 rows after the kill and 4 image files (none unreferenced:
    the kill landed while the next batch was being embedded, before its transaction), opening
    rebuilt the index (no snapshot had been written yet) to 4 faces, and the re-run reported
    60 enrolled + 4 duplicates = 64, leaving 64 rows. The run prints these numbers (``-s``).
    """
    total, batch = 64, 4
    photos = tmp_path / "photos"
    for identity in _identities(celeba, total):
        (photos / f"u{identity}").mkdir(parents=True)
        shutil.copy(_photos(celeba, identity)[0], photos / f"u{identity}")
    url = settings.resolved_database_url
    args = ["repo", "import", str(photos), "--repo", "kill", "--label", "2",
            "--access-id", credentials.tenant.access_id, "--batch", str(batch), "--data-dir", str(settings.data_dir)]
    environment = {**os.environ, "FACESAAS_DATABASE_URL": url}
    watcher = create_engine(url)
    process = subprocess.Popen([*_command(), *args], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        seen = 0
        deadline = time.monotonic() + 300
        while seen == 0:
            assert process.poll() is None, f"the import ended before it could be killed: {process.communicate()}"
            assert time.monotonic() < deadline, "no face was committed within 300 s"
            time.sleep(0.005)
            seen = _face_count(watcher)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL

    with watcher.connect() as connection:
        query = text("SELECT id, length(embedding), embedding, has_image FROM faces ORDER BY id")
        rows = connection.execute(query).all()
    watcher.dispose()
    survived = len(rows)
    assert 0 < survived < total, "the kill must land after the first commit and before the end"
    assert survived % batch == 0, f"{survived} rows: a batch was committed in part"
    images = LocalBlobStore(settings.face_images_dir)
    image_files = sum(1 for _ in settings.face_images_dir.rglob("*.jpg")) if settings.face_images_dir.exists() else 0
    for face_id, size, embedding, has_image in rows:
        assert size == 512
        assert abs(float(np.linalg.norm(np.frombuffer(embedding, dtype="<f4"))) - 1) < 1e-4
        assert has_image and images.get(face_id) is not None, f"face {face_id} lost its image"

    database = create_database(url)
    try:
        opened = open_repositories(settings, database)  # also proves kill -9 released the index lock
        try:
            indexed = sum(stat["count"] for stat in opened.repositories.index_stats())
            report = dict(opened.report)
        finally:
            opened.close()
    finally:
        database.dispose()
    assert indexed == survived

    rerun = _summary(_invoke(settings, *args[:-2]))
    assert rerun["enrolled"] + rerun["duplicates"] == total and rerun["duplicates"] == survived, rerun
    assert (rerun["no_face"], rerun["errors"]) == (0, 0)
    check = create_engine(url)
    final = _face_count(check)
    check.dispose()
    assert final == total
    print(
        f"\nkill -9 test: rows seen when killing {seen}, rows after the kill {survived} of {total} users "
        f"({image_files} image files: {image_files - survived} unreferenced, from the batch in flight) "
        f"(batch {batch}); index check on open {report}, indexed {indexed}; re-run enrolled {rerun['enrolled']} "
        f"+ duplicates {rerun['duplicates']}; final rows {final}"
    )


@pytest.mark.parametrize("missing", ["--access-id", "--repo"])
def test_import_arguments_are_checked(settings: Settings, tmp_path: Path, missing: str) -> None:
    args = {"--access-id": "someone", "--repo": "staff"}
    del args[missing]
    result = _invoke(settings, "repo", "import", str(tmp_path), "--label", "2", *[v for kv in args.items() for v in kv])
    assert result.exit_code != 0 and missing in result.output
    bad = _invoke(settings, "repo", "import", str(tmp_path), "--label", "2", "--access-id", "x", "--repo", "a_b")
    assert bad.exit_code == 1 and "underscore" in bad.stderr


def test_migrate_face_images_into_the_database(
    settings: Settings, credentials: NewCredentials, celeba: Path, shared_data: Path, tmp_path: Path
) -> None:
    """An embedded deployment moves its face images to the shared database store; re-running
    copies nothing twice, and the service then serves the images from the database."""
    _build_tree(tmp_path / "photos", celeba, shared_data)
    _summary(_invoke(settings, "repo", "import", str(tmp_path / "photos"), "--repo", "staff", "--label", "2",
                     "--access-id", credentials.tenant.access_id))  # fmt: skip
    assert _invoke(settings, "repo", "migrate").exit_code != 0  # nothing asked
    first = _invoke(settings, "repo", "migrate", "--blob-url", "database")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {"images": {"copied": 6, "present": 0, "missing": 0}}
    again = json.loads(_invoke(settings, "repo", "migrate", "--blob-url", "database").stdout)
    assert again == {"images": {"copied": 0, "present": 6, "missing": 0}}
    shutil.rmtree(settings.face_images_dir)  # the old store is no longer needed
    database = create_database(settings.resolved_database_url)
    try:
        from facesaas.storage.blobs import DatabaseBlobStore

        with database.connect() as connection:
            ids = connection.execute(select(Face.id)).scalars().all()
        stored = DatabaseBlobStore(database)
        assert len(ids) == 6 and all((stored.get(i) or b"")[:3] == b"\xff\xd8\xff" for i in ids)
    finally:
        database.dispose()


def test_migrate_an_embedded_deployment_to_milvus(
    settings: Settings, credentials: NewCredentials, celeba: Path, shared_data: Path, tmp_path: Path, engines
) -> None:  # noqa: ANN001
    """The whole move of docs/deploy.md: vectors built in Milvus from the database, images into
    the database; a service on the production settings then finds every registered user."""
    from facesaas.api.server import BackgroundServer
    from facesaas.sdk import Client

    identities = _build_tree(tmp_path / "photos", celeba, shared_data)
    _summary(_invoke(settings, "repo", "import", str(tmp_path / "photos"), "--repo", "staff", "--label", "2",
                     "--access-id", credentials.tenant.access_id))  # fmt: skip
    moved = CliRunner().invoke(
        cli, ["repo", "migrate", "--vector-url", engines.milvus_url, "--blob-url", "database",
              "--data-dir", str(settings.data_dir)],
        env={"FACESAAS_DATABASE_URL": settings.resolved_database_url, "FACESAAS_NAMESPACE": engines.namespace},
        catch_exceptions=False,
    )  # fmt: skip
    assert moved.exit_code == 0, moved.output
    report = json.loads(moved.stdout)
    assert report["vectors"]["rebuilt"] == 1 and report["vectors"]["added"] == 6
    assert report["images"] == {"copied": 6, "present": 0, "missing": 0}
    production = engines.apply(settings, data_dir=tmp_path / "new-host", keys_path=settings.keys_dir)
    public_pem = (settings.keys_dir / "server_public.pem").read_text()
    with BackgroundServer(production) as url, \
            Client(url, credentials.tenant.access_id, credentials.access_key, public_pem) as client:  # fmt: skip
        for identity in identities:
            query = _photos(celeba, identity)[-1]
            hits = client.retrieval_in_repo(repo_name="staff", image=query.read_bytes(), return_face_image=True)
            assert hits["repo_result"][0]["user_id"] == f"u{identity}"
            assert hits["repo_result"][0]["face_image_content"]
