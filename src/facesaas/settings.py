"""Typed settings from ``FACESAAS_*`` environment variables (and CLI flags, which override them).

Nothing here runs at import time: call :func:`get_settings` (cached) or build ``Settings(...)``
explicitly, as the tests do for each fresh data directory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """All knobs of one FaceSaaS process. Sizes are bytes, times seconds."""

    model_config = SettingsConfigDict(env_prefix="FACESAAS_", extra="ignore")

    data_dir: Path = Field(Path("facesaas-data"), description="Holds the SQLite database, server keys and stored images.")
    host: str = Field("127.0.0.1", description="Interface to listen on; 0.0.0.0 to serve other hosts.")
    port: int = Field(9500, ge=1, le=65535, description="The manual's private-cloud port.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///<data_dir>/facesaas.db. PostgreSQL in production."
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db shared by every worker and host (signature replay record, rate limits); "
        "default: in-process stores (one process only).",
    )
    vector_url: str = Field(
        "embedded",
        pattern=r"^(embedded|milvus://[A-Za-z0-9.\-]+(:[0-9]{1,5})?)$",
        description="Vector index: 'embedded' (in-process FAISS under data_dir/index, one process) or "
        "milvus://host:port (a Milvus standalone or cluster every worker and host shares).",
    )
    blob_url: Literal["local", "database"] = Field(
        "local",
        description="Stored face images: 'local' (files under data_dir/faces, one host) or 'database' "
        "(a table of the metadata database every host shares).",
    )
    namespace: str = Field(
        "facesaas",
        pattern="^[A-Za-z_][A-Za-z0-9_]{0,31}$",
        description="Prefix of this deployment's Redis keys and Milvus collections, so several deployments "
        "(staging, production) can share one Redis or Milvus.",
    )
    keys_path: Path | None = Field(
        None, description="Directory of the server RSA key pair; default data_dir/keys. Every host needs the same pair."
    )
    master_key: SecretStr | None = Field(
        None,
        description="Master key sealing server-side secrets at rest (package keys, the server private key): standard "
        "base64 of 32 random bytes (`facesaas secrets generate-key`). Required on staging and production; unset on a "
        "private cluster, a key is generated once into keys_dir/master.key (mode 0600). docs/security.md.",
    )
    master_keys_previous: SecretStr | None = Field(
        None,
        description="Older master keys, comma-separated, still accepted for opening (rotation: move the old key here, "
        "set the new one as FACESAAS_MASTER_KEY, run `facesaas secrets rotate`, then remove it).",
    )
    workers: int = Field(1, ge=1, le=64, description="Processes `facesaas serve` runs on this host.")
    cluster: Literal["private", "staging", "production"] = Field(
        "private",
        description="Which cluster this deployment is (manual 6): 'private' (no metering), 'staging' (integration and "
        "load tests; every call metered, nothing billed) or 'production' (every call metered, rtn 0 calls billed). "
        "Only AccessIDs issued for this cluster are accepted.",
    )
    rate_limit_per_second: int = Field(
        0, ge=0, description="Default requests per second one AccessID may send (all workers and hosts together); "
        "0: no limit. `facesaas tenant limits` sets it per customer.",
    )
    daily_quota: int = Field(
        0, ge=0, description="Default requests per billing day one AccessID may send; 0: no limit."
    )
    concurrent_per_tenant: int = Field(
        0, ge=0, description="Default requests one AccessID may have in flight at once; 0: no limit."
    )
    billing_utc_offset_hours: int = Field(
        8, ge=-12, le=14, description="The billing day and month start at midnight of this UTC offset (8: China "
        "Standard Time, no daylight saving)."
    )
    currency: str = Field("CNY", pattern="^[A-Z]{3}$", description="Currency of the price table and bills (ISO 4217).")
    log_format: str = Field("json", pattern="^(json|text)$", description="Log lines as JSON objects or plain text.")
    shutdown_grace_seconds: float = Field(
        30.0, ge=0, description="On SIGTERM, how long in-flight requests may take to finish before the process exits."
    )
    signature_window_seconds: int = Field(300, ge=1, description="Accepted clock skew of the signature timestamp (±).")
    max_body_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, description="Largest request body accepted (a 3 MB image is 4 MB of base64)."
    )
    max_image_bytes: int = Field(1024 * 1024, ge=1024, description="Largest decoded image for extraction/verification (manual: 1 MB).")
    max_repo_image_bytes: int = Field(
        3 * 1024 * 1024, ge=1024, description="Largest decoded image for repository register/search (manual: 3 MB)."
    )
    max_image_pixels: int = Field(40_000_000, ge=10_000, description="Largest width×height decoded; bigger is refused before decoding.")
    detection_threshold: float = Field(0.7, gt=0, lt=1, description="YuNet face score threshold.")
    embedding_scheme: Literal["sface", "sface-mirror"] = Field(
        "sface-mirror",
        description=(
            "How a face becomes its stored vector (docs/accuracy.md, 'Embedding scheme'): sface, or sface-mirror "
            "(averaged with the mirror image: TAR +0.7 points at FAR 1e-4, +20 ms per face). Repositories and feature "
            "strings of another scheme are refused, never compared."
        ),
    )
    enrol_quality: Literal["off", "lenient", "strict"] = Field(
        "lenient",
        description="Face quality gate of 102.1 register from an image (docs/api.md, docs/accuracy.md): 'off' stores "
        "any detected face, 'lenient' refuses faces that measurably hurt recognition (tiny, blurred, turned past 45°, "
        "badly exposed, eyes or mouth covered), 'strict' asks for an ID-photo-like face; a refusal is rtn -3004. "
        "A request's options.quality_gate overrides it.",
    )
    inference_threads: int = Field(2, ge=1, le=64, description="onnxruntime intra-op threads per model.")
    engine_workers: int = Field(2, ge=1, le=64, description="Requests processed by the face engine at once.")
    max_pending: int = Field(64, ge=1, description="Requests allowed to wait for the engine before 503.")
    max_queue_seconds: float = Field(
        30.0, ge=0, description="Longest a request waits for the engine before 503 (rtn -5003); 0: no limit. Keep it "
        "below the clients' timeout (the SDK's and the nginx example's 60 s) less the slowest call (~15 s for OCR on a "
        "loaded host), so a waiting client gets an answer, never a timeout.",
    )
    index_flat_limit: int = Field(
        50_000, ge=1, description="Repositories up to this many faces are searched exactly; larger ones by PQ scan + re-ranking."
    )
    index_partitions: int = Field(2, ge=1, le=64, description="Parallel partitions of a large repository's index (use the core count).")
    index_snapshot_seconds: float = Field(
        300.0, ge=0, description="How often changed vector indexes are saved to disk (0: only at shutdown)."
    )
    package_max_age_seconds: float = Field(
        300.0, gt=0, description="Liveness packages older than this are refused as expired (the replay record is kept as long)."
    )
    package_future_skew_seconds: float = Field(
        60.0, ge=0, description="How far ahead of the server clock a package's created_at may be (client clock skew)."
    )
    console: bool = Field(
        True, description="Serve the operators' console under /console (docs/console.md); false on hosts that must not."
    )
    console_session_hours: float = Field(
        8.0, gt=0, le=24 * 30, description="Lifetime of an operator's console session from its login (not extended by use)."
    )
    console_login_failures: int = Field(
        5, ge=1, le=1000, description="Failed console logins in a row that lock a username for console_lockout_seconds."
    )
    console_lockout_seconds: float = Field(
        60.0, ge=0, description="How long a username stays locked after console_login_failures failed logins."
    )
    h5_action_count: int = Field(
        3, ge=2, le=4, description="Actions an H5 liveness session asks for when its create call does not say (2–4)."
    )
    h5_session_seconds: int = Field(
        300, ge=30, le=3600, description="Default life of an H5 liveness session (its page token) before a clip must be uploaded."
    )
    h5_result_hours: float = Field(
        24.0, gt=0, le=720, description="How long a judged H5 session (its result, best frame and feature) is kept, then deleted."
    )
    h5_max_preview_frames: int = Field(
        400, ge=0, le=10_000, description="Live-feedback frames an H5 page may send per session (each ~10 ms of CPU)."
    )
    max_video_bytes: int = Field(20_000_000, ge=100_000, le=200_000_000, description="Largest H5 liveness clip accepted.")
    max_video_seconds: float = Field(30.0, ge=2, le=120, description="Longest H5 liveness clip decoded.")
    audit: bool = Field(
        True,
        description="Write the hash-chained audit log of every authenticated call's decision (docs/security.md, "
        "'The audit log'); an answer whose row cannot be written is withheld (rtn -5013). Off only for measuring.",
    )
    audit_retention_days: int = Field(
        3653, ge=1, description="How long audit rows are kept: `facesaas audit prune` deletes older ones by default "
        "and never younger ones without --force (default ten years: docs/security.md says why).",
    )
    test_data_dir: Path = Field(Path("../shared/data"), description="Evaluation images for tests and benchmarks.")

    def multi_process_problem(self) -> str | None:
        """Why these settings cannot run as several processes, or None. With ``workers`` > 1 the
        replay record must be shared (Redis) and the vector index too (the embedded one belongs
        to one process); SQLite works for a few workers on one host (WAL), PostgreSQL for more."""
        if self.workers == 1:
            return None
        missing = []
        if not self.redis_url:
            missing.append("FACESAAS_REDIS_URL (the signature replay record every worker must see)")
        if self.vector_url == "embedded":
            missing.append("FACESAAS_VECTOR_URL=milvus://host:port (the embedded index belongs to one process)")
        if not missing:
            return None
        return f"{self.workers} workers need " + " and ".join(missing)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'facesaas.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.keys_path or self.data_dir / "keys"

    @property
    def index_dir(self) -> Path:
        """Vector index snapshots (a cache of the database: deleting it forces a rebuild)."""
        return self.data_dir / "index"

    @property
    def face_images_dir(self) -> Path:
        """Stored face crops of repository faces, one JPEG per face id."""
        return self.data_dir / "faces"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings from the environment, built on first use."""
    return Settings()
