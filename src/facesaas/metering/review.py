"""The go-live review (manual 6 and 7.3.3, "上线检查"): what a customer's staging traffic says
about its production needs (``facesaas review``, ``GET /console/api/review``).

Per endpoint: volume, answers by rtn and their error rate, latency p50/p99 (the service's own
time, from admission to answer); overall: the peak requests per second and the production
capacity it implies at the manual's 1.5 × predicted peak — requests per second to provision,
requests in flight at that rate (Little's law: rate × mean latency) and hosts at a measured
per-host rate. Cost: two grouped queries and one read of the durations of the window.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select

from facesaas.metering.models import Call
from facesaas.storage.database import Database, as_utc

__all__ = ["Review", "EndpointReview", "go_live_review", "HEADROOM", "HOST_RPS", "MAX_PREDICTED_RPS"]

HEADROOM = 1.5
"""The manual's production sizing: 1.5 × the predicted peak (表 6.1, 生产集群)."""

HOST_RPS = 34.0
"""Face extractions per second one 2-core host serves (2 workers over PostgreSQL, Redis and
Milvus: bench/results/throughput-*.md, docs/deploy.md). Override with ``host_rps``."""

MIN_CALLS_FOR_P99 = 100

MAX_PREDICTED_RPS = 1_000_000.0
"""The largest predicted peak (requests/s) a review takes; beyond it the capacity figures
stop being numbers (1.5 × 1e308 is infinite)."""


@dataclass
class EndpointReview:
    endpoint: str
    calls: int = 0
    unanswered: int = 0
    by_rtn: dict[int, int] = field(default_factory=dict)
    p50_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None

    @property
    def errors(self) -> int:
        return sum(count for rtn, count in self.by_rtn.items() if rtn != 0)

    @property
    def error_rate(self) -> float:
        answered = sum(self.by_rtn.values())
        return self.errors / answered if answered else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint, "calls": self.calls, "unanswered": self.unanswered,
            "errors": self.errors, "error_rate": round(self.error_rate, 4),
            "by_rtn": {str(rtn): count for rtn, count in sorted(self.by_rtn.items(), key=lambda kv: -kv[1])},
            "p50_ms": self.p50_ms, "p99_ms": self.p99_ms, "mean_ms": self.mean_ms,
        }  # fmt: skip


@dataclass
class Review:
    access_id: str
    cluster: str
    since: dt.datetime | None
    first_call: dt.datetime | None
    last_call: dt.datetime | None
    endpoints: list[EndpointReview]
    peak_rps: int
    peak_at: dt.datetime | None
    predicted_peak_rps: float
    predicted_from: str
    mean_ms: float | None
    host_rps: float
    notes: list[str]

    @property
    def calls(self) -> int:
        return sum(e.calls for e in self.endpoints)

    @property
    def required_rps(self) -> float:
        return round(HEADROOM * self.predicted_peak_rps, 3)

    @property
    def in_flight(self) -> float:
        """Requests in flight at the required rate (Little's law)."""
        return round(self.required_rps * (self.mean_ms or 0.0) / 1000.0, 2)

    @property
    def hosts(self) -> int:
        return max(1, math.ceil(self.required_rps / self.host_rps)) if self.required_rps else 0

    def as_dict(self) -> dict[str, Any]:
        iso = lambda t: None if t is None else t.isoformat()  # noqa: E731
        return {
            "access_id": self.access_id, "cluster": self.cluster, "since": iso(self.since),
            "first_call": iso(self.first_call), "last_call": iso(self.last_call), "calls": self.calls,
            "endpoints": [e.as_dict() for e in self.endpoints],
            "peak": {"rps": self.peak_rps, "at": iso(self.peak_at)},
            "capacity": {
                "predicted_peak_rps": self.predicted_peak_rps, "predicted_from": self.predicted_from,
                "headroom": HEADROOM, "required_rps": self.required_rps, "mean_ms": self.mean_ms,
                "in_flight": self.in_flight, "host_rps": self.host_rps, "hosts": self.hosts,
            },
            "notes": self.notes,
        }  # fmt: skip

    def text(self) -> str:
        lines = [f"Go-live review of {self.access_id} ({self.cluster}): {self.calls} calls"
                 + (f" from {self.first_call:%Y-%m-%d %H:%M} to {self.last_call:%Y-%m-%d %H:%M} UTC" if self.first_call and self.last_call else ""),
                 "", f"{'endpoint':48} {'calls':>7} {'errors':>7} {'rate':>6} {'p50 ms':>8} {'p99 ms':>8}  rtn"]  # fmt: skip
        for e in self.endpoints:
            fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
            rtns = ", ".join(f"{rtn}: {n}" for rtn, n in sorted(e.by_rtn.items(), key=lambda kv: -kv[1]))
            lines.append(f"{e.endpoint:48} {e.calls:>7} {e.errors:>7} {e.error_rate:>6.1%} {fmt(e.p50_ms):>8} {fmt(e.p99_ms):>8}  {rtns}")
        lines += ["", f"Peak: {self.peak_rps} requests in one second" + (f" at {self.peak_at:%Y-%m-%d %H:%M:%S} UTC" if self.peak_at else ""),
                  f"Production capacity at {HEADROOM} x the predicted peak ({self.predicted_peak_rps:g}/s, {self.predicted_from}): "
                  f"{self.required_rps:g} requests/s, {self.in_flight:g} in flight at the mean latency, "
                  f"{self.hosts} host(s) at {self.host_rps:g}/s each"]  # fmt: skip
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines) + "\n"


