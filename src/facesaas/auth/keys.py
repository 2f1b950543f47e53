"""The server's RSA key pair in ``<data_dir>/keys``: the public key as PEM
(``server_public.pem``), the private key sealed under the master key
(``server_private.sealed``: the PKCS8 DER key sealed by the vault, bound to
:data:`PRIVATE_KEY_CONTEXT`).

Auth is an engine and does not import the vault: the callers (api lifespan, CLI) pass one as a
:class:`Sealer`. A clear ``server_private.pem`` of a deployment from before sealing is sealed
and removed the first time it is loaded. The private key is never logged. Customers receive
the public key (``facesaas tenant create`` prints it) and encrypt their signatures with it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from facesaas.errors import ConfigurationError

__all__ = [
    "ALLOWED_BITS",
    "PRIVATE_KEY_CONTEXT",
    "Sealer",
    "ServerKeys",
    "init_keys",
    "keys_exist",
    "load_keys",
    "read_sealed_private_key",
    "write_sealed_private_key",
]

ALLOWED_BITS = (1024, 2048, 3072, 4096)
PRIVATE_KEY_CONTEXT = "server_private_key"
"""What the sealed private key is bound to (the vault's associated data)."""
_CLEAR = "server_private.pem"
_SEALED = "server_private.sealed"
_PUBLIC = "server_public.pem"

log = logging.getLogger("facesaas.auth")


class Sealer(Protocol):
    """What the key files need of :class:`facesaas.vault.Vault`."""

    def seal(self, plaintext: bytes, context: str) -> bytes: ...

    def open(self, sealed: bytes, context: str) -> bytes: ...


class ServerKeys:
    """The loaded key pair."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()

    @property
    def bits(self) -> int:
        return self.private_key.key_size

    @property
    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


def keys_exist(keys_dir: Path) -> bool:
    """Whether ``keys_dir`` holds a private key, sealed or (from before sealing) in clear."""
    return (keys_dir / _SEALED).is_file() or (keys_dir / _CLEAR).is_file()


def _der(private_key: rsa.RSAPrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_sealed_private_key(keys_dir: Path, sealed: bytes) -> None:
    """Replace the sealed private key file atomically (mode 0600; written aside, fsynced,
    renamed), then remove a clear PEM left from before sealing."""
    tmp = keys_dir / f".{_SEALED}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(sealed)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, keys_dir / _SEALED)
    (keys_dir / _CLEAR).unlink(missing_ok=True)


def read_sealed_private_key(keys_dir: Path) -> bytes | None:
    """The sealed private key file's bytes, or None when there is none (missing, or still a
    clear PEM: :func:`load_keys` seals it)."""
    try:
        return (keys_dir / _SEALED).read_bytes()
    except FileNotFoundError:
        return None


def init_keys(keys_dir: Path, sealer: Sealer, *, bits: int = 2048, force: bool = False) -> ServerKeys:
    """Create and store a new key pair, the private key sealed by ``sealer``. Refuses to
    overwrite unless ``force``: replacing the key invalidates every customer's copy of the
    public key. Cost: RSA generation (~0.1 s at 2048 bits, seconds at 4096)."""
    if bits not in ALLOWED_BITS:
        raise ConfigurationError(f"key size must be one of {ALLOWED_BITS}")
    if keys_exist(keys_dir) and not force:
        raise ConfigurationError(f"a key pair already exists in {keys_dir}; use --force to replace it")
    keys_dir.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    keys = ServerKeys(private_key)
    write_sealed_private_key(keys_dir, sealer.seal(_der(private_key), PRIVATE_KEY_CONTEXT))
    (keys_dir / _PUBLIC).write_text(keys.public_pem, encoding="ascii")
    return keys


def load_keys(keys_dir: Path, sealer: Sealer) -> ServerKeys:
    """Load the stored key pair or raise ConfigurationError naming the command that makes one
    (a sealed file that does not open raises the vault's SecretKeyUnavailable or
    SecretIntegrityError). A clear PEM from before sealing is sealed now and removed; if the
    directory is read-only the key is used and a warning says it is still in clear."""
    sealed = read_sealed_private_key(keys_dir)
    if sealed is not None:
        try:
            key = serialization.load_der_private_key(sealer.open(sealed, PRIVATE_KEY_CONTEXT), password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"{keys_dir / _SEALED} does not hold a readable private key") from exc
        return _checked(key, keys_dir / _SEALED)
    path = keys_dir / _CLEAR
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        if (keys_dir / _SEALED).is_file():  # another process sealed it meanwhile
            return load_keys(keys_dir, sealer)
        raise ConfigurationError(f"no server key pair in {keys_dir}; run `facesaas keys init`") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{path} is not a readable private key") from exc
    keys = _checked(key, path)
    try:
        write_sealed_private_key(keys_dir, sealer.seal(_der(keys.private_key), PRIVATE_KEY_CONTEXT))
        log.warning("sealed the clear server private key %s into %s and removed it", path, keys_dir / _SEALED)
    except OSError as exc:
        log.warning("the server private key %s stays in clear: sealing it failed (%s)", path, exc.__class__.__name__)
    return keys


def _checked(key: object, path: Path) -> ServerKeys:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{path} is not an RSA key")
    return ServerKeys(key)
