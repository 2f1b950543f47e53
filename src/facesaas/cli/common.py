"""What every ``facesaas`` command module shares: settings from ``--data-dir``, JSON output,
failing with a message (never a traceback), and the ``--url`` options of remote calls."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from facesaas.settings import Settings

if TYPE_CHECKING:
    from facesaas.sdk import Client
    from facesaas.vault import Vault

__all__ = ["settings_for", "echo_json", "fail", "b64_file", "data_dir_option", "remote_options", "remote_client",
           "vault_for"]  # fmt: skip


def settings_for(data_dir: Path | None, **overrides: Any) -> Settings:
    """Settings from the environment, with ``--data-dir`` and any option given (not None)."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def vault_for(settings: Settings) -> Vault:
    """The vault of ``settings`` (docs/security.md), or exit 1 with the setting to fix."""
    from facesaas.errors import ConfigurationError
    from facesaas.vault import open_vault

    try:
        return open_vault(settings)
    except ConfigurationError as exc:
        fail(exc)


def echo_json(value: Any) -> None:
    """Print ``value`` as indented JSON, Chinese kept as is."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def fail(error: Exception) -> NoReturn:
    """Print ``error: ...`` to stderr and exit 1."""
    click.echo(f"error: {error}", err=True)
    sys.exit(1)


def b64_file(path: Path) -> str:
    """The file's bytes in standard base64, as the API's image fields take them."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


data_dir_option = click.option(
    "--data-dir", type=click.Path(path_type=Path, file_okay=False), default=None, help="Data directory (FACESAAS_DATA_DIR)."
)


def remote_options(func):  # noqa: ANN001, ANN201
    """--url/--access-id/--access-key/--public-key: call a server instead of in-process."""
    func = click.option("--public-key", type=click.Path(path_type=Path, dir_okay=False), envvar="FACESAAS_PUBLIC_KEY",
                        help="Server public key PEM file (FACESAAS_PUBLIC_KEY).")(func)
    func = click.option("--access-key", envvar="FACESAAS_ACCESS_KEY", help="AccessKey (FACESAAS_ACCESS_KEY).")(func)
    func = click.option("--access-id", envvar="FACESAAS_ACCESS_ID", help="AccessID (FACESAAS_ACCESS_ID).")(func)
    func = click.option("--url", envvar="FACESAAS_URL", help="Server URL; without it the work runs in-process.")(func)
    return func


@contextmanager
def remote_client(url: str, access_id: str | None, access_key: str | None, public_key: Path | None) -> Iterator[Client]:
    """An SDK client for ``--url``; a usage error unless all three credentials are given."""
    from facesaas.sdk import Client

    if not (access_id and access_key and public_key):
        fail(click.UsageError("--url needs --access-id, --access-key and --public-key"))
    with Client(url, access_id, access_key, public_key.read_text()) as client:
        yield client
