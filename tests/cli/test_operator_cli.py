"""``facesaas operator``: create (prompt or --password-stdin), list, disable, enable."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from facesaas.cli import cli
from facesaas.operators import OperatorService
from facesaas.settings import Settings
from facesaas.storage.database import create_database

PASSWORD = "a long enough password"


def _run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


def test_operator_lifecycle(tmp_path: Path, database_url: str) -> None:
    data = ["--data-dir", str(tmp_path / "d")]
    code, out = _run("operator", "create", "Alice", "--password-stdin", *data, stdin=PASSWORD + "\n")
    assert (code, out) == (0, "operator alice created; log in at /console\n")
    # The prompt asks twice; a mismatch asks again, so the third and fourth lines count.
    code, out = _run("operator", "create", "bob", *data, stdin=f"{PASSWORD}\nother password!\n{PASSWORD}\n{PASSWORD}\n")
    assert code == 0 and "operator bob created" in out and PASSWORD not in out
    assert _run("operator", "create", "carol", "--password-stdin", *data, stdin="short\n")[0] == 1
    assert _run("operator", "create", "alice", "--password-stdin", *data, stdin=PASSWORD + "\n")[0] == 1
    listed = json.loads(_run("operator", "list", "--json", *data)[1])
    assert [row["username"] for row in listed] == ["alice", "bob"] and all(row["enabled"] for row in listed)
    assert not any("password" in key for row in listed for key in row)
    assert _run("operator", "disable", "alice", *data) == (0, "alice disabled\n")
    assert "alice  DISABLED" in _run("operator", "list", *data)[1]
    assert _run("operator", "disable", "nobody", *data)[0] == 1
    assert _run("operator", "enable", "alice", *data) == (0, "alice enabled\n")
    # The passwords typed really are the accounts' passwords.
    database = create_database(Settings(data_dir=tmp_path / "d").resolved_database_url)
    try:
        service = OperatorService(database)
        assert service.login("alice", PASSWORD).operator.username == "alice"
        assert service.login("bob", PASSWORD).operator.username == "bob"
    finally:
        database.dispose()
