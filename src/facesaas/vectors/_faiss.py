"""The embedded vector backend: in-process FAISS indexes, one per collection, snapshotted to disk.

Index kinds, chosen by size:

* ``flat`` — exact inner-product search over float32 vectors (512 B a face). Used up to
  ``flat_limit`` faces, where a full scan costs about a millisecond.
* ``pq-refine`` — for larger collections, split into ``partitions`` (one per thread, searched
  in parallel). Each partition scans 4-bit product-quantised codes (PQ64x4 "fast scan", 32 B a
  face, ~1 ns a face, memory-bandwidth bound) for ``k_factor × k`` candidates and re-scores
  them with 4-bit scalar-quantised vectors (64 B a face): with the 8 B id, 104 B a face, 10 M
  faces in ~1.04 GB. The scan is exhaustive, not clustered: face queries sit at cosine ~0.4–0.7
  from their true match, too far for IVF cells to keep recall, and 16-byte codes lose true
  matches (both measured in docs/scale.md). The candidates' scores are approximate; callers
  re-rank them with the exact embeddings.
  Deleted faces cannot be removed from fast-scan codes in place: they are remembered as
  tombstones, filtered out of results, and the collection is rebuilt from the database once
  they exceed ``TOMBSTONE_FRACTION`` of it.

Snapshots are written atomically (temporary file, fsync, rename), one file per partition, and
describe themselves (ids are read back from the index). A stale snapshot, e.g. after kill -9,
is repaired at :meth:`FaissVectorStore.open` from the database (the source of truth). Each
collection's snapshot has a manifest (``<collection>.manifest``: every partition file's size
and SHA-256), written with the files; a file that does not match it (truncated, overwritten,
swapped for another collection's) is not loaded but rebuilt from the database, because FAISS
reads damaged vectors without complaint. Every partition of a snapshot is written to its
temporary file first and renamed only when all are complete: a write that fails (a full disk)
leaves the previous snapshot whole and removes the temporary files.

Thread safety: each collection has a readers-writer lock. Searches, statistics and snapshots
share it (FAISS searches and serialisation only read the index), adds, removes and rebuilds
take it alone; FAISS releases the GIL inside ``search``/``add``, so partitions, collections
and concurrent searches run in parallel, and a snapshot never pauses searches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path

import numpy as np

from facesaas.errors import InternalError
from facesaas.vectors._base import DIMENSION, Candidate, CollectionState, CollectionStats, EmbeddingSource

__all__ = ["FaissVectorStore"]

log = logging.getLogger(__name__)

TOMBSTONE_FRACTION = 0.1
"""A pq-refine collection is rebuilt once this fraction of its entries are deleted faces."""

TRAIN_SAMPLE = 65_536
"""Faces used to train the PQ codebooks and the scalar quantiser's ranges."""

_PQ_SUBQUANTIZERS = 64
_SUFFIX = ".faiss"
_MANIFEST = ".manifest"


def _file_digest(path: Path) -> dict[str, object]:
    """A snapshot file's size (bytes) and SHA-256. Cost: one read of the file (~1 s per GB)."""
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _write_durably(index, path: Path) -> dict[str, object]:  # noqa: ANN001
    """Serialise ``index`` into ``path`` through Python's file I/O, fsync it, and return its
    size and SHA-256 (computed as it is written: no second read). FAISS's own file writer only
    prints a failed ``fclose`` to stderr (its destructor cannot raise), so the last buffered
    bytes could be lost on a full disk unnoticed; here a full disk raises OSError (ENOSPC)."""
    faiss = _faiss()
    digest = hashlib.sha256()
    size = 0
    failure: list[BaseException] = []
    with open(path, "wb") as handle:

        def write(chunk: bytes) -> None:
            nonlocal size
            try:
                handle.write(chunk)
            except BaseException as exc:  # FAISS would turn it into a bare RuntimeError
                failure.append(exc)
                raise
            digest.update(chunk)
            size += len(chunk)

        try:
            faiss.write_index(index, faiss.PyCallbackIOWriter(write))
        except RuntimeError:
            if failure:
                raise failure[0] from None
            raise
        handle.flush()
        os.fsync(handle.fileno())
    return {"bytes": size, "sha256": digest.hexdigest()}


