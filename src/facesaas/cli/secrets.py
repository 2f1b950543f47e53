"""``facesaas secrets``: the master key that seals server-side secrets at rest (docs/security.md,
"Secrets at rest") — make a key, see which keys the stored secrets are sealed under, re-seal
them all under the current key after a rotation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from facesaas.cli.common import data_dir_option, echo_json, fail, settings_for, vault_for
from facesaas.errors import ConfigurationError, FaceSaaSError

__all__ = ["secrets"]


@click.group()
def secrets() -> None:
    """Secrets at rest: the master key (FACESAAS_MASTER_KEY) and rotation."""


@secrets.command("generate-key")
def generate_key() -> None:
    """Print a new master key (base64 of 32 random bytes) for FACESAAS_MASTER_KEY. Nothing is stored."""
    from facesaas.vault import generate_master_key

    click.echo(generate_master_key())


@secrets.command("status")
@data_dir_option
def status(data_dir: Path | None) -> None:
    """Which master keys this configuration has, and how many stored secrets are sealed under
    each key id (or in clear). Opens nothing. Exit 1 when a secret is in clear or under a key
    this configuration lacks."""
    from facesaas.auth.keys import keys_exist, read_sealed_private_key
    from facesaas.storage.database import create_database
    from facesaas.tenants.package_keys import key_states
    from facesaas.vault import sealed_key_id

    settings = settings_for(data_dir)
    vault = vault_for(settings)
    try:
        database = create_database(settings.resolved_database_url)
        try:
            package_keys = dict(sorted(key_states(database).items()))
        finally:
            database.dispose()
    except FaceSaaSError as exc:
        fail(exc)
    sealed = read_sealed_private_key(settings.keys_dir)
    if sealed is not None:
        private = sealed_key_id(sealed) or "unreadable"
    else:
        private = "clear" if keys_exist(settings.keys_dir) else "missing"
    problems = [f"{count} package key(s) in clear" for kid, count in package_keys.items() if kid == "clear"]
    problems += [f"{count} package key(s) under master key {kid}, which this configuration lacks"
                 for kid, count in package_keys.items() if kid != "clear" and kid not in vault.key_ids]  # fmt: skip
    if private == "clear" or (private not in ("missing", "clear") and private not in vault.key_ids):
        problems.append(f"server private key: {private}")
    echo_json({
        "current_key_id": vault.current_key_id,
        "accepted_key_ids": vault.key_ids,
        "package_keys": package_keys,
        "server_private_key": private,
        "problems": problems,
    })  # fmt: skip
    if problems:
        sys.exit(1)


@secrets.command("rotate")
@data_dir_option
def rotate(data_dir: Path | None) -> None:
    """Re-seal every stored secret under the current master key (FACESAAS_MASTER_KEY). Run it
    after moving the old key to FACESAAS_MASTER_KEYS_PREVIOUS; remove the old key only once this
    reports success. Package keys change in one transaction (all or nothing); the server private
    key file is replaced atomically after it."""
    from facesaas.auth.keys import (
        PRIVATE_KEY_CONTEXT,
        keys_exist,
        load_keys,
        read_sealed_private_key,
        write_sealed_private_key,
    )
    from facesaas.storage.database import create_database
    from facesaas.tenants.package_keys import reseal_all
    from facesaas.vault import sealed_key_id

    settings = settings_for(data_dir)
    vault = vault_for(settings)
    report: dict[str, Any] = {"current_key_id": vault.current_key_id}
    try:
        # The key file is re-sealed in memory first: if it does not open, nothing is changed
        # anywhere (a clear PEM left from before sealing is sealed, as a start would do).
        private_before, private_sealed = "missing", None
        if keys_exist(settings.keys_dir):
            load_keys(settings.keys_dir, vault)  # proves it opens
            current = read_sealed_private_key(settings.keys_dir)
            if current is not None:
                private_before = sealed_key_id(current) or "unreadable"
                private_sealed = vault.reseal(current, PRIVATE_KEY_CONTEXT)
        database = create_database(settings.resolved_database_url)
        try:
            before = reseal_all(database, vault)
        finally:
            database.dispose()
    except FaceSaaSError as exc:
        fail(exc)
    except OSError as exc:
        fail(ConfigurationError(f"the keys directory is unreadable ({exc.__class__.__name__}); nothing was changed"))
    if private_sealed is not None:
        try:
            write_sealed_private_key(settings.keys_dir, private_sealed)
        except OSError as exc:
            fail(ConfigurationError(f"the server private key file could not be replaced ({exc.__class__.__name__}); the "
                                    "package keys are re-sealed: keep the old key in FACESAAS_MASTER_KEYS_PREVIOUS and "
                                    "run rotate again"))  # fmt: skip
    total = sum(before.values())
    report["package_keys"] = {
        "total": total,
        "resealed": total - before.get(vault.current_key_id, 0),
        "before": dict(sorted(before.items())),
    }
    report["server_private_key"] = {"before": private_before,
                                    "after": vault.current_key_id if private_sealed is not None else private_before}  # fmt: skip
    echo_json(report)
