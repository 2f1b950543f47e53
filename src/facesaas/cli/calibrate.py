"""``facesaas calibrate``: the shipped threshold table, or a customer's own.

Without ``--tenant`` it rebuilds the shipped ``calibration-SCHEME.json`` of an embedding scheme
(``--scheme``, default the server's) from a ``labels.tsv`` folder. With ``--tenant`` (an AccessID, or a customer's name if exactly one customer
has it) it builds that customer's table — from a labelled FOLDER (``labels.tsv``, or one
sub-folder per identity) or from ``--repository`` (user_ids like ``alice#1``, ``alice#2``) —
prints it and stores it (not with ``--dry-run``); ``--show`` prints the stored table and
whether the service uses it, ``--reset`` drops it. A thin layer over
:mod:`facesaas.evaluation.tenantcal` and :mod:`facesaas.tenants.calibration`; the choice rule is
in docs/accuracy.md ("Calibrating on your own data").
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from facesaas.cli.common import data_dir_option, echo_json, fail, settings_for
from facesaas.errors import FaceSaaSError

if TYPE_CHECKING:
    from facesaas.evaluation.calibrate import EmbeddedSet
    from facesaas.storage.database import Database
    from facesaas.tenants.calibration import TenantCalibrations

__all__ = ["calibrate"]


def _embed(folder: Path, rows: list[tuple[str, str]], scheme: str) -> EmbeddedSet:
    """Embed ``rows`` of ``folder`` under embedding scheme ``scheme`` with a progress bar on
    stderr (~35–80 ms an image, ~1.7× that under sface-mirror)."""
    from facesaas.evaluation.calibrate import embed_labelled_set
    from facesaas.face.engine import get_engine
    from facesaas.settings import Settings

    settings = Settings()
    engine = get_engine(settings.inference_threads, settings.detection_threshold, scheme)
    with click.progressbar(length=len(rows), label="embedding", file=sys.stderr) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        return embed_labelled_set(engine, folder, rows, progress)


def _shipped_table(folder: Path, out: Path | None, scheme: str) -> None:
    """Rebuild the shipped calibration-SCHEME.json from FOLDER/labels.tsv."""
    from importlib import resources

    from facesaas.evaluation.calibrate import build_calibration, read_labels, roc_markdown, write_calibration
    from facesaas.face.calibration import calibration_file

    embedded = _embed(folder, read_labels(folder), scheme)
    calibration = build_calibration(embedded, str(folder), scheme)
    target = out or Path(str(resources.files("facesaas.face").joinpath(calibration_file(scheme))))
    write_calibration(calibration, target)
    click.echo(roc_markdown(calibration), nl=False)
    click.echo(f"written to {target}", err=True)


@contextmanager
def _store(data_dir: Path | None) -> Iterator[tuple[Database, TenantCalibrations]]:
    """The metadata database and the tenant tables over it (against the shipped table and the
    server's embedding scheme), disposed on exit."""
    from facesaas.face.calibration import load_calibration
    from facesaas.storage.database import create_database
    from facesaas.tenants.calibration import TenantCalibrations

    settings = settings_for(data_dir)
    database = create_database(settings.resolved_database_url)
    try:
        yield database, TenantCalibrations(database, load_calibration(settings.embedding_scheme), settings.embedding_scheme)
    finally:
        database.dispose()


def tenant_of(database: Database, who: str) -> tuple[int, str]:
    """(tenant id, AccessID) of ``who``: an AccessID, or the name of exactly one customer."""
    from facesaas.tenants.service import TenantService, UnknownTenant

    service = TenantService(database.sessions)
    try:
        return service.id_of(who), who
    except UnknownTenant:
        named = [info for info in service.list() if info.name == who]
    if len(named) != 1:
        problem = "several customers are" if named else "no customer is"
        fail(LookupError(f"{problem} named {who!r} and no AccessID is {who!r}"))
    return named[0].id, named[0].access_id


def _show(store: TenantCalibrations, tenant_id: int, access_id: str, as_json: bool) -> None:
    from facesaas.evaluation.tenantcal import tenant_table_markdown
    from facesaas.tenants.calibration import table_problem

    table = store.get(tenant_id)
    problem = None if table is None else table_problem(table, store.scheme)
    if as_json:
        used = "tenant" if table is not None and problem is None else "shipped"
        echo_json({"access_id": access_id, "used": used, "ignored_because": problem,
                   "table": None if table is None else table.as_dict()})  # fmt: skip
        return
    if table is None:
        click.echo(f"{access_id}: no table of its own; the shipped thresholds apply.")
        return
    click.echo(tenant_table_markdown(table), nl=False)
    if problem is None:
        click.echo(f"{access_id}: the service uses this table (stored {table.created_at:%Y-%m-%d %H:%M} UTC).")
    else:
        click.echo(f"{access_id}: IGNORED, the shipped thresholds apply: {problem}.")


@click.command()
@click.argument("folder", metavar="[DATA_DIR]", required=False,
                type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Shipped table only: where to write it (default: the installed package's calibration-SCHEME.json).")
@click.option("--scheme", type=click.Choice(["sface", "sface-mirror"]), default=None,
              help="Shipped table only: the embedding scheme (default: FACESAAS_EMBEDDING_SCHEME).")
@click.option("--tenant", "who", default=None, metavar="ACCESS_ID_OR_NAME",
              help="Build (or --show / --reset) this customer's own table instead of the shipped one.")
@click.option("--repository", default=None, help="With --tenant: calibrate on this repository's faces "
              "(identities from user_ids like alice#1, alice#2) instead of DATA_DIR.")
@click.option("--label", type=click.IntRange(1, 3), default=None,
              help="The repository's label (needed only if several labels have a repository of that name).")
@click.option("--separator", default="#", show_default=True,
              help="user_id = identity + separator + anything; the part before the last separator is the identity.")
@click.option("--dry-run", is_flag=True, help="Print the customer's table without storing it.")
@click.option("--show", is_flag=True, help="Print the customer's stored table and whether the service uses it.")
@click.option("--reset", is_flag=True, help="Drop the customer's table (back to the shipped thresholds).")
@click.option("--json", "as_json", is_flag=True, help="--tenant: print JSON instead of the markdown table.")
@data_dir_option
def calibrate(folder: Path | None, out: Path | None, scheme: str | None, who: str | None, repository: str | None, label: int | None,
              separator: str, dry_run: bool, show: bool, reset: bool, as_json: bool, data_dir: Path | None) -> None:
    """Rebuild the shipped threshold table from DATA_DIR/labels.tsv (all pairs; prints the ROC
    table), or with --tenant build a customer's own from DATA_DIR or --repository."""
    if who is None:
        if folder is None or any((repository, label, dry_run, show, reset, as_json)):
            fail(click.UsageError("without --tenant: facesaas calibrate DATA_DIR [--out FILE] [--scheme S]"))
        _shipped_table(folder, out, scheme or settings_for(data_dir).embedding_scheme)
        return
    if out is not None or scheme is not None or show + reset + bool(folder or repository) != 1 or (folder and repository):
        fail(click.UsageError("with --tenant give exactly one of DATA_DIR, --repository, --show, --reset (no --out, --scheme)"))
    with _store(data_dir) as (database, store):
        tenant_id, access_id = tenant_of(database, who)
        if show:
            _show(store, tenant_id, access_id, as_json)
            return
        if reset:
            removed = store.delete(tenant_id)
            click.echo(f"{access_id}: table dropped" if removed else f"{access_id}: had no table of its own")
            return
        _build(database, store, tenant_id, access_id, folder, repository, label, separator, dry_run, as_json)


def _build(database: Database, store: TenantCalibrations, tenant_id: int, access_id: str, folder: Path | None,
           repository: str | None, label: int | None, separator: str, dry_run: bool, as_json: bool) -> None:
    from facesaas.evaluation.tenantcal import build_tenant_table, folder_rows, repository_set, tenant_table_markdown
    from facesaas.repositories.store import repository_faces

    embedded: Callable[[], EmbeddedSet]
    if folder is not None:
        source = f"folder {folder.resolve()}"
        embedded = lambda: _embed(folder, folder_rows(folder), store.scheme)  # noqa: E731
    else:
        assert repository is not None
        source = f"repository {repository}" + (f" (label {label})" if label else "") + f", identity = user_id up to {separator!r}"

        def embedded() -> EmbeddedSet:
            user_ids, vectors = repository_faces(database, tenant_id, repository, label, store.scheme)
            return repository_set(user_ids, vectors, separator)

    try:
        table = build_tenant_table(embedded(), store.shipped, source, store.scheme)
    except (ValueError, OSError, FaceSaaSError) as exc:
        fail(exc)
    if not dry_run:
        table = store.save(tenant_id, table)
    if as_json:
        echo_json({"access_id": access_id, "stored": not dry_run, "table": table.as_dict()})
        return
    click.echo(tenant_table_markdown(table), nl=False)
    click.echo(f"{access_id}: " + ("not stored (--dry-run)" if dry_run else "stored; a running service uses it within 10 s"))
