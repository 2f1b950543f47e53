"""What metering costs per call, and whether it counts exactly under concurrent workers.

For SQLite and PostgreSQL in turn:

1. **The two writes alone**: ``Meter.start`` + ``Meter.finish`` of one call, back to back in
   this process (the database round trips a metered call adds).
2. **Per signed HTTP call**: two ``facesaas serve`` processes over the same database, one
   ``FACESAAS_CLUSTER=private`` (no metering), one ``production`` (every call recorded), called
   in alternating rounds by one client thread so both see the same machine load; p50 of a cheap
   call (a verification missing its fields: authentication, metering, a -2002 answer) and of a
   real one (CS201.1 extraction of a celeba photo). The ratio production/private is the result.
3. **Exactness**: ``facesaas serve --workers 2`` on production (with Redis and Milvus, as
   production runs) and a second host, 8 client threads sending a mix of calls; calls made
   (answers received, by request id) against rows counted in ``calls``.

    make milvus && .venv/bin/python bench/metering.py [--rounds 6] [--calls 100]

Results: ``bench/results/metering-<stamp>.md`` (and ``-latest.md``).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
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

EXTRACTION = "/face/v1/algorithm/recognition/feature_extraction"
VERIFICATION = "/face/v1/algorithm/recognition/face_pair_verification"


def _image(data: Path) -> bytes:
    row = sorted((data / "faces" / "celeba" / "labels.tsv").read_text().splitlines()[1:])[0]
    return (data / "faces" / "celeba" / row.split("\t")[0]).read_bytes()


def _writes(database_url: str, count: int) -> list[float]:
    """Milliseconds of start + finish per call, ``count`` calls."""
    from facesaas.metering import Meter
    from facesaas.settings import Settings
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService
    from facesaas.vault import open_vault

    database = create_database(database_url)
    tenant = TenantService(database.sessions, open_vault(Settings())).create("bench", "production").tenant
    meter = Meter(database, "production")
    out = []
    for i in range(count):
        begun = time.perf_counter()
        meter.start(f"bench-{i}-{os.getpid()}", tenant.id, EXTRACTION, time.time())
        meter.finish(f"bench-{i}-{os.getpid()}", 200, 0, 0.03)
        out.append((time.perf_counter() - begun) * 1000)
    database.dispose()
    return out


def _serve(workdir: Path, database_url: str, keys: Path, env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen:
    from facesaas.settings import Settings
    from tests.processes import start_service

    extra = {**env, "FACESAAS_KEYS_PATH": str(keys), "FACESAAS_LOG_FORMAT": "text", "FACESAAS_MAX_PENDING": "256"}
    return start_service(Settings(data_dir=workdir, database_url=database_url), port, args=("--workers", str(workers)),
                         env=extra, stderr=subprocess.DEVNULL)  # fmt: skip


def _p50s(clients: dict, bodies: dict[str, bytes], rounds: int, calls: int) -> dict[tuple[str, str], list[float]]:
    """Alternating rounds: for each round, ``calls`` of each kind on each cluster's server."""
    out: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for kind, (path, body) in bodies.items():
            for cluster, client in clients.items():
                for _ in range(calls):
                    begun = time.perf_counter()
                    client.post_raw(path, body)
                    out.setdefault((cluster, kind), []).append((time.perf_counter() - begun) * 1000)
    return out


