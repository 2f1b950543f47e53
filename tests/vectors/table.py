"""Test helpers for vector backends: random unit vectors and a stand-in for the faces table."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from facesaas.vectors import CollectionState


def unit(rows: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Table:
    """A stand-in for the faces table: the source of truth a store is repaired from."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, np.ndarray]] = {}

    def put(self, collection: int, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.rows.setdefault(collection, {}).update(zip(ids.tolist(), vectors, strict=True))

    def drop(self, collection: int, ids: list[int]) -> None:
        for face_id in ids:
            del self.rows[collection][face_id]

    def states(self) -> dict[int, CollectionState]:
        return {c: CollectionState(len(r), sum(r)) for c, r in self.rows.items()}

    def ids(self, collection: int) -> np.ndarray:
        return np.array(sorted(self.rows.get(collection, {})), dtype=np.int64)

    def embeddings(self, collection: int, ids: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        chosen = self.ids(collection) if ids is None else np.asarray(ids, np.int64)
        for start in range(0, len(chosen), 700):
            part = chosen[start : start + 700]
            yield part, np.stack([self.rows[collection][int(i)] for i in part])
