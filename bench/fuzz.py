"""The long fuzz run (`make fuzz`, ~12 minutes on 2 cores): thousands of signed requests to every
endpoint of a real server, on SQLite and on PostgreSQL, then the unit property tests with the
"fuzz" hypothesis profile. Writes bench/results/fuzz-<stamp>.md (and -latest.md, .json): the
answers by HTTP status and rtn per endpoint and per source, the examples each property tried,
and every defect (an answer that is not documented, or a property that failed).

    python bench/fuzz.py                 # the full run
    python bench/fuzz.py --scale 0.1     # a tenth of the requests and examples (~2 minutes)

The request sources and the checks are tests/fuzz_http.py's (docs/reliability.md, "Fuzzing");
unlike the seeded test, the examples here are random (a new run tries new bodies) and a defect
is recorded and the run goes on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from _results import save  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.fuzz_http import (  # noqa: E402
    ALL_PATHS,
    OCR_PATHS,
    Signer,
    Tally,
    auth_cases,
    dumps,
    field_bodies,
    make_seeds,
    markdown_counts,
    other_routes,
    raw_cases,
    schema_cases,
)

UNIT_TESTS = [
    "tests/face/test_feature_fuzz.py",
    "tests/liveness/test_package_fuzz.py",
    "tests/inputs/test_decoding_fuzz.py",
    "tests/documents/test_parsers_fuzz.py",
    "tests/imaging/test_video_fuzz.py",
]
FAST_PATHS = [path for path in ALL_PATHS if path not in OCR_PATHS]


def _run(signer: Signer, tally: Tally, source: str, strategy, examples: int) -> None:  # noqa: ANN001
    """Send ``examples`` random bodies of ``strategy``; record, never stop at, a defect."""
    if examples <= 0:
        return

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def send(case: tuple[str, bytes]) -> None:
        path, body = case
        signer.send(tally, source, path, body)

    started = time.perf_counter()
    send()
    print(f"  {source}: {examples} examples in {time.perf_counter() - started:.0f} s, defects so far {len(tally.defects)}",
          flush=True)  # fmt: skip


@contextmanager
def _server(database: str) -> Iterator[tuple[str, Signer, object]]:
    """A real server (uvicorn on a free port) over a fresh data directory and database, and a
    signer of a fresh customer."""
    from facesaas.api.server import BackgroundServer
    from facesaas.auth.keys import init_keys
    from facesaas.settings import Settings
    from facesaas.storage.database import create_database
    from facesaas.tenants.service import TenantService
    from facesaas.vault import open_vault
    from tests.storage_fixtures import fresh_postgres_database

    with tempfile.TemporaryDirectory(prefix="facesaas-fuzz-") as tmp:
        with (fresh_postgres_database(database) if database.startswith("postgresql") else _sqlite(tmp)) as url:
            chosen = Settings(data_dir=Path(tmp) / "data", database_url=url)
            vault = open_vault(chosen)  # FACESAAS_MASTER_KEY, else a key file in the run's keys directory
            init_keys(chosen.keys_dir, vault, bits=1024)
            db = create_database(chosen.resolved_database_url)
            credentials = TenantService(db.sessions, vault).create("fuzz")
            db.dispose()
            with BackgroundServer(chosen) as base:
                public = (chosen.keys_dir / "server_public.pem").read_text()
                signer = Signer(base, credentials.tenant.access_id, credentials.access_key, public)
                try:
                    yield base, signer, credentials
                finally:
                    signer.close()


@contextmanager
def _sqlite(tmp: str) -> Iterator[str]:
    yield f"sqlite:///{Path(tmp) / 'data' / 'facesaas.db'}"


def _celeba(limit: int = 6) -> dict[str, bytes]:
    from facesaas.settings import Settings

    folder = Settings().test_data_dir / "faces" / "celeba"
    photos = sorted(folder.glob("*/*.jpg"))[:limit]
    return {f"celeba-{i}": p.read_bytes() for i, p in enumerate(photos)}


def fuzz_http(database: str, scale: float, tally: Tally) -> None:
    n = lambda count: max(1, int(count * scale)) if count else 0  # noqa: E731
    with _server(database) as (base, signer, credentials):
        extra = _celeba()
        if not extra:
            print("  celeba not found (FACESAAS_TEST_DATA_DIR): astronaut images only", flush=True)
        seeds = make_seeds(signer, credentials.package_key.key, credentials.package_key.key_id, extra)
        postgres = database.startswith("postgresql")
        plan = [
            ("schema+", schema_cases(base, FAST_PATHS, negative=False), n(600 if postgres else 1500)),
            ("schema-", schema_cases(base, FAST_PATHS, negative=True), n(600 if postgres else 1500)),
            ("fields", field_bodies(seeds, FAST_PATHS), n(2000 if postgres else 5000)),
            ("raw", raw_cases(ALL_PATHS), n(400 if postgres else 1000)),
            # OCR costs ~1 s a readable page on 2 cores: fewer bodies, SQLite only (no database in OCR).
            ("ocr-schema-", schema_cases(base, sorted(OCR_PATHS), negative=True), n(0 if postgres else 150)),
            ("ocr-fields", field_bodies(seeds, sorted(OCR_PATHS)), n(0 if postgres else 200)),
        ]
        for source, strategy, examples in plan:
            _run(signer, tally, source, strategy, examples)
        auth_cases(signer, tally, lambda path: dumps({"image_content": "QUJD", "image_type": 3}), ALL_PATHS)
        other_routes(signer, tally)


def unit_properties(scale: float) -> tuple[list[tuple[str, int, int, float]], list[str], int]:
    """Run the unit property tests under the "fuzz" profile; per test: (name, passing examples,
    failing examples, seconds), the failed tests, and pytest's exit code."""
    examples = max(20, int(1000 * scale))
    env = {**os.environ, "FACESAAS_HYPOTHESIS_PROFILE": "fuzz", "FACESAAS_FUZZ_EXAMPLES": str(examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics", *UNIT_TESTS]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    totals: dict[str, list[float]] = {}
    current = None
    for line in run.stdout.splitlines():
        test = re.match(r"^(tests/\S+::\S+):$", line.strip())
        if test:
            current = test[1]
            totals[current] = [0, 0, 0.0]
            continue
        phase = re.search(r"during \w+ phase \(([\d.]+) seconds\)", line)
        if phase and current:
            totals[current][2] += float(phase[1])
        counts = re.search(r"(\d+) passing, (\d+) failing", line)
        if counts and current:
            totals[current][0] += int(counts[1])
            totals[current][1] += int(counts[2])
    rows = [(name, int(ok), int(bad), secs) for name, (ok, bad, secs) in totals.items()]
    failed = [line for line in run.stdout.splitlines() if line.startswith("FAILED")]
    if run.returncode:
        print(run.stdout[-4000:], flush=True)
    return rows, failed, run.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the full run's requests and examples")
    parser.add_argument("--postgres", default=os.environ.get("FACESAAS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()
    tallies: dict[str, Tally] = {}
    for label, database in (("SQLite", "sqlite"), ("PostgreSQL", args.postgres)):
        print(f"HTTP fuzz on {label}", flush=True)
        tally = tallies[label] = Tally()
        begun = time.perf_counter()
        try:
            fuzz_http(database, args.scale, tally)
        except Exception as exc:  # noqa: BLE001 - PostgreSQL unreachable: say so in the report
            tally.defects.append(f"run aborted: {exc.__class__.__name__}: {exc}")
        tally.seconds = time.perf_counter() - begun
    print("unit property tests (fuzz profile)", flush=True)
    begun = time.perf_counter()
    rows, failed, code = unit_properties(args.scale)
    unit_seconds = time.perf_counter() - begun

    total = sum(sum(t.counts.values()) for t in tallies.values())
    defects = [d for t in tallies.values() for d in t.defects] + failed
    lines = [
        f"# Fuzzing — {stamp}",
        "",
        f"`python bench/fuzz.py --scale {args.scale:g}` (`make fuzz` is scale 1); {os.cpu_count()} CPUs shared; "
        f"{(time.perf_counter() - started) / 60:.1f} minutes. Sources and checks: tests/fuzz_http.py; "
        "docs/reliability.md \"Fuzzing\".",
        "",
        f"**{total} signed HTTP requests, {len(defects)} defects** (an answer that is a 5xx other than a documented "
        "503, lacks rtn/message/global_request_id, carries an rtn outside docs/errors.md or another HTTP status than "
        "its class, or no answer at all; a failed property).",
        "",
    ]
    for label, tally in tallies.items():
        count = sum(tally.counts.values())
        lines += [f"## HTTP on {label}: {count} requests in {tally.seconds:.0f} s, {len(tally.defects)} defects", ""]
        lines += markdown_counts(tally) + [""]
        lines += [f"- {d}" for d in tally.defects[:50]] + ([""] if tally.defects else [])
    lines += [
        f"## Unit properties (profile \"fuzz\"): pytest exit {code}, {unit_seconds:.0f} s", "",
        "| property | passing examples | failing | seconds |", "|---|---:|---:|---:|",
    ]
    lines += [f"| `{name}` | {ok} | {bad} | {secs:.1f} |" for name, ok, bad, secs in rows]
    lines += [""] + [f"- {f}" for f in failed]
    text = "\n".join(lines) + "\n"
    data = {
        label: [{"source": s, "path": p, "status": st, "rtn": r, "n": n} for (s, p, st, r), n in t.counts.items()]
        for label, t in tallies.items()
    }
    data["properties"] = [{"test": name, "passing": ok, "failing": bad, "seconds": secs} for name, ok, bad, secs in rows]
    data["defects"] = defects
    save(args.out, "fuzz", stamp, text, json.loads(json.dumps(data, default=str)))
    print(text)
    sys.exit(1 if defects else 0)


if __name__ == "__main__":
    main()
