"""Everything a running service shares between requests, built once in the app lifespan."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from starlette.concurrency import run_in_threadpool

from facesaas.audit import AuditLog, model_version
from facesaas.auth.keys import ServerKeys, load_keys
from facesaas.auth.quotas import MemoryQuotas, QuotaLimits, Quotas, RedisQuotas
from facesaas.auth.replay import MemoryReplayStore, ReplayStore
from facesaas.auth.shared import RedisReplayStore, connect_redis
from facesaas.auth.verifier import RequestAuthenticator
from facesaas.documents.ocr import OcrEngine, get_ocr
from facesaas.documents.service import idcard_reader
from facesaas.errors import FaceSaaSError, Overloaded
from facesaas.face.calibration import Calibration, load_calibration
from facesaas.face.engine import FaceEngine, get_engine
from facesaas.imaging.video import VideoLimits
from facesaas.inputs import ImageLimits
from facesaas.liveness.h5 import H5Defaults, VideoLiveness
from facesaas.liveness.infrared import infrared_check
from facesaas.liveness.keys import PackageKeyStore
from facesaas.liveness.service import PackageChecker
from facesaas.liveness.sessions import VideoSessions
from facesaas.metering import Meter
from facesaas.operators import OperatorService
from facesaas.recognition import IdCardReader, InfraredCheck
from facesaas.repositories import OpenRepositories, open_repositories
from facesaas.settings import Settings
from facesaas.storage.database import Database, create_database
from facesaas.tenants.calibration import TenantCalibrations
from facesaas.tenants.package_keys import seal_clear_keys
from facesaas.tenants.service import TenantService
from facesaas.vault import Vault, open_vault

__all__ = ["AppContext", "EngineGate", "build_context"]


@dataclass
class EngineGate:
    """Admission control for CPU-heavy work: at most ``workers`` run at once, at most
    ``max_pending`` wait; beyond that the request is refused with Overloaded (503) rather than
    queueing without bound. A request that has waited ``max_wait`` seconds for a slot is refused
    the same way (None: no limit): a count of waiting requests does not bound the wait when the
    machine slows down (measured by ``make soak``: 64 waiting requests took 26-35 s on a loaded
    2-core host), and an answer after the client's timeout (the SDK's 60 s) is a timeout to it,
    work done for nobody. A refused request did nothing; retrying it is safe."""

    workers: int
    max_pending: int
    depth: Any = None
    """A gauge (``inc``/``dec``) of the requests running or waiting: the metrics' queue depth."""
    max_wait: float | None = None
    """Seconds a request may wait for a slot (FACESAAS_MAX_QUEUE_SECONDS), None for no limit."""
    _limiter: anyio.CapacityLimiter | None = None
    _threads: anyio.CapacityLimiter | None = None
    _waiting: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def run(self, func, *args):  # noqa: ANN001, ANN002, ANN201
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.workers)
            # The worker threads' own limiter: a slot of _limiter is already held when one is asked for.
            self._threads = anyio.CapacityLimiter(self.workers)
        with self._lock:
            if self._waiting >= self.max_pending + self.workers:
                raise Overloaded()
            self._waiting += 1
        if self.depth is not None:
            self.depth.inc()
        try:
            slot = object()
            with anyio.move_on_after(self.max_wait) as waiting:
                await self._limiter.acquire_on_behalf_of(slot)
            if waiting.cancelled_caught:  # anyio gives the slot back when the wait is cut short
                raise Overloaded(f"waited {self.max_wait:g} s for the engine")
            try:
                return await anyio.to_thread.run_sync(func, *args, limiter=self._threads)
            finally:
                self._limiter.release_on_behalf_of(slot)
        finally:
            with self._lock:
                self._waiting -= 1
            if self.depth is not None:
                self.depth.dec()


