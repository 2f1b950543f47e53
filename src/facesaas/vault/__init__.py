"""Server-side secrets sealed at rest (AES-256-GCM) under the master key from settings.

:class:`Vault` seals and opens; :func:`open_vault` builds it from settings (the current key,
previous keys accepted during a rotation, the embedded default's key file). Callers bind each
value to its place with a context string. docs/security.md, "Secrets at rest".
"""

from facesaas.vault.master import MASTER_KEY_FILE, generate_master_key, open_vault, parse_master_key
from facesaas.vault.sealing import OVERHEAD, Vault, is_sealed, key_id_of, sealed_key_id

__all__ = [
    "MASTER_KEY_FILE",
    "OVERHEAD",
    "Vault",
    "generate_master_key",
    "is_sealed",
    "key_id_of",
    "open_vault",
    "parse_master_key",
    "sealed_key_id",
]
