"""``facesaas package build`` and ``facesaas tenant rotate-package-key``: liveness image
packages (manual 9.1) from the command line, over :mod:`facesaas.sdk` and :mod:`facesaas.tenants`."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

import click

from facesaas.cli.common import data_dir_option, echo_json, fail, settings_for, vault_for

__all__ = ["package", "tenant_rotate_package_key"]


@click.group()
def package() -> None:
    """Liveness image packages (大礼包)."""


@package.command("build")
@click.option("--package-key", required=True, envvar="FACESAAS_PACKAGE_KEY", help="The customer's package key, base64.")
@click.option("--key-id", required=True, envvar="FACESAAS_PACKAGE_KEY_ID", help="Its package_key_id.")
@click.option("--customer-content", default="", help="customer_defined_content to seal in the package.")
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True))
def package_build(package_key: str, key_id: str, customer_content: str, images: tuple[Path, ...]) -> None:
    """Seal IMAGE... (JPEG/PNG, frontal face first) into a package; prints it in base64, as
    query_image_package takes it."""
    from facesaas.sdk.package import build_package

    try:
        key = base64.b64decode(package_key, validate=True)
        click.echo(build_package([path.read_bytes() for path in images], key=key, key_id=key_id,
                                 customer_defined_content=customer_content))  # fmt: skip
    except (binascii.Error, ValueError) as exc:
        fail(click.UsageError(str(exc)))


@click.command("rotate-package-key")
@click.argument("access_id")
@click.option("--retire-previous", is_flag=True, help="Older keys stop opening packages at once (default: they keep working).")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def tenant_rotate_package_key(access_id: str, retire_previous: bool, as_json: bool, data_dir: Path | None) -> None:
    """Issue a new liveness package key for a customer; prints it (once)."""
    from facesaas.storage.database import create_database
    from facesaas.tenants.package_keys import PackageKeys
    from facesaas.tenants.service import TenantService, UnknownTenant

    settings = settings_for(data_dir)
    vault = vault_for(settings)
    database = create_database(settings.resolved_database_url)
    try:
        tenant_id = TenantService(database.sessions).id_of(access_id)
        info = PackageKeys(database, vault).rotate(tenant_id, retire_previous=retire_previous)
    except UnknownTenant:
        fail(LookupError(f"no customer with AccessID {access_id}"))
    finally:
        database.dispose()
    payload = {"access_id": access_id, **info.as_dict(with_key=True)}
    if as_json:
        echo_json(payload)
    else:
        click.echo(f"Package key id: {payload['package_key_id']}\nPackage key:    {payload['package_key']}")
