"""Scale benchmark of face repositories: 1 M and 10 M synthetic faces (``make bench-scale``).

For each size, in child processes (so peak memory is that size's own):

1. in one process, the service's components are started as ``facesaas serve`` starts them
   (database, face models, repositories), then a synthetic gallery (``bench/synthetic.py``: identity clusters
   whose genuine and impostor cosine distributions match SFace on celeba) is registered through
   ``FaceRepositories.register_many`` in batches of 20,000 — streamed, never all in memory;
2. that process closes (index snapshot); a second process opens the repositories as a
   restarted service would — in a fresh process — (start-up check against the database), and measures resident
   memory then;
3. 1,000 mated probes (new faces of gallery identities) are searched one at a time through
   ``FaceRepositories.search`` (top 10; index + exact re-rank from the database): p50/p99;
4. exact search over the same gallery, regenerated chunk by chunk in the same process, gives
   the reference top-10: recall@1 (the returned top-1 is the exact top-1) and true-match
   recall (of the faces in the exact top-10 that are the probe's identity and pass the 99.99
   threshold, the fraction also returned). True matches that even exact top-10 search cannot
   return — at 10 M faces about 1,000 strangers pass a 1e-4 threshold for every probe — are
   counted separately ("anywhere").

Results go to ``bench/results/scale-<timestamp>.md`` and ``bench/results/scale-latest.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

BATCH = 20_000
QUERIES = 1_000
TOP = 10


def _status(field: str) -> int:
    """A /proc/self/status memory field in bytes (VmRSS: resident now, VmHWM: peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux ≥ 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def _service(workdir: Path):  # noqa: ANN202
    """What ``facesaas serve`` holds: settings, database, face models (loaded)."""
    from facesaas.face.engine import get_engine
    from facesaas.settings import Settings
    from facesaas.storage.database import create_database

    settings = Settings(data_dir=workdir, index_snapshot_seconds=0)
    database = create_database(settings.resolved_database_url)
    get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
    return settings, database


def build(size: int, workdir: Path) -> dict:
    """Phase 1 (own process): register the gallery through the repository layer, streamed."""
    from synthetic import SyntheticFaces

    from facesaas.repositories import NewFace, RepoKey, open_repositories
    from facesaas.tenants.service import TenantService

    settings, database = _service(workdir)
    from facesaas.vault import open_vault

    tenant = TenantService(database.sessions, open_vault(settings)).create("scale").tenant
    key = RepoKey(tenant.id, 2, "scale")
    synthetic = SyntheticFaces(gallery_size=size)
    gc.collect()
    baseline = _status("VmRSS")
    _reset_peak()
    opened = open_repositories(settings, database)
    started = time.perf_counter()
    for start in range(0, size, BATCH):
        vectors = synthetic.gallery_chunk(start, min(size, start + BATCH))
        opened.repositories.register_many(key, [NewFace(f"f{start + i}", vectors[i]) for i in range(len(vectors))])
        del vectors
    build_seconds = time.perf_counter() - started
    build_peak = _status("VmHWM")
    started = time.perf_counter()
    opened.close()
    database.dispose()
    return {
        "size": size,
        "tenant_id": tenant.id,
        "identities": synthetic.identity_count,
        "build_seconds": build_seconds,
        "save_seconds": time.perf_counter() - started,
        "build_baseline_rss": baseline,
        "build_peak_rss": build_peak,
    }


def serve(size: int, workdir: Path, tenant_id: int) -> dict:
    """Phase 2 (a fresh process, as a restarted service): open, search, compare with exact."""
    from synthetic import SyntheticFaces

    from facesaas.face.calibration import load_calibration
    from facesaas.repositories import open_repositories

    settings, database = _service(workdir)
    synthetic = SyntheticFaces(gallery_size=size)
    probes, identities = synthetic.probes(QUERIES, mated=True, seed=11)
    gc.collect()
    baseline = _status("VmRSS")
    _reset_peak()
    started = time.perf_counter()
    opened = open_repositories(settings, database)
    open_seconds = time.perf_counter() - started
    gc.collect()
    steady = _status("VmRSS")
    repositories = opened.repositories
    (stat,) = repositories.index_stats()
    for query in probes[:20]:  # warm-up
        repositories.search(tenant_id, 2, "scale", query[None], TOP)
    latencies, returned = [], []
    for query in probes:
        begun = time.perf_counter()
        hits = repositories.search(tenant_id, 2, "scale", query[None], TOP)
        latencies.append(time.perf_counter() - begun)
        returned.append([int(hit.user_id[1:]) for hit in hits])
    serve_peak = _status("VmHWM")
    steady_after = _status("VmRSS")

    # Exact reference over the same gallery, regenerated chunk by chunk: top-10 per probe.
    threshold = load_calibration().cosine_threshold("99.99")
    anywhere = 0  # true matches above the threshold anywhere in the gallery

    def count_anywhere(start: int, scores: np.ndarray) -> None:
        nonlocal anywhere
        rows, cols = np.nonzero(scores >= threshold)
        anywhere += int(np.sum(synthetic.identity_of(start + cols) == identities[rows]))

    started = time.perf_counter()
    exact_scores, exact_index = synthetic.exact_top(probes, TOP, count_anywhere)
    exact_seconds = time.perf_counter() - started
    opened.close()
    database.dispose()
    # True matches the exact top-10 holds: same identity and above the 99.99 threshold.
    same = synthetic.identity_of(exact_index.reshape(-1)).reshape(QUERIES, TOP) == identities[:, None]
    reference = [set(exact_index[q][same[q] & (exact_scores[q] >= threshold)].tolist()) for q in range(QUERIES)]
    wanted = sum(len(m) for m in reference)
    found = sum(len(m & set(r)) for m, r in zip(reference, returned, strict=True))
    recall_at_1 = float(np.mean([bool(r) and r[0] == e for r, e in zip(returned, exact_index[:, 0], strict=True)]))
    recall_at_10 = float(np.mean([len(set(r) & set(e.tolist())) / TOP for r, e in zip(returned, exact_index, strict=True)]))
    milliseconds = np.array(latencies) * 1000
    return {
        "open_seconds": open_seconds,
        "serve_baseline_rss": baseline,
        "steady_rss": steady,
        "steady_rss_after_searches": steady_after,
        "serve_peak_rss": serve_peak,
        "index_measured": steady - baseline,
        "index_estimate": stat["memory_bytes"],
        "index_kind": stat["kind"],
        "p50_ms": float(np.percentile(milliseconds, 50)),
        "p99_ms": float(np.percentile(milliseconds, 99)),
        "recall_at_1": recall_at_1,
        "recall_at_10_informative_only": recall_at_10,
        "queries_with_true_match": sum(1 for m in reference if m),
        "true_match_recall": found / wanted if wanted else float("nan"),
        "true_matches": wanted,
        "true_matches_anywhere": anywhere,
        "exact_seconds": exact_seconds,
    }


def _gb(value: float) -> str:
    return f"{value / 1e9:.2f} GB"


def render(results: list[dict]) -> str:
    lines = [
        f"# Scale benchmark — {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}. "
        "Synthetic SFace-like embeddings (`bench/synthetic.py`), one repository, SQLite metadata on local disk, "
        f"{QUERIES} mated probes, top-{TOP} through `FaceRepositories.search` (PQ64x4 fast scan, 4-bit re-score, exact "
        "re-rank from the database). Resident memory is the whole process's (face models, database, index). "
        "The index memory is the resident growth over the process before the repositories were opened.",
        "",
        "| faces | identities | build | snapshot save | restart (load + check) | index memory (measured / estimated) "
        "| steady RSS | peak RSS during build | p50 | p99 | recall@1 | true-match recall (≥ 99.99 threshold) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['identities']:,} | {r['build_seconds']:.0f} s | {r['save_seconds']:.1f} s "
            f"| {r['open_seconds']:.1f} s | {_gb(r['index_measured'])} / {_gb(r['index_estimate'])} "
            f"| {_gb(r['steady_rss'])} | {_gb(r['build_peak_rss'])} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms "
            f"| {r['recall_at_1']:.4f} | {r['true_match_recall']:.4f} ({r['true_matches']:,} matches) |"
        )
    lines += ["", "Raw results:", "", "```json", json.dumps(results, indent=2), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--phase", choices=["build", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tenant", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, default=None, help="Where the benchmark databases go (default: a temp dir).")
    args = parser.parse_args()
    if args.phase == "build":
        print(json.dumps(build(args.size, args.workdir)))
        return
    if args.phase == "serve":
        print(json.dumps(serve(args.size, args.workdir, args.tenant)))
        return

    def phase(*arguments: str) -> dict:
        output = subprocess.run([sys.executable, __file__, *arguments], check=True, stdout=subprocess.PIPE, text=True).stdout
        return json.loads(output.strip().splitlines()[-1])

    results = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="facesaas-scale-", dir=args.workdir) as workdir:
            print(f"scale benchmark: building {size:,} faces ...", file=sys.stderr, flush=True)
            built = phase("--phase", "build", "--size", str(size), "--workdir", workdir)
            print(f"scale benchmark: serving {size:,} faces ...", file=sys.stderr, flush=True)
            served = phase("--phase", "serve", "--size", str(size), "--workdir", workdir, "--tenant", str(built["tenant_id"]))
            results.append({**built, **served})
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    report = render(results)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / f"scale-{stamp}.md").write_text(report, encoding="utf-8")
    (out / "scale-latest.md").write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
