"""What the vector snapshot's manifest costs: saving (write + SHA-256 as it is written, all
partitions staged before any rename) against the save before manifests (FAISS's
``write_index``, fsync, rename, a partition at a time), and opening (SHA-256 of every file checked against the manifest, then read) against
opening the same files without a manifest (the id check only, as before manifests), in one run.

    .venv/bin/python bench/snapshots.py [--faces 400000] [--rounds 3]

Results: ``bench/results/snapshots-<stamp>.md`` (and ``-latest.md``); docs/reliability.md
"Faults" quotes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))


def main() -> None:
    import faiss
    from _results import save

    from facesaas.vectors import FaissVectorStore
    from tests.vectors.table import Table, unit

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=400_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    table = Table()
    vectors = unit(args.faces, seed=1)
    ids = np.arange(args.faces)
    table.put(1, ids, vectors)
    work = Path(tempfile.mkdtemp(prefix="facesaas-snapshots-"))
    try:
        store = FaissVectorStore(work / "index", flat_limit=1000, partitions=2)
        begun = time.perf_counter()
        store.open(table.states(), table)  # builds the pq-refine collection from the "database"
        build = time.perf_counter() - begun
        entry = store._entry(1)  # noqa: SLF001 - the benchmark times the partitions themselves
        assert entry is not None and entry.kind == "pq-refine"
        size = 0
        timings: dict[str, list[float]] = {"save (manifest)": [], "save (before: write_index, fsync, rename)": [],
                                           "open (manifest checked)": [], "open (no manifest)": []}
        for _ in range(args.rounds):
            entry.dirty = True
            begun = time.perf_counter()
            assert store.save() == 1
            timings["save (manifest)"].append(time.perf_counter() - begun)
            plain = work / "plain"
            plain.mkdir(exist_ok=True)
            begun = time.perf_counter()
            for number, part in enumerate(entry.partitions):  # the save before manifests
                temporary = plain / f"1-{number}.tmp"
                faiss.write_index(part, str(temporary))
                with open(temporary, "rb+") as handle:
                    os.fsync(handle.fileno())
                os.replace(temporary, plain / f"1-{number}.faiss")
            timings["save (before: write_index, fsync, rename)"].append(time.perf_counter() - begun)
            size = sum(path.stat().st_size for path in (work / "index").glob("*.faiss"))

            reopened = FaissVectorStore(work / "index", flat_limit=1000, partitions=2)
            begun = time.perf_counter()
            report = reopened.open(table.states(), table)
            timings["open (manifest checked)"].append(time.perf_counter() - begun)
            assert (report["loaded"], report["rebuilt"], report["repaired"]) == (1, 0, 0), report
            legacy = work / "legacy"
            shutil.rmtree(legacy, ignore_errors=True)
            legacy.mkdir()
            for path in plain.iterdir():
                shutil.copy(path, legacy / path.name)
            old = FaissVectorStore(legacy, flat_limit=1000, partitions=2)
            begun = time.perf_counter()
            report = old.open(table.states(), table)
            timings["open (no manifest)"].append(time.perf_counter() - begun)
            assert (report["loaded"], report["rebuilt"], report["repaired"]) == (1, 0, 0), report
    finally:
        shutil.rmtree(work, ignore_errors=True)

    median = {label: float(np.median(values)) for label, values in timings.items()}
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "# Vector snapshot manifest: cost of saving and opening",
        "",
        f"Run {stamp}: one pq-refine collection of {args.faces:,} random faces in 2 partitions "
        f"({size / 1e6:.1f} MB on disk; built in {build:.1f} s), {args.rounds} rounds, medians. "
        "`.venv/bin/python bench/snapshots.py` (bench/snapshots.py).",
        "",
        "| step | median s | MB/s |",
        "|---|---:|---:|",
        *[f"| {label} | {value:.3f} | {size / 1e6 / value:.0f} |" for label, value in median.items()],
        "",
        f"Save with the manifest / as before: **{median['save (manifest)'] / median['save (before: write_index, fsync, rename)']:.2f}×**; "
        f"open with the manifest checked / without: **{median['open (manifest checked)'] / median['open (no manifest)']:.2f}×** "
        "(the open includes the id check against the database stand-in, as at a service's start).",
        "",
    ]
    save(args.out, "snapshots", stamp, "\n".join(lines), {"faces": args.faces, "bytes": size, "timings": timings})
    print("\n".join(lines))


if __name__ == "__main__":
    main()
