"""``facesaas operator``: accounts of the operators' console (/console, docs/console.md).

The password is read from an interactive prompt (typed twice, not echoed) or, for scripts, from
the first line of standard input with ``--password-stdin``; it is never an argument, so it
stays out of the shell history and the process list.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from facesaas.cli.common import data_dir_option, echo_json, fail, settings_for
from facesaas.settings import Settings

__all__ = ["operator"]


def _service(settings: Settings):  # noqa: ANN202
    from facesaas.operators import OperatorService
    from facesaas.storage.database import create_database

    return OperatorService.from_settings(create_database(settings.resolved_database_url), settings)


@click.group()
def operator() -> None:
    """Operators of the console (not customers)."""


@operator.command("create")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@data_dir_option
def operator_create(username: str, password_stdin: bool, data_dir: Path | None) -> None:
    """Create an operator who can log in at /console (password: at least 10 characters)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    try:
        info = _service(settings_for(data_dir)).create(username, password)
    except ValueError as exc:
        fail(exc)
    click.echo(f"operator {info.username} created; log in at /console")


@operator.command("list")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def operator_list(as_json: bool, data_dir: Path | None) -> None:
    """List operators (never their password hashes)."""
    rows = [o.as_dict() for o in _service(settings_for(data_dir)).list()]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = "enabled" if row["enabled"] else "DISABLED"
        click.echo(f"{row['username']}  {state:8}  created {row['created_at']}")


def _set_enabled(username: str, enabled: bool, data_dir: Path | None) -> None:
    from facesaas.operators import UnknownOperator

    try:
        info = _service(settings_for(data_dir)).set_enabled(username, enabled)
    except UnknownOperator:
        fail(LookupError(f"no operator named {username}"))
    click.echo(f"{info.username} {'enabled' if info.enabled else 'disabled'}")


@operator.command("disable")
@click.argument("username")
@data_dir_option
def operator_disable(username: str, data_dir: Path | None) -> None:
    """Refuse this operator's logins and end their sessions at once."""
    _set_enabled(username, False, data_dir)


@operator.command("enable")
@click.argument("username")
@data_dir_option
def operator_enable(username: str, data_dir: Path | None) -> None:
    """Let a disabled operator log in again."""
    _set_enabled(username, True, data_dir)
