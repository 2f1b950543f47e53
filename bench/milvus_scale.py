"""Milvus at 1 M faces: recall and latency of each index choice, against exact search.

A synthetic gallery (``bench/synthetic.py``: SFace-like identity clusters, the same gallery
``bench_scale.py`` gives the embedded index) is inserted through ``MilvusVectorStore`` into one
collection per index choice on a running Milvus (``make milvus``); 1,000 mated probes are searched
as the repository layer searches (k = 10 + 20 candidates re-ranked exactly, so an index only has
to put the right faces *among* its 30 candidates), and compared with the exact top-10 computed in
numpy over the same gallery:

- recall@1: the exact best face is among the candidates (then the exact re-rank puts it first);
- true-match recall: of the exact top-10 faces that are the probe's identity and above the
  "99.99" threshold, the share among the candidates.

Latency is the Milvus search alone, one probe at a time, p50/p99 over the probes. Results go to
``bench/results/milvus-scale-<stamp>.md`` (and ``-latest.md``).

    make milvus && .venv/bin/python bench/milvus_scale.py [--size 1000000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

TOP = 10
CANDIDATES = TOP + 20  # facesaas.repositories.store._RERANK_EXTRA
CHOICES = [
    # (label, index, search params)
    ("FLAT (exact)", {"index_type": "FLAT", "params": {}}, {}),
    ("HNSW M16 efC200, ef 64", {"index_type": "HNSW", "params": {"M": 16, "efConstruction": 200}}, {"ef": 64}),
    ("HNSW M16 efC200, ef 128", None, {"ef": 128}),
    ("HNSW M16 efC200, ef 256", None, {"ef": 256}),
    ("HNSW M16 efC200, ef 512", None, {"ef": 512}),
    ("IVF_FLAT nlist 1024, nprobe 64", {"index_type": "IVF_FLAT", "params": {"nlist": 1024}}, {"nprobe": 64}),
    ("IVF_FLAT nlist 1024, nprobe 256", None, {"nprobe": 256}),
    # SCANN: IVF over 4-bit fast-scan PQ codes (64 × 4 bits = 32 bytes a face, as the embedded
    # index), re-ranked with the raw vectors: the scheme that kept every true match in FAISS.
    ("SCANN nlist 16, nprobe 16, reorder_k 1000", {"index_type": "SCANN", "params": {"nlist": 16, "with_raw_data": True}},
     {"nprobe": 16, "reorder_k": 1000}),
    ("SCANN nlist 16, nprobe 16, reorder_k 2000", None, {"nprobe": 16, "reorder_k": 2000}),
    ("SCANN nlist 16, nprobe 8, reorder_k 2000", None, {"nprobe": 8, "reorder_k": 2000}),
]
"""``None`` as index: the same collection as the row before, searched with other parameters."""


def _exact(synthetic, probes: np.ndarray, identities: np.ndarray, threshold: float):  # noqa: ANN001, ANN202
    """Exact top-10 positions per probe, and each probe's true matches among them."""
    scores_top, index_top = synthetic.exact_top(probes, TOP)
    same = synthetic.identity_of(index_top.reshape(-1)).reshape(len(probes), TOP) == identities[:, None]
    matches = [set(index_top[q][same[q] & (scores_top[q] >= threshold)].tolist()) for q in range(len(probes))]
    return index_top, matches


