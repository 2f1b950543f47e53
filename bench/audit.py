"""What the audit log costs per decision, on SQLite and PostgreSQL.

For each database in turn:

1. **The write alone**: ``AuditLog.write`` of one decision (the chain-row update, the insert,
   the head update in one transaction) against the metering writes of one call
   (``Meter.start`` + ``Meter.finish``, the per-call database cost the service already paid)
   in alternating blocks in this process.
2. **Concurrent writers**: 8 threads over 2 engines (as 2 processes would be) appending at once:
   rows per second of the one serialised chain, rows per transaction (group commit), and
   whether it verifies.
3. **Per signed HTTP call**: two ``facesaas serve`` processes over the same database, one with
   ``FACESAAS_AUDIT=off``, one with the default (on), called in alternating rounds by one client
   thread so both see the same machine load; p50 of a cheap call (a verification missing its
   fields: authentication, a -2002 answer, audited as a refusal) and of a real one (CS202.2 of
   two feature strings, a decision). The ratio on/off is the result.
4. **Verification**: ``AuditLog.verify`` over every row written, rows per second.

    .venv/bin/python bench/audit.py [--rounds 6] [--calls 100] [--writes 2000]

Results: ``bench/results/audit-<stamp>.md`` (and ``-latest.md``, ``-<stamp>.json``).
"""

from __future__ import annotations

import argparse
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

VERIFICATION = "/face/v1/algorithm/recognition/face_pair_verification"
DECISION = {"decision": {"same_person": True, "pair_verify_result": 0, "similarity": 91.2345, "score_list": [91.2345]},
            "thresholds": {"true_negative_rate": "99.9", "similarity": 76.54321, "cosine": 0.331, "calibration": "shipped",
                           "calibration_built": "2026-12-06"}}  # fmt: skip


def _writes(database_url: str, count: int, block: int = 100) -> dict[str, list[float]]:
    """Milliseconds per audit write and per metering start + finish, alternating blocks."""
    from facesaas.audit import AuditEntry, AuditLog, model_version
    from facesaas.metering import Meter
    from facesaas.settings import Settings
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService
    from facesaas.vault import open_vault

    database = create_database(database_url)
    tenant = TenantService(database.sessions, open_vault(Settings())).create("bench", "production").tenant
    meter = Meter(database, "production")
    audit = AuditLog(database, model_version("sface-mirror"))
    out: dict[str, list[float]] = {"audit write": [], "metering start + finish": []}
    for start in range(0, count, block):
        for i in range(start, start + block):
            begun = time.perf_counter()
            audit.write(AuditEntry(VERIFICATION, f"bench-{i}", tenant.id, tenant.access_id, 200, 0, DECISION))
            out["audit write"].append((time.perf_counter() - begun) * 1000)
        for i in range(start, start + block):
            begun = time.perf_counter()
            meter.start(f"bench-{i}-{os.getpid()}", tenant.id, VERIFICATION, time.time())
            meter.finish(f"bench-{i}-{os.getpid()}", 200, 0, 0.03)
            out["metering start + finish"].append((time.perf_counter() - begun) * 1000)
    database.dispose()
    return out


def _concurrent(database_url: str, threads: int, each: int) -> dict:
    from sqlalchemy import func, select

    from facesaas.audit import AuditEntry, AuditLog
    from facesaas.audit.models import AuditRow
    from facesaas.storage.database import create_database

    databases = [create_database(database_url) for _ in range(2)]
    logs = [AuditLog(db, f"bench engine {i}") for i, db in enumerate(databases)]
    before = logs[0].head().head_seq
    errors: list[str] = []

    def run(index: int) -> None:
        log = logs[index % 2]
        for i in range(each):
            try:
                log.write(AuditEntry(VERIFICATION, f"c-{index}-{i}", 1, "bench", 200, 0, DECISION))
            except Exception as exc:  # counted: a lost write would be a defect
                errors.append(exc.__class__.__name__)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    begun = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - begun
    written = logs[0].head().head_seq - before
    with databases[0].connect() as connection:  # one clock reading per transaction: groups share ``at``
        groups = connection.execute(select(func.count(func.distinct(AuditRow.at))).where(AuditRow.seq > before)).scalar()
    begun = time.perf_counter()
    report = logs[0].verify()
    verify_seconds = time.perf_counter() - begun
    for db in databases:
        db.dispose()
    return {"threads": threads, "written": written, "expected": threads * each, "errors": errors, "seconds": seconds,
            "rows_per_second": written / seconds, "transactions": groups, "verified": report.ok, "rows_verified": report.rows,
            "verify_seconds": verify_seconds}  # fmt: skip


def _serve(workdir: Path, database_url: str, keys: Path, env: dict[str, str], port: int) -> subprocess.Popen:
    from facesaas.settings import Settings
    from tests.processes import start_service

    extra = {**env, "FACESAAS_KEYS_PATH": str(keys), "FACESAAS_LOG_FORMAT": "text", "FACESAAS_MAX_PENDING": "256"}
    return start_service(Settings(data_dir=workdir, database_url=database_url), port, env=extra, stderr=subprocess.DEVNULL)


def _p50s(clients: dict, bodies: dict[str, bytes], rounds: int, calls: int) -> dict[tuple[str, str], list[float]]:
    out: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for kind, body in bodies.items():
            for mode, client in clients.items():
                for _ in range(calls):
                    begun = time.perf_counter()
                    answer = client.post_raw(VERIFICATION, body)
                    out.setdefault((mode, kind), []).append((time.perf_counter() - begun) * 1000)
                    assert answer.status_code in (200, 400), answer.text
    return out


