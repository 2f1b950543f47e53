"""Throughput of signed HTTP feature extraction at 1, 2 and 4 workers, against in-process calls.

``facesaas serve --workers N`` runs over the production engines (PostgreSQL, Redis, Milvus; see
docs/deploy.md), each worker with ``max(1, cores // N)`` onnxruntime threads and as many engine
slots. A load generator in *another process* sends CS201.1 feature extraction requests of real
celeba photos (a fresh signature per request, as the SDK does) at client concurrency 1, 2, 4, 8
and 16 for a fixed time each, and records throughput, p50 and p99. In the same run, the bench
process measures the in-process single-call rate (``parse_request`` + ``extract_features``,
exactly the route's work) with the shipped 2 onnxruntime threads and with 1 thread, so every
ratio compares numbers taken under the same machine load:

- HTTP overhead per call: the HTTP p50 at 1 worker and concurrency 1, against the in-process p50;
- concurrent throughput: the best HTTP throughput, against the in-process single-call rate.

    make milvus && .venv/bin/python bench/throughput.py [--seconds 8] [--images 40]

Loopback only; every loop is bounded by count and time. Results:
``bench/results/throughput-<stamp>.md`` (and ``-latest.md``).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

PATH = "/face/v1/algorithm/recognition/feature_extraction"
CONCURRENCY = (1, 2, 4, 8, 16)
WORKERS = (1, 2, 4)


def _images(data: Path, count: int) -> list[bytes]:
    rows = sorted((data / "faces" / "celeba" / "labels.tsv").read_text().splitlines()[1:])
    step = max(1, len(rows) // count)
    return [(data / "faces" / "celeba" / row.split("\t")[0]).read_bytes() for row in rows[::step][:count]]


def _load(url: str, creds: dict, images: list[bytes], concurrency: int, seconds: float, queue) -> None:  # noqa: ANN001
    """The load generator (its own process): ``concurrency`` threads, each with its own signing
    client, sending requests until ``seconds`` have passed; puts (latencies ms, errors, wall s)."""
    from facesaas.sdk import Client

    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    bodies = [json.dumps({"image_content": base64.b64encode(i).decode(), "image_type": 3}).encode() for i in images]

    def run(offset: int) -> None:
        with Client(url, creds["access_id"], creds["access_key"], creds["public_pem"], timeout=60) as client:
            n = offset
            while time.monotonic() < stop:
                body = bodies[n % len(bodies)]
                n += 1
                begun = time.perf_counter()
                try:
                    response = client.post_raw(PATH, body)
                    rtn = response.json().get("rtn")
                except Exception as exc:  # count, keep going until the time is up
                    rtn = exc.__class__.__name__
                elapsed = (time.perf_counter() - begun) * 1000
                with lock:
                    if rtn == 0:
                        latencies.append(elapsed)
                    else:
                        errors[str(rtn)] = errors.get(str(rtn), 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i * 7,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    queue.put((latencies, errors, time.perf_counter() - started))


def _in_process(images: list[bytes], threads: int, rounds: int) -> list[float]:
    from facesaas.face.engine import FaceEngine
    from facesaas.inputs import ImageLimits, parse_request
    from facesaas.recognition import ExtractionRequest, extract_features
    from facesaas.settings import Settings

    engine = FaceEngine.load(threads=threads)
    limits = ImageLimits.for_one_to_one(Settings())
    bodies = [{"image_content": base64.b64encode(i).decode(), "image_type": 3} for i in images]
    for body in bodies[:3]:
        extract_features(engine, parse_request(ExtractionRequest, body), limits)
    out = []
    for _ in range(rounds):
        for body in bodies:
            begun = time.perf_counter()
            extract_features(engine, parse_request(ExtractionRequest, json.loads(json.dumps(body))), limits)
            out.append((time.perf_counter() - begun) * 1000)
    return out


def _serve(workdir: Path, database_url: str, env: dict[str, str], workers: int, port: int) -> subprocess.Popen:
    from facesaas.settings import Settings
    from tests.processes import start_service

    cores = os.cpu_count() or 2
    settings = Settings(data_dir=workdir, database_url=database_url)
    extra = {**env, "FACESAAS_INFERENCE_THREADS": str(max(1, cores // workers)),
             "FACESAAS_ENGINE_WORKERS": str(max(1, cores // workers)), "FACESAAS_LOG_FORMAT": "text",
             "FACESAAS_MAX_PENDING": "256"}  # fmt: skip
    return start_service(settings, port, args=("--workers", str(workers)), env=extra, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="per concurrency level")
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--milvus", default="milvus://127.0.0.1:19530")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    from _results import save

    from facesaas.auth.keys import init_keys
    from facesaas.settings import Settings
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService
    from facesaas.vault import generate_master_key, open_vault
    from tests.processes import free_port
    from tests.storage_fixtures import fresh_postgres_database

    images = _images(args.data, args.images)
    started = time.time()
    load_before = os.getloadavg()[0]
    baseline = {2: _in_process(images, 2, 3), 1: _in_process(images, 1, 2)}
    rows, data = [], {"in_process": {}, "http": []}
    for threads, values in baseline.items():
        p50 = float(np.percentile(values, 50))
        data["in_process"][threads] = {"p50_ms": p50, "p99_ms": float(np.percentile(values, 99)),
                                       "per_s": 1000 / float(np.mean(values))}  # fmt: skip
    single = data["in_process"][2]["per_s"]
    namespace = f"tp{secrets.token_hex(4)}"
    env = {"FACESAAS_REDIS_URL": args.redis, "FACESAAS_VECTOR_URL": args.milvus, "FACESAAS_NAMESPACE": namespace,
           "FACESAAS_BLOB_URL": "database"}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, fresh_postgres_database(args.postgres) as database_url:
        workdir = Path(tmp)
        os.environ["FACESAAS_MASTER_KEY"] = generate_master_key()  # this run's own; the services inherit it
        vault = open_vault(Settings())
        keys = init_keys(workdir / "keys", vault, bits=2048)
        database = create_database(database_url)
        created = TenantService(database.sessions, vault).create("throughput")
        database.dispose()
        creds = {"access_id": created.tenant.access_id, "access_key": created.access_key, "public_pem": keys.public_pem}
        context = multiprocessing.get_context("spawn")
        for workers in WORKERS:
            port = free_port()
            process = _serve(workdir, database_url, env, workers, port)
            url = f"http://127.0.0.1:{port}"
            try:
                for concurrency in CONCURRENCY:
                    queue = context.Queue()
                    loader = context.Process(target=_load, args=(url, creds, images, concurrency, args.seconds, queue))
                    loader.start()
                    latencies, errors, wall = queue.get(timeout=args.seconds + 300)
                    loader.join(timeout=60)
                    per_s = len(latencies) / wall
                    row = {"workers": workers, "concurrency": concurrency, "ok": len(latencies), "errors": errors,
                           "per_s": per_s, "p50_ms": float(np.percentile(latencies, 50)) if latencies else float("nan"),
                           "p99_ms": float(np.percentile(latencies, 99)) if latencies else float("nan")}  # fmt: skip
                    data["http"].append(row)
                    rows.append(f"| {workers} | {concurrency} | {len(latencies)} | {per_s:.1f} | {row['p50_ms']:.1f} | "
                                f"{row['p99_ms']:.1f} | {per_s / single:.2f}× | {sum(errors.values()) or ''} |")  # fmt: skip
                    print(rows[-1], flush=True)
            finally:
                process.terminate()
                process.wait(timeout=60)
    first = next(r for r in data["http"] if r["workers"] == 1 and r["concurrency"] == 1)
    best = max(data["http"], key=lambda r: r["per_s"])
    overhead = first["p50_ms"] / data["in_process"][2]["p50_ms"] - 1
    stamp = time.strftime("%Y%m%d-%H%M%S")
    one = data["in_process"][1]
    text = "\n".join([
        f"# Throughput: signed HTTP feature extraction ({stamp})", "",
        f"`python bench/throughput.py --seconds {args.seconds:g} --images {args.images}` on {os.cpu_count()} cores; "
        f"load average {load_before:.2f} at start, {os.getloadavg()[0]:.2f} at end; {time.time() - started:.0f} s. "
        f"{len(images)} celeba photos, round robin. Server: `facesaas serve --workers N` over PostgreSQL, Redis and "
        "Milvus, onnxruntime threads and engine slots per worker = max(1, cores / N). Load generator: another "
        "process, one signing client per thread, a fresh signature per request.", "",
        "In-process, one call at a time (the route's work without HTTP):", "",
        "| onnxruntime threads | p50 ms | p99 ms | calls/s |", "|---:|---:|---:|---:|",
        *[f"| {t} | {v['p50_ms']:.1f} | {v['p99_ms']:.1f} | {v['per_s']:.1f} |" for t, v in data["in_process"].items()],
        "", "Over HTTP (ratio: throughput / the in-process single-call rate with 2 threads):", "",
        "| workers | clients | answered | per s | p50 ms | p99 ms | ratio | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|", *rows, "",
        f"- HTTP overhead per call at p50 (1 worker, 1 client): **{overhead:+.1%}** "
        f"({first['p50_ms']:.1f} ms against {data['in_process'][2]['p50_ms']:.1f} ms in-process).",
        f"- Best concurrent throughput: **{best['per_s']:.1f}/s = {best['per_s'] / single:.2f}×** the in-process "
        f"single-call rate with 2 threads ({single:.1f}/s), {best['per_s'] / one['per_s']:.2f}× the 1-thread rate "
        f"({one['per_s']:.1f}/s); at {best['workers']} worker(s), {best['concurrency']} clients.",
    ])  # fmt: skip
    save(args.out, "throughput", stamp, text + "\n", data)
    print(text)


if __name__ == "__main__":
    main()
