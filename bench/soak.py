"""Load and soak: a real ``facesaas serve`` under a bank-counter mix, ramped until it answers 503,
then held at the highest concurrency without 503s for 10 minutes (``make soak``).

Three kinds of process, loopback only:

- the server: ``python -m facesaas serve`` on a free 127.0.0.1 port over a fresh data directory
  in a temporary directory, with the embedded default settings (SQLite, the embedded vector
  index, local face crops, the in-process replay record; every ``FACESAAS_*`` variable of the
  caller's environment is dropped, ``--server-env KEY=VALUE`` sets some back); the server key
  pair and the customer come from the CLI (``facesaas keys init``, ``facesaas tenant create
  --json``), as an operator makes them;
- the load generator, ``bench/soak_load.py``, one OS process per step: the mix of
  :data:`soak_load.MIX`, every request freshly signed by the SDK, every liveness package freshly
  sealed with the customer's package key, every answer checked (soak_load's docstring);
- this process: it runs the ramp (concurrency 1, 2, 4, ... up to ``--max-concurrency``, each
  step ``--step-seconds``) until a step sees 503s refused on arrival (the engine queue full,
  FACESAAS_MAX_PENDING); 503s of requests that waited FACESAAS_MAX_QUEUE_SECONDS come earlier
  when the host is slow, and the ramp goes on past them to show both kinds. Then the soak at
  the last concurrency before any 503 for ``--soak-seconds``; it samples the server's resident memory
  (``/proc/PID/status`` VmRSS), open file descriptors (``/proc/PID/fd``), threads and CPU time
  every ``--sample-seconds`` throughout.

The bound, fixed before the run (:data:`RSS_GROWTH_BOUND_MB`, :data:`FD_GROWTH_BOUND`): the
server's resident memory, median over the soak's last minute, exceeds its median over the
soak's second minute by less than 64 MB, and the open file descriptors never exceed their count
at the end of the first minute by more than 16. The
report also fails the run on any defect the load generator saw (a 5xx other than a documented
503, a malformed body, an undocumented code, a timeout, a dropped connection) and on any
"unexpected error" line in the server's log.

    make soak                      # ~17 minutes, hard cap --max-minutes (20)
    .venv/bin/python bench/soak.py --step-seconds 10 --soak-seconds 60 --max-concurrency 16   # a quick look

Results: ``bench/results/soak-<stamp>.md`` and ``.json`` (and ``soak-latest.md``). The machine may
be shared: absolute figures move with its other load (the report gives the load average).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak_load import MIX, summarize  # noqa: E402

RSS_GROWTH_BOUND_MB = 64.0
"""The median of the server's resident memory over the soak's last minute minus its median over
the soak's second minute (the first is warm-up): must be below this (a leak of ~25 KB per request
at 5 requests/s breaks it; single samples swing by ~100 MB with the images in flight)."""
FD_GROWTH_BOUND = 16
"""Open descriptors at any sample after the soak's first minute minus those at the end of that minute: at most this."""


def _clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment without FACESAAS_* (the embedded defaults), plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("FACESAAS_")}, **extra}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, env: dict[str, str], log: Path, timeout: float = 120.0) -> tuple[subprocess.Popen, str]:
    """``python -m facesaas serve`` on a free loopback port, its stderr (one JSON line per
    request) into ``log``; returned once ``/healthz`` answers."""
    import httpx

    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "facesaas", "serve", "--data-dir", str(data_dir), "--port", str(port)],
                                   env=env, stdout=subprocess.DEVNULL, stderr=sink)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start")


class Sampler(threading.Thread):
    """Reads the server's VmRSS (MB), open descriptors, threads and CPU seconds every
    ``period`` seconds, labelled with the current ``phase``."""

    def __init__(self, pid: int, period: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.period = pid, period
        self.phase = "start"
        self.samples: list[dict[str, Any]] = []
        self.began = time.monotonic()
        self._halt = threading.Event()
        self._ticks = os.sysconf("SC_CLK_TCK")

    def sample(self) -> dict[str, Any] | None:
        proc = Path(f"/proc/{self.pid}")
        try:
            status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
            fds = len(os.listdir(proc / "fd"))
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            return None
        return {"t": round(time.monotonic() - self.began, 1), "phase": self.phase,
                "rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1), "fds": fds,
                "threads": int(status["Threads"]), "cpu_s": round((int(fields[11]) + int(fields[12])) / self._ticks, 2)}  # fmt: skip

    def run(self) -> None:
        while not self._halt.is_set():
            sample = self.sample()
            if sample is not None:
                self.samples.append(sample)
            self._halt.wait(self.period)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=10)