@dataclass
class AppContext:
    settings: Settings
    database: Database
    keys: ServerKeys
    tenants: TenantService
    authenticator: RequestAuthenticator
    engine: FaceEngine
    calibration: Calibration
    """The shipped thresholds: for customers without a table of their own, the console and the
    liveness checks. A customer's 1:1 and 1:N thresholds come from :meth:`calibration_of`."""
    gate: EngineGate
    limits_1to1: ImageLimits
    limits_repo: ImageLimits
    repositories: OpenRepositories
    packages: PackageChecker
    check_infrared: InfraredCheck
    operators: OperatorService
    """The console's operator accounts and sessions (docs/console.md)."""
    video: VideoLiveness
    """H5 video liveness sessions, their page's calls and the clip judge (docs/liveness.md)."""
    tenant_calibrations: TenantCalibrations | None = None
    """Customers' own threshold tables (``facesaas calibrate --tenant``), cached 10 s per worker."""
    quotas: Quotas = field(default_factory=MemoryQuotas)
    default_quota: QuotaLimits = QuotaLimits(0, 0, 0)
    """The deployment's limits for customers without their own (settings)."""
    meter: Meter | None = None
    """Records every authenticated call (staging and production); None on a private deployment."""
    redis: Any = None
    """The Redis client shared by the replay record and the quotas (None: in-process)."""
    vault: Vault | None = None
    """Seals server-side secrets at rest under the master key (docs/security.md)."""
    audit: AuditLog | None = None
    """The hash-chained audit log of decisions (FACESAAS_AUDIT, on by default)."""

    async def calibration_of(self, tenant_id: int) -> Calibration:
        """The thresholds of this customer's CS202.2 verification and 103.1 retrieval: its own
        table if it has a usable one, else the shipped table. A cached answer costs nothing; a
        miss (once per tenant per 10 s per worker) is one indexed row read in the thread pool,
        never behind the engine gate."""
        tables = self.tenant_calibrations
        if tables is None:
            return self.calibration
        cached = tables.cached(tenant_id)
        if cached is not None:
            return cached
        return await run_in_threadpool(tables.calibration_for, tenant_id)

    def ocr(self) -> OcrEngine:
        """The OCR engine, loaded on the first document request (~1 s once per process), so a
        service that never reads documents never pays for it."""
        return get_ocr(self.settings.inference_threads)

    @property
    def read_idcard(self) -> IdCardReader:
        """CS201.1's ``idcard_ocr`` reader over :meth:`ocr` (loaded on first use)."""
        return idcard_reader(self.ocr)

    def readiness(self) -> dict[str, str]:
        """Each backing service: "ok", "not used" (in-process), or what failed. Cost: one round
        trip each."""
        checks: dict[str, str] = {}
        probes = {
            "database": self.database.ping,
            "redis": (lambda: self.redis.ping()) if self.redis is not None else None,
            "vectors": getattr(self.repositories.repositories.vectors, "ping", None),
        }
        for name, probe in probes.items():
            if probe is None:
                checks[name] = "not used"
                continue
            try:
                probe()
                checks[name] = "ok"
            except FaceSaaSError as exc:
                checks[name] = exc.detail or exc.message
            except Exception as exc:  # a client library's own error: report its kind, not a trace
                checks[name] = f"unreachable ({exc.__class__.__name__})"
        return checks

    def close(self) -> None:
        try:
            self.repositories.close()
        finally:
            self.database.dispose()
            if self.redis is not None:
                self.redis.close()


def build_context(settings: Settings, *, replay_store: ReplayStore | None = None) -> AppContext:
    """Open the database, load keys, models and calibration, check the vector index against the
    database. Cost ~1 s (model loading) plus the index check (seconds at millions of faces)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    vault = open_vault(settings)  # first: a staging/production start without FACESAAS_MASTER_KEY stops here
    database = create_database(settings.resolved_database_url)
    keys = load_keys(settings.keys_dir, vault)  # seals a clear private key left from before sealing
    seal_clear_keys(database, vault)  # the same for package keys
    tenants = TenantService(database.sessions, vault)
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    if replay_store is None:
        replay_store = RedisReplayStore(redis, settings.namespace) if redis is not None else MemoryReplayStore()
    offset = settings.billing_utc_offset_hours
    quotas: Quotas = (
        RedisQuotas(redis, settings.namespace, utc_offset_hours=offset) if redis is not None else MemoryQuotas(offset)
    )
    authenticator = RequestAuthenticator(
        keys.private_key,
        tenants.credentials_of,
        replay_store,
        cluster=settings.cluster,
        window_seconds=settings.signature_window_seconds,
    )
    try:
        repositories = open_repositories(settings, database)
    except BaseException:
        database.dispose()
        raise
    engine = get_engine(settings.inference_threads, settings.detection_threshold, settings.embedding_scheme)
    calibration = load_calibration(engine.scheme.name)
    return AppContext(
        settings=settings,
        database=database,
        keys=keys,
        tenants=tenants,
        authenticator=authenticator,
        engine=engine,
        calibration=calibration,
        tenant_calibrations=TenantCalibrations(database, calibration, engine.scheme.name),
        gate=EngineGate(settings.engine_workers, settings.max_pending, max_wait=settings.max_queue_seconds or None),
        limits_1to1=ImageLimits.for_one_to_one(settings),
        limits_repo=ImageLimits.for_repositories(settings),
        repositories=repositories,
        packages=PackageChecker(
            PackageKeyStore(database, vault),
            engine,
            calibration,
            max_age_seconds=settings.package_max_age_seconds,
            future_skew_seconds=settings.package_future_skew_seconds,
            max_pixels=settings.max_image_pixels,
        ),
        check_infrared=infrared_check(engine),
        operators=OperatorService.from_settings(database, settings),
        video=VideoLiveness(
            VideoSessions(database), engine, calibration,
            VideoLimits(settings.max_video_bytes, settings.max_video_seconds),
            H5Defaults(settings.h5_action_count, settings.h5_session_seconds, settings.h5_result_hours,
                       settings.h5_max_preview_frames, settings.inference_threads),
        ),  # fmt: skip
        quotas=quotas,
        default_quota=QuotaLimits(settings.rate_limit_per_second, settings.daily_quota, settings.concurrent_per_tenant),
        meter=Meter(database, settings.cluster, offset) if settings.cluster != "private" else None,
        redis=redis,
        vault=vault,
        audit=AuditLog(database, model_version(engine.scheme.name)) if settings.audit else None,
    )
