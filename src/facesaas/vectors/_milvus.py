"""The shared vector backend: a Milvus standalone or cluster every worker and host talks to.

One Milvus collection per deployment (``<namespace>_faces``) holds every repository's vectors:
``id`` (INT64, the face id of the ``faces`` table), ``repo`` (INT64, the repository: Milvus's
*partition key*, so each repository's vectors sit in their own hash partition and a search
touches only the partitions of the repositories it names) and ``emb`` (128-d float vector, inner
product on unit vectors = cosine). Every search is filtered by the caller's repositories
(``repo in [...]``), which the repository layer takes from the caller's tenant, so tenants never
see each other's faces. One collection rather than one per repository because Milvus loads each
collection into memory separately (~2.5 s each, measured): a thousand repositories would take
most of an hour to start; a new repository here costs nothing.

The index is :data:`INDEX` (exact), searched with :data:`SEARCH_PARAMS`: chosen by measurement
at 1 M faces (``bench/milvus_scale.py``, docs/scale.md).

Consistency. Searches run at Milvus's *Bounded* consistency (~2 ms; Strong waits for the next
time tick, ~200 ms), which may miss vectors inserted in the last few seconds
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
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from facesaas.errors import ConfigurationError, FaceSaaSError, InternalError, ServiceUnavailable
from facesaas.vectors._base import DIMENSION, Candidate, CollectionState, CollectionStats, EmbeddingSource

__all__ = ["MilvusVectorStore", "INDEX", "SEARCH_PARAMS", "SIZE_SECONDS", "STALENESS_SECONDS"]

log = logging.getLogger(__name__)

INDEX: dict[str, Any] = {"index_type": "FLAT", "params": {}}
"""How the vectors are indexed: exact (brute-force inner product). Measured at 1 M synthetic
SFace-like faces (``bench/results/milvus-scale-*.md``): FLAT keeps every true match (recall@1
1.000) at p50 ~25 ms on 2 cores; HNSW (M 16, efConstruction 200) kept 52–86 % of the best
matches at ef 64–512 and IVF_FLAT (nlist 1024) 76–95 % at nprobe 64–256: face embeddings sit
far from their true match (cosine 0.4–0.7) on an almost uniformly filled sphere, where graphs
and coarse clusters lose them. A blacklist must not miss a fraudster; Milvus scales FLAT by
spreading segments over query nodes."""

SEARCH_PARAMS: dict[str, Any] = {}
"""Search parameters of :data:`INDEX` (none for FLAT; ``ef`` for HNSW, raised to k if smaller)."""

SIZE_SECONDS = 30.0
"""How long a repository's face count (:meth:`MilvusVectorStore.size`) is reused before Milvus
is asked again: a count is a filtered scan inside Milvus (~tens of ms at millions of faces), too
much for every search, and a gallery size some seconds old changes no expected FPIR materially."""

STALENESS_SECONDS = 15.0
"""How far back the repository layer adds freshly created faces to a search's candidates: three
times Milvus's default bounded staleness (5 s), leaving room for clock skew between hosts."""

PARTITIONS = 64
"""Hash partitions of the partition key (Milvus's default is 16; more keeps a search of one
repository to a smaller share of the deployment's vectors)."""

_BATCH = 5_000
"""Vectors per insert call (a gRPC message of ~2.6 MB)."""


def _wrap(exc: Exception, what: str) -> FaceSaaSError:
    """Our error for a pymilvus one: unreachable or timed out is ServiceUnavailable."""
    text = f"{exc.__class__.__name__}: {exc}".lower()
    if any(sign in text for sign in ("unavailable", "connect", "timeout", "deadline", "closed channel", "not ready",
                                     "no available")):  # fmt: skip
        return ServiceUnavailable(f"milvus ({what})")
    return InternalError(f"milvus {what} failed")


def _in(values: Iterable[int]) -> str:
    return "[" + ", ".join(str(int(v)) for v in values) + "]"


