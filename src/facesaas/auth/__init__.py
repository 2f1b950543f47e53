"""Authentication: the manual's RSA request signature, server keys, replay protection."""

from facesaas.auth.keys import ServerKeys, init_keys, keys_exist, load_keys
from facesaas.auth.replay import MemoryReplayStore, ReplayStore
from facesaas.auth.signature import build_content, load_public_key, sign
from facesaas.auth.verifier import Principal, RequestAuthenticator

__all__ = [
    "MemoryReplayStore",
    "Principal",
    "ReplayStore",
    "RequestAuthenticator",
    "ServerKeys",
    "build_content",
    "init_keys",
    "keys_exist",
    "load_keys",
    "load_public_key",
    "sign",
]
