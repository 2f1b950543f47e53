"""The server's RSA key pair, kept as PEM files in ``<data_dir>/keys``.

The private key file is written with mode 0600 and never logged. Customers receive the public
key (``facesaas tenant create`` prints it) and encrypt their signatures with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from facesaas.errors import ConfigurationError

__all__ = ["ALLOWED_BITS", "ServerKeys", "init_keys", "load_keys", "keys_exist"]

ALLOWED_BITS = (1024, 2048, 3072, 4096)
_PRIVATE = "server_private.pem"
_PUBLIC = "server_public.pem"


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
    return (keys_dir / _PRIVATE).is_file()


def init_keys(keys_dir: Path, *, bits: int = 2048, force: bool = False) -> ServerKeys:
    """Create and store a new key pair. Refuses to overwrite unless ``force``: replacing the
    key invalidates every customer's copy of the public key."""
    if bits not in ALLOWED_BITS:
        raise ConfigurationError(f"key size must be one of {ALLOWED_BITS}")
    if keys_exist(keys_dir) and not force:
        raise ConfigurationError(f"a key pair already exists in {keys_dir}; use --force to replace it")
    keys_dir.mkdir(parents=True, exist_ok=True)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    keys = ServerKeys(private_key)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = keys_dir / (_PRIVATE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(tmp, keys_dir / _PRIVATE)
    (keys_dir / _PUBLIC).write_text(keys.public_pem, encoding="ascii")
    return keys


def load_keys(keys_dir: Path) -> ServerKeys:
    """Load the stored key pair or raise ConfigurationError naming the command that makes one."""
    path = keys_dir / _PRIVATE
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"no server key pair in {keys_dir}; run `facesaas keys init`") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{path} is not a readable private key") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"{path} is not an RSA key")
    return ServerKeys(key)
