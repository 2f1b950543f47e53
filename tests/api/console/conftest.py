"""Fixtures of the console tests: an operator account and a logged-in HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from facesaas.api.server import BackgroundServer
from facesaas.operators import OperatorService
from facesaas.settings import Settings
from facesaas.storage.database import create_database
from tests.conftest import RunningServer

OPERATOR = "alice"
PASSWORD = "operator password 1"


@pytest.fixture
def server(settings: Settings) -> Iterator[RunningServer]:
    """Here the server runs the staging cluster: calls are metered there (usage charts, the
    go-live review), and staging tenants, the ones promoted to production, can call it."""
    staging = settings.model_copy(update={"cluster": "staging"})
    with BackgroundServer(staging) as url:
        yield RunningServer(url, staging, (staging.keys_dir / "server_public.pem").read_text())


@pytest.fixture
def operator(settings: Settings) -> str:
    """An operator account in the test's database; its username (password: PASSWORD)."""
    database = create_database(settings.resolved_database_url)
    try:
        OperatorService(database).create(OPERATOR, PASSWORD)
    finally:
        database.dispose()
    return OPERATOR


@dataclass
class ConsoleClient:
    """An HTTP client holding an operator's session cookie, and the session's CSRF token."""

    url: str
    http: httpx.Client
    csrf: str

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        """A state-changing call with the CSRF header (the pages' fetch calls)."""
        headers = {"X-CSRF-Token": self.csrf, **kwargs.pop("headers", {})}
        return self.http.post(path, json=json, headers=headers, **kwargs)


def login(url: str, username: str = OPERATOR, password: str = PASSWORD) -> ConsoleClient:
    http = httpx.Client(base_url=url, timeout=60)
    answer = http.post("/console/api/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return ConsoleClient(url, http, answer.json()["csrf_token"])


@pytest.fixture
def console(server: RunningServer, operator: str) -> Iterator[ConsoleClient]:
    client = login(server.url)
    yield client
    client.http.close()
