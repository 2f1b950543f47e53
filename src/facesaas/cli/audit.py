"""``facesaas audit``: verify, show, anchor and prune the hash-chained audit log of decisions
(docs/security.md, "The audit log").

``verify`` exits 0 with a summary when the chain is intact, 1 naming the first bad row and why
(edited, missing, reordered, inserted, or differing from a head recorded elsewhere). ``head``
prints ``SEQ:HASH`` to copy somewhere the database's administrators cannot write; ``verify
--expect SEQ:HASH`` checks such copies later. ``prune`` deletes rows older than the retention
(FACESAAS_AUDIT_RETENTION_DAYS), moving the chain's anchor in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import click

from facesaas.cli.common import data_dir_option, echo_json, fail, settings_for
from facesaas.settings import Settings

__all__ = ["audit"]

_HEAD = re.compile(r"^(\d+):([0-9a-fA-F]{64})$")


def _log(settings: Settings):  # noqa: ANN202
    from facesaas.audit import AuditLog
    from facesaas.storage.database import create_database

    return AuditLog(create_database(settings.resolved_database_url))


def _expected(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[tuple[int, str]]:
    parsed = []
    for value in values:
        match = _HEAD.match(value.strip())
        if match is None:
            raise click.BadParameter(f"{value!r} is not SEQ:HASH (as `facesaas audit head` prints)")
        parsed.append((int(match.group(1)), match.group(2).lower()))
    return parsed


@click.group()
def audit() -> None:
    """The tamper-evident audit log of decisions."""


@audit.command("verify")
@click.option("--expect", "expect", multiple=True, callback=_expected, metavar="SEQ:HASH",
              help="A head recorded earlier by `facesaas audit head` (repeatable): the chain must still hold it.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@data_dir_option
def audit_verify(expect: list[tuple[int, str]], as_json: bool, data_dir: Path | None) -> None:
    """Check every row from the anchor to the head; exit 1 at the first bad row."""
    report = _log(settings_for(data_dir)).verify(expect)
    if as_json:
        echo_json(report.as_dict())
    elif report.ok:
        head = report.head
        span = f"{report.rows} rows, {head.anchor_seq + 1}–{head.head_seq}" if report.rows else "no rows"
        click.echo(f"intact: {span}, head {head.head_seq}:{head.head_hash}"
                   + (f" (pruned up to row {head.anchor_seq})" if head.anchor_seq else ""))  # fmt: skip
        for note in report.unchecked:
            click.echo(f"not checked: {note}")
    else:
        click.echo(f"BROKEN at {report.problem}", err=True)
    sys.exit(0 if report.ok else 1)


@audit.command("head")
@click.option("--json", "as_json", is_flag=True, help="Print head and anchor as JSON.")
@data_dir_option
def audit_head(as_json: bool, data_dir: Path | None) -> None:
    """Print the chain's head as SEQ:HASH, to be copied somewhere else (e.g. daily)."""
    head = _log(settings_for(data_dir)).head()
    if as_json:
        echo_json(head.as_dict())
    else:
        click.echo(f"{head.head_seq}:{head.head_hash}")


@audit.command("show")
@click.option("--tenant", "access_id", default=None, help="Only this AccessID's rows.")
@click.option("--tenant-id", type=int, default=None, help="Only this tenant id's rows.")
@click.option("--request-id", default=None, help="Only the row of this global_request_id.")
@click.option("--endpoint", default=None, help="Only this endpoint's rows (a path such as /face/basic/ocr).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=20, show_default=True, help="The newest N rows.")
@data_dir_option
def audit_show(access_id: str | None, tenant_id: int | None, request_id: str | None, endpoint: str | None, limit: int,
               data_dir: Path | None) -> None:  # fmt: skip
    """The newest rows, oldest first, one JSON object a line."""
    rows = _log(settings_for(data_dir)).rows(tenant_id=tenant_id, access_id=access_id, request_id=request_id,
                                             endpoint=endpoint, limit=limit)  # fmt: skip
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, separators=(",", ":")))


@audit.command("prune")
@click.option("--before", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Delete rows written before this UTC day or time; default: now minus FACESAAS_AUDIT_RETENTION_DAYS.")
@click.option("--force", is_flag=True, help="Allow a --before inside the retention period.")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def audit_prune(before: dt.datetime | None, force: bool, as_json: bool, data_dir: Path | None) -> None:
    """Delete rows older than the retention; the remaining chain stays verifiable (its anchor
    moves to the last deleted row, and a row recording the prune is appended)."""
    settings = settings_for(data_dir)
    limit = dt.datetime.now(dt.UTC) - dt.timedelta(days=settings.audit_retention_days)
    cutoff = limit if before is None else before.replace(tzinfo=dt.UTC)
    if cutoff > limit and not force:
        fail(click.UsageError(f"--before {cutoff:%Y-%m-%d %H:%M} is inside the retention of "
                              f"{settings.audit_retention_days} days (rows before {limit:%Y-%m-%d %H:%M} may go); "
                              "add --force to delete younger rows"))  # fmt: skip
    try:
        report = _log(settings).prune(cutoff)
    except ValueError as exc:
        fail(exc)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"deleted {report.deleted} rows written before {cutoff:%Y-%m-%d %H:%M:%S} UTC; "
                   f"the chain now starts after row {report.anchor_seq} ({report.anchor_hash})")  # fmt: skip
