"""The master key from settings: ``FACESAAS_MASTER_KEY`` (current), ``FACESAAS_MASTER_KEYS_PREVIOUS``
(older keys still accepted for opening), or, on a private cluster with neither set, a key
generated once into ``<keys_dir>/master.key`` (mode 0600) so the embedded default needs no
configuration. Staging and production refuse to start without ``FACESAAS_MASTER_KEY``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from pathlib import Path

from facesaas.errors import MasterKeyError
from facesaas.settings import Settings
from facesaas.vault.sealing import MASTER_KEY_BYTES, Vault, key_id_of

__all__ = ["MASTER_KEY_FILE", "generate_master_key", "open_vault", "parse_master_key"]

MASTER_KEY_FILE = "master.key"

log = logging.getLogger("facesaas.vault")


def generate_master_key() -> str:
    """A new master key: standard base64 of 32 random bytes (44 characters)."""
    return base64.b64encode(os.urandom(MASTER_KEY_BYTES)).decode("ascii")


def parse_master_key(text: str, setting: str) -> bytes:
    """The 32 bytes of a base64 master key; :class:`MasterKeyError` naming ``setting`` (never
    the value) when it is not exactly that."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError(f"{setting} is not standard base64") from exc
    if len(key) != MASTER_KEY_BYTES:
        raise MasterKeyError(f"{setting} must decode to {MASTER_KEY_BYTES} bytes, not {len(key)}")
    return key


def open_vault(settings: Settings) -> Vault:
    """The vault of these settings. Cost: a file read at most (and once, generating the file:
    32 random bytes and an fsync). Raises :class:`MasterKeyError` for a missing (staging,
    production) or malformed key."""
    if settings.master_key is not None:
        current = parse_master_key(settings.master_key.get_secret_value(), "FACESAAS_MASTER_KEY")
    elif settings.cluster != "private":
        raise MasterKeyError(
            f"FACESAAS_MASTER_KEY must be set on a {settings.cluster} cluster (`facesaas secrets generate-key` prints "
            "one; keep it outside the data directory and its backups)"
        )
    else:
        current = _key_file(settings.keys_dir)
    previous: list[bytes] = []
    if settings.master_keys_previous is not None:
        entries = [e for e in settings.master_keys_previous.get_secret_value().split(",") if e.strip()]
        for index, entry in enumerate(entries, 1):
            previous.append(parse_master_key(entry, f"FACESAAS_MASTER_KEYS_PREVIOUS entry {index}"))
    return Vault(current, previous)


def _key_file(keys_dir: Path) -> bytes:
    """The embedded default's key in ``keys_dir/master.key``, created on first use. Several
    processes starting at once agree: the file appears complete or not at all (written
    aside, then hard-linked into place, which fails if another process won)."""
    path = keys_dir / MASTER_KEY_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        tmp = keys_dir / f".{MASTER_KEY_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(generate_master_key() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
            created = True
        except FileExistsError:
            created = False
        finally:
            tmp.unlink(missing_ok=True)
        if created:
            log.warning(
                "generated master key %s into %s (mode 0600); production deployments set FACESAAS_MASTER_KEY instead "
                "(docs/security.md)", key_id_of(_read(path)), path,
            )
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"{path} is unreadable ({exc.__class__.__name__})") from exc
    return parse_master_key(text, str(path))
