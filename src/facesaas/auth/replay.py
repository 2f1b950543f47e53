"""Replay protection: remember each (AccessID, random, timestamp) for the signature window.

:class:`ReplayStore` is the interface; :class:`MemoryReplayStore` the embedded default (one
process). A shared store (Redis ``SET key NX EX``) implements the same method for several
workers.
"""

from __future__ import annotations

import heapq
import threading
import time
from typing import Protocol

__all__ = ["ReplayStore", "MemoryReplayStore"]


class ReplayStore(Protocol):
    def check_and_remember(self, key: str, ttl_seconds: int) -> bool:
        """Atomically record ``key`` for ``ttl_seconds``; return False if it was already there."""


class MemoryReplayStore:
    """In-process store; memory is bounded by the request rate × the window."""

    def __init__(self, clock=time.monotonic) -> None:  # noqa: ANN001
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def check_and_remember(self, key: str, ttl_seconds: int) -> bool:
        now = self._clock()
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                expires, old = heapq.heappop(self._heap)
                if self._expiry.get(old) == expires:
                    del self._expiry[old]
            if key in self._expiry:
                return False
            expires = now + ttl_seconds
            self._expiry[key] = expires
            heapq.heappush(self._heap, (expires, key))
            return True

    def __len__(self) -> int:
        return len(self._expiry)