def _faiss():  # noqa: ANN202 - imported only when this backend is chosen (it pulls in OpenMP)
    import faiss

    return faiss


def _as_ids(ids: np.ndarray | Iterable[int]) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


def _as_vectors(vectors: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    if array.ndim != 2 or array.shape[1] != DIMENSION:
        raise InternalError(f"vectors must be (n, {DIMENSION}), got {array.shape}")
    return array


def _flat_index():  # noqa: ANN202
    faiss = _faiss()
    return faiss.IndexIDMap(faiss.IndexFlatIP(DIMENSION))


def _trained_partition(sample: np.ndarray):  # noqa: ANN202
    """An empty pq-refine partition trained on ``sample``. Cost: a few hundred ms."""
    faiss = _faiss()
    base = faiss.IndexPQFastScan(DIMENSION, _PQ_SUBQUANTIZERS, 4, faiss.METRIC_INNER_PRODUCT)
    base.pq.cp.min_points_per_centroid = 1  # small test collections: no "too few points" noise
    refine = faiss.IndexScalarQuantizer(DIMENSION, faiss.ScalarQuantizer.QT_4bit, faiss.METRIC_INNER_PRODUCT)
    index = faiss.IndexRefine(base, refine)
    index.train(_as_vectors(sample))
    return faiss.IndexIDMap(index)


def _is_flat(index) -> bool:  # noqa: ANN001
    faiss = _faiss()
    return isinstance(faiss.downcast_index(index.index), faiss.IndexFlat)


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer blocks new readers (no writer starvation)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._condition:
            while self._writing or self._writers_waiting:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._condition:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._condition.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()


class _Collection:
    """One collection's partitions, tombstones and lock; methods expect ``lock`` held (for
    reading or writing as they do)."""

    def __init__(self, partitions: list) -> None:
        self.lock = _ReadWriteLock()
        self.partitions = partitions
        self.tombstones: set[int] = set()
        self.dirty = False

    @property
    def kind(self) -> str:
        return "flat" if _is_flat(self.partitions[0]) else "pq-refine"

    @property
    def entries(self) -> int:
        """Vectors held, tombstoned ones included."""
        return sum(int(part.ntotal) for part in self.partitions)

    def __len__(self) -> int:
        """Live faces (entries minus tombstones)."""
        return self.entries - len(self.tombstones)

    def ids(self) -> np.ndarray:
        """Every live id, int64, unsorted."""
        faiss = _faiss()
        ids = np.concatenate([faiss.vector_to_array(part.id_map).astype(np.int64) for part in self.partitions])
        if self.tombstones:
            ids = ids[~np.isin(ids, np.fromiter(self.tombstones, np.int64))]
        return ids

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self.tombstones:  # defensive: the database never reuses ids, but a re-added id is live
            self.tombstones.difference_update(ids.tolist())
        # Spread a batch over the partitions, smallest first, so they stay balanced.
        order = sorted(self.partitions, key=lambda part: part.ntotal)
        for number, part in enumerate(order):
            chunk = slice(number, None, len(order))
            if len(ids[chunk]):
                part.add_with_ids(vectors[chunk], ids[chunk])
        self.dirty = True

    def memory_bytes(self) -> int:
        if self.kind == "flat":
            return self.entries * (DIMENSION * 4 + 8)
        # PQ code (32 B), 4-bit refine code (64 B), id (8 B); codebooks are a few KB.
        return self.entries * (_PQ_SUBQUANTIZERS // 2 + DIMENSION * 4 // 8 + 8)


class FaissVectorStore:
    """In-process FAISS collections persisted under ``directory`` (see the module docstring).

    ``partitions`` large-collection partitions are searched in parallel (use the number of
    cores); ``k_factor`` × k PQ candidates are re-scored per partition.
    """

    staleness_seconds = 0.0
    """An added vector is searchable as soon as :meth:`add` returns."""

    def __init__(
        self, directory: Path, *, flat_limit: int = 50_000, partitions: int = 2, k_factor: int = 64
    ) -> None:
        self.directory = directory
        self.flat_limit = flat_limit
        self.partitions = partitions
        self.k_factor = k_factor
        self._collections: dict[int, _Collection] = {}
        self._lock = threading.Lock()
        self._source: EmbeddingSource | None = None
        self._pool = ThreadPoolExecutor(partitions, thread_name_prefix="faiss") if partitions > 1 else None
        # Parallelism comes from partitions (one query at a time); OpenMP would oversubscribe.
        _faiss().omp_set_num_threads(1)

    # --- lifecycle -------------------------------------------------------------------------

    def _files(self, collection: int) -> list[Path]:
        return sorted(self.directory.glob(f"{collection}-*{_SUFFIX}"))

    def _manifest(self, collection: int) -> Path:
        return self.directory / f"{collection}{_MANIFEST}"

    def _damage(self, collection: int, files: list[Path]) -> str | None:
        """What is wrong with ``collection``'s snapshot files against its manifest (None: they
        match, or the snapshot predates manifests and only the id check applies)."""
        try:
            manifest = json.loads(self._manifest(collection).read_text())["files"]
        except FileNotFoundError:
            log.info("vector snapshot of collection %d has no manifest (written by an older version); checked by ids only", collection)
            return None
        except (ValueError, KeyError, TypeError) as exc:
            return f"manifest unreadable ({exc.__class__.__name__})"
        names = sorted(path.name for path in files)
        if names != sorted(manifest):
            return f"files {names} differ from the manifest's {sorted(manifest)}"
        for path in files:
            if _file_digest(path) != manifest[path.name]:
                return f"{path.name} does not match its manifest (truncated, overwritten or replaced)"
        return None

    def _load(self, collection: int) -> _Collection | None:
        files = self._files(collection)
        if not files:
            return None
        damage = self._damage(collection, files)
        if damage is not None:
            log.warning("vector snapshot of collection %d is damaged: %s; rebuilding it from the database", collection, damage)
            return None
        faiss = _faiss()
        try:
            return _Collection([faiss.read_index(str(path)) for path in files])
        except RuntimeError as exc:  # a truncated or foreign file: rebuilt from the database
            log.warning("vector snapshot of collection %d unreadable (%s); rebuilding it from the database", collection, exc)
            return None

    def open(self, states: Mapping[int, CollectionState], source: EmbeddingSource) -> dict[str, int]:
        """Load snapshots and make every collection agree with ``states`` (the database)."""
        self._source = source
        self.directory.mkdir(parents=True, exist_ok=True)
        report = {"loaded": 0, "rebuilt": 0, "repaired": 0, "added": 0, "removed": 0, "dropped": 0}
        for path in self.directory.glob("*.tmp"):
            path.unlink(missing_ok=True)  # a snapshot interrupted by a crash
        for path in [*self.directory.glob(f"*{_SUFFIX}"), *self.directory.glob(f"*{_MANIFEST}")]:
            stem = path.name.split("-", 1)[0].removesuffix(_MANIFEST)
            if not stem.isdigit() or int(stem) not in states:
                path.unlink(missing_ok=True)
                report["dropped"] += path.suffix == _SUFFIX  # index files, not their manifests
        for collection, state in states.items():
            entry = self._load(collection)
            if entry is None:
                if state.count:
                    self._collections[collection] = self._build(collection, source)
                    report["rebuilt"] += 1
                continue
            report["loaded"] += 1
            with entry.lock.write():
                ids = entry.ids()
                if len(ids) != state.count or int(ids.sum()) != state.id_sum:
                    added, removed = self._repair(collection, entry, ids, source)
                    report["repaired"] += 1
                    report["added"] += added
                    report["removed"] += removed
            self._collections[collection] = entry
        return report

    def _repair(self, collection: int, entry: _Collection, have: np.ndarray, source: EmbeddingSource) -> tuple[int, int]:
        want = source.ids(collection)
        extra = np.setdiff1d(have, want)
        missing = np.setdiff1d(want, have)
        self._remove_locked(entry, extra)
        for ids, vectors in source.embeddings(collection, missing):
            entry.add(_as_ids(ids), _as_vectors(vectors))
        entry.dirty = True
        log.info("collection %d repaired from the database: +%d -%d", collection, len(missing), len(extra))
        return len(missing), len(extra)

    def _empty(self, sample: np.ndarray | None) -> _Collection:
        """A flat collection, or (given a training sample) empty trained pq-refine partitions."""
        if sample is None:
            return _Collection([_flat_index()])
        # FAISS's k-means is seeded, so training each partition gave byte-identical codebooks:
        # train once and copy (halves a 2-partition rebuild).
        trained = _trained_partition(sample)
        return _Collection([trained, *(_faiss().clone_index(trained) for _ in range(self.partitions - 1))])

    def _build(self, collection: int, source: EmbeddingSource) -> _Collection:
        """A fresh index for ``collection`` from the database, streamed chunk by chunk (only the
        training sample is held in memory as a whole)."""
        ids = source.ids(collection)
        sample = None
        if len(ids) > self.flat_limit:
            chosen = np.sort(np.random.default_rng(7).choice(ids, min(TRAIN_SAMPLE, len(ids)), replace=False))
            sample = np.concatenate([vectors for _, vectors in source.embeddings(collection, chosen)])
        del ids
        entry = self._empty(sample)
        for chunk_ids, vectors in source.embeddings(collection):
            entry.add(_as_ids(chunk_ids), _as_vectors(vectors))
        return entry

    # --- writes ----------------------------------------------------------------------------

    def _entry(self, collection: int, create: bool = False) -> _Collection | None:
        with self._lock:
            entry = self._collections.get(collection)
            if entry is None and create:
                entry = self._collections[collection] = _Collection([_flat_index()])
            return entry

    def add(self, collection: int, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add faces (ids must be new). A flat collection that outgrows ``flat_limit`` is
        rebuilt as pq-refine from the database (~1 s per 100 k faces)."""
        entry = self._entry(collection, create=True)
        assert entry is not None
        with entry.lock.write():
            entry.add(_as_ids(ids), _as_vectors(vectors))
            if entry.kind == "flat" and len(entry) > self.flat_limit and self._source is not None:
                self._rebuild_locked(collection, entry)

    def _rebuild_locked(self, collection: int, entry: _Collection) -> None:
        assert self._source is not None
        log.info("collection %d (%d faces): rebuilding its index from the database", collection, len(entry))
        fresh = self._build(collection, self._source)
        entry.partitions, entry.tombstones, entry.dirty = fresh.partitions, set(), True

    def _remove_locked(self, entry: _Collection, ids: np.ndarray) -> int:
        if not len(ids):
            return 0
        if entry.kind == "flat":
            removed = int(entry.partitions[0].remove_ids(_faiss().IDSelectorBatch(_as_ids(ids))))
        else:
            # Callers remove only ids the database had (or, in a repair, that the index has).
            fresh = {int(i) for i in ids} - entry.tombstones
            entry.tombstones |= fresh
            removed = len(fresh)
        entry.dirty = entry.dirty or removed > 0
        return removed

    def remove(self, collection: int, ids: np.ndarray) -> int:
        """Remove faces by id; returns how many were removed. Cost: O(collection size) for flat
        (vectors shift), a set insertion for pq-refine, plus a rebuild from the database when
        tombstones pass ``TOMBSTONE_FRACTION``."""
        entry = self._entry(collection)
        if entry is None:
            return 0
        with entry.lock.write():
            removed = self._remove_locked(entry, _as_ids(ids))
            if entry.tombstones and len(entry.tombstones) > TOMBSTONE_FRACTION * entry.entries and self._source is not None:
                self._rebuild_locked(collection, entry)
            return removed

    # --- reads -----------------------------------------------------------------------------

    def _search_partition(self, part, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
        k = min(k, int(part.ntotal))
        if k == 0:
            return np.empty(0, np.float32), np.empty(0, np.int64)
        params = None if _is_flat(part) else _faiss().IndexRefineSearchParameters(k_factor=self.k_factor)
        scores, ids = part.search(vector, k, params=params)
        return scores[0], ids[0]

    def search(self, collections: Iterable[int], query: np.ndarray, k: int) -> list[Candidate]:
        """Top ``k`` by (approximate) cosine across ``collections``, best first. Cost: ~1 ms
        for a flat collection of 50 k; for pq-refine ~1 ns a face, bound by memory bandwidth
        (~10 ms at 10 M on 2 cores, docs/scale.md)."""
        vector = _as_vectors(query.reshape(1, -1))
        found: list[Candidate] = []
        for collection in collections:
            entry = self._entry(collection)
            if entry is None:
                continue
            with entry.lock.read():
                wanted = k + min(len(entry.tombstones), 100)
                if self._pool is not None and len(entry.partitions) > 1:
                    results = list(self._pool.map(self._search_partition, entry.partitions, repeat(vector), repeat(wanted)))
                else:
                    results = [self._search_partition(part, vector, wanted) for part in entry.partitions]
                tombstones = entry.tombstones
                found.extend(
                    Candidate(int(face_id), collection, float(score))
                    for scores, ids in results
                    for face_id, score in zip(ids, scores, strict=True)
                    if face_id >= 0 and int(face_id) not in tombstones
                )
        found.sort(key=lambda candidate: candidate.score, reverse=True)
        return found[:k]

    def size(self, collection: int) -> int:
        """Live faces of ``collection`` (0 if it has none): exact, O(1) (FAISS counts its
        vectors; tombstones are a set)."""
        entry = self._entry(collection)
        if entry is None:
            return 0
        with entry.lock.read():
            return len(entry)

    def stats(self) -> list[CollectionStats]:
        with self._lock:
            items = list(self._collections.items())
        result = []
        for collection, entry in items:
            with entry.lock.read():
                result.append(CollectionStats(collection, len(entry), entry.kind, entry.memory_bytes(), len(entry.partitions)))
        return result

    # --- persistence -----------------------------------------------------------------------

    def save(self) -> int:
        """Write every changed collection's snapshot atomically (~2 s per GB: write and hash),
        sharing the collection's lock with searches: adds and removes wait, searches do not.
        Called by one thread at a time (the snapshot thread, or ``close`` after it stopped).
        Returns the number of collections written. A collection whose snapshot cannot be
        written (a full disk) keeps its previous snapshot, is logged and stays marked changed,
        so the next save retries it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            items = list(self._collections.items())
        written = 0
        for collection, entry in items:
            with entry.lock.read():
                if not entry.dirty:
                    continue
                try:
                    self._write_snapshot(collection, entry)
                except OSError as exc:
                    log.error(
                        "vector snapshot of collection %d not written (%s); the previous snapshot is kept and the next "
                        "start repairs it from the database", collection, exc,
                    )  # fmt: skip
                    continue
                entry.dirty = False
                written += 1
        return written

    def _write_snapshot(self, collection: int, entry: _Collection) -> None:
        """Every partition and the manifest into temporary files, then renamed over the previous
        snapshot; on any failure the temporary files are removed and the previous snapshot is
        untouched."""
        staged: list[tuple[Path, Path]] = []
        try:
            files: dict[str, dict[str, object]] = {}
            for number, part in enumerate(entry.partitions):
                path = self.directory / f"{collection}-{number}{_SUFFIX}"
                staged.append((path.with_suffix(".tmp"), path))
                files[path.name] = _write_durably(part, staged[-1][0])
            manifest = self._manifest(collection)
            staged.append((manifest.with_name(f"{collection}.manifest.tmp"), manifest))
            with open(staged[-1][0], "w") as handle:
                handle.write(json.dumps({"files": files}))
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            for temporary, _ in staged:
                temporary.unlink(missing_ok=True)
            raise
        old = set(self._files(collection))
        for temporary, path in staged:
            os.replace(temporary, path)
            old.discard(path)
        for stale in old:  # the collection had more partitions before
            stale.unlink(missing_ok=True)
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the renames themselves survive a power cut
        finally:
            os.close(directory)

    def close(self) -> None:
        self.save()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
