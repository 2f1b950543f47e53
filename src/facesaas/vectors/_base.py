"""The one interface every vector backend implements, and the types it speaks.

A *collection* holds the embeddings of one face repository, keyed by the integer face id of
the ``faces`` table. The database is the source of truth; a backend is a cache of it that
:meth:`VectorStore.open` checks against the database (and repairs) at start-up. Vectors are
128-d float32, L2-normalised; scores are inner products (= cosine similarity).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Candidate", "CollectionState", "CollectionStats", "EmbeddingSource", "VectorStore", "DIMENSION"]

DIMENSION = 128


@dataclass(frozen=True)
class Candidate:
    """One search hit: the face id, its collection and its (possibly approximate) cosine."""

    face_id: int
    collection: int
    score: float


@dataclass(frozen=True)
class CollectionState:
    """What the database says a collection holds: face count and sum of face ids (a cheap
    checksum that changes with any insert or delete)."""

    count: int
    id_sum: int


@dataclass(frozen=True)
class CollectionStats:
    """Size and kind of one collection's index, in how many parallel ``partitions``;
    ``memory_bytes`` is the index's own estimate of its resident size (codes and ids)."""

    collection: int
    count: int
    kind: str
    memory_bytes: int
    partitions: int


class EmbeddingSource(Protocol):
    """Where a backend reads embeddings back from (the ``faces`` table)."""

    def ids(self, collection: int) -> np.ndarray:
        """Every face id of ``collection``, int64, ascending."""

    def embeddings(self, collection: int, ids: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(ids, vectors)`` chunks of ``collection`` (only ``ids`` if given), streamed."""


class VectorStore(Protocol):
    """A set of collections with add, remove and top-k search. Thread-safe."""

    staleness_seconds: float
    """How long an added vector may stay invisible to :meth:`search` (0: at once). The repository
    layer adds the faces created in that window to a search's candidates from the database."""

    def open(self, states: Mapping[int, CollectionState], source: EmbeddingSource) -> dict[str, int]:
        """Load persisted collections, compare each with the database and repair differences
        (add what is missing, remove what was deleted, rebuild what cannot be read); drop
        collections the database no longer has. Returns counts of what was done."""

    def add(self, collection: int, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, collection: int, ids: np.ndarray) -> int: ...

    def search(self, collections: Iterable[int], query: np.ndarray, k: int) -> list[Candidate]:
        """The ``k`` best candidates for one query vector across ``collections``, best first."""

    def size(self, collection: int) -> int:
        """How many faces ``collection`` holds, cheaply (no scan per call): exact in-process,
        possibly some seconds old for a shared backend. The gallery size 103.1 reports."""

    def stats(self) -> list[CollectionStats]: ...

    def save(self) -> int:
        """Persist changed collections; returns how many were written."""

    def close(self) -> None: ...

