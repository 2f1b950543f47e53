"""``facesaas usage``, ``facesaas review`` and ``facesaas price``: metering and billing from the
command line, over :mod:`facesaas.metering` (docs/billing.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from facesaas.cli.common import data_dir_option, echo_json, fail, settings_for
from facesaas.cli.tenant import tenant_service
from facesaas.settings import Settings

__all__ = ["usage", "review", "price", "ENDPOINTS"]


def ENDPOINTS() -> tuple[str, ...]:  # noqa: N802
    """The manual's endpoints (the SDK's paths): what can be priced."""
    from facesaas.sdk import client

    return tuple(sorted(getattr(client, name) for name in dir(client) if name.endswith("_PATH")))


def _database(settings: Settings):  # noqa: ANN202
    from facesaas.storage.database import create_database

    return create_database(settings.resolved_database_url)


def _tenant(settings: Settings, access_id: str):  # noqa: ANN202
    from facesaas.tenants.service import UnknownTenant

    try:
        return tenant_service(settings).get(access_id)
    except UnknownTenant as exc:
        fail(exc)


@click.command()
@click.option("--access-id", required=True, help="The customer.")
@click.option("--month", default=None, help="YYYY-MM (billing month; default: the current one).")
@click.option("--json", "as_json", is_flag=True, help="Counts and amounts per endpoint and per day as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="One CSV row per day and endpoint, then per endpoint, then the total.")
@data_dir_option
def usage(access_id: str, month: str | None, as_json: bool, as_csv: bool, data_dir: Path | None) -> None:
    """A customer's calls, billable calls and amount in one billing month."""
    from facesaas.metering import current_month, usage_report

    if as_json and as_csv:
        fail(click.UsageError("--json or --csv, not both"))
    settings = settings_for(data_dir)
    month = month or current_month(settings.billing_utc_offset_hours)
    info = _tenant(settings, access_id)
    database = _database(settings)
    try:
        report = usage_report(database, info.id, access_id, info.cluster, month, settings.currency)
    except ValueError as exc:
        fail(exc)
    finally:
        database.dispose()
    if as_json:
        echo_json(report.as_dict())
    elif as_csv:
        click.echo(report.csv(), nl=False)
    else:
        click.echo(report.text(), nl=False)


@click.command()
@click.argument("access_id")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None, help="Only calls from then on (UTC).")
# The bounds are metering.MAX_PREDICTED_RPS (not imported here: the CLI starts without numpy).
@click.option("--predicted-peak", type=click.FloatRange(min=0, max=1_000_000), default=None,
              help="The customer's predicted production peak, requests/s (default: the staging peak).")
@click.option("--host-rps", type=click.FloatRange(min=0.1, max=1_000_000), default=None,
              help="Requests/s one production host serves (default: the measured 34/s of docs/deploy.md).")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def review(access_id: str, since: dt.datetime | None, predicted_peak: float | None, host_rps: float | None, as_json: bool,
           data_dir: Path | None) -> None:  # fmt: skip
    """The go-live review (上线检查) of a staging customer: volumes, error rates by rtn, p50/p99
    latency, peak requests per second and the production capacity at 1.5 x the predicted peak."""
    from facesaas.metering import HOST_RPS, go_live_review

    settings = settings_for(data_dir)
    info = _tenant(settings, access_id)
    database = _database(settings)
    try:
        result = go_live_review(database, info.id, access_id, info.cluster,
                                since=since.replace(tzinfo=dt.UTC) if since else None,
                                predicted_peak_rps=predicted_peak, host_rps=host_rps or HOST_RPS)  # fmt: skip
    finally:
        database.dispose()
    if as_json:
        echo_json(result.as_dict())
    else:
        click.echo(result.text(), nl=False)


@click.group()
def price() -> None:
    """The price table: a unit price per endpoint from a day on."""


@price.command("set")
@click.argument("endpoint")
@click.argument("unit_price")
@click.option("--from", "effective_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First billing day at this price (default: today).")
@data_dir_option
def price_set(endpoint: str, unit_price: str, effective_from: dt.datetime | None, data_dir: Path | None) -> None:
    """Price ENDPOINT (a path such as /face/basic/ocr) at UNIT_PRICE per billable call
    (a decimal, at most 6 places, in FACESAAS_CURRENCY)."""
    import time

    from facesaas.auth.quotas import billing_day
    from facesaas.metering import PriceBook

    if endpoint not in ENDPOINTS():
        fail(click.BadParameter(f"unknown endpoint {endpoint!r}; one of: {', '.join(ENDPOINTS())}"))
    settings = settings_for(data_dir)
    day = effective_from.date() if effective_from else billing_day(time.time(), settings.billing_utc_offset_hours)
    database = _database(settings)
    try:
        entry = PriceBook(database, settings.currency).set(endpoint, unit_price, day)
    except ValueError as exc:
        fail(exc)
    finally:
        database.dispose()
    click.echo(f"{entry.endpoint}: {entry.unit_price} {entry.currency} per billable call from {entry.effective_from}")


@price.command("list")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def price_list(as_json: bool, data_dir: Path | None) -> None:
    """Every price, by endpoint and day."""
    from facesaas.metering import PriceBook

    settings = settings_for(data_dir)
    database = _database(settings)
    try:
        entries = PriceBook(database, settings.currency).entries()
    finally:
        database.dispose()
    if as_json:
        echo_json([entry.as_dict() for entry in entries])
        return
    for entry in entries:
        click.echo(f"{entry.endpoint:56} {entry.unit_price:>10} {entry.currency}  from {entry.effective_from}")
    if not entries:
        click.echo("no prices set: every call is unpriced (amount 0); see `facesaas price set --help`")
