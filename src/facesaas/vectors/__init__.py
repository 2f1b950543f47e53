"""Vector index backends behind one interface (:class:`VectorStore`).

The embedded default is :class:`FaissVectorStore` (in-process FAISS, snapshotted to disk); the
shared one :class:`MilvusVectorStore` (a Milvus service every worker and host uses). A backend
module is imported only when it is chosen, so importing this package loads nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facesaas.vectors._base import DIMENSION, Candidate, CollectionState, CollectionStats, EmbeddingSource, VectorStore

if TYPE_CHECKING:
    from facesaas.vectors._faiss import FaissVectorStore
    from facesaas.vectors._milvus import MilvusVectorStore

__all__ = [
    "DIMENSION",
    "Candidate",
    "CollectionState",
    "CollectionStats",
    "EmbeddingSource",
    "VectorStore",
    "FaissVectorStore",
    "MilvusVectorStore",
]


def __getattr__(name: str):  # noqa: ANN202 - lazy import of the chosen backend
    if name == "FaissVectorStore":
        from facesaas.vectors._faiss import FaissVectorStore

        return FaissVectorStore
    if name == "MilvusVectorStore":
        from facesaas.vectors._milvus import MilvusVectorStore

        return MilvusVectorStore
    raise AttributeError(name)
