"""The console's login, session cookie, CSRF and Origin checks, and security headers, through
real HTTP against a running server."""

from __future__ import annotations

import httpx
import pytest

from facesaas.operators import OperatorService
from facesaas.storage.database import create_database
from tests.api.console.conftest import OPERATOR, PASSWORD, ConsoleClient, login
from tests.conftest import RunningServer


def _error(response: httpx.Response, rtn: int, status: int) -> None:
    body = response.json()
    assert (response.status_code, body["rtn"]) == (status, rtn), response.text
    assert body["message"] and body["global_request_id"]


def test_login_sets_a_strict_http_only_cookie(server: RunningServer, operator: str) -> None:
    http = httpx.Client(base_url=server.url)
    answer = http.post("/console/api/login", json={"username": OPERATOR.upper(), "password": PASSWORD})
    assert answer.status_code == 200 and answer.json()["rtn"] == 0
    cookie = answer.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert cookie.startswith("facesaas_console=")
    assert {"httponly", "path", "samesite", "max-age"} <= attributes.keys()
    assert attributes["path"].strip() == "Path=/console" and attributes["samesite"].strip().lower() == "samesite=strict"
    assert attributes["max-age"].strip() == "Max-Age=28800"  # 8 hours
    assert "secure" not in attributes  # plain http on loopback; https gets Secure
    me = http.get("/console/api/me").json()
    assert me["username"] == OPERATOR and me["csrf_token"] == answer.json()["csrf_token"]
    assert answer.headers["cache-control"] == "no-store"
    token = http.cookies["facesaas_console"]
    assert token not in answer.text  # the session token is only in the cookie


def test_api_without_a_session_is_401(server: RunningServer, operator: str) -> None:
    for method, path in (("GET", "/console/api/me"), ("GET", "/console/api/tenants"), ("POST", "/console/api/logout"),
                         ("POST", "/console/api/try"), ("POST", "/console/api/tenants"),
                         ("POST", "/console/tenants/create")):  # fmt: skip
        _error(httpx.request(method, server.url + path), -1010, 401)
    forged = httpx.get(server.url + "/console/api/me", cookies={"facesaas_console": "x" * 43})
    _error(forged, -1010, 401)


def test_wrong_password_and_unknown_user_are_the_same_401(server: RunningServer, operator: str) -> None:
    for username, password in ((OPERATOR, "wrong password"), ("nobody", PASSWORD)):
        answer = httpx.post(server.url + "/console/api/login", json={"username": username, "password": password})
        _error(answer, -1011, 401)
        assert "set-cookie" not in answer.headers
    _error(httpx.post(server.url + "/console/api/login", json={"username": OPERATOR}), -2002, 400)
    _error(httpx.post(server.url + "/console/api/login", json={"username": OPERATOR, "password": 5}), -2003, 400)
    # A form-encoded (or text/plain) login is refused: only JSON, which another site cannot send.
    form = httpx.post(server.url + "/console/api/login", data={"username": OPERATOR, "password": PASSWORD})
    _error(form, -2001, 400)


def test_five_failures_lock_the_login_even_for_the_right_password(server: RunningServer, operator: str) -> None:
    url = server.url + "/console/api/login"
    for _ in range(4):
        _error(httpx.post(url, json={"username": OPERATOR, "password": "wrong password"}), -1011, 401)
    locked = httpx.post(url, json={"username": OPERATOR, "password": "wrong password"})
    _error(locked, -1012, 429)
    assert "retry in 60 s" in locked.json()["message"]
    right = httpx.post(url, json={"username": OPERATOR, "password": PASSWORD})
    _error(right, -1012, 429)
    assert "set-cookie" not in right.headers


def test_mutations_need_the_csrf_token(console: ConsoleClient, credentials) -> None:  # noqa: ANN001
    path = f"/console/api/tenants/{credentials.tenant.access_id}/disable"
    _error(console.http.post(path), -1013, 403)  # cookie, no token
    _error(console.http.post(path, headers={"X-CSRF-Token": "x" * 43}), -1013, 403)
    _error(console.http.post(path, headers={"X-CSRF-Token": ""}), -1013, 403)
    _error(console.http.post("/console/api/try", json={}), -1013, 403)
    _error(console.http.post("/console/api/logout"), -1013, 403)
    assert console.get("/console/api/me").status_code == 200  # none of them logged out
    answer = console.post(path)  # positive control: the same call with the token
    assert answer.status_code == 200 and answer.json()["tenant"]["enabled"] is False