def _features(data: Path) -> tuple[str, str]:
    from facesaas.face.engine import get_engine
    from facesaas.face.feature import encode_feature
    from facesaas.face.image import decode_image

    engine = get_engine()
    rows = sorted((data / "faces" / "celeba" / "labels.tsv").read_text().splitlines()[1:])[:2]
    features = []
    for row in rows:
        image = decode_image((data / "faces" / "celeba" / row.split("\t")[0]).read_bytes(), field="bench",
                             max_bytes=10_000_000, max_pixels=40_000_000)
        features.append(encode_feature(engine.analyze(image, max_faces=1).faces[0].embedding[None, :], engine.scheme))
    return features[0], features[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=100, help="calls per kind, mode and round")
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--thread-writes", type=int, default=250)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    from _results import save

    from facesaas.audit import AuditLog
    from facesaas.auth.keys import init_keys
    from facesaas.sdk import Client
    from facesaas.settings import Settings
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService
    from facesaas.vault import generate_master_key, open_vault
    from tests.processes import free_port
    from tests.storage_fixtures import fresh_postgres_database

    query, database_feature = _features(args.data)
    bodies = {"cheap (-2002 refusal)": b"{}",
              "CS202.2 of two features (decision)": json.dumps({"query_image_feature": query,
                                                                "database_image_feature": database_feature}).encode()}  # fmt: skip
    stamp = time.strftime("%Y%m%d-%H%M%S")
    lines = [f"# Audit log cost ({stamp})", "",
             f"Machine: {os.cpu_count()} cores shared with other jobs. Loopback; one client thread for the latency "
             f"rounds ({args.rounds} alternating rounds × {args.calls} calls per kind and mode).", ""]  # fmt: skip
    data: dict = {"stamp": stamp}
    with tempfile.TemporaryDirectory(prefix="facesaas-audit-") as tmp:
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
                concurrent = _concurrent(url, args.threads, args.thread_writes)
                database = create_database(url)
                creds = TenantService(database.sessions, vault).create("bench")
                ports = {"off": free_port(), "on": free_port()}
                processes = [_serve(work / f"{name}-{mode}", url, keys, {"FACESAAS_AUDIT": mode}, ports[mode]) for mode in ports]
                try:
                    clients = {mode: Client(f"http://127.0.0.1:{ports[mode]}", creds.tenant.access_id, creds.access_key,
                                            public_pem) for mode in ports}  # fmt: skip
                    _p50s(clients, bodies, 1, 10)  # warm-up
                    timings = _p50s(clients, bodies, args.rounds, args.calls)
                    for client in clients.values():
                        client.close()
                finally:
                    for process in processes:
                        process.terminate()
                        process.wait(timeout=60)
                audit = AuditLog(database)
                begun = time.perf_counter()
                report = audit.verify()
                verify_seconds = time.perf_counter() - begun
                database.dispose()
                audit_ms, meter_ms = writes["audit write"], writes["metering start + finish"]
                lines += [f"## {name}", "",
                          f"Writes alone ({args.writes} each, alternating blocks of 100): audit write p50 "
                          f"{np.median(audit_ms):.3f} ms (mean {np.mean(audit_ms):.3f}, p95 {np.percentile(audit_ms, 95):.3f}); "
                          f"metering start + finish p50 {np.median(meter_ms):.3f} ms (mean {np.mean(meter_ms):.3f}, "
                          f"p95 {np.percentile(meter_ms, 95):.3f}); ratio audit/metering "
                          f"{np.median(audit_ms) / np.median(meter_ms):.2f}.", "",
                          f"Concurrent writers: {concurrent['threads']} threads over 2 engines, {concurrent['written']} of "
                          f"{concurrent['expected']} rows written in {concurrent['seconds']:.2f} s "
                          f"({concurrent['rows_per_second']:.0f} rows/s through the one chain) in {concurrent['transactions']} "
                          f"transactions ({concurrent['written'] / concurrent['transactions']:.1f} rows each: group commit), errors: "
                          f"{len(concurrent['errors'])}; chain verifies: {concurrent['verified']}.", "",
                          "| call | audit off p50 ms | audit on p50 ms | difference ms | ratio on/off |",
                          "|---|---:|---:|---:|---:|"]  # fmt: skip
                result = {"writes_ms": {k: {"p50": float(np.median(v)), "mean": float(np.mean(v)),
                                            "p95": float(np.percentile(v, 95))} for k, v in writes.items()},
                          "concurrent": concurrent, "calls": {}}  # fmt: skip
                for kind in bodies:
                    off, on = np.median(timings[("off", kind)]), np.median(timings[("on", kind)])
                    lines.append(f"| {kind} | {off:.2f} | {on:.2f} | {on - off:+.2f} | {on / off:.3f} |")
                    result["calls"][kind] = {"off_p50": float(off), "on_p50": float(on)}
                lines += ["", f"Verification of all {report.rows} rows: {verify_seconds:.2f} s "
                              f"({report.rows / verify_seconds:.0f} rows/s), intact: {report.ok}.", ""]  # fmt: skip
                result["verify"] = {"rows": report.rows, "seconds": verify_seconds, "ok": report.ok}
                data[name] = result
            finally:
                if context is not None:
                    context.__exit__(None, None, None)
    text = "\n".join(lines)
    save(args.out, "audit", stamp, text, data)
    print(text)


if __name__ == "__main__":
    main()