class MilvusVectorStore:
    """The vectors of every repository in a Milvus at ``url`` (``milvus://host:port``), under
    ``namespace``. Thread-safe: the pymilvus client is, and creating the collection is
    serialised here (and tolerated when another process creates it first)."""

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
        self.name = f"{namespace}_faces"
        self._timeout = timeout
        self.index = index or INDEX
        self.search_params = search_params or SEARCH_PARAMS
        self._client: Any = None
        self._ready = False
        self._lock = threading.RLock()
        self._sizes: dict[int, tuple[float, int]] = {}

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

    def _ensure(self) -> Any:
        """The client, with the collection created (indexed) and loaded. Cost: ~3 s the first
        time a deployment uses Milvus, a few ms for each later process."""
        if self._ready:
            return self._client
        with self._lock, self._calling("create collection") as client:
            if self._ready:
                return client
            if not client.has_collection(self.name):
                from pymilvus import DataType, MilvusClient

                schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False, num_partitions=PARTITIONS)
                schema.add_field("id", DataType.INT64, is_primary=True)
                schema.add_field("repo", DataType.INT64, is_partition_key=True)
                schema.add_field("emb", DataType.FLOAT_VECTOR, dim=DIMENSION)
                index = client.prepare_index_params()
                index.add_index(field_name="emb", index_type=self.index["index_type"], metric_type="IP",
                                params=self.index["params"])  # fmt: skip
                try:
                    client.create_collection(self.name, schema=schema, index_params=index, consistency_level="Bounded")
                except Exception:
                    if not client.has_collection(self.name):  # another worker created it first: fine
                        raise
            self._load(client)
            self._ready = True
            return client

    def _load(self, client: Any, patience: float = 15.0) -> None:
        """Load the collection. Workers starting together race: the one creating the collection
        makes its index in a second call, and a load between the two fails with "index not
        found", so a failed load is retried for ``patience`` seconds before it counts."""
        deadline = time.monotonic() + patience
        while True:
            try:
                client.load_collection(self.name)
                return
            except Exception:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.25)

    def _count(self, condition: str) -> int:
        """Rows matching ``condition`` (Strong: after every earlier write of any process)."""
        with self._calling("count"):
            client = self._ensure()
            rows = client.query(self.name, filter=condition, output_fields=["count(*)"], consistency_level="Strong")
        return int(rows[0]["count(*)"]) if rows else 0

    def _ids(self, collection: int) -> np.ndarray:
        """Every id of repository ``collection`` (Strong)."""
        with self._calling("list ids"):
            client = self._ensure()
            iterator = client.query_iterator(self.name, filter=f"repo == {int(collection)}", output_fields=["id"],
                                             batch_size=16_384, consistency_level="Strong")  # fmt: skip
            ids: list[int] = []
            try:
                while batch := iterator.next():
                    ids.extend(int(row["id"]) for row in batch)
            finally:
                iterator.close()
        return np.unique(np.asarray(ids, dtype=np.int64))

    def _write(self, collection: int, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert, never upsert: on Milvus 2.3.5 an upserted vector is found by strong searches
        but not by bounded ones, even minutes later (measured); the ids written here are known
        to be absent (new faces, or the difference a repair computed)."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSION)
        with self._calling("insert"):
            client = self._ensure()
            for start in range(0, len(ids), _BATCH):
                chunk = zip(ids[start : start + _BATCH].tolist(), vectors[start : start + _BATCH], strict=True)
                client.insert(self.name, [{"id": i, "repo": int(collection), "emb": v.tolist()} for i, v in chunk])

    # --- VectorStore -----------------------------------------------------------------------

    def open(self, states: Mapping[int, CollectionState], source: EmbeddingSource) -> dict[str, int]:
        """Make Milvus agree with the database. One count of the whole deployment first; only
        when it differs from the database's, each repository's count, and where that differs
        an id diff (missing vectors inserted from the database, extra ones deleted); vectors of
        repositories the database no longer has are deleted. Idempotent, so workers starting
        together do no harm. Cost: ~200 ms when everything agrees (one strong read)."""
        report = {"loaded": 0, "rebuilt": 0, "repaired": 0, "added": 0, "removed": 0, "dropped": 0}
        self._ensure()
        total = sum(state.count for state in states.values())
        if self._count("") == total:
            report["loaded"] = len(states)
            return report
        known = sorted(states)
        orphans = self._count(f"repo not in {_in(known)}") if known else self._count("")
        if orphans:
            with self._calling("delete"):
                self._client.delete(self.name, filter=f"repo not in {_in(known)}" if known else "id >= 0")
            report["dropped"] = orphans
        for collection, state in states.items():
            if self._count(f"repo == {int(collection)}") == state.count:
                report["loaded"] += 1
                continue
            have, want = self._ids(collection), source.ids(collection)
            extra, missing = np.setdiff1d(have, want), np.setdiff1d(want, have)
            if len(extra):
                self.remove(collection, extra)
            for ids, vectors in source.embeddings(collection, missing):
                self._write(collection, np.asarray(ids, np.int64), vectors)
            report["rebuilt" if not len(have) else "repaired"] += 1
            report["added"] += len(missing)
            report["removed"] += len(extra)
            log.info("milvus repository %d repaired from the database: +%d -%d", collection, len(missing), len(extra))
        if report["added"] or report["removed"] or report["dropped"]:
            self._settle(total)
        return report

    def _settle(self, total: int, seconds: float = 30.0) -> None:
        """Wait until bounded-consistency reads show the repair (its vectors carry old creation
        times, so the repository layer's fresh window does not cover them): a service opens
        only when its searches see every face. Cost: up to Milvus's bounded staleness (~5 s)."""
        import time

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._calling("count") as client:
                rows = client.query(self.name, filter="", output_fields=["count(*)"], consistency_level="Bounded")
            if rows and int(rows[0]["count(*)"]) == total:
                return
            time.sleep(0.5)
        log.warning("milvus did not show the repaired vectors within %.0f s; searches catch up shortly", seconds)

    def add(self, collection: int, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert (new face ids are never reused, so never duplicates). Returns once Milvus has
        accepted them into its log; :attr:`staleness_seconds` covers their searchability."""
        if len(ids):
            self._write(collection, np.asarray(ids, np.int64), vectors)

    def remove(self, collection: int, ids: np.ndarray) -> int:
        if not len(ids):
            return 0
        with self._calling("delete"):
            client = self._ensure()
            result = client.delete(self.name, filter=f"repo == {int(collection)} and id in {_in(ids)}")
        return int(result.get("delete_count", len(ids)) if isinstance(result, dict) else len(ids))

    def search(self, collections: Iterable[int], query: np.ndarray, k: int) -> list[Candidate]:
        """The ``k`` best candidates across ``collections`` (one filtered search), best first."""
        wanted = sorted({int(c) for c in collections})
        if not wanted:
            return []
        breadth = dict(self.search_params)
        if "ef" in breadth:
            breadth["ef"] = max(int(breadth["ef"]), k)
        vector = np.asarray(query, dtype=np.float32).reshape(DIMENSION).tolist()
        with self._calling("search"):
            client = self._ensure()
            hits = client.search(self.name, data=[vector], anns_field="emb", limit=k, output_fields=["repo"],
                                 filter=f"repo in {_in(wanted)}", consistency_level="Bounded",
                                 search_params={"metric_type": "IP", "params": breadth})  # fmt: skip
        return [Candidate(int(h["id"]), int(h["entity"]["repo"]), float(h["distance"])) for h in hits[0]]

    def size(self, collection: int) -> int:
        """Faces of repository ``collection``: a bounded-consistency count, reused for
        :data:`SIZE_SECONDS` (so at most that old, plus Milvus's bounded staleness)."""
        now = time.monotonic()
        cached = self._sizes.get(int(collection))
        if cached is not None and cached[0] > now:
            return cached[1]
        with self._calling("count"):
            client = self._ensure()
            rows = client.query(self.name, filter=f"repo == {int(collection)}", output_fields=["count(*)"],
                                consistency_level="Bounded")  # fmt: skip
        count = int(rows[0]["count(*)"]) if rows else 0
        self._sizes[int(collection)] = (now + SIZE_SECONDS, count)
        return count

    def stats(self) -> list[CollectionStats]:
        """The deployment's vectors as one entry (collection 0): a bounded-consistency count
        and an estimate of the memory they take (vectors + HNSW links). One count query."""
        links = int(self.index["params"].get("M", 0)) * 2 * 8 if self.index["index_type"] == "HNSW" else 0
        with self._calling("statistics"):
            client = self._ensure()
            rows = client.query(self.name, filter="", output_fields=["count(*)"], consistency_level="Bounded")
        count = int(rows[0]["count(*)"]) if rows else 0
        kind = f"milvus-{self.index['index_type'].lower()}"
        return [CollectionStats(0, count, kind, count * (DIMENSION * 4 + 8 + links), PARTITIONS)]

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
            self._ready = False