def test_a_foreign_origin_is_refused_even_with_the_token(console: ConsoleClient, credentials) -> None:  # noqa: ANN001
    path = f"/console/api/tenants/{credentials.tenant.access_id}/disable"
    _error(console.post(path, headers={"Origin": "http://evil.example"}), -1014, 403)
    _error(console.post(path, headers={"Origin": "null"}), -1014, 403)
    _error(console.post(path, headers={"Referer": "http://evil.example/page"}), -1014, 403)
    assert console.post(path, headers={"Origin": console.url}).status_code == 200
    evil_login = httpx.post(console.url + "/console/api/login", json={"username": OPERATOR, "password": PASSWORD},
                            headers={"Origin": "http://evil.example"})  # fmt: skip
    _error(evil_login, -1014, 403)


def test_logout_ends_the_session(console: ConsoleClient) -> None:
    token = console.http.cookies["facesaas_console"]
    answer = console.post("/console/api/logout")
    assert answer.status_code == 200 and 'facesaas_console=""' in answer.headers["set-cookie"]
    _error(console.get("/console/api/me"), -1010, 401)
    replayed = httpx.get(console.url + "/console/api/me", cookies={"facesaas_console": token})
    _error(replayed, -1010, 401)


def test_disabling_the_operator_ends_the_session_at_once(console: ConsoleClient, server: RunningServer) -> None:
    assert console.get("/console/api/me").status_code == 200
    database = create_database(server.settings.resolved_database_url)
    try:
        OperatorService(database).disable(OPERATOR)
    finally:
        database.dispose()
    _error(console.get("/console/api/me"), -1010, 401)
    _error(httpx.post(console.url + "/console/api/login", json={"username": OPERATOR, "password": PASSWORD}), -1011, 401)


def test_pages_redirect_to_the_login_without_a_session(server: RunningServer, console: ConsoleClient) -> None:
    for page in ("tenants", "usage", "review", "try"):
        anonymous = httpx.get(f"{server.url}/console/{page}")
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/console/login")
        logged_in = console.get(f"/console/{page}")
        assert logged_in.status_code == 200 and logged_in.headers["content-type"].startswith("text/html")
        assert f'data-page="{page}"' in logged_in.text
    assert httpx.get(f"{server.url}/console").headers["location"] == "/console/tenants"
    login_page = httpx.get(f"{server.url}/console/login")
    assert login_page.status_code == 200 and 'id="login-form"' in login_page.text
    assert console.get("/console/login").headers["location"] == "/console/tenants"  # already logged in


@pytest.mark.parametrize("path", ["/console/login", "/console/api/me", "/console/static/console.js", "/console/nothing"])
def test_security_headers(server: RunningServer, console: ConsoleClient, path: str) -> None:
    answer = console.get(path)
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == ("no-cache" if "/static/" in path else "no-store")


def test_customer_endpoints_get_no_console_headers(server: RunningServer) -> None:
    """Negative control: the middleware touches /console only."""
    answer = httpx.get(server.url + "/healthz")
    assert "content-security-policy" not in answer.headers and "x-frame-options" not in answer.headers


def test_static_files_are_only_the_listed_ones(server: RunningServer) -> None:
    for name, media in (("console.js", "text/javascript"), ("console.css", "text/css"), ("favicon.svg", "image/svg+xml")):
        answer = httpx.get(f"{server.url}/console/static/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media)
    for name in ("tenants.html", "../__init__.py", "..%2F__init__.py", "security.py", "nothing.js"):
        assert httpx.get(f"{server.url}/console/static/{name}").status_code == 404


def test_pages_have_no_inline_script_or_foreign_host(console: ConsoleClient) -> None:
    import re

    for page in ("login", "tenants", "usage", "review", "try"):
        html = console.get(f"/console/{page}", follow_redirects=True).text
        assert "http://" not in html and "https://" not in html
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []  # every script is a file
        assert not re.search(r"<[^>]+\son[a-z]+=", html)  # no inline event handlers
        assert "style=" not in html


def test_console_is_not_in_the_public_schema(server: RunningServer) -> None:
    paths = httpx.get(server.url + "/openapi.json").json()["paths"]
    assert paths and not [p for p in paths if p.startswith("/console")]


def test_second_login_is_a_second_session(server: RunningServer, operator: str) -> None:
    first, second = login(server.url), login(server.url)
    assert first.csrf != second.csrf
    assert first.post("/console/api/logout").status_code == 200
    assert second.get("/console/api/me").status_code == 200


def test_the_console_can_be_left_out(settings) -> None:  # noqa: ANN001
    """FACESAAS_CONSOLE=false: no page, no API, no console headers; the customers' API still answers."""
    from facesaas.api.server import BackgroundServer

    with BackgroundServer(settings.model_copy(update={"console": False})) as url:
        for path in ("/console", "/console/login", "/console/api/me", "/console/static/console.js"):
            answer = httpx.get(url + path)
            assert (answer.status_code, answer.json()["rtn"]) == (404, -4004), path
            assert "content-security-policy" not in answer.headers
        assert httpx.get(url + "/healthz").json()["rtn"] == 0
