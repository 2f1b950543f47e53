"""Clusters, metering and quotas through real signed HTTP (issue 15): credentials are per
cluster, every authenticated call on staging and production is one row with its answer's rtn,
only production rtn-0 calls are billable, and quotas answer 429 with their own rtn."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select, text

from facesaas.api.server import BackgroundServer
from facesaas.auth.quotas import QuotaLimits
from facesaas.metering.models import Call
from facesaas.sdk import ApiError, Client
from facesaas.sdk.client import EXTRACTION_PATH
from facesaas.settings import Settings
from facesaas.storage.database import create_database
from facesaas.tenants.service import NewCredentials, TenantService

EXTRACT = {"image_type": 3}


@contextmanager
def cluster_server(settings: Settings, cluster: str, **changes: object) -> Iterator[tuple[str, BackgroundServer]]:
    """A server of ``cluster`` over the test's database and key pair (a deployment of its own
    data directory), and the server object (its app's context is inspectable)."""
    chosen = settings.model_copy(update={"cluster": cluster, "data_dir": settings.data_dir.parent / cluster,
                                         "keys_path": settings.keys_dir, **changes})  # fmt: skip
    server = BackgroundServer(chosen)
    with server as url:
        yield url, server


def _client(url: str, creds: NewCredentials, settings: Settings) -> Client:
    return Client(url, creds.tenant.access_id, creds.access_key, (settings.keys_dir / "server_public.pem").read_text())


def _rtn(client: Client, payload: dict) -> tuple[int, str]:
    """(rtn, global_request_id) of one call, whatever it answers."""
    response = client.post_raw(EXTRACTION_PATH, json.dumps(payload).encode())
    body = response.json()
    return body["rtn"], body["global_request_id"]


def _calls(settings: Settings) -> list[Call]:
    database = create_database(settings.resolved_database_url)
    try:
        with database.transaction() as session:
            return list(session.scalars(select(Call).order_by(Call.started_at)))
    finally:
        database.dispose()


def test_credentials_are_per_cluster(settings: Settings, tenants: TenantService, astronaut_jpeg: bytes) -> None:
    staging = tenants.create("acme", "staging")
    production = tenants.promote(staging.tenant.access_id)
    private = tenants.create("in house")
    assert staging.tenant.access_id.startswith("s") and production.tenant.access_id.startswith("p")
    assert production.tenant.promoted_from == staging.tenant.access_id and production.tenant.cluster == "production"
    payload = {**EXTRACT, "image_content": base64.b64encode(astronaut_jpeg).decode()}
    for cluster, own, others in (("staging", staging, (production, private)), ("production", production, (staging, private)),
                                 ("private", private, (staging, production))):  # fmt: skip
        with cluster_server(settings, cluster) as (url, _):
            with _client(url, own, settings) as sdk:
                assert _rtn(sdk, payload)[0] == 0, cluster
            for other in others:
                with _client(url, other, settings) as sdk:
                    assert _rtn(sdk, payload)[0] == -1009, (cluster, other.tenant.cluster)
    with cluster_server(settings, "production") as (url, _):
        # AccessIDs of a staging cluster with its own database: recognised by their form.
        stranger = NewCredentials(replace(staging.tenant, access_id="s" + "0" * 15), staging.access_key)
        with _client(url, stranger, settings) as sdk:
            response = sdk.post_raw(EXTRACTION_PATH, b"{}")
        assert (response.status_code, response.json()["rtn"]) == (403, -1009)
        unknown = NewCredentials(replace(staging.tenant, access_id="0" * 16), "x" * 32)
        with _client(url, unknown, settings) as sdk:
            assert sdk.post_raw(EXTRACTION_PATH, b"{}").json()["rtn"] == -1002


def test_promote_refuses_what_is_not_a_first_go_live(tenants: TenantService) -> None:
    staging = tenants.create("acme", "staging")
    tenants.set_limits(staging.tenant.access_id, per_second=20, per_day=None, concurrent=4)
    production = tenants.promote(staging.tenant.access_id)
    assert production.tenant.quota == QuotaLimits(20, None, 4)  # the reviewed limits go live too
    with pytest.raises(ValueError, match="went live already"):
        tenants.promote(staging.tenant.access_id)
    with pytest.raises(ValueError, match="only staging"):
        tenants.promote(production.tenant.access_id)
    with pytest.raises(ValueError, match="only staging"):
        tenants.promote(tenants.create("in house").tenant.access_id)


@pytest.mark.parametrize("cluster", ["staging", "production", "private"])
def test_every_authenticated_call_is_one_row_with_its_answer(
    settings: Settings, tenants: TenantService, astronaut_jpeg: bytes, cluster: str
) -> None:
    creds = tenants.create("acme", cluster)
    good = {**EXTRACT, "image_content": base64.b64encode(astronaut_jpeg).decode()}
    blank = {**EXTRACT, "image_content": base64.b64encode(_blank_jpeg()).decode()}
    with cluster_server(settings, cluster) as (url, _), _client(url, creds, settings) as sdk:
        answers = [_rtn(sdk, good), _rtn(sdk, {"image_type": 3}), _rtn(sdk, blank), _rtn(sdk, good)]
        forged = httpx.post(url + EXTRACTION_PATH, content=b"{}",
                            headers={"x-access-id": creds.tenant.access_id, "x-signature": "00" * 128})  # fmt: skip
        assert forged.json()["rtn"] == -1004
    assert [rtn for rtn, _ in answers] == [0, -2002, -3001, 0]
    rows = _calls(settings)
    if cluster == "private":
        assert rows == []  # a private deployment meters nothing
        return
    # The forged request is not a call of this customer; the four signed ones are, once each.
    assert [(r.request_id, r.rtn) for r in rows] == [(request_id, rtn) for rtn, request_id in answers]
    assert all(r.endpoint == EXTRACTION_PATH and r.cluster == cluster and r.finished_at is not None for r in rows)
    assert [r.http_status for r in rows] == [200, 400, 422, 200]
    assert all(r.duration_ms is not None and 0 < r.duration_ms < 60_000 for r in rows)
    assert [r.billable for r in rows] == ([True, False, False, True] if cluster == "production" else [False] * 4)


def _blank_jpeg() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (120, 130, 140)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_quotas_answer_429_with_their_own_rtn_and_are_metered(settings: Settings, tenants: TenantService) -> None:
    creds = tenants.create("acme", "staging")
    access_id = creds.tenant.access_id
    tenants.set_limits(access_id, per_second=0, per_day=3, concurrent=1)
    with cluster_server(settings, "staging") as (url, server), _client(url, creds, settings) as sdk:
        context = server._server.config.app.state.context  # the running app's shared state
        held = context.quotas.admit(creds.tenant.id, "held-by-test", QuotaLimits(0, 0, 1))  # a call in flight
        busy = sdk.post_raw(EXTRACTION_PATH, b"{}")
        assert (busy.status_code, busy.json()["rtn"], busy.headers["retry-after"]) == (429, -5006, "1")
        held()
        assert [sdk.post_raw(EXTRACTION_PATH, b"{}").json()["rtn"] for _ in range(3)] == [-2002] * 3
        over = sdk.post_raw(EXTRACTION_PATH, b"{}")
        assert (over.status_code, over.json()["rtn"]) == (429, -5005)
        assert 1 <= int(over.headers["retry-after"]) <= 86400
        tenants.set_limits(access_id, per_second=0, per_day=0, concurrent=0)  # applies from the next request
        assert sdk.post_raw(EXTRACTION_PATH, b"{}").json()["rtn"] == -2002
        tenants.set_limits(access_id, per_second=None, per_day=None, concurrent=None)  # the default: unlimited
        assert sdk.post_raw(EXTRACTION_PATH, b"{}").json()["rtn"] == -2002
    assert [r.rtn for r in _calls(settings)] == [-5006, -2002, -2002, -2002, -5005, -2002, -2002]
    assert not any(r.billable for r in _calls(settings))


def test_the_deployment_defaults_apply_to_customers_without_limits(settings: Settings, tenants: TenantService) -> None:
    creds = tenants.create("acme")
    with cluster_server(settings, "private", daily_quota=2) as (url, _), _client(url, creds, settings) as sdk:
        rtns = [sdk.post_raw(EXTRACTION_PATH, b"{}").json()["rtn"] for _ in range(3)]
    assert rtns == [-2002, -2002, -5005]


def test_a_call_that_cannot_be_recorded_is_refused_before_any_work(
    settings: Settings, tenants: TenantService, astronaut_jpeg: bytes
) -> None:
    creds = tenants.create("acme", "production")
    database = create_database(settings.resolved_database_url)
    with cluster_server(settings, "production") as (url, _), _client(url, creds, settings) as sdk:
        with database.engine.begin() as connection:  # the metering table goes away under the service
            connection.execute(text("ALTER TABLE calls RENAME TO calls_away"))
        try:
            with pytest.raises(ApiError) as refused:
                sdk.register_in_repo("vip", "u1", label=1, image=astronaut_jpeg)
        finally:
            with database.engine.begin() as connection:
                connection.execute(text("ALTER TABLE calls_away RENAME TO calls"))
        assert refused.value.rtn in (-5002, -5000) and refused.value.http_status >= 500
        sdk.register_in_repo("vip", "u1", label=1, image=astronaut_jpeg)  # not a duplicate: nothing was stored
    database.dispose()
    assert [r.rtn for r in _calls(settings)] == [0]