def _exactness(url_a: str, url_b: str, creds, public_pem: str, image: bytes, threads: int, calls: int) -> dict:  # noqa: ANN001
    from facesaas.sdk import Client

    answers: dict[str, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    good = json.dumps({"image_content": base64.b64encode(image).decode(), "image_type": 3}).encode()

    def run(index: int) -> None:
        url = url_a if index % 2 == 0 else url_b
        with Client(url, creds.tenant.access_id, creds.access_key, public_pem, timeout=120) as client:
            for i in range(calls):
                path, body = (EXTRACTION, good) if (i + index) % 4 == 0 else (VERIFICATION, b"{}")
                try:
                    answer = client.post_raw(path, body).json()
                except Exception as exc:  # counted, never retried: a retry would be a new call
                    with lock:
                        failures.append(exc.__class__.__name__)
                    continue
                with lock:
                    answers[answer["global_request_id"]] = answer["rtn"]

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    begun = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"answers": answers, "failures": failures, "seconds": time.perf_counter() - begun}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=100, help="calls per kind, cluster and round")
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--exact-threads", type=int, default=8)
    parser.add_argument("--exact-calls", type=int, default=250, help="per thread")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--milvus", default="milvus://127.0.0.1:19530")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    from _results import save
    from sqlalchemy import func, select

    from facesaas.auth.keys import init_keys
    from facesaas.metering.models import Call
    from facesaas.sdk import Client
    from facesaas.settings import Settings
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService
    from facesaas.vault import generate_master_key, open_vault
    from tests.processes import free_port
    from tests.storage_fixtures import drop_milvus_namespace, fresh_namespace, fresh_postgres_database

    image = _image(args.data)
    bodies = {"cheap (-2002)": (VERIFICATION, b"{}"),
              "extraction": (EXTRACTION, json.dumps({"image_content": base64.b64encode(image).decode(), "image_type": 3}).encode())}  # fmt: skip
    stamp = time.strftime("%Y%m%d-%H%M%S")
    lines = [f"# Metering cost and exactness ({stamp})", "",
             f"Machine: {os.cpu_count()} cores. Loopback; one client thread for the latency rounds "
             f"({args.rounds} alternating rounds × {args.calls} calls per kind and cluster).", ""]  # fmt: skip
    data: dict = {"stamp": stamp}
    with tempfile.TemporaryDirectory(prefix="facesaas-metering-") as tmp:
        work = Path(tmp)
        keys = work / "keys"
        # This run's own master key, in the environment so the services it starts have it too.
        os.environ["FACESAAS_MASTER_KEY"] = generate_master_key()
        vault = open_vault(Settings())
        public_pem = init_keys(keys, vault, bits=2048).public_pem
        for name in ("sqlite", "postgresql"):
            if name == "sqlite":
                context = None
                url = f"sqlite:///{work / 'sqlite' / 'facesaas.db'}"
            else:
                context = fresh_postgres_database(args.postgres)
                url = context.__enter__()
            try:
                writes = _writes(url, args.writes)
                database = create_database(url)
                service = TenantService(database.sessions, vault)
                creds = {"private": service.create("bench private"), "production": service.create("bench production", "production")}
                ports = {"private": free_port(), "production": free_port()}
                processes = [_serve(work / f"{name}-{c}", url, keys, {"FACESAAS_CLUSTER": c}, ports[c]) for c in ports]
                try:
                    clients = {c: Client(f"http://127.0.0.1:{ports[c]}", creds[c].tenant.access_id, creds[c].access_key, public_pem)
                               for c in ports}  # fmt: skip
                    _p50s(clients, bodies, 1, 10)  # warm-up
                    timings = _p50s(clients, bodies, args.rounds, args.calls)
                    for client in clients.values():
                        client.close()
                finally:
                    for process in processes:
                        process.terminate()
                        process.wait(timeout=60)
                with database.connect() as connection:
                    counted = connection.execute(select(func.count()).select_from(Call).where(
                        Call.tenant_id == creds["production"].tenant.id)).scalar()  # fmt: skip
                expected = args.rounds * args.calls * len(bodies) + 10 * len(bodies)
                lines += [f"## {name}", "",
                          f"Metering writes alone (start + finish, {args.writes} calls): p50 {np.median(writes):.3f} ms, "
                          f"mean {np.mean(writes):.3f} ms, p95 {np.percentile(writes, 95):.3f} ms.", "",
                          "| call | private p50 ms | production (metered) p50 ms | difference ms | ratio |",
                          "|---|---:|---:|---:|---:|"]  # fmt: skip
                result = {"writes_ms": {"p50": float(np.median(writes)), "mean": float(np.mean(writes))}, "calls": {}}
                for kind in bodies:
                    private, metered = np.median(timings[("private", kind)]), np.median(timings[("production", kind)])
                    lines.append(f"| {kind} | {private:.2f} | {metered:.2f} | {metered - private:+.2f} | {metered / private:.3f} |")
                    result["calls"][kind] = {"private_p50": float(private), "production_p50": float(metered)}
                lines += ["", f"Calls made on production: {expected}; rows counted: {counted}.", ""]
                result["made"], result["counted"] = expected, counted
                data[name] = result
                database.dispose()
            finally:
                if context is not None:
                    context.__exit__(None, None, None)

        # Exactness under concurrency: 2 workers + a second host, PostgreSQL, Redis, Milvus.
        namespace = fresh_namespace()
        with fresh_postgres_database(args.postgres) as url:
            database = create_database(url)
            creds = TenantService(database.sessions, vault).create("bench exact", "production")
            env = {"FACESAAS_CLUSTER": "production", "FACESAAS_REDIS_URL": args.redis, "FACESAAS_VECTOR_URL": args.milvus,
                   "FACESAAS_NAMESPACE": namespace, "FACESAAS_BLOB_URL": "database"}  # fmt: skip
            port_a, port_b = free_port(), free_port()
            processes = [_serve(work / "exact-a", url, keys, env, port_a, workers=2), _serve(work / "exact-b", url, keys, env, port_b)]
            try:
                run = _exactness(f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}", creds, public_pem, image,
                                 args.exact_threads, args.exact_calls)  # fmt: skip
            finally:
                for process in processes:
                    process.terminate()
                    process.wait(timeout=60)
            with database.connect() as connection:
                rows = dict(connection.execute(select(Call.request_id, Call.rtn)).all())
                billable = connection.execute(select(func.count()).where(Call.billable.is_(True))).scalar()
            database.dispose()
            drop_milvus_namespace(args.milvus, namespace)
        answers = run["answers"]
        made = args.exact_threads * args.exact_calls
        matching = sum(1 for request_id, rtn in answers.items() if rows.get(request_id) == rtn)
        ok = sum(1 for rtn in answers.values() if rtn == 0)
        lines += ["## Exactness under concurrent workers", "",
                  f"`serve --workers 2` + a second host (PostgreSQL, Redis, Milvus), FACESAAS_CLUSTER=production, "
                  f"{args.exact_threads} client threads × {args.exact_calls} calls (1 in 4 an extraction, the rest "
                  f"cheap -2002 calls), {run['seconds']:.1f} s.", "",
                  "| calls sent | answers received | rows counted | rows matching an answer (id and rtn) | failed sends | rtn 0 answers | billable rows |",
                  "|---:|---:|---:|---:|---:|---:|---:|",
                  f"| {made} | {len(answers)} | {len(rows)} | {matching} | {len(run['failures'])} | {ok} | {billable} |", ""]  # fmt: skip
        data["exactness"] = {"sent": made, "answers": len(answers), "rows": len(rows), "matching": matching,
                             "failures": run["failures"], "ok": ok, "billable": billable, "seconds": run["seconds"]}  # fmt: skip
    text = "\n".join(lines)
    save(args.out, "metering", stamp, text, data)
    print(text)


if __name__ == "__main__":
    main()
