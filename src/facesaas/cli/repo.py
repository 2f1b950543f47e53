"""``facesaas repo import|list|stats`` and ``facesaas search``: face repositories (manual 9.3)
from the command line, a thin layer over :mod:`facesaas.repositories`.

In-process, ``repo import``, ``repo stats`` and ``search`` open the data directory's vector
index, which one process at a time may own: while the service runs they fail with a message
saying so, and ``import``/``search`` take ``--url`` to go through the service instead.
``repo list`` reads only the database and works at any time.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from facesaas.cli.common import b64_file, data_dir_option, echo_json, fail, remote_client, remote_options, settings_for
from facesaas.errors import FaceSaaSError
from facesaas.settings import Settings

if TYPE_CHECKING:
    from facesaas.repositories import OpenRepositories
    from facesaas.storage.database import Database

__all__ = ["repo", "search"]

SEARCH_TRUE_NEGATIVE_RATES = ("99.9", "99.99", "99.999", "99.9999", "99.99999", "99.999999", "99.9999999")
"""Equal to :data:`facesaas.face.calibration.SEARCH_TRUE_NEGATIVE_RATES` (a test checks); kept
literal so that loading the command line imports no numpy."""

_LABEL_HELP = "Repository type: 1 blacklist, 2 users, 3 portraits."
_RESULT_FIELDS = ("user_id", "repo_name", "confidence", "is_same_person")


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    """The metadata database (migrated), disposed on exit."""
    from facesaas.storage.database import create_database

    database = create_database(settings.resolved_database_url)
    try:
        yield database
    finally:
        database.dispose()


@contextmanager
def _opened(settings: Settings, database: Database) -> Iterator[OpenRepositories]:
    """The repositories with the index lock; exits with the lock error's message (a running
    service holds it) instead of a traceback. Saves the index and unlocks on exit."""
    from facesaas.repositories import open_repositories

    try:
        opened = open_repositories(settings, database)
    except FaceSaaSError as exc:
        fail(exc)
    try:
        yield opened
    finally:
        opened.close()


def _tenant_id(database: Database, access_id: str) -> int:
    from facesaas.tenants.service import TenantService

    credentials = TenantService(database.sessions).credentials_of(access_id)
    if credentials is None:
        fail(LookupError(f"no customer with AccessID {access_id}"))
    return credentials.id


def _check_repo_name(name: str) -> None:
    from facesaas.repositories.service import check_name

    try:
        check_name(name, "--repo")
    except FaceSaaSError as exc:
        fail(exc)


@click.group()
def repo() -> None:
    """Face repositories (manual 9.3): bulk import, list, statistics."""


@repo.command("import")
@click.argument("directory", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--repo", "repo_name", required=True, help="Repository name (created by its first face).")
@click.option("--label", type=click.IntRange(1, 3), required=True, help=_LABEL_HELP)
@click.option("--batch", type=click.IntRange(1, 10_000), default=64, show_default=True,
              help="Folders registered per transaction in-process (an interruption loses at most one batch).")
@data_dir_option
@remote_options
def repo_import(directory: Path, repo_name: str, label: int, batch: int, data_dir: Path | None, url: str | None,
                access_id: str | None, access_key: str | None, public_key: Path | None) -> None:
    """Register DIRECTORY's photos: one sub-folder per user_id (its name), the first of its
    *.jpg/*.jpeg/*.png (by name) showing exactly one prominent face is registered.

    In-process (default) the service must be stopped, since this takes the data directory's
    index lock; with --url the photos go through the running service instead. Re-running skips
    what is registered already (counted as duplicates). Prints a JSON summary: enrolled,
    no_face, duplicates, errors, error_details (the first 20), seconds.
    """
    from facesaas.repositories.bulk import import_in_process, scan_user_folders

    if not access_id:
        fail(click.UsageError("--access-id is required (the customer owning the repository)"))
    _check_repo_name(repo_name)
    settings = settings_for(data_dir)
    folders = scan_user_folders(directory)
    with click.progressbar(length=len(folders), label="importing", file=sys.stderr) as bar:
        try:
            if url:
                import httpx

                from facesaas.sdk import ApiError
                from facesaas.sdk.bulk import import_remote

                with remote_client(url, access_id, access_key, public_key) as client:
                    try:
                        summary = import_remote(client, repo_name, label, folders,
                                                max_bytes=settings.max_repo_image_bytes, progress=bar.update)
                    except (ApiError, httpx.HTTPError) as exc:
                        fail(RuntimeError(f"{exc} (faces registered so far are kept; re-run to resume)"))
            else:
                from facesaas.face.engine import get_engine
                from facesaas.inputs import ImageLimits
                from facesaas.repositories import RepoKey

                with _database(settings) as database:
                    key = RepoKey(_tenant_id(database, access_id), label, repo_name)
                    with _opened(settings, database) as opened:
                        engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
                        limits = ImageLimits.for_repositories(settings)
                        summary = import_in_process(opened.repositories, database, engine, key, folders, limits,
                                                    batch=batch, progress=bar.update)
        except FaceSaaSError as exc:
            fail(exc)
    echo_json(summary.as_dict())


@repo.command("list")
@click.option("--access-id", default=None, help="Only this customer's repositories.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_dir_option
def repo_list(access_id: str | None, as_json: bool, data_dir: Path | None) -> None:
    """List repositories with their face counts (reads the database only; works while the
    service runs)."""
    from facesaas.repositories.store import list_repos

    settings = settings_for(data_dir)
    with _database(settings) as database:
        tenant_id = None if access_id is None else _tenant_id(database, access_id)
        try:
            infos = list_repos(database, tenant_id)
        except FaceSaaSError as exc:
            fail(exc)
    rows = [{"access_id": i.access_id, "label": i.label, "name": i.name, "faces": i.faces, "created_at": i.created_at}
            for i in infos]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['access_id']}  label {row['label']}  {row['name']:18}  {row['faces']:>10} faces")


@repo.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@data_dir_option
def repo_stats(as_json: bool, data_dir: Path | None) -> None:
    """Totals (repositories, faces, per label) and each repository's vector index (kind, count,
    estimated memory). Opens the index, so it fails while the service runs (stop it first)."""
    from facesaas.repositories.bulk import repository_stats

    settings = settings_for(data_dir)
    with _database(settings) as database, _opened(settings, database) as opened:
        try:
            stats = repository_stats(opened.repositories, database)
        except FaceSaaSError as exc:
            fail(exc)
        stats["index_check"] = opened.report
    if as_json:
        echo_json(stats)
        return
    memory = stats["index_memory_bytes"] / 2**20
    click.echo(f"{stats['repositories']} repositories, {stats['faces']} faces, index {memory:.1f} MiB")
    for label, totals in stats["labels"].items():
        click.echo(f"  label {label}: {totals['repositories']} repositories, {totals['faces']} faces")
    for item in stats["index"]:
        click.echo(f"{item['access_id']}  label {item['label']}  {item['name']:18}  {item['faces']:>10} faces  "
                   f"index {item['index_kind']} {item['index_count']}  {item['index_memory_bytes'] / 2**20:.1f} MiB")


@repo.command("migrate")
@click.option("--vector-url", default=None, help="Build this vector index from the database (e.g. milvus://host:19530).")
@click.option("--blob-url", type=click.Choice(["local", "database"]), default=None,
              help="Copy the face images into this store (from the one FACESAAS_BLOB_URL names now).")
@data_dir_option
def repo_migrate(vector_url: str | None, blob_url: str | None, data_dir: Path | None) -> None:
    """Move the repositories to other engines: the vectors into a shared vector service, the face
    images into the database (docs/deploy.md). The database stays the source of truth; re-running
    is safe. Prints a JSON report; then restart the service with the new FACESAAS_VECTOR_URL /
    FACESAAS_BLOB_URL."""
    from facesaas.repositories.factory import blob_store, vector_store
    from facesaas.repositories.migrate import migrate_images, migrate_vectors

    if not vector_url and not blob_url:
        fail(click.UsageError("give --vector-url, --blob-url or both"))
    settings = settings_for(data_dir)
    report: dict[str, Any] = {}
    with _database(settings) as database:
        try:
            images = blob_store(settings, database)
            if vector_url:
                target = settings.model_copy(update={"vector_url": vector_url})
                report["vectors"] = migrate_vectors(database, vector_store(target), images, settings.embedding_scheme)
            if blob_url:
                copy = migrate_images(database, images, blob_store(settings.model_copy(update={"blob_url": blob_url}), database))
                report["images"] = copy.__dict__
        except FaceSaaSError as exc:
            fail(exc)
    echo_json(report)


@repo.command("re-embed")
@data_dir_option
def repo_reembed(data_dir: Path | None) -> None:
    """Re-make the vectors of every repository built with another embedding scheme than
    FACESAAS_EMBEDDING_SCHEME, from the faces' stored images (docs/accuracy.md, "Embedding
    scheme"). Run with the service stopped. A repository with a face that has no stored image,
    or whose image no longer shows a face, is left unchanged and listed. Prints a JSON report."""
    from facesaas.face.engine import get_engine
    from facesaas.repositories.factory import blob_store, index_lock, vector_store
    from facesaas.repositories.reembed import reembed_repositories

    settings = settings_for(data_dir)
    with _database(settings) as database:
        try:
            with index_lock(settings):
                engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
                report = reembed_repositories(database, blob_store(settings, database), lambda: vector_store(settings), engine)
        except FaceSaaSError as exc:
            fail(exc)
    echo_json(report.__dict__)
    if report.skipped:
        sys.exit(1)


@click.command()
@click.argument("image", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--label", type=click.IntRange(1, 3), required=True, help=_LABEL_HELP)
@click.option("--repo", "repo_name", default=None,
              help="Search this repository only (default: every repository of the label).")
@click.option("--top", type=click.IntRange(1, 10), default=5, show_default=True, help="Results, best first.")
@click.option("--true-negative-rate", type=click.Choice(SEARCH_TRUE_NEGATIVE_RATES), default="99.99999",
              show_default=True,
              help="Sets is_same_person: 99.99999 means a false-accept rate of 1e-7 per compared face.")
@data_dir_option
@remote_options
def search(image: Path, label: int, repo_name: str | None, top: int, true_negative_rate: str, data_dir: Path | None,
           url: str | None, access_id: str | None, access_key: str | None, public_key: Path | None) -> None:
    """Search IMAGE's largest face in a customer's repositories (103.1); prints a JSON list of
    {user_id, repo_name, confidence, is_same_person}, best first.

    In-process (default) the service must be stopped (this opens the index); with --url the
    search runs in the service.
    """
    if not access_id:
        fail(click.UsageError("--access-id is required (the customer owning the repositories)"))
    if url:
        from facesaas.sdk import ApiError

        with remote_client(url, access_id, access_key, public_key) as client:
            try:
                response = client.retrieval_in_repo(label=label, repo_name=repo_name or "", image=image.read_bytes(),
                                                    true_negative_rate=true_negative_rate, return_topk_face=top)
            except ApiError as exc:
                fail(exc)
    else:
        from facesaas.face.calibration import load_calibration
        from facesaas.face.engine import get_engine
        from facesaas.inputs import ImageLimits, parse_request
        from facesaas.repositories.schemas import RetrievalRequest
        from facesaas.repositories.service import retrieve
        from facesaas.tenants.calibration import TenantCalibrations

        settings = settings_for(data_dir)
        body: dict[str, Any] = {
            "mode": 1,
            "user_info": {"label": label, "repo_name": repo_name or "", "image_content": b64_file(image)},
            "options": {"image_type": 301, "true_negative_rate": true_negative_rate, "return_topk_face": top},
        }
        request = parse_request(RetrievalRequest, body)
        with _database(settings) as database:
            tenant_id = _tenant_id(database, access_id)
            with _opened(settings, database) as opened:
                engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
                limits = ImageLimits.for_repositories(settings)
                # The customer's own thresholds if it has a usable table, as the service would use.
                calibration = TenantCalibrations(database, load_calibration(engine.scheme.name), engine.scheme.name).calibration_for(tenant_id)
                try:
                    response = retrieve(engine, opened.repositories, calibration, tenant_id, request, limits)
                except FaceSaaSError as exc:
                    fail(RuntimeError(f"rtn {exc.rtn}: {exc.client_message}"))
    echo_json([{name: hit[name] for name in _RESULT_FIELDS} for hit in response["repo_result"]])