def run_load(url: str, workdir: Path, concurrency: int, seconds: float, tag: str, identities: int, data: Path | None,
             deadline: float) -> dict[str, Any]:  # fmt: skip
    """One load-generator process; its report (``records`` included). Killed at ``deadline``
    (monotonic), which makes the run fail rather than overrun the cap."""
    out = workdir / f"load-{tag}.json"
    command = [sys.executable, str(Path(__file__).resolve().parent / "soak_load.py"), "--url", url,
               "--credentials", str(workdir / "credentials.json"), "--workload", str(workdir / "workload.json"),
               "--concurrency", str(concurrency), "--seconds", str(seconds), "--out", str(out), "--tag", tag,
               "--identities", str(identities), "--seed", str(concurrency)]  # fmt: skip
    if data is not None:
        command += ["--data", str(data)]
    begun = time.monotonic()
    subprocess.run(command, check=True, timeout=max(1.0, deadline - time.monotonic()), stdout=subprocess.DEVNULL)
    report = json.loads(out.read_text())
    report["process_seconds"] = round(time.monotonic() - begun, 1)
    return report


def _fmt(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _codes(codes: dict[str, int], skip: tuple[str, ...] = ("200 / 0",)) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(codes.items()) if k not in skip) or "–"


def per_minute(records: list[list[Any]], samples: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    """The soak minute by minute: requests, answers per second, p50/p99 of rtn-0 answers, 503s,
    defects, and the server's RSS / fds / threads at the minute's end and its CPU share."""
    rows = []
    minutes = max(1, int(round(seconds / 60)))
    for minute in range(minutes):
        start, end = minute * 60, min(seconds, (minute + 1) * 60)
        window = [r for r in records if start <= r[0] < end]
        summary = summarize(window, end - start)
        inside = [s for s in samples if start <= s["soak_t"] < end + 0.01]
        last = inside[-1] if inside else {}
        cpu = (inside[-1]["cpu_s"] - inside[0]["cpu_s"]) / max(1e-9, inside[-1]["soak_t"] - inside[0]["soak_t"]) if len(inside) > 1 else None
        rows.append({"minute": minute + 1, "requests": summary["requests"], "ok_per_second": summary["ok_per_second"],
                     **{k: summary["all_ok"][k] for k in ("p50_ms", "p99_ms")}, "overloaded": summary["overloaded"]["count"],
                     "defects": sum(summary["defects"].values()), "rss_mb": last.get("rss_mb"), "fds": last.get("fds"),
                     "threads": last.get("threads"), "cpu_percent": None if cpu is None else round(100 * cpu)})  # fmt: skip
    return rows


def check_bound(samples: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """The stated bound over the soak's samples (``soak_t`` seconds into the soak)."""
    import statistics

    if not samples or seconds < 180 or samples[-1]["soak_t"] < seconds - 30:
        return {"checked": False, "why": "a soak shorter than 3 minutes, or too few samples"}
    second = [s["rss_mb"] for s in samples if 60 <= s["soak_t"] < 120]
    last = [s["rss_mb"] for s in samples if s["soak_t"] >= seconds - 60]
    rss_ref, rss_end = statistics.median(second), statistics.median(last)
    after = [s for s in samples if s["soak_t"] >= 60]
    fd_ref, fd_max = after[0]["fds"], max(s["fds"] for s in after)
    return {"checked": True, "rss_ref_mb": rss_ref, "rss_end_mb": rss_end, "rss_growth_mb": round(rss_end - rss_ref, 1),
            "rss_max_mb": max(s["rss_mb"] for s in samples), "rss_ok": rss_end - rss_ref < RSS_GROWTH_BOUND_MB,
            "fd_ref": fd_ref, "fd_max": fd_max, "fd_end": samples[-1]["fds"], "fd_ok": fd_max - fd_ref <= FD_GROWTH_BOUND}  # fmt: skip


def log_levels(log: Path) -> tuple[dict[str, int], list[str]]:
    """Server log lines by level, and the lines that are not about overload (-5003) at ERROR or worse."""
    levels: dict[str, int] = {}
    serious = []
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            levels["(not JSON)"] = levels.get("(not JSON)", 0) + 1
            continue
        level = entry.get("level", "?")
        levels[level] = levels.get(level, 0) + 1
        if level in ("ERROR", "CRITICAL") and "server overloaded" not in entry.get("message", ""):
            serious.append(line[:400])
    return levels, serious


def report_markdown(run: dict[str, Any]) -> str:
    """The Markdown report of a run (see main)."""
    a = run["args"]
    lines = [
        f"# Load and soak ({run['stamp']})", "",
        f"`python bench/soak.py --step-seconds {a['step_seconds']:g} --soak-seconds {a['soak_seconds']:g} "
        f"--max-concurrency {a['max_concurrency']} --max-minutes {a['max_minutes']:g}` on {run['cores']} cores, "
        f"{run['total_seconds']:.0f} s in all; load average {run['load_before']:.2f} at start, {run['load_after']:.2f} "
        "at end. **The machine is shared with other work: absolute figures move with its load.** Server: `facesaas serve` "
        f"with the embedded defaults (SQLite, embedded vector index, local face crops, in-process replay record) "
        f"{'and ' + ', '.join(a['server_env']) if a['server_env'] else '(FACESAAS_ENGINE_WORKERS 2, FACESAAS_MAX_PENDING 64, 2 onnxruntime threads)'}"
        f"; load generator: bench/soak_load.py, one process per step, one SDK client per thread, a fresh signature per "
        f"request, 0.2 s pause after a 503. Workload: {run['workload']['people']} celeba identities (two photos each; "
        f"the first of each in the blacklist), {run['workload']['idcards']} ID-card fronts; prepared in "
        f"{run['prepare_seconds']:.0f} s.", "",
        "Mix (per 100 requests): " + ", ".join(f"{op} {weight}" for op, weight in MIX) + ".", "",
        "## Ramp", "",
        "| concurrency | requests | req/s | rtn 0/s | p50 ms | p99 ms | 503 on arrival: n, p50 / p99 / max ms | 503 after the queue limit: n, p50 / max ms | other non-0 | defects | loadgen CPU s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]  # fmt: skip
    for step in run["ramp"]:
        s = step["summary"]
        full, waited = s["overloaded"]["full"], s["overloaded"]["waited"]
        lines.append(f"| {step['concurrency']} | {s['requests']} | {s['per_second']:.1f} | {s['ok_per_second']:.1f} | "
                     f"{_fmt(s['all_ok']['p50_ms'])} | {_fmt(s['all_ok']['p99_ms'])} | {full['count']}, "
                     f"{_fmt(full['p50_ms'])} / {_fmt(full['p99_ms'])} / {_fmt(full['max_ms'])} | {waited['count']}, "
                     f"{_fmt(waited['p50_ms'])} / {_fmt(waited['max_ms'])} | "
                     f"{_codes(s['codes'], ('200 / 0', '503 / -5003'))} | {sum(s['defects'].values())} | {step['loadgen_cpu_s']:.0f} |")  # fmt: skip
    lines += ["", "Per endpoint, p50 / p99 ms of the rtn-0 answers:", "",
              "| concurrency | " + " | ".join(op for op, _ in MIX) + " |", "|---:|" + "---:|" * len(MIX)]  # fmt: skip
    for step in run["ramp"]:
        ops = step["summary"]["per_op"]
        lines.append(f"| {step['concurrency']} | " + " | ".join(f"{_fmt(ops[op]['p50_ms'])} / {_fmt(ops[op]['p99_ms'])}" for op, _ in MIX) + " |")
    lines += ["", f"Ramp ended: {run['ramp_end']}", ""]
    soak = run.get("soak")
    if soak:
        s = soak["summary"]
        lines += [f"## Soak: concurrency {soak['concurrency']} for {soak['seconds']:g} s", "",
                  f"{s['requests']} requests, {s['per_second']:.2f}/s, {s['ok']} answered rtn 0 ({s['ok_per_second']:.2f}/s); "
                  f"p50 {_fmt(s['all_ok']['p50_ms'])} ms, p99 {_fmt(s['all_ok']['p99_ms'])} ms. Answers by HTTP status / rtn: "
                  f"{_codes(s['codes'], ())}. 503s refused on arrival: {s['overloaded']['full']['count']}; after waiting the "
                  f"queue limit: {s['overloaded']['waited']['count']} (p50 {_fmt(s['overloaded']['waited']['p50_ms'])} ms, max "
                  f"{_fmt(s['overloaded']['waited']['max_ms'])} ms). Defects: {s['defects'] or 'none'}.", "",
                  "| endpoint | requests | rtn 0 | p50 ms | p99 ms | max ms | other answers |", "|---|---:|---:|---:|---:|---:|---|"]  # fmt: skip
        for op, _ in MIX:
            v = s["per_op"][op]
            lines.append(f"| {op} | {v['count']} | {v['ok']} | {_fmt(v['p50_ms'])} | {_fmt(v['p99_ms'])} | {_fmt(v['max_ms'])} | {_codes(v['codes'])} |")
        lines += ["", "Minute by minute (server figures at the minute's end; CPU: server process, % of one core):", "",
                  "| minute | requests | rtn 0/s | p50 ms | p99 ms | 503 | defects | RSS MB | fds | threads | server CPU % |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        for row in soak["minutes"]:
            lines.append(f"| {row['minute']} | {row['requests']} | {_fmt(row['ok_per_second'], 2)} | {_fmt(row['p50_ms'])} | "
                         f"{_fmt(row['p99_ms'])} | {row['overloaded']} | {row['defects']} | {_fmt(row['rss_mb'], 1)} | "
                         f"{row['fds']} | {row['threads']} | {_fmt(row['cpu_percent'])} |")  # fmt: skip
        b = soak["bound"]
        lines += ["", "## The bound", "",
                  f"Stated before the run: the server's resident memory, median over the soak's last minute, exceeds its "
                  f"median over the soak's second minute by less than {RSS_GROWTH_BOUND_MB:g} MB, and its open file "
                  f"descriptors never exceed their count at the end of the first minute by more than {FD_GROWTH_BOUND}.", ""]  # fmt: skip
        if b["checked"]:
            lines += [f"- RSS: median {b['rss_ref_mb']:.1f} MB in minute 2, {b['rss_end_mb']:.1f} MB in the last minute: "
                      f"{b['rss_growth_mb']:+.1f} MB (peak {b['rss_max_mb']:.1f} MB): **{'held' if b['rss_ok'] else 'BROKEN'}**.",
                      f"- File descriptors: {b['fd_ref']} at 1 min, at most {b['fd_max']} after, {b['fd_end']} at the end: "
                      f"**{'held' if b['fd_ok'] else 'BROKEN'}**."]  # fmt: skip
        else:
            lines.append(f"- Not checked: {b['why']}.")
    levels, serious = run["log_levels"], run["log_serious"]
    lines += ["", "## Server log and verdict", "",
              f"Server log lines by level: {', '.join(f'{k} {v}' for k, v in sorted(levels.items()))} (each 503 is one "
              f"ERROR line \"server overloaded\"). Other ERROR lines: {len(serious)}.", ""]  # fmt: skip
    lines += [f"    {line}" for line in serious[:10]]
    lines += ["", f"**Verdict: {run['verdict']}**", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--step-seconds", type=float, default=30.0, help="length of each ramp step")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--max-concurrency", type=int, default=256)
    parser.add_argument("--max-minutes", type=float, default=20.0, help="hard cap on the whole run")
    parser.add_argument("--sample-seconds", type=float, default=5.0)
    parser.add_argument("--identities", type=int, default=24)
    parser.add_argument("--data", type=Path, default=None, help="shared data (default: FACESAAS_TEST_DATA_DIR or ../shared/data)")
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE", help="set for the server only")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--no-save", action="store_true", help="print the report, write nothing to --out")
    args = parser.parse_args(argv)

    from _results import save

    started = time.monotonic()
    deadline = started + args.max_minutes * 60
    data = args.data or (Path(os.environ["FACESAAS_TEST_DATA_DIR"]) if os.environ.get("FACESAAS_TEST_DATA_DIR") else None)
    server_env = dict(item.split("=", 1) for item in args.server_env)
    run: dict[str, Any] = {"stamp": time.strftime("%Y%m%d-%H%M%S"), "cores": os.cpu_count(), "load_before": os.getloadavg()[0],
                           "args": {**vars(args), "out": str(args.out), "data": str(data)}, "ramp": []}  # fmt: skip
    defects: list[str] = []
    findings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="facesaas-soak-") as tmp:
        workdir = Path(tmp)
        data_dir = workdir / "data"
        env = _clean_env({"FACESAAS_LOG_FORMAT": "json", **server_env})
        cli = [sys.executable, "-m", "facesaas"]
        subprocess.run([*cli, "keys", "init", "--data-dir", str(data_dir)], env=env, check=True, stdout=subprocess.DEVNULL)
        created = subprocess.run([*cli, "tenant", "create", "soak", "--json", "--data-dir", str(data_dir)], env=env,
                                 check=True, capture_output=True, text=True)  # fmt: skip
        (workdir / "credentials.json").write_text(created.stdout)
        log = workdir / "server.log"
        process, url = start_server(data_dir, env, log)
        sampler = Sampler(process.pid, args.sample_seconds)
        sampler.start()
        try:
            concurrency, last_clean, first_503 = 1, None, None
            run["ramp_end"] = f"reached --max-concurrency {args.max_concurrency} without a 503"
            while concurrency <= args.max_concurrency:
                # Leave room for the soak and the slowest drain seen (a queue of 64 at ~2 answers/s).
                if time.monotonic() + args.step_seconds + args.soak_seconds + 150 > deadline:
                    run["ramp_end"] = f"stopped before concurrency {concurrency}: the --max-minutes cap leaves no room"
                    break
                sampler.phase = f"ramp {concurrency}"
                before = os.times()
                step = run_load(url, workdir, concurrency, args.step_seconds, f"c{concurrency}", args.identities, data, deadline)
                after = os.times()
                if step["prepare_seconds"]:
                    run["prepare_seconds"] = step["prepare_seconds"]
                step["loadgen_cpu_s"] = (after.children_user + after.children_system) - (before.children_user + before.children_system)
                step.pop("records")
                run["ramp"].append(step)
                summary = step["summary"]
                print(f"ramp c={concurrency}: {summary['requests']} requests, codes {summary['codes']}, defects {summary['defects']}", flush=True)
                defects += [f"ramp {concurrency}: {k} × {v}" for k, v in summary["defects"].items()]
                overloaded = summary["overloaded"]
                if overloaded["count"] and first_503 is None:
                    first_503 = concurrency
                    run["ramp_end"] = (f"first 503s at concurrency {concurrency} ({overloaded['count']} of {summary['requests']}; "
                                       f"{overloaded['full']['count']} refused on arrival, {overloaded['waited']['count']} after "
                                       "waiting the queue limit)")  # fmt: skip
                if first_503 is None:
                    last_clean = concurrency
                if overloaded["full"]["count"]:
                    # The queue was full: the last kind of overload answer there is; the ramp ends here.
                    if concurrency != first_503:
                        run["ramp_end"] += f"; first refused on arrival (queue full) at concurrency {concurrency}"
                    break
                concurrency *= 2
            if last_clean is not None and time.monotonic() + args.soak_seconds + 60 <= deadline:
                sampler.phase = "soak"
                soak_began = time.monotonic() - sampler.began
                before = os.times()
                report = run_load(url, workdir, last_clean, args.soak_seconds, "soak", args.identities, data, deadline)
                after = os.times()
                records = report.pop("records")
                samples = [{**s, "soak_t": round(s["t"] - soak_began, 1)} for s in sampler.samples if s["phase"] == "soak"]
                samples = [s for s in samples if s["soak_t"] <= args.soak_seconds + 1]
                report["loadgen_cpu_s"] = (after.children_user + after.children_system) - (before.children_user + before.children_system)
                report["minutes"] = per_minute(records, samples, args.soak_seconds)
                report["bound"] = check_bound(samples, args.soak_seconds)
                run["soak"] = report
                defects += [f"soak: {k} × {v}" for k, v in report["summary"]["defects"].items()]
                overloaded = report["summary"]["overloaded"]
                if overloaded["count"]:  # the host slowed down since the ramp: an answer, not a defect
                    findings.append(f"the soak saw {overloaded['count']} × 503 (-5003) at a concurrency its ramp step saw none at: "
                                    f"{overloaded['waited']['count']} after waiting the queue limit, {overloaded['full']['count']} "
                                    "refused on arrival")  # fmt: skip
                if report["bound"]["checked"] and not (report["bound"]["rss_ok"] and report["bound"]["fd_ok"]):
                    defects.append("soak: the RSS / fd bound was broken")
            else:
                defects.append("no soak: no clean ramp step, or no time left under --max-minutes")
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            sampler.stop()
        run["samples"] = sampler.samples
        run["workload"] = {k: len(v) for k, v in json.loads((workdir / "workload.json").read_text()).items()} \
            if (workdir / "workload.json").exists() else {"people": 0, "idcards": 0}  # fmt: skip
        run["log_levels"], run["log_serious"] = log_levels(log)
    defects += [f"server log: {line[:200]}" for line in run["log_serious"][:5]]
    run.setdefault("prepare_seconds", 0.0)
    run["defects"], run["findings"] = defects, findings
    run["verdict"] = ("no defect" if not defects else "DEFECTS: " + "; ".join(defects)) + "".join(f". Note: {f}" for f in findings)
    run["load_after"] = os.getloadavg()[0]
    run["total_seconds"] = time.monotonic() - started
    text = report_markdown(run)
    print(text)
    if not args.no_save:
        save(args.out, "soak", run["stamp"], text, run)
    return 0 if not defects else 1


if __name__ == "__main__":
    sys.exit(main())