def _milvus_rss() -> int:
    """Resident bytes of the local Milvus standalone process (0 if not found)."""
    import subprocess

    pids = subprocess.run(["pgrep", "-f", "milvus run standalone"], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def _fill(store, collection: int, synthetic, size: int) -> float:  # noqa: ANN001
    """Insert the gallery (face id = gallery position + 1), flush, wait for the index; seconds."""
    started = time.perf_counter()
    for start in range(0, size, 50_000):
        stop = min(size, start + 50_000)
        store.add(collection, np.arange(start, stop, dtype=np.int64) + 1, synthetic.gallery_chunk(start, stop))
    name = store.name
    with store._calling("flush") as client:
        client.flush(name)
        while True:
            info = client.describe_index(name, "emb")  # the index's name is its field's
            if int(info.get("indexed_rows", 0)) >= int(info.get("total_rows", size)) and info.get("state") == "Finished":
                break
            time.sleep(2)
        client.release_collection(name)
        client.load_collection(name)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--url", default="milvus://127.0.0.1:19530")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--only", nargs="*", help="index types to measure (FLAT, HNSW, IVF_FLAT); default all")
    args = parser.parse_args()

    from _results import save
    from synthetic import SyntheticFaces

    from facesaas.face.calibration import load_calibration
    from facesaas.vectors import MilvusVectorStore

    synthetic = SyntheticFaces(gallery_size=args.size)
    probes, identities = synthetic.probes(args.queries, mated=True, seed=11)
    threshold = load_calibration().cosine_threshold("99.99")
    started = time.perf_counter()
    exact_top, matches = _exact(synthetic, probes, identities, threshold)
    exact_seconds = time.perf_counter() - started
    namespace = f"bench{int(time.time())}"
    rows, data = [], []
    store = None
    collection = 0
    chosen, kind = [], None
    for label, index, params in CHOICES:
        kind = index["index_type"] if index is not None else kind
        if not args.only or kind in args.only:
            chosen.append((label, index, params))
    for label, index, params in chosen:
        if index is not None:
            if store is not None:
                with store._calling("drop") as client:
                    client.drop_collection(store.name)
                store.close()
            collection = 1
            store = MilvusVectorStore(args.url, namespace=namespace, timeout=600, index=index)
            rss_before = _milvus_rss()
            build = _fill(store, collection, synthetic, args.size)
            memory = _milvus_rss() - rss_before
            print(f"{label}: built in {build:.0f} s, Milvus RSS +{memory / 1e9:.2f} GB", flush=True)
        assert store is not None
        store.search_params = params
        for query in probes[:20]:
            store.search([collection], query, CANDIDATES)
        latencies, found_first, found_true = [], 0, 0
        for q, query in enumerate(probes):
            begun = time.perf_counter()
            candidates = {c.face_id - 1 for c in store.search([collection], query, CANDIDATES)}
            latencies.append((time.perf_counter() - begun) * 1000)
            found_first += int(exact_top[q, 0]) in candidates
            found_true += len(matches[q] & candidates)
        wanted = sum(len(m) for m in matches)
        result = {
            "choice": label, "build_seconds": build, "milvus_rss_added": memory, "p50_ms": float(np.percentile(latencies, 50)),
            "p99_ms": float(np.percentile(latencies, 99)), "recall_at_1": found_first / len(probes),
            "true_match_recall": found_true / wanted if wanted else float("nan"), "true_matches": wanted,
        }  # fmt: skip
        data.append(result)
        rows.append(f"| {label} | {build:.0f} | {memory / 1e9:.2f} | {result['recall_at_1']:.4f} | {result['true_match_recall']:.4f} "
                    f"| {result['p50_ms']:.1f} | {result['p99_ms']:.1f} |")  # fmt: skip
        print(rows[-1], flush=True)
    if store is not None:
        with store._calling("drop") as client:
            client.drop_collection(store.name)
        store.close()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = "\n".join([
        f"# Milvus at {args.size:,} faces ({stamp})", "",
        f"`python bench/milvus_scale.py --size {args.size} --queries {args.queries}`: Milvus 2.3.5 standalone (PyPI "
        "`milvus`) on this 2-core machine, synthetic SFace-like gallery (bench/synthetic.py), one collection, "
        f"{args.queries} mated probes, {CANDIDATES} candidates per search (as the repository layer asks), exact "
        f"reference in numpy ({exact_seconds:.0f} s). Build: insert + flush + index, seconds. Latency: the Milvus "
        "search alone, one probe at a time (bounded consistency). Memory: the Milvus process's resident size "
        "after the collection is built and loaded, minus before.", "",
        "| index, search | build s | Milvus RSS added GB | recall@1 | true-match recall | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|", *rows, "",
        f"True matches (same identity, above the 99.99 threshold, in the exact top-10): {data[0]['true_matches']}.",
    ])  # fmt: skip
    save(args.out, "milvus-scale", stamp, text + "\n", data)
    print(text)


if __name__ == "__main__":
    main()
