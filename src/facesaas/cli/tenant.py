"""``facesaas tenant``: customers — create, list, disable/enable, rotate keys, set quotas, and the
go-live that issues production credentials (``promote``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from facesaas.cli.common import data_dir_option, echo_json, fail, settings_for, vault_for
from facesaas.cli.package import tenant_rotate_package_key
from facesaas.settings import Settings

if TYPE_CHECKING:
    from facesaas.tenants.service import NewCredentials, TenantService

__all__ = ["tenant", "tenant_service"]


def tenant_service(settings: Settings, *, sealing: bool = False) -> TenantService:
    """The tenants of ``settings``' database; with ``sealing`` the vault too (creating a
    customer seals its package key)."""
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService

    vault = vault_for(settings) if sealing else None
    return TenantService(create_database(settings.resolved_database_url).sessions, vault)


def _public_pem(settings: Settings) -> str:
    from facesaas.auth.keys import init_keys, keys_exist, load_keys
    from facesaas.errors import ConfigurationError

    vault = vault_for(settings)
    try:
        if not keys_exist(settings.keys_dir):
            init_keys(settings.keys_dir, vault)
        return load_keys(settings.keys_dir, vault).public_pem
    except ConfigurationError as exc:
        fail(exc)


@click.group()
def tenant() -> None:
    """Customers: AccessID and AccessKey, per cluster."""


def _credentials_out(creds: NewCredentials, public_pem: str, as_json: bool) -> None:
    payload = creds.as_dict(public_pem)
    if as_json:
        echo_json(payload)
    else:
        click.echo(f"AccessID:  {creds.tenant.access_id}   ({creds.tenant.cluster} cluster)\n"
                   f"AccessKey: {creds.access_key}   (shown once; store it now)")  # fmt: skip
        if "package_key" in payload:
            click.echo(f"Package key id: {payload['package_key_id']}\nPackage key:    {payload['package_key']}   (for capture clients)")
        click.echo()
        click.echo(public_pem, nl=False)


def _or_fail(action):  # noqa: ANN001, ANN202
    """Run ``action()``; an unknown AccessID or a refused change is a one-line error."""
    from facesaas.tenants.service import UnknownTenant

    try:
        return action()
    except (UnknownTenant, ValueError) as exc:
        fail(exc)


@tenant.command("create")
@click.argument("name")
@click.option("--cluster", type=click.Choice(["private", "staging", "production"]), default=None,
              help="The cluster whose deployments accept it (default: FACESAAS_CLUSTER). Production customers "
                   "normally come from `tenant promote`.")
@click.option("--json", "as_json", is_flag=True, help="Print {access_id, access_key, public_key_pem, package_key, package_key_id, ...}.")
@data_dir_option
def tenant_create(name: str, cluster: str | None, as_json: bool, data_dir: Path | None) -> None:
    """Create a customer; prints its AccessID, AccessKey (once) and the server public key."""
    settings = settings_for(data_dir)
    creds = _or_fail(lambda: tenant_service(settings, sealing=True).create(name, cluster or settings.cluster))
    _credentials_out(creds, _public_pem(settings), as_json)


@tenant.command("promote")
@click.argument("access_id")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def tenant_promote(access_id: str, as_json: bool, data_dir: Path | None) -> None:
    """Go-live (manual 7.3.3): issue production credentials for the staging customer ACCESS_ID
    (run `facesaas review ACCESS_ID` first). The staging AccessID keeps working on staging."""
    settings = settings_for(data_dir)
    creds = _or_fail(lambda: tenant_service(settings, sealing=True).promote(access_id))
    _credentials_out(creds, _public_pem(settings), as_json)


@tenant.command("list")
@click.option("--cluster", type=click.Choice(["private", "staging", "production"]), default=None, help="Only this cluster's.")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def tenant_list(cluster: str | None, as_json: bool, data_dir: Path | None) -> None:
    """List customers (never their keys)."""
    rows = [t.as_dict() for t in tenant_service(settings_for(data_dir)).list(cluster)]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = "enabled" if row["enabled"] else "DISABLED"
        origin = f"  (from {row['promoted_from']})" if row["promoted_from"] else ""
        click.echo(f"{row['access_id']}  {row['cluster']:10}  {state:8}  {row['name']}  created {row['created_at']}{origin}")


def _set_enabled(access_id: str, enabled: bool, data_dir: Path | None) -> None:
    info = _or_fail(lambda: tenant_service(settings_for(data_dir)).set_enabled(access_id, enabled))
    click.echo(f"{info.access_id} {'enabled' if info.enabled else 'disabled'}")


@tenant.command("disable")
@click.argument("access_id")
@data_dir_option
def tenant_disable(access_id: str, data_dir: Path | None) -> None:
    """Refuse every request of this customer from now on."""
    _set_enabled(access_id, False, data_dir)


@tenant.command("enable")
@click.argument("access_id")
@data_dir_option
def tenant_enable(access_id: str, data_dir: Path | None) -> None:
    """Accept this customer's requests again."""
    _set_enabled(access_id, True, data_dir)


@tenant.command("rotate")
@click.argument("access_id")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def tenant_rotate(access_id: str, as_json: bool, data_dir: Path | None) -> None:
    """Issue a new AccessKey; the old one stops working at once."""
    settings = settings_for(data_dir)
    creds = _or_fail(lambda: tenant_service(settings).rotate(access_id))
    _credentials_out(creds, _public_pem(settings), as_json)


def _limit(value: str | None, name: str) -> int | None | type[Ellipsis]:
    """An option's value: a whole number (0: unlimited), "default", or not given (...)."""
    if value is None:
        return ...
    if value == "default":
        return None
    if not value.isdigit():
        fail(click.BadParameter(f"{name} takes a whole number ≥ 0 or 'default', not {value!r}"))
    return int(value)


@tenant.command("limits")
@click.argument("access_id")
@click.option("--per-second", default=None, help="Requests per second (0: unlimited, 'default': FACESAAS_RATE_LIMIT_PER_SECOND).")
@click.option("--per-day", default=None, help="Requests per billing day (0: unlimited, 'default': FACESAAS_DAILY_QUOTA).")
@click.option("--concurrent", default=None, help="Requests in flight (0: unlimited, 'default': FACESAAS_CONCURRENT_PER_TENANT).")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def tenant_limits(access_id: str, per_second: str | None, per_day: str | None, concurrent: str | None, as_json: bool,
                  data_dir: Path | None) -> None:  # fmt: skip
    """Show or set the customer's quotas (options not given keep their value); every worker and
    host applies them from the next request on."""
    service = tenant_service(settings_for(data_dir))
    current = _or_fail(lambda: service.get(access_id)).quota
    given = [_limit(per_second, "--per-second"), _limit(per_day, "--per-day"), _limit(concurrent, "--concurrent")]
    if any(value is not ... for value in given):
        old = [current.per_second, current.per_day, current.concurrent]
        values = [o if v is ... else v for v, o in zip(given, old, strict=True)]
        current = _or_fail(lambda: service.set_limits(access_id, *values)).quota
    shown = {"per_second": current.per_second, "per_day": current.per_day, "concurrent": current.concurrent}
    if as_json:
        echo_json({"access_id": access_id, **shown})
        return
    for name, value in shown.items():
        click.echo(f"{name:10} {'default' if value is None else ('unlimited' if value == 0 else value)}")


tenant.add_command(tenant_rotate_package_key)
