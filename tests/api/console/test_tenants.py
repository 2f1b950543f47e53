"""Tenants through the console over real HTTP: the JSON API (scripts) and the download forms
(the pages), each followed by real signed calls that prove the credentials work or stopped."""

from __future__ import annotations

import json

import httpx
import pytest

from facesaas.sdk import ApiError, Client
from tests.api.console.conftest import ConsoleClient
from tests.conftest import RunningServer


def _error(response: httpx.Response, rtn: int, status: int) -> None:
    assert (response.status_code, response.json()["rtn"]) == (status, rtn), response.text


def _calls(server: RunningServer, creds: dict, image: bytes) -> int:
    """rtn of one signed extraction with ``creds``."""
    with Client(server.url, creds["access_id"], creds["access_key"], server.public_pem) as client:
        try:
            return client.feature_extraction(image)["rtn"]
        except ApiError as exc:
            return exc.rtn


def _form(console: ConsoleClient, path: str, **fields: str) -> httpx.Response:
    """A console form post as the browser sends it (urlencoded, the token as a field)."""
    return console.http.post(path, data={"csrf_token": console.csrf, **fields})


def test_tenant_lifecycle_through_the_json_api(console: ConsoleClient, server: RunningServer, astronaut_jpeg: bytes) -> None:
    created = console.post("/console/api/tenants", {"name": "Acme", "cluster": "staging"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    creds = created.json()
    assert creds["rtn"] == 0 and creds["cluster"] == "staging" and creds["name"] == "Acme"
    assert len(creds["access_key"]) == 32 and creds["public_key_pem"] == server.public_pem and creds["package_key"]
    assert _calls(server, creds, astronaut_jpeg) == 0

    listed = console.get("/console/api/tenants").json()["tenants"]
    assert [t["access_id"] for t in listed] == [creds["access_id"]]
    assert creds["access_key"] not in json.dumps(listed) and "access_key" not in listed[0]
    assert console.get("/console/api/tenants?cluster=production").json()["tenants"] == []
    _error(console.get("/console/api/tenants?cluster=moon"), -2003, 400)

    access_id = creds["access_id"]
    assert console.post(f"/console/api/tenants/{access_id}/disable").json()["tenant"]["enabled"] is False
    assert _calls(server, creds, astronaut_jpeg) == -1003
    assert console.post(f"/console/api/tenants/{access_id}/enable").json()["tenant"]["enabled"] is True
    assert _calls(server, creds, astronaut_jpeg) == 0

    rotated = console.post(f"/console/api/tenants/{access_id}/rotate").json()
    assert rotated["access_id"] == access_id and rotated["access_key"] != creds["access_key"]
    assert _calls(server, creds, astronaut_jpeg) == -1005  # the old key stopped at once
    assert _calls(server, rotated, astronaut_jpeg) == 0

    limited = console.post(f"/console/api/tenants/{access_id}/limits", {"per_second": 5, "per_day": 0}).json()["tenant"]
    assert (limited["per_second"], limited["per_day"], limited["concurrent"]) == (5, 0, None)
    for bad in ({"per_second": -1}, {"per_day": 1.5}, {"concurrent": "3"}, {"per_second": True}, {"per_day": 2**31},
                {"concurrent": 10**30}):  # fmt: skip
        _error(console.post(f"/console/api/tenants/{access_id}/limits", bad), -2003, 400)

    promoted = console.post(f"/console/api/tenants/{access_id}/promote").json()
    assert promoted["rtn"] == 0 and promoted["cluster"] == "production" and promoted["promoted_from"] == access_id
    assert promoted["access_id"] != access_id and promoted["access_key"] not in (creds["access_key"], rotated["access_key"])
    _error(console.post(f"/console/api/tenants/{access_id}/promote"), -1016, 409)  # promoted already
    _error(console.post(f"/console/api/tenants/{promoted['access_id']}/promote"), -1016, 409)  # not staging
    assert {t["cluster"] for t in console.get("/console/api/tenants").json()["tenants"]} == {"staging", "production"}


@pytest.mark.parametrize("action", ["disable", "enable", "rotate", "promote", "limits"])
def test_unknown_tenant_is_404(console: ConsoleClient, action: str) -> None:
    _error(console.post(f"/console/api/tenants/0123456789abcdef/{action}", {}), -1015, 404)


@pytest.mark.parametrize(
    ("body", "rtn"),
    [({}, -2002), ({"name": ""}, -2002), ({"name": 7}, -2003), ({"name": "x" * 129}, -2003), ({"name": "   "}, -2003),
     ({"name": "a", "cluster": "moon"}, -2003)],
)  # fmt: skip
def test_create_checks_its_input(console: ConsoleClient, body: dict, rtn: int) -> None:
    _error(console.post("/console/api/tenants", body), rtn, 400)
    assert console.get("/console/api/tenants").json()["tenants"] == []


def test_forms_deliver_the_credentials_as_a_download(console: ConsoleClient, server: RunningServer, astronaut_jpeg: bytes) -> None:
    answer = _form(console, "/console/tenants/create", name="Bank by form", cluster="staging")
    assert answer.status_code == 200
    creds = json.loads(answer.content)
    access_id = creds["access_id"]
    assert answer.headers["content-disposition"] == f'attachment; filename="facesaas-{access_id}.json"'
    assert answer.headers["cache-control"] == "no-store" and answer.headers["content-type"].startswith("application/json")
    assert "rtn" not in creds  # a file for the customer, not an API answer
    assert _calls(server, creds, astronaut_jpeg) == 0

    rotated = _form(console, f"/console/tenants/{access_id}/rotate")
    assert rotated.headers["content-disposition"] == f'attachment; filename="facesaas-{access_id}.json"'
    new = json.loads(rotated.content)
    assert _calls(server, creds, astronaut_jpeg) == -1005 and _calls(server, new, astronaut_jpeg) == 0

    promoted = _form(console, f"/console/tenants/{access_id}/promote")
    production = json.loads(promoted.content)
    assert production["cluster"] == "production" and production["promoted_from"] == access_id
    assert promoted.headers["content-disposition"] == f'attachment; filename="facesaas-{production["access_id"]}.json"'
    _error(_form(console, f"/console/tenants/{access_id}/promote"), -1016, 409)


def test_forms_refuse_without_the_token_or_from_another_site(console: ConsoleClient) -> None:
    path = "/console/tenants/create"
    _error(console.http.post(path, data={"name": "x"}), -1013, 403)
    _error(console.http.post(path, data={"name": "x", "csrf_token": "x" * 43}), -1013, 403)
    # The header alone does not open a form: the token must be the form's field.
    _error(console.http.post(path, data={"name": "x"}, headers={"X-CSRF-Token": console.csrf}), -1013, 403)
    _error(console.http.post(path, data={"name": "x", "csrf_token": console.csrf}, headers={"Origin": "http://evil.example"}),
           -1014, 403)  # fmt: skip
    _error(httpx.post(console.url + path, data={"name": "x", "csrf_token": console.csrf}), -1010, 401)  # no cookie
    assert console.get("/console/api/tenants").json()["tenants"] == []  # none of them created anything
    assert _form(console, path, name="x").status_code == 200  # positive control


def test_no_page_or_script_holds_a_key(console: ConsoleClient) -> None:
    creds = json.loads(_form(console, "/console/tenants/create", name="secretive", cluster="staging").content)
    secrets = [creds["access_key"], creds["package_key"]]
    paths = ["/console/login", "/console/tenants", "/console/usage", "/console/review", "/console/try",
             "/console/api/me", "/console/api/tenants", f"/console/api/review?access_id={creds['access_id']}",
             f"/console/api/usage?access_id={creds['access_id']}"]  # fmt: skip
    paths += [f"/console/static/{name}" for name in ("console.js", "tenants.js", "usage.js", "review.js", "try.js", "charts.js")]
    for path in paths:
        answer = console.get(path, follow_redirects=True)
        assert answer.status_code == 200, path
        assert not [s for s in secrets if s in answer.text], path
