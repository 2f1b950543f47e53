"""The shared Milvus backend on a real Milvus standalone (``make milvus``): search, delete,
repair from the source of truth, per-namespace isolation, and errors when it is away."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from facesaas.errors import ServiceUnavailable
from facesaas.vectors import MilvusVectorStore
from tests.storage_fixtures import drop_milvus_namespace, fresh_namespace, milvus_or_skip
from tests.vectors.table import Table, unit


@pytest.fixture
def milvus() -> Iterator[tuple[str, str]]:
    url, namespace = milvus_or_skip(), fresh_namespace()
    yield url, namespace
    drop_milvus_namespace(url, namespace)


def _opened(url: str, namespace: str, table: Table) -> MilvusVectorStore:
    store = MilvusVectorStore(url, namespace=namespace)
    store.open(table.states(), table)
    return store


def _ids(store: MilvusVectorStore, collection: int, query: np.ndarray, k: int = 5) -> list[int]:
    return [c.face_id for c in store.search([collection], query, k)]


def test_add_search_remove_and_isolation(milvus: tuple[str, str]) -> None:
    url, namespace = milvus
    table = Table()
    store = _opened(url, namespace, table)
    vectors = unit(400, seed=1)
    table.put(1, np.arange(1, 401), vectors)
    store.add(1, np.arange(1, 401), vectors)
    table.put(2, np.arange(1001, 1004), vectors[:3])
    store.add(2, np.arange(1001, 1004), vectors[:3])
    # Bounded consistency: Milvus shows writes within seconds; the repository layer covers
    # that window from the database (tests/api/test_topology.py). Here, wait for them.
    # Both repositories' writes: each insert becomes visible on its own (seen once in CI: the
    # second repository's three faces still invisible after the first's were found).
    _eventually(lambda: _ids(store, 1, vectors[17])[:1] == [18] and _ids(store, 2, vectors[2])[:1] == [1003])
    hits = store.search([1, 2], vectors[2], 3)
    assert {(h.face_id, h.collection) for h in hits[:2]} == {(3, 1), (1003, 2)}
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert store.remove(1, np.array([18])) >= 1
    _eventually(lambda: 18 not in _ids(store, 1, vectors[17]))
    # Another namespace (deployment) sees none of it, nor does a search of other repositories.
    other_namespace = fresh_namespace()
    other = _opened(url, other_namespace, Table())
    assert other.search([1, 2], vectors[2], 3) == []
    other.close()
    drop_milvus_namespace(url, other_namespace)
    assert store.search([3], vectors[2], 3) == []
    (stat,) = store.stats()
    assert stat.count == 400 + 3 - 1 and stat.kind == "milvus-flat"
    assert (store.size(2), store.size(3)) == (3, 0)  # 103.1's gallery size (reused for SIZE_SECONDS)
    store.ping()
    store.close()


def _eventually(condition, seconds: float = 20.0) -> None:  # noqa: ANN001
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "Milvus did not show the write in time"
        time.sleep(0.25)


def test_open_repairs_from_the_source_of_truth(milvus: tuple[str, str]) -> None:
    """Rows the database gained while no worker indexed them are added, rows it lost are
    removed, collections of deleted repositories are dropped; a second open has nothing to do."""
    url, namespace = milvus
    table = Table()
    store = _opened(url, namespace, table)
    vectors = unit(300, seed=2)
    table.put(1, np.arange(1, 201), vectors[:200])
    store.add(1, np.arange(1, 201), vectors[:200])
    table.put(5, np.arange(500, 510), vectors[200:210])
    store.add(5, np.arange(500, 510), vectors[200:210])
    store.close()
    # While "down": 50 registered (committed, never indexed), 20 deleted, repository 5 deleted.
    table.put(1, np.arange(201, 251), vectors[200:250])
    table.drop(1, list(range(1, 21)))
    del table.rows[5]
    table.put(7, np.arange(700, 705), vectors[250:255])  # a new repository, never indexed
    restarted = MilvusVectorStore(url, namespace=namespace)
    report = restarted.open(table.states(), table)
    assert report["dropped"] == 10 and report["repaired"] == 1 and report["rebuilt"] == 1
    assert (report["added"], report["removed"]) == (50 + 5, 20)
    assert restarted.open(table.states(), table) == {"loaded": 2, "rebuilt": 0, "repaired": 0, "added": 0,
                                                     "removed": 0, "dropped": 0}  # fmt: skip
    assert _ids(restarted, 1, vectors[230], 1) == [231]
    assert all(i > 20 for i in _ids(restarted, 1, vectors[5], 10))
    assert _ids(restarted, 7, vectors[252], 1) == [702]
    restarted.close()


def test_an_absent_milvus_is_service_unavailable() -> None:
    store = MilvusVectorStore("milvus://127.0.0.1:1", namespace=fresh_namespace(), timeout=2)
    with pytest.raises(ServiceUnavailable):
        store.ping()
    with pytest.raises(ServiceUnavailable):
        store.add(1, np.array([1]), unit(1))


def test_a_worker_loading_before_another_has_indexed_waits_for_the_index(milvus: tuple[str, str]) -> None:
    """Workers start together: the first creates the collection, then its index in a second call;
    the other finds the collection in between, and its load fails with "index not found" unless
    it waits (seen in CI when two `serve` workers started at once). Here the collection exists
    without its index while the store opens; the test indexes it a second later."""
    import threading
    import time

    from pymilvus import DataType, MilvusClient

    url, namespace = milvus
    store = MilvusVectorStore(url, namespace=namespace)
    client = MilvusClient(uri=url.replace("milvus://", "http://"))
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("repo", DataType.INT64, is_partition_key=True)
    schema.add_field("emb", DataType.FLOAT_VECTOR, dim=128)
    client.create_collection(store.name, schema=schema)  # no index yet: as between the first worker's calls
    failures: list[BaseException] = []

    def open_store() -> None:
        try:
            store.open({}, Table())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    opening = threading.Thread(target=open_store)
    opening.start()
    time.sleep(1.0)
    index = client.prepare_index_params()
    index.add_index(field_name="emb", index_type="FLAT", metric_type="IP")
    client.create_index(store.name, index)
    opening.join(30)
    client.close()
    assert not opening.is_alive() and failures == []
    store.close()
