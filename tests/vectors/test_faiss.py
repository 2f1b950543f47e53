"""The embedded FAISS backend: kinds, deletes, snapshots and repair against a source of truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facesaas.vectors import FaissVectorStore
from tests.vectors.table import Table as _Table
from tests.vectors.table import unit as _unit


def _store(directory: Path, table: _Table, flat_limit: int = 500) -> FaissVectorStore:
    store = FaissVectorStore(directory, flat_limit=flat_limit, partitions=2)
    store.open(table.states(), table)
    return store


def _add(store: FaissVectorStore, table: _Table, collection: int, ids: np.ndarray, vectors: np.ndarray) -> None:
    table.put(collection, ids, vectors)  # the database commits first, as FaceRepositories does
    store.add(collection, ids, vectors)


def test_flat_collection_is_exact(tmp_path: Path) -> None:
    table = _Table()
    store = _store(tmp_path, table)
    vectors = _unit(300)
    _add(store, table, 1, np.arange(10, 310), vectors)
    found = store.search([1], vectors[42], 5)
    assert found[0].face_id == 52 and found[0].score == pytest.approx(1.0, abs=1e-5)
    exact = np.sort(vectors @ vectors[42])[::-1][:5]
    assert [c.score for c in found] == pytest.approx(exact.tolist(), abs=1e-5)
    assert store.stats()[0].kind == "flat"


def test_growing_past_the_flat_limit_switches_to_pq_refine_and_keeps_finding_true_matches(tmp_path: Path) -> None:
    table = _Table()
    store = _store(tmp_path, table, flat_limit=500)
    vectors = _unit(3000, seed=1)
    for start in range(0, 3000, 1000):
        _add(store, table, 7, np.arange(start, start + 1000), vectors[start : start + 1000])
    (stat,) = store.stats()
    assert (stat.kind, stat.count, stat.partitions) == ("pq-refine", 3000, 2)
    assert stat.memory_bytes == 3000 * 104  # 32 B PQ code + 64 B 4-bit vector + 8 B id
    # A noisy copy of a stored face (cosine ~0.6 to it, ~0 to the rest) is found first.
    rng = np.random.default_rng(5)
    hits = 0
    for face in rng.choice(3000, 50, replace=False):
        noisy = vectors[face] + 1.1 * _unit(1, seed=int(face) + 100)[0]
        hits += store.search([7], noisy / np.linalg.norm(noisy), 1)[0].face_id == face
    assert hits == 50


def test_deletes_hide_faces_and_many_deletes_rebuild(tmp_path: Path) -> None:
    table = _Table()
    store = _store(tmp_path, table, flat_limit=100)
    vectors = _unit(1000, seed=2)
    _add(store, table, 3, np.arange(1000), vectors)
    table.drop(3, [5])
    assert store.remove(3, np.array([5])) == 1
    assert all(c.face_id != 5 for c in store.search([3], vectors[5], 10))
    assert store.stats()[0].count == 999
    doomed = list(range(100, 250))  # more than TOMBSTONE_FRACTION of the collection
    table.drop(3, doomed)
    store.remove(3, np.array(doomed))
    assert store.stats()[0].count == 849
    assert store.search([3], vectors[120], 1)[0].face_id != 120
    assert (store.size(3), store.size(4)) == (849, 0)  # 103.1's gallery size: live faces only


def test_snapshot_round_trip_and_repair_after_a_lost_update(tmp_path: Path) -> None:
    table = _Table()
    store = _store(tmp_path, table)
    vectors = _unit(400, seed=3)
    _add(store, table, 1, np.arange(200), vectors[:200])
    _add(store, table, 2, np.arange(1000, 1100), vectors[200:300])
    store.close()
    # Changes the index never saw, as after kill -9 between a commit and the snapshot:
    table.put(1, np.arange(200, 260), vectors[300:360])
    table.drop(2, list(range(1000, 1010)))
    table.rows[9] = {}  # a repository created but empty
    reopened = FaissVectorStore(tmp_path, flat_limit=500, partitions=2)
    report = reopened.open(table.states(), table)
    assert (report["loaded"], report["repaired"], report["added"], report["removed"]) == (2, 2, 60, 10)
    counts = {s.collection: s.count for s in reopened.stats()}
    assert counts == {1: 260, 2: 90}
    assert reopened.search([1], vectors[330], 1)[0].face_id == 230


def test_unreadable_snapshot_is_rebuilt_and_unknown_collections_are_dropped(tmp_path: Path) -> None:
    table = _Table()
    store = _store(tmp_path, table)
    vectors = _unit(50, seed=4)
    _add(store, table, 1, np.arange(50), vectors)
    _add(store, table, 2, np.arange(100, 150), vectors)
    store.close()
    (tmp_path / "1-0.faiss").write_bytes(b"not an index")
    del table.rows[2]
    reopened = FaissVectorStore(tmp_path, flat_limit=500, partitions=2)
    report = reopened.open(table.states(), table)
    assert (report["rebuilt"], report["dropped"]) == (1, 1)
    assert [s.collection for s in reopened.stats()] == [1]
    assert not list(tmp_path.glob("2-*.faiss"))
    assert reopened.search([1], vectors[7], 1)[0].face_id == 7


def test_a_snapshot_that_cannot_be_written_keeps_the_previous_one(tmp_path: Path) -> None:
    """A pq-refine collection (2 partitions) saved, changed, then saved with its second
    partition's temporary file on /dev/full (every write fails with ENOSPC): nothing is renamed,
    not even the first partition, which was written whole; no temporary file is left; the
    collection stays changed and the next save writes it."""
    import os

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    table = _Table()
    store = _store(tmp_path, table, flat_limit=100)
    vectors = _unit(400, seed=7)
    _add(store, table, 1, np.arange(300), vectors[:300])
    assert store.save() == 1
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert sorted(before) == ["1-0.faiss", "1-1.faiss", "1.manifest"]
    _add(store, table, 1, np.arange(300, 400), vectors[300:])
    (tmp_path / "1-1.tmp").symlink_to("/dev/full")
    assert store.save() == 0
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
    assert store.save() == 1  # retried: the link is gone with the failed attempt's files
    reopened = FaissVectorStore(tmp_path, flat_limit=100, partitions=2)
    report = reopened.open(table.states(), table)
    assert (report["loaded"], report["repaired"], report["rebuilt"]) == (1, 0, 0)


def test_collections_never_mix(tmp_path: Path) -> None:
    table = _Table()
    store = _store(tmp_path, table)
    vectors = _unit(20, seed=6)
    _add(store, table, 1, np.arange(10), vectors[:10])
    _add(store, table, 2, np.arange(10, 20), vectors[10:])
    assert {c.face_id for c in store.search([1], vectors[15], 10)} == set(range(10))
    assert {c.collection for c in store.search([1, 2], vectors[15], 20)} == {1, 2}
    assert store.search([3], vectors[15], 5) == []


def test_readers_share_the_collection_lock_and_a_writer_waits_for_them() -> None:
    import threading

    from facesaas.vectors._faiss import _ReadWriteLock

    lock = _ReadWriteLock()
    both_reading = threading.Barrier(2, timeout=5)
    wrote: list[str] = []

    def reader() -> None:
        with lock.read():
            both_reading.wait()  # deadlocks (BrokenBarrierError) unless two readers hold it at once
            wrote.append("read")

    def writer() -> None:
        with lock.write():
            wrote.append("write")

    readers = [threading.Thread(target=reader) for _ in range(2)]
    with lock.read():
        late_writer = threading.Thread(target=writer)
        late_writer.start()
        late_writer.join(timeout=0.2)
        assert late_writer.is_alive() and wrote == []  # the writer waits for the reader
    late_writer.join(timeout=5)
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(timeout=5)
    assert wrote == ["write", "read", "read"]