def _percentile(values: np.ndarray, q: float) -> float:
    """Nearest-rank percentile (a latency that some call really had)."""
    ordered = np.sort(values)
    return round(float(ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]), 1)


def go_live_review(
    database: Database,
    tenant_id: int,
    access_id: str,
    cluster: str,
    *,
    since: dt.datetime | None = None,
    predicted_peak_rps: float | None = None,
    host_rps: float = HOST_RPS,
) -> Review:
    """Review the calls of ``tenant_id`` (since ``since``, else all of them). ValueError when
    ``predicted_peak_rps`` is not in 0–MAX_PREDICTED_RPS or ``host_rps`` is not > 0."""
    if predicted_peak_rps is not None and not 0 <= predicted_peak_rps <= MAX_PREDICTED_RPS:
        raise ValueError(f"the predicted peak is 0 to {MAX_PREDICTED_RPS:g} requests/s")
    if not 0 < host_rps <= MAX_PREDICTED_RPS:
        raise ValueError(f"requests/s per host is above 0 and at most {MAX_PREDICTED_RPS:g}")
    where = [Call.tenant_id == tenant_id]
    if since is not None:
        where.append(Call.started_at >= since)
    with database.connect() as connection:
        grouped = connection.execute(
            select(Call.endpoint, Call.rtn, func.count()).where(*where).group_by(Call.endpoint, Call.rtn)
        ).all()
        durations = connection.execute(
            select(Call.endpoint, Call.duration_ms).where(*where, Call.duration_ms.is_not(None))
        ).all()
        per_second = func.count().label("n")
        peak = connection.execute(
            select(Call.second, per_second).where(*where).group_by(Call.second).order_by(per_second.desc(), Call.second).limit(1)
        ).first()
        first, last = connection.execute(select(func.min(Call.started_at), func.max(Call.started_at)).where(*where)).one()
    reviews: dict[str, EndpointReview] = {}
    for endpoint, rtn, count in grouped:
        item = reviews.setdefault(endpoint, EndpointReview(endpoint))
        item.calls += int(count)
        if rtn is None:
            item.unanswered += int(count)
        else:
            item.by_rtn[int(rtn)] = item.by_rtn.get(int(rtn), 0) + int(count)
    times: dict[str, list[float]] = {}
    for endpoint, ms in durations:
        times.setdefault(endpoint, []).append(float(ms))
    notes: list[str] = []
    for endpoint, values in times.items():
        array = np.asarray(values)
        item = reviews[endpoint]
        item.p50_ms, item.mean_ms = _percentile(array, 50), round(float(array.mean()), 1)
        item.p99_ms = _percentile(array, 99)
        if len(values) < MIN_CALLS_FOR_P99:
            notes.append(f"{endpoint}: {len(values)} answered calls; p99 needs at least {MIN_CALLS_FOR_P99} to mean much")
    for item in reviews.values():
        if item.error_rate > 0.05:
            notes.append(f"{item.endpoint}: {item.error_rate:.1%} of answers are errors (see by_rtn and docs/errors.md)")
        if item.unanswered:
            notes.append(f"{item.endpoint}: {item.unanswered} call(s) never answered (a worker stopped mid-call)")
    all_times = [ms for values in times.values() for ms in values]
    peak_rps = int(peak.n) if peak is not None else 0
    if cluster != "staging":
        notes.append(f"{access_id} is a {cluster} customer: the go-live review is meant for staging traffic")
    if not reviews:
        notes.append("no calls recorded yet: run the integration and load tests on staging first")
    return Review(
        access_id=access_id, cluster=cluster, since=since,
        first_call=first and as_utc(first), last_call=last and as_utc(last),
        endpoints=sorted(reviews.values(), key=lambda e: (-e.calls, e.endpoint)),
        peak_rps=peak_rps, peak_at=None if peak is None else dt.datetime.fromtimestamp(int(peak.second), dt.UTC),
        predicted_peak_rps=float(predicted_peak_rps if predicted_peak_rps is not None else peak_rps),
        predicted_from="given" if predicted_peak_rps is not None else "the staging peak",
        mean_ms=round(float(np.mean(all_times)), 1) if all_times else None, host_rps=host_rps, notes=notes,
    )  # fmt: skip
