"""The log scan (docs/security.md, "The log scan"): every log line of the test run is kept in
files under a session temporary directory, and at the end of the session they are searched for
secrets — private keys, master keys, package keys, AccessKeys, signatures, image bytes, and the
exact secret values the tests created. A hit fails the run and prints the offending lines.

What is captured:
- in this process: every record any logger handles (``logging.Logger.handle``, so loggers that
  do not propagate to the root, as ``configure_logging`` sets them up, are seen too), formatted
  as the service's JSON lines with their extra fields and exception text;
- ``facesaas serve`` processes started by :func:`tests.processes.start_service`: their stderr,
  line by line, from :class:`tests.processes.LogDrain`.

Secret values are registered as they are made: the master keys (``master_key`` fixture and
``generate_master_key``), every customer's AccessKey and package key (wrapping what
``TenantService`` returns), H5 page tokens (``VideoSessions.create``), console session and
CSRF tokens (``OperatorService.login``), and the server private keys of the ``settings`` fixture.

Loaded by ``tests/conftest.py`` (``pytest_plugins``). ``FACESAAS_LOG_SCAN=0`` turns it off
(e.g. to look at a failure of something else first); ``FACESAAS_LOG_SCAN_KEEP=1`` keeps the
files of a clean run. The ``facesaas`` loggers are set to INFO, as the service runs them. Works without pytest-xdist (the suite is
serial) and for the SQLite and PostgreSQL passes alike (each pass is one session).
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

__all__ = ["Hit", "LogCapture", "register", "register_pem", "scan_lines", "sink"]

PATTERNS: dict[str, re.Pattern[str]] = {
    "PEM private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    # x-signature (256 hex for a 1024-bit key, 512 for 2048), a package key or SHA-256 in hex.
    "long hex (signature, key or digest)": re.compile(r"(?<![0-9A-Fa-f])[0-9a-fA-F]{64,}(?![0-9A-Fa-f])"),
    "JPEG bytes in base64": re.compile(r"/9j/[A-Za-z0-9+/]{16}"),
    "PNG bytes in base64": re.compile(r"iVBORw0KGgo"),  # the PNG signature and the IHDR chunk's length
    # Images, packages, feature strings, DER keys: long runs of standard base64.
    "long base64 run": re.compile(r"[A-Za-z0-9+/]{160,}={0,2}"),
    # 32 bytes in standard base64 (44 characters, one '='): a master key or a package key.
    "base64 of 32 bytes (a key)": re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{43}=(?![A-Za-z0-9+/=_-])"),
}
"""Generic shapes of secrets; request ids (32 characters of URL-safe base64) match none."""

_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


@dataclass(frozen=True)
class Hit:
    file: str
    line_number: int
    reason: str
    line: str

    def __str__(self) -> str:
        text = self.line if len(self.line) <= 300 else self.line[:300] + "..."
        return f"{self.file}:{self.line_number}: {self.reason}: {text}"


_registry: dict[str, str] = {}
_registry_lock = threading.Lock()


def register(value: str | bytes, kind: str) -> None:
    """Remember a secret the tests created: a log line holding it (as is, or for bytes in
    base64, URL-safe base64 or hex) is a hit."""
    forms = [value] if isinstance(value, str) else [base64.b64encode(value).decode(),
                                                    base64.urlsafe_b64encode(value).decode(), value.hex()]  # fmt: skip
    with _registry_lock:
        for form in forms:
            if len(form) >= 16:
                _registry[form] = kind
                _registry[form.rstrip("=")] = kind


def register_pem(pem: str | bytes, kind: str) -> None:
    """Every base64 line of a PEM block (one line of a private key in a log is a leak)."""
    text = pem.decode("ascii") if isinstance(pem, bytes) else pem
    for line in text.splitlines():
        if line and not line.startswith("-----"):
            register(line, kind)


def scan_lines(lines: Iterable[str], source: str, registry: dict[str, str] | None = None) -> list[Hit]:
    """Every line of ``lines`` that matches a secret's shape or holds a registered value."""
    known = _registry if registry is None else registry
    hits = []
    for number, line in enumerate(lines, 1):
        reason = next((name for name, pattern in PATTERNS.items() if pattern.search(line)), None)
        if reason is None and known:
            for token in _TOKEN.findall(line):
                kind = known.get(token) or known.get(token.rstrip("="))
                if kind is not None:
                    reason = f"registered {kind}"
                    break
        if reason is not None:
            hits.append(Hit(source, number, reason, line.rstrip("\n")))
    return hits


