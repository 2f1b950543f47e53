"""The shared vector backend: a Milvus standalone or cluster every worker and host talks to.

One Milvus collection per face repository (``<namespace>_repo_<repo id>``), so tenants never
share an index and a repository is dropped whole. Each collection holds ``id`` (INT64, the face
id of the ``faces`` table) and ``emb`` (128-d float vector, inner product on unit vectors =
cosine), indexed as :data:`INDEX` says and searched with :data:`SEARCH_PARAMS`: chosen by
measurement at 1 M faces (docs/scale.md, ``bench/milvus_scale.py``).

Consistency. Searches run at Milvus's *Bounded* consistency (a few ms; Strong waits for the next
time tick, ~200 ms here), which may miss vectors inserted in the last few seconds
(``common.gracefulTime``, 5 s by default). Read-your-writes across workers comes from the
database, the source of truth: :attr:`MilvusVectorStore.staleness_seconds` tells the repository
layer to add the faces created in that window to the candidates, re-scored exactly like every
other candidate; a deleted face drops out in the same re-scoring (its row is gone).

Errors: Milvus unreachable or timing out is :class:`~facesaas.errors.ServiceUnavailable` (503);
any other Milvus failure :class:`~facesaas.errors.InternalError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from facesaas.errors import ConfigurationError, FaceSaaSError, InternalError, ServiceUnavailable
from facesaas.vectors._base import DIMENSION, Candidate, CollectionState, CollectionStats, EmbeddingSource

__all__ = ["MilvusVectorStore", "INDEX", "SEARCH_PARAMS"]

log = logging.getLogger(__name__)

INDEX: dict[str, Any] = {"index_type": "HNSW", "params": {"M": 16, "efConstruction": 200}}
"""How each collection is indexed (bench/milvus_scale.py measured the choices at 1 M faces)."""

SEARCH_PARAMS: dict[str, Any] = {"ef": 128}
"""Search breadth of :data:`INDEX` (HNSW's ``ef`` is raised to k when k is larger)."""

STALENESS_SECONDS = 15.0
"""How far back the repository layer adds freshly created faces to a search's candidates: three
times Milvus's default bounded staleness (5 s), leaving room for clock skew between hosts."""

_BATCH = 5_000
"""Vectors per insert call (a gRPC message of ~2.6 MB)."""


def _wrap(exc: Exception, what: str) -> FaceSaaSError:
    """Our error for a pymilvus one: unreachable or timed out is ServiceUnavailable."""
    text = f"{exc.__class__.__name__}: {exc}".lower()
    if any(sign in text for sign in ("unavailable", "connect", "timeout", "deadline", "closed channel", "not ready")):
        return ServiceUnavailable(f"milvus ({what})")
    return InternalError(f"milvus {what} failed")


class MilvusVectorStore:
    """Collections in a Milvus at ``url`` (``milvus://host:port``). Thread-safe: the pymilvus
    client is, and collection creation is serialised here (and tolerated when another process
    creates the same collection first)."""

    staleness_seconds = STALENESS_SECONDS

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "facesaas",
        timeout: float = 10.0,
        index: dict[str, Any] | None = None,
        search_params: dict[str, Any] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "milvus" or not parts.hostname:
            raise ConfigurationError(f"a Milvus URL is milvus://host:port, got {url!r}")
        self._uri = f"http://{parts.hostname}:{parts.port or 19530}"
        self._prefix = f"{namespace}_repo_"
        self._timeout = timeout
        self.index = index or INDEX
        self.search_params = search_params or SEARCH_PARAMS
        self._client: Any = None
        self._known: set[int] = set()
        self._lock = threading.RLock()

    # --- plumbing --------------------------------------------------------------------------

    @contextmanager
    def _calling(self, what: str) -> Iterator[Any]:
        """The client (connected on first use), with pymilvus errors wrapped."""
        try:
            if self._client is None:
                with self._lock:
                    if self._client is None:
                        from pymilvus import MilvusClient

                        self._client = MilvusClient(uri=self._uri, timeout=self._timeout)
            yield self._client
        except FaceSaaSError:
            raise
        except Exception as exc:  # pymilvus raises MilvusException and gRPC's own errors
            raise _wrap(exc, what) from exc

    def _name(self, collection: int) -> str:
        return f"{self._prefix}{collection}"

    def _ensure(self, collection: int) -> str:
        """The collection's name, created (indexed and loaded) if it does not exist yet."""
        name = self._name(collection)
        if collection in self._known:
            return name
        with self._lock, self._calling("create collection") as client:
            if collection in self._known:
                return name
            if not client.has_collection(name):
                from pymilvus import DataType, MilvusClient

                schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
                schema.add_field("id", DataType.INT64, is_primary=True)
                schema.add_field("emb", DataType.FLOAT_VECTOR, dim=DIMENSION)
                index = client.prepare_index_params()
                index.add_index(field_name="emb", index_type=self.index["index_type"], metric_type="IP",
                                params=self.index["params"])  # fmt: skip
                try:
                    client.create_collection(name, schema=schema, index_params=index, consistency_level="Bounded")
                except Exception:
                    if not client.has_collection(name):  # another worker created it first: fine
                        raise
            client.load_collection(name)
            self._known.add(collection)
        return name

    def _ids(self, name: str) -> np.ndarray:
        """Every id in collection ``name`` (Strong: after writes of this and other processes)."""
        with self._calling("list ids") as client:
            iterator = client.query_iterator(name, filter="", output_fields=["id"], batch_size=16_384,
                                             consistency_level="Strong")  # fmt: skip
            ids: list[int] = []
            try:
                while batch := iterator.next():
                    ids.extend(int(row["id"]) for row in batch)
            finally:
                iterator.close()
        return np.unique(np.asarray(ids, dtype=np.int64))

    def _count(self, name: str) -> int:
        with self._calling("count") as client:
            rows = client.query(name, filter="", output_fields=["count(*)"], consistency_level="Strong")
        return int(rows[0]["count(*)"]) if rows else 0

    # --- VectorStore -----------------------------------------------------------------------

    def open(self, states: Mapping[int, CollectionState], source: EmbeddingSource) -> dict[str, int]:
        """Make Milvus agree with the database: collections of deleted repositories dropped,
        each repository's collection created and loaded, and, where its count differs from the
        database's, the difference repaired by id (missing vectors upserted from the database,
        extra ones deleted). Idempotent, so workers starting together do no harm. Cost: one
        count per repository, plus a listing of ids where counts differ."""
        report = {"loaded": 0, "rebuilt": 0, "repaired": 0, "added": 0, "removed": 0, "dropped": 0}
        with self._calling("list collections") as client:
            existing = {n for n in client.list_collections() if n.startswith(self._prefix)}
        for name in existing:
            suffix = name.removeprefix(self._prefix)
            if not suffix.isdigit() or int(suffix) not in states:
                with self._calling("drop collection") as client:
                    client.drop_collection(name)
                report["dropped"] += 1
        for collection, state in states.items():
            name = self._name(collection)
            fresh = name not in existing
            if fresh and not state.count:
                continue  # created by its first face
            self._ensure(collection)
            report["loaded"] += not fresh
            if not fresh and self._count(name) == state.count:
                continue
            have = self._ids(name) if not fresh else np.empty(0, np.int64)
            want = source.ids(collection)
            extra, missing = np.setdiff1d(have, want), np.setdiff1d(want, have)
            if len(extra):
                self.remove(collection, extra)
            for ids, vectors in source.embeddings(collection, missing):
                self._write(name, ids, vectors, upsert=True)
            report["rebuilt" if fresh else "repaired"] += 1
            report["added"] += len(missing)
            report["removed"] += len(extra)
            log.info("milvus collection %s repaired from the database: +%d -%d", name, len(missing), len(extra))
        return report

    def _write(self, name: str, ids: np.ndarray, vectors: np.ndarray, *, upsert: bool = False) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSION)
        with self._calling("insert") as client:
            for start in range(0, len(ids), _BATCH):
                rows = [{"id": int(i), "emb": v.tolist()} for i, v in zip(ids[start : start + _BATCH], vectors[start : start + _BATCH], strict=True)]
                (client.upsert if upsert else client.insert)(name, rows)

    def add(self, collection: int, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert (new face ids are never reused, so never duplicates). Returns once Milvus has
        accepted them into its log; :attr:`staleness_seconds` covers their searchability."""
        if len(ids):
            self._write(self._ensure(collection), np.asarray(ids, np.int64), vectors)

    def remove(self, collection: int, ids: np.ndarray) -> int:
        if collection not in self._known and collection not in self._existing():
            return 0
        name = self._ensure(collection)
        with self._calling("delete") as client:
            result = client.delete(name, ids=[int(i) for i in ids])
        return int(result.get("delete_count", len(ids)) if isinstance(result, dict) else len(ids))

    def _existing(self) -> set[int]:
        with self._calling("list collections") as client:
            names = client.list_collections()
        return {int(n.removeprefix(self._prefix)) for n in names if n.startswith(self._prefix) and n.removeprefix(self._prefix).isdigit()}

    def search(self, collections: Iterable[int], query: np.ndarray, k: int) -> list[Candidate]:
        """The ``k`` best candidates across ``collections`` (one Milvus search each), best
        first. Collections never written to (no face yet) are skipped."""
        vector = np.asarray(query, dtype=np.float32).reshape(DIMENSION).tolist()
        wanted = list(collections)
        unknown = [c for c in wanted if c not in self._known]
        if unknown:
            existing = self._existing()
            for collection in unknown:
                if collection in existing:
                    self._ensure(collection)
        found: list[Candidate] = []
        breadth = dict(self.search_params)
        if "ef" in breadth:
            breadth["ef"] = max(int(breadth["ef"]), k)
        params = {"metric_type": "IP", "params": breadth}
        with self._calling("search") as client:
            for collection in wanted:
                if collection not in self._known:
                    continue
                hits = client.search(self._name(collection), data=[vector], anns_field="emb", limit=k,
                                     search_params=params, consistency_level="Bounded")  # fmt: skip
                found.extend(Candidate(int(h["id"]), collection, float(h["distance"])) for h in hits[0])
        found.sort(key=lambda c: c.score, reverse=True)
        return found[:k]

    def stats(self) -> list[CollectionStats]:
        """Per collection: live vectors (a bounded-consistency count) and an estimate of the
        HNSW memory they take (vectors + links). Cost: one count query per collection."""
        out = []
        # Vectors plus HNSW's links (M per layer-0 node, ×2 with the upper layers, 8 bytes each).
        links = int(self.index["params"].get("M", 0)) * 2 * 8 if self.index["index_type"] == "HNSW" else 0
        per_vector = DIMENSION * 4 + links
        for collection in sorted(self._existing()):
            self._ensure(collection)
            with self._calling("statistics") as client:
                rows = client.query(self._name(collection), filter="", output_fields=["count(*)"], consistency_level="Bounded")
            count = int(rows[0]["count(*)"]) if rows else 0
            kind = f"milvus-{self.index['index_type'].lower()}"
            out.append(CollectionStats(collection, count, kind, count * per_vector, 1))
        return out

    def ping(self) -> None:
        """Raise ServiceUnavailable unless Milvus answers (``/readyz``)."""
        with self._calling("ping") as client:
            client.get_server_version()

    def save(self) -> int:
        """Milvus persists by itself."""
        return 0

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # closing a dead channel: nothing left to release
                log.debug("milvus client close failed", exc_info=True)
            self._client = None
