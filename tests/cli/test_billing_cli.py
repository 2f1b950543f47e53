"""The operator's go-live story from the command line: a staging customer integrates, the
operator reviews its staging traffic, promotes it, prices the endpoints, and reads the bill of
its production calls (``tenant``, ``review``, ``price``, ``usage``)."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

from click.testing import CliRunner

from facesaas.api.server import BackgroundServer
from facesaas.auth.quotas import billing_day
from facesaas.cli import cli
from facesaas.sdk import Client
from facesaas.sdk.client import EXTRACTION_PATH, VERIFICATION_PATH
from facesaas.settings import Settings


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _calls(settings: Settings, cluster: str, creds: dict, astronaut_jpeg: bytes, good: int, bad: int) -> None:
    deployment = settings.model_copy(update={"cluster": cluster, "data_dir": settings.data_dir.parent / cluster,
                                             "keys_path": settings.keys_dir})  # fmt: skip
    image = base64.b64encode(astronaut_jpeg).decode()
    with BackgroundServer(deployment) as url, Client(url, creds["access_id"], creds["access_key"], creds["public_key_pem"]) as sdk:
        for _ in range(good):
            assert sdk.call(EXTRACTION_PATH, {"image_content": image, "image_type": 3})["rtn"] == 0
        for _ in range(bad):
            assert sdk.post_raw(VERIFICATION_PATH, b"{}").json()["rtn"] == -2002


def test_review_promote_price_and_bill(settings: Settings, astronaut_jpeg: bytes) -> None:
    data = ("--data-dir", str(settings.data_dir))
    code, out = _run("tenant", "create", "acme", "--cluster", "staging", "--json", *data)
    staging = json.loads(out)
    assert code == 0 and staging["cluster"] == "staging" and staging["access_id"].startswith("s")
    _calls(settings, "staging", staging, astronaut_jpeg, good=3, bad=2)

    code, out = _run("review", staging["access_id"], "--json", "--predicted-peak", "40", *data)
    review = json.loads(out)
    assert code == 0 and review["calls"] == 5
    endpoints = {e["endpoint"]: e for e in review["endpoints"]}
    assert endpoints[EXTRACTION_PATH]["by_rtn"] == {"0": 3} and endpoints[VERIFICATION_PATH]["by_rtn"] == {"-2002": 2}
    assert endpoints[VERIFICATION_PATH]["error_rate"] == 1.0 and endpoints[EXTRACTION_PATH]["p50_ms"] > 0
    assert review["capacity"]["required_rps"] == 60.0 and review["capacity"]["hosts"] == 2
    assert "Production capacity at 1.5 x" in _run("review", staging["access_id"], *data)[1]
    assert _run("review", staging["access_id"], "--predicted-peak", "1e308", *data)[0] == 2  # a usage error

    assert _run("tenant", "limits", staging["access_id"], "--per-second", "50", "--json", *data)[1].count('"per_second": 50') == 1
    code, out = _run("tenant", "limits", staging["access_id"], "--per-day", "lots", *data)
    assert code == 1 and "whole number" in out
    code, out = _run("tenant", "promote", staging["access_id"], "--json", *data)
    production = json.loads(out)
    assert code == 0 and production["cluster"] == "production" and production["promoted_from"] == staging["access_id"]
    assert production["per_second"] == 50 and production["access_key"] != staging["access_key"]
    code, out = _run("tenant", "promote", staging["access_id"], *data)
    assert code == 1 and "went live already" in out
    listed = _run("tenant", "list", "--cluster", "production", *data)[1]
    assert listed.splitlines() == [line for line in listed.splitlines() if line.startswith(production["access_id"])]
    assert len(listed.splitlines()) == 1

    today = billing_day(dt.datetime.now(dt.UTC).timestamp(), 8)
    assert _run("price", "set", EXTRACTION_PATH, "0.015", "--from", "2020-01-01", *data)[0] == 0
    assert _run("price", "set", VERIFICATION_PATH, "0.02", *data)[0] == 0
    code, out = _run("price", "set", "/face/basic/nothing", "1", *data)
    assert code == 1 and "unknown endpoint" in out
    assert _run("price", "set", *data, EXTRACTION_PATH, "--", "-3") == (1, "error: a price is a finite amount ≥ 0, not '-3'\n")
    prices = json.loads(_run("price", "list", "--json", *data)[1])
    assert [(p["endpoint"], p["unit_price"]) for p in prices] == [(VERIFICATION_PATH, "0.02"), (EXTRACTION_PATH, "0.015")]
    assert prices[0]["effective_from"] == today.isoformat() and prices[1]["effective_from"] == "2020-01-01"

    _calls(settings, "production", production, astronaut_jpeg, good=4, bad=1)
    month = today.strftime("%Y-%m")
    bill = json.loads(_run("usage", "--access-id", production["access_id"], "--month", month, "--json", *data)[1])
    assert bill["total"] == {"calls": 5, "billable": 4, "unanswered": 0, "amount": "0.060"}
    assert bill["days"] == [
        {"date": today.isoformat(), "endpoint": VERIFICATION_PATH, "calls": 1, "billable": 0, "unanswered": 0,
         "unit_price": "0.02", "amount": "0.00"},
        {"date": today.isoformat(), "endpoint": EXTRACTION_PATH, "calls": 4, "billable": 4, "unanswered": 0,
         "unit_price": "0.015", "amount": "0.060"},
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(_run("usage", "--access-id", production["access_id"], "--month", month, "--csv", *data)[1])))
    assert rows[-1]["endpoint"] == "total" and rows[-1]["amount"] == "0.060" and rows[-1]["currency"] == "CNY"
    staging_bill = json.loads(_run("usage", "--access-id", staging["access_id"], "--json", *data)[1])
    assert staging_bill["total"]["calls"] == 5 and staging_bill["total"]["billable"] == 0  # staging never bills
    assert _run("usage", "--access-id", production["access_id"], "--month", "2026-13", *data)[0] == 1
    assert _run("usage", "--access-id", "nobody", *data)[0] == 1
