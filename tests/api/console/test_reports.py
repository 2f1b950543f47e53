"""Usage and go-live review through the console, from real metered calls on a staging server;
"try it" is not metered (the negative control: the counts are exactly the signed calls)."""

from __future__ import annotations

import base64
import csv
import io
import time

import httpx
import numpy as np
from PIL import Image

from facesaas.auth.quotas import billing_day
from facesaas.sdk import ApiError, Client
from facesaas.sdk.client import EXTRACTION_PATH, VERIFICATION_PATH
from tests.api.console.conftest import ConsoleClient
from tests.conftest import RunningServer


def _error(response: httpx.Response, rtn: int, status: int) -> None:
    assert (response.status_code, response.json()["rtn"]) == (status, rtn), response.text


def _blank_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((120, 160, 3), 200, dtype=np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _traffic(console: ConsoleClient, server: RunningServer, image: bytes) -> str:
    """A staging tenant with 3 extractions (one without a face) and 1 verification, and two
    "try it" comparisons by the operator; its AccessID."""
    creds = console.post("/console/api/tenants", {"name": "metered", "cluster": "staging"}).json()
    with Client(server.url, creds["access_id"], creds["access_key"], server.public_pem) as client:
        assert client.feature_extraction(image)["rtn"] == 0
        assert client.feature_extraction(image)["rtn"] == 0
        try:
            client.feature_extraction(_blank_jpeg())
            raise AssertionError("a blank image has no face")
        except ApiError as exc:
            assert exc.rtn == -3001
        assert client.face_pair_verification(query_image=image, database_image=image)["rtn"] == 0
    photo = base64.b64encode(image).decode()
    for _ in range(2):
        assert console.post("/console/api/try", {"image_a": photo, "image_b": photo}).json()["rtn"] == 0
    return creds["access_id"]


def test_usage_counts_the_signed_calls_only(console: ConsoleClient, server: RunningServer, astronaut_jpeg: bytes) -> None:
    access_id = _traffic(console, server, astronaut_jpeg)
    month = billing_day(time.time(), server.settings.billing_utc_offset_hours).strftime("%Y-%m")
    answer = console.get(f"/console/api/usage?access_id={access_id}")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    usage = answer.json()["usage"]
    assert (usage["access_id"], usage["month"], usage["cluster"]) == (access_id, month, "staging")
    per_endpoint = {line["endpoint"]: (line["calls"], line["billable"]) for line in usage["endpoints"]}
    assert per_endpoint == {EXTRACTION_PATH: (3, 0), VERIFICATION_PATH: (1, 0)}  # staging calls are never billable
    assert usage["total"]["calls"] == 4  # the two "try it" comparisons are not among them
    assert sum(day["calls"] for day in usage["days"]) == 4
    assert {day["date"][:7] for day in usage["days"]} == {month}
    assert console.get(f"/console/api/usage?access_id={access_id}&month={month}").json()["usage"] == usage

    other = console.get(f"/console/api/usage?access_id={access_id}&month=2020-01").json()["usage"]
    assert other["endpoints"] == [] and other["total"]["calls"] == 0


def test_usage_as_csv(console: ConsoleClient, server: RunningServer, astronaut_jpeg: bytes) -> None:
    access_id = _traffic(console, server, astronaut_jpeg)
    month = billing_day(time.time(), server.settings.billing_utc_offset_hours).strftime("%Y-%m")
    answer = console.get(f"/console/api/usage?access_id={access_id}&month={month}&format=csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == f'attachment; filename="facesaas-usage-{access_id}-{month}.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    month_rows = {row["endpoint"]: int(row["calls"]) for row in rows if row["date"] == month}
    assert month_rows == {EXTRACTION_PATH: 3, VERIFICATION_PATH: 1, "total": 4}


def test_usage_checks_its_input(console: ConsoleClient, server: RunningServer) -> None:
    access_id = console.post("/console/api/tenants", {"name": "x", "cluster": "staging"}).json()["access_id"]
    _error(console.get("/console/api/usage"), -2002, 400)
    _error(console.get("/console/api/usage?access_id=nobody"), -1015, 404)
    for query in ("month=2026-13", "month=26-01", "month=2026-1", "format=xml"):
        _error(console.get(f"/console/api/usage?access_id={access_id}&{query}"), -2003, 400)
    _error(httpx.get(f"{server.url}/console/api/usage?access_id={access_id}"), -1010, 401)
    _error(httpx.get(f"{server.url}/console/api/review?access_id={access_id}"), -1010, 401)


def test_go_live_review(console: ConsoleClient, server: RunningServer, astronaut_jpeg: bytes) -> None:
    access_id = _traffic(console, server, astronaut_jpeg)
    answer = console.get(f"/console/api/review?access_id={access_id}").json()
    review = answer["review"]
    assert review["access_id"] == access_id and review["cluster"] == "staging" and review["calls"] == 4
    extraction = next(e for e in review["endpoints"] if e["endpoint"] == EXTRACTION_PATH)
    assert extraction["calls"] == 3 and extraction["by_rtn"] == {"0": 2, "-3001": 1} and extraction["errors"] == 1
    assert extraction["p50_ms"] > 0 and review["peak"]["rps"] >= 1
    assert review["capacity"]["predicted_from"] == "the staging peak"
    assert access_id in answer["text"] and EXTRACTION_PATH in answer["text"]

    given = console.get(f"/console/api/review?access_id={access_id}&predicted_peak_rps=20").json()["review"]
    assert given["capacity"]["predicted_peak_rps"] == 20 and given["capacity"]["required_rps"] == 30
    for bad in ("abc", "-1", "nan", "inf", "1e308", "1000001"):
        _error(console.get(f"/console/api/review?access_id={access_id}&predicted_peak_rps={bad}"), -2003, 400)
    _error(console.get("/console/api/review?access_id=nobody"), -1015, 404)
    _error(console.get("/console/api/review"), -2002, 400)
