"""Vector index backends behind one interface (:class:`VectorStore`).

The embedded default is :class:`FaissVectorStore` (in-process FAISS, snapshotted to disk);
a backend module is imported only when it is chosen, so importing this package loads nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facesaas.vectors._base import DIMENSION, Candidate, CollectionState, CollectionStats, EmbeddingSource, VectorStore

if TYPE_CHECKING:
    from facesaas.vectors._faiss import FaissVectorStore

__all__ = [
    "DIMENSION",
    "Candidate",
    "CollectionState",
    "CollectionStats",
    "EmbeddingSource",
    "VectorStore",
    "FaissVectorStore",
]


def __getattr__(name: str):  # noqa: ANN202 - lazy import of the FAISS backend
    if name == "FaissVectorStore":
        from facesaas.vectors._faiss import FaissVectorStore

        return FaissVectorStore
    raise AttributeError(name)