class LogCapture:
    """The session's log files: ``inprocess.log`` and one file per service process."""

    def __init__(self, directory: Path) -> None:
        from facesaas.api.observability import JsonFormatter

        self.directory = directory
        self._formatter = JsonFormatter()
        self._lock = threading.Lock()
        self._inprocess = open(directory / "inprocess.log", "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._sinks: list[IO[bytes]] = []
        self._original_handle = logging.Logger.handle
        capture = self

        @functools.wraps(logging.Logger.handle)
        def handle(logger: logging.Logger, record: logging.LogRecord) -> None:
            if not logger.disabled:
                capture.write(record)
            capture._original_handle(logger, record)

        logging.Logger.handle = handle  # type: ignore[method-assign]

    def write(self, record: logging.LogRecord) -> None:
        try:
            line = self._formatter.format(record)
        except Exception as exc:  # a record whose arguments do not format: keep what there is
            line = f"{record.name} {record.msg!r} {record.args!r} (unformattable: {exc.__class__.__name__})"
        with self._lock:
            self._inprocess.write(line.replace("\n", "\\n") + "\n")
            self._inprocess.flush()

    def sink(self, name: str) -> IO[bytes]:
        """A file for a service process's stderr lines."""
        with self._lock:
            handle = open(self.directory / f"{name}-{len(self._sinks)}.log", "ab")  # noqa: SIM115 - closed in close()
            self._sinks.append(handle)
        return handle

    def files(self) -> Iterator[Path]:
        yield from sorted(self.directory.glob("*.log"))

    def scan(self) -> list[Hit]:
        self.flush()
        hits: list[Hit] = []
        for path in self.files():
            with open(path, encoding="utf-8", errors="replace") as handle:
                hits.extend(scan_lines(handle, path.name))
        return hits

    def flush(self) -> None:
        with self._lock:
            self._inprocess.flush()
            for handle in self._sinks:
                if not handle.closed:
                    handle.flush()

    def close(self) -> None:
        logging.Logger.handle = self._original_handle  # type: ignore[method-assign]
        with self._lock:
            self._inprocess.close()
            for handle in self._sinks:
                handle.close()


_capture: LogCapture | None = None
_hits: list[Hit] = []


def sink(name: str) -> IO[bytes] | None:
    """Where a service process's stderr lines go (None when the scan is off)."""
    return _capture.sink(name) if _capture is not None else None


def _register_created_secrets() -> None:
    """Register each AccessKey, package key and master key the code under test makes."""
    from facesaas import vault
    from facesaas.liveness.sessions import VideoSessions
    from facesaas.operators.service import OperatorService
    from facesaas.tenants import package_keys, service
    from facesaas.vault import master

    def registering_credentials(function):  # noqa: ANN001, ANN202
        @functools.wraps(function)
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            created = function(*args, **kwargs)
            register(created.access_key, "AccessKey")
            if created.package_key is not None:
                register(created.package_key.key, "package key")
            return created

        return wrapper

    def registering_key(function, kind: str):  # noqa: ANN001, ANN202
        @functools.wraps(function)
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            made = function(*args, **kwargs)
            register(made if isinstance(made, (str, bytes)) else made.key, kind)
            return made

        return wrapper

    def registering_tokens(function, *fields: str):  # noqa: ANN001, ANN202
        @functools.wraps(function)
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            made = function(*args, **kwargs)
            for name in fields:
                register(getattr(made, name), name.replace("_", " "))
            return made

        return wrapper

    VideoSessions.create = registering_tokens(VideoSessions.create, "token")  # type: ignore[method-assign]
    OperatorService.login = registering_tokens(OperatorService.login, "token", "csrf_token")  # type: ignore[method-assign]
    service.TenantService._insert = registering_credentials(service.TenantService._insert)  # type: ignore[method-assign]
    service.TenantService.rotate = registering_credentials(service.TenantService.rotate)  # type: ignore[method-assign]
    package_keys.new_package_key = registering_key(package_keys.new_package_key, "package key")
    master.generate_master_key = registering_key(master.generate_master_key, "master key")
    vault.generate_master_key = master.generate_master_key


def pytest_configure(config: pytest.Config) -> None:
    global _capture
    if os.environ.get("FACESAAS_LOG_SCAN", "1") == "0" or hasattr(config, "workerinput"):
        return
    _capture = LogCapture(Path(tempfile.mkdtemp(prefix="facesaas-logscan-")))
    _register_created_secrets()
    # The service logs at INFO (configure_logging); in-process servers leave the level unset
    # (WARNING), so without this the access log lines would never be made, let alone searched.
    service_logger = logging.getLogger("facesaas")
    if service_logger.level == logging.NOTSET:
        service_logger.setLevel(logging.INFO)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Scan the session's logs; a hit makes the run fail."""
    if _capture is None:
        return
    _hits.extend(_capture.scan())
    if _hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    if _capture is None:
        return
    lines = sum(1 for path in _capture.files() for _ in open(path, "rb"))  # noqa: SIM115 - read once
    if not _hits:
        terminalreporter.write_line(f"log scan: {lines} log lines of this run searched, no secret found")
        _capture.close()
        if os.environ.get("FACESAAS_LOG_SCAN_KEEP") == "1":
            terminalreporter.write_line(f"log scan: the logs are kept in {_capture.directory}")
        else:
            shutil.rmtree(_capture.directory, ignore_errors=True)
        return
    terminalreporter.section("log scan: secrets in the logs", sep="=", red=True, bold=True)
    for hit in _hits[:200]:
        terminalreporter.write_line(str(hit))
    if len(_hits) > 200:
        terminalreporter.write_line(f"... {len(_hits) - 200} more")
    terminalreporter.write_line(f"{len(_hits)} hit(s) in {lines} log lines; the logs are kept in {_capture.directory}")
    _capture.close()
