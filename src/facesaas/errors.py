"""The one exception tree of FaceSaaS.

Every failure a client can see is its own class with a fixed ``rtn`` code, HTTP status and
message. The HTTP layer maps them in one place (:mod:`facesaas.api.errors`); the SDK raises
:class:`facesaas.sdk.ApiError` carrying the same code. ``docs/errors.md`` is generated from
:data:`ERROR_CLASSES` (``facesaas errors --markdown``) and a test checks the two agree.

Errors from third-party libraries (onnxruntime, OpenCV, Pillow, SQLAlchemy) are wrapped at the
boundary with ``raise SomeError(...) from exc`` so no library exception reaches a client.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ERROR_CLASSES",
    "FaceSaaSError",
    "AuthError",
    "MissingAuthHeaders",
    "UnknownAccessId",
    "DisabledAccessId",
    "BadSignature",
    "WrongAccessKey",
    "BodyDigestMismatch",
    "StaleTimestamp",
    "ReplayedRequest",
    "WrongCluster",
    "ConsoleLoginRequired",
    "ConsoleLoginFailed",
    "ConsoleLoginThrottled",
    "ConsoleCsrfRejected",
    "ConsoleOriginRejected",
    "ConsoleUnknownTenant",
    "ConsoleTenantConflict",
    "InvalidInput",
    "InvalidJson",
    "MissingParameter",
    "InvalidParameter",
    "BodyTooLarge",
    "InvalidBase64",
    "ImageTooLarge",
    "UnsupportedImageFormat",
    "CorruptImage",
    "ImageDimensionsTooLarge",
    "InvalidFeature",
    "FeatureModelMismatch",
    "DocumentNeedsImage",
    "VideoTooLarge",
    "CorruptVideo",
    "VideoTooLong",
    "NoFaceDetected",
    "TooManyFaces",
    "HolderNotFound",
    "FaceQualityTooPoor",
    "RepoNotFound",
    "UserNotFound",
    "DuplicateUserId",
    "RepoSchemeMismatch",
    "LivenessSessionNotFound",
    "LivenessSessionExpired",
    "LivenessSessionUsed",
    "LivenessPreviewLimit",
    "NotFound",
    "MethodNotAllowed",
    "Overloaded",
    "QuotaError",
    "RateLimited",
    "DailyQuotaExceeded",
    "TooManyConcurrent",
    "ServiceUnavailable",
    "StorageFull",
    "AuditUnavailable",
    "InternalError",
    "ConfigurationError",
    "SecretKeyUnavailable",
    "SecretIntegrityError",
    "MasterKeyError",
]


class FaceSaaSError(Exception):
    """Base of every FaceSaaS error.

    ``rtn`` is the negative code the wire protocol carries, ``http_status`` the HTTP status,
    ``message`` the fixed text; ``detail`` (optional) adds what exactly was wrong, e.g. which
    field, and is appended to the message the client sees. Details never contain secrets.
    """

    rtn: ClassVar[int] = -5000
    http_status: ClassVar[int] = 500
    message: ClassVar[str] = "internal error"
    cause: ClassVar[str] = ""

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        super().__init__(self.client_message)

    @property
    def client_message(self) -> str:
        """The message sent to the client: the fixed text plus the detail, if any."""
        return f"{self.message}: {self.detail}" if self.detail else self.message


# --- authentication (401/403) -----------------------------------------------------------


class AuthError(FaceSaaSError):
    """A request whose caller could not be authenticated."""

    rtn = -1000
    http_status = 401
    message = "authentication failed"


class MissingAuthHeaders(AuthError):
    rtn = -1001
    message = "missing x-access-id or x-signature header"
    cause = "The request lacks one of the two authentication headers, or one is empty."


class UnknownAccessId(AuthError):
    rtn = -1002
    message = "unknown AccessID"
    cause = "No customer has this AccessID (or it is longer than 16 bytes)."


class DisabledAccessId(AuthError):
    rtn = -1003
    http_status = 403
    message = "AccessID is disabled"
    cause = "The customer exists but an operator disabled it (`facesaas tenant disable`)."


class BadSignature(AuthError):
    rtn = -1004
    message = "x-signature cannot be decrypted"
    cause = (
        "The signature is not hex, has the wrong length for the server key, or does not decrypt "
        "to a well-formed content block (wrong public key, truncated, or the manual's 32-char "
        "sample value)."
    )


class WrongAccessKey(AuthError):
    rtn = -1005
    message = "AccessKey in the signature does not match this AccessID"
    cause = "The signature decrypted but carries another AccessKey (rotated or mistyped key)."


class BodyDigestMismatch(AuthError):
    rtn = -1006
    message = "body MD5 in the signature does not match the request body"
    cause = "The body was changed after signing, or the MD5 was taken over other bytes."


class StaleTimestamp(AuthError):
    rtn = -1007
    message = "signature timestamp is outside the allowed window"
    cause = "The client clock is off, or the request was held too long (default window ±300 s)."


class ReplayedRequest(AuthError):
    rtn = -1008
    message = "request replayed: this signature was already used"
    cause = "The same (AccessID, random, timestamp) was seen within the window."


class WrongCluster(AuthError):
    rtn = -1009
    http_status = 403
    message = "AccessID belongs to another cluster"
    cause = (
        "Credentials are issued per cluster (manual 6): a staging AccessID is refused by the production cluster and "
        "the reverse. Use the cluster's own AccessID; production credentials come from the go-live "
        "(`facesaas tenant promote`)."
    )


# --- the operators' console (/console, docs/console.md) ---------------------------------


class ConsoleLoginRequired(AuthError):
    rtn = -1010
    message = "operator login required"
    cause = (
        "A /console API call without a valid operator session cookie: never logged in, logged out, "
        "the session expired (FACESAAS_CONSOLE_SESSION_HOURS, default 8 h) or the operator was disabled."
    )


class ConsoleLoginFailed(AuthError):
    rtn = -1011
    message = "wrong operator username or password"
    cause = "The console login named an unknown or disabled operator, or the password is wrong (not told apart)."


class ConsoleLoginThrottled(AuthError):
    rtn = -1012
    http_status = 429
    message = "too many failed logins for this operator, retry later"
    cause = (
        "FACESAAS_CONSOLE_LOGIN_FAILURES (default 5) failed logins in a row for this username lock it for "
        "FACESAAS_CONSOLE_LOCKOUT_SECONDS (default 60 s), counted across every worker and host; the detail "
        "says how long is left."
    )


class ConsoleCsrfRejected(AuthError):
    rtn = -1013
    http_status = 403
    message = "CSRF token missing or wrong"
    cause = (
        "A state-changing /console call without the session's CSRF token (header X-CSRF-Token, or the "
        "csrf_token field of a console form); reload the console page."
    )


class ConsoleOriginRejected(AuthError):
    rtn = -1014
    http_status = 403
    message = "request origin is not this console"
    cause = (
        "A state-changing /console call whose Origin (or Referer) header names another site than the Host "
        "it was sent to: a cross-site request, or a reverse proxy that rewrites Host (docs/console.md)."
    )


class ConsoleUnknownTenant(FaceSaaSError):
    rtn = -1015
    http_status = 404
    message = "no tenant has this AccessID"
    cause = "An operator's console call named an AccessID that no tenant has."


class ConsoleTenantConflict(FaceSaaSError):
    rtn = -1016
    http_status = 409
    message = "the tenant cannot be changed that way"
    cause = "E.g. promoting a tenant that is not a staging tenant or was already promoted; the detail says why."


# --- invalid input (400/413) ------------------------------------------------------------


class InvalidInput(FaceSaaSError):
    """The request is malformed; the client must fix it."""

    rtn = -2000
    http_status = 400
    message = "invalid input"


class InvalidJson(InvalidInput):
    rtn = -2001
    message = "request body is not a valid UTF-8 JSON object"
    cause = "The body is empty, not UTF-8, not JSON, or JSON but not an object."


class MissingParameter(InvalidInput):
    rtn = -2002
    message = "required parameter missing"
    cause = "A required field is absent (the detail names it), or neither of two alternatives is given."


class InvalidParameter(InvalidInput):
    rtn = -2003
    message = "invalid parameter"
    cause = "A field has the wrong JSON type or a value outside what the manual allows (detail names it)."


class BodyTooLarge(InvalidInput):
    rtn = -2004
    http_status = 413
    message = "request body too large"
    cause = "The body exceeds FACESAAS_MAX_BODY_BYTES (default 5 MiB: a 3 MB image is 4 MB of base64)."


class InvalidBase64(InvalidInput):
    rtn = -2005
    message = "field is not valid standard base64"
    cause = "An image or feature field holds characters outside the base64 alphabet, bad padding, or line breaks."


class ImageTooLarge(InvalidInput):
    rtn = -2006
    http_status = 413
    message = "image too large"
    cause = "The decoded image exceeds the endpoint's limit (1 MB for extraction and verification)."


class UnsupportedImageFormat(InvalidInput):
    rtn = -2007
    message = "image is not JPEG or PNG"
    cause = "The bytes are neither a JPEG nor a PNG image."


class CorruptImage(InvalidInput):
    rtn = -2008
    message = "image cannot be decoded"
    cause = "The JPEG/PNG is truncated or corrupt."


class ImageDimensionsTooLarge(InvalidInput):
    rtn = -2009
    http_status = 413
    message = "image dimensions too large"
    cause = "Width × height exceeds FACESAAS_MAX_IMAGE_PIXELS (default 40 megapixels); decompression bombs end here."


class InvalidFeature(InvalidInput):
    rtn = -2010
    message = "feature string is invalid"
    cause = "The feature is not one this service produced: bad magic, version, length or values."


class FeatureModelMismatch(InvalidInput):
    rtn = -2011
    message = "feature was produced by another model or embedding scheme"
    cause = (
        "The feature string was made by another embedding scheme (FACESAAS_EMBEDDING_SCHEME, e.g. before it "
        "changed) or model dimension than this server runs; scores across schemes are never computed. "
        "Extract it again from the image."
    )


class DocumentNeedsImage(InvalidInput):
    rtn = -2013
    message = "documents are read from images: send mode 1 with user_info.image_content"
    cause = (
        "105.1/105.2/105.3 with mode 2 (feature_content). The manual lists the mode, but a face "
        "feature holds no printed text, so there is nothing to read or judge; the request is refused."
    )


class VideoTooLarge(InvalidInput):
    rtn = -2014
    http_status = 413
    message = "video too large"
    cause = "The uploaded liveness clip exceeds FACESAAS_MAX_VIDEO_BYTES (default 20 MB)."


class CorruptVideo(InvalidInput):
    rtn = -2015
    message = "video cannot be decoded"
    cause = "The clip is not WebM (VP8/VP9) or MP4 (H.264), holds no video stream, or is truncated or corrupt."


class VideoTooLong(InvalidInput):
    rtn = -2016
    http_status = 413
    message = "video too long or too large in pixels"
    cause = (
        "The clip runs longer than FACESAAS_MAX_VIDEO_SECONDS (default 30 s) or its frames are "
        "larger than 1920 × 1080 pixels; nothing past the limit is decoded."
    )


# --- well-formed but unusable (422) ------------------------------------------------------


class NoFaceDetected(FaceSaaSError):
    rtn = -3001
    http_status = 422
    message = "no face detected"
    cause = "The image (the side named in the detail) holds no detectable face."


class TooManyFaces(FaceSaaSError):
    rtn = -3002
    http_status = 422
    message = "more faces than max_faces_allowed"
    cause = "The query image holds more faces than max_faces_allowed permits."


class HolderNotFound(FaceSaaSError):
    rtn = -3003
    http_status = 422
    message = "a hand-held ID photo (query_image_type 302) must show the holder and the card's portrait"
    cause = (
        "Only one face was found in a 302 photo, so whether it is the holder or the card's "
        "portrait cannot be told; comparing the card's portrait would accept anyone holding a "
        "stolen card. Retake the photo with the face and the card in view, or send it as 301."
    )


class FaceQualityTooPoor(FaceSaaSError):
    rtn = -3004
    http_status = 422
    message = "face quality too poor for enrolment"
    cause = (
        "102.1 register from an image: the face fails a check of the enrolment quality gate (size, blur, "
        "pose, exposure, occlusion; the detail names each failed check and its measure). The gate is "
        "FACESAAS_ENROL_QUALITY or the request's options.quality_gate (docs/api.md); nothing was stored. "
        "Retake the photo: frontal, sharp, evenly lit, eyes and mouth uncovered."
    )


# --- face repositories (404/409) ---------------------------------------------------------


class RepoNotFound(FaceSaaSError):
    rtn = -4001
    http_status = 404
    message = "no such face repository"
    cause = "No repository of this AccessID has that repo_name and label (repositories are created by their first register)."


class UserNotFound(FaceSaaSError):
    rtn = -4002
    http_status = 404
    message = "no such user_id in the repository"
    cause = "A delete named a user_id that the repository does not hold."


class DuplicateUserId(FaceSaaSError):
    rtn = -4009
    http_status = 409
    message = "user_id already registered in this repository"
    cause = "Registering an existing user_id never overwrites it: delete it first (mode 3)."


class RepoSchemeMismatch(FaceSaaSError):
    rtn = -4010
    http_status = 409
    message = "repository holds faces of another embedding scheme"
    cause = (
        "The repository (or one of the label's, for a search of all of them) holds vectors made by another "
        "embedding scheme than this server's FACESAAS_EMBEDDING_SCHEME: they are never compared or mixed. "
        "The operator re-embeds it (`facesaas repo re-embed`); deleting its faces (mode 3) still works, and "
        "an emptied repository takes the server's scheme."
    )


# --- H5 video liveness sessions (docs/liveness.md) ----------------------------------------


class LivenessSessionNotFound(FaceSaaSError):
    rtn = -6001
    http_status = 404
    message = "no such liveness session"
    cause = "The session_id is not one of this AccessID's sessions, or the page token is unknown."


class LivenessSessionExpired(FaceSaaSError):
    rtn = -6002
    http_status = 410
    message = "liveness session expired"
    cause = "The session's expiry (expire_seconds after it was created) has passed before a clip was uploaded."


class LivenessSessionUsed(FaceSaaSError):
    rtn = -6003
    http_status = 409
    message = "liveness session already used"
    cause = "A clip was already uploaded with this token: a token admits exactly one clip."


class LivenessPreviewLimit(FaceSaaSError):
    rtn = -6004
    http_status = 429
    message = "too many preview frames for this session"
    cause = "The H5 page sent more live-feedback frames than one session allows (FACESAAS_H5_MAX_PREVIEW_FRAMES)."


# --- routing / server ---------------------------------------------------------------------


class NotFound(FaceSaaSError):
    rtn = -4004
    http_status = 404
    message = "no such endpoint"
    cause = "The URL path is not an endpoint of this service."


class MethodNotAllowed(FaceSaaSError):
    rtn = -4005
    http_status = 405
    message = "method not allowed"
    cause = "The endpoints take POST only."


class Overloaded(FaceSaaSError):
    rtn = -5003
    http_status = 503
    message = "server overloaded, retry later"
    cause = (
        "More requests are waiting for the face engine than FACESAAS_MAX_PENDING allows, or this one waited "
        "FACESAAS_MAX_QUEUE_SECONDS for it; the request was not processed and may be retried."
    )


class QuotaError(FaceSaaSError):
    """A request refused by the customer's quota; ``retry_after`` (seconds) becomes the
    Retry-After header of the 429 answer."""

    http_status = 429

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RateLimited(QuotaError):
    rtn = -5004
    message = "too many requests for this AccessID, retry later"
    cause = (
        "The customer sent more requests in the current second than its per-second limit allows "
        "(`facesaas tenant limits`, default FACESAAS_RATE_LIMIT_PER_SECOND; counted across every worker and host "
        "through Redis); the request was not processed. Retry-After: 1."
    )


class DailyQuotaExceeded(QuotaError):
    rtn = -5005
    message = "daily request quota of this AccessID used up"
    cause = (
        "The customer has sent as many requests this billing day as its daily quota allows (`facesaas tenant "
        "limits --per-day`, default FACESAAS_DAILY_QUOTA); the request was not processed. Retry-After says when "
        "the next billing day starts."
    )


class TooManyConcurrent(QuotaError):
    rtn = -5006
    message = "too many requests of this AccessID in flight, retry later"
    cause = (
        "The customer already has as many requests running as its concurrency limit allows (`facesaas tenant "
        "limits --concurrent`, default FACESAAS_CONCURRENT_PER_TENANT), across every worker and host; the "
        "request was not processed. Retry-After: 1."
    )


class ServiceUnavailable(FaceSaaSError):
    rtn = -5002
    http_status = 503
    message = "a backing service is unavailable, retry later"
    cause = (
        "The database, Redis or the Milvus vector service did not answer; nothing was changed by this "
        "request. The service recovers by itself when the backing service is back (see /readyz)."
    )


class StorageFull(FaceSaaSError):
    rtn = -5007
    http_status = 507
    message = "the server's storage is full: nothing was stored, retry later"
    cause = (
        "The file system of the data directory (face images) or the database ran out of space (ENOSPC, "
        "SQLite's SQLITE_FULL, PostgreSQL's disk_full); the request changed nothing. Searches and extraction "
        "keep working; writes work again, without a restart, once the operator frees space (docs/reliability.md)."
    )


class AuditUnavailable(FaceSaaSError):
    rtn = -5013
    http_status = 503
    message = "the decision could not be recorded in the audit log, retry later"
    cause = (
        "The answer was withheld because its audit row could not be written (the database did not answer or "
        "refused the write; docs/security.md, \"The audit log\"). The work itself may have been done: a 102.1 "
        "register or delete may have taken effect and a liveness package counts as used; read the state back "
        "(103.1, 101.5) before repeating such a call."
    )


class InternalError(FaceSaaSError):
    rtn = -5000
    http_status = 500
    message = "internal error"
    cause = "A bug or an unexpected failure of a model or the database; the log has the request id."


class ConfigurationError(FaceSaaSError):
    """Raised at start-up or by the CLI for a broken installation. Only the secrets-at-rest
    subclasses below reach a client, when a stored secret a request needs cannot be opened."""

    rtn = -5001
    http_status = 500
    message = "server misconfigured"
    cause = "Missing server key pair, model file checksum mismatch, unreadable data directory."


# --- secrets at rest (facesaas.vault, docs/security.md "Secrets at rest") ----------------


class SecretKeyUnavailable(ConfigurationError):
    rtn = -5010
    message = "a stored secret is sealed under a master key this server does not have"
    cause = (
        "A server-side secret (a customer's liveness package key, the server private key) was sealed under a "
        "master key that is neither FACESAAS_MASTER_KEY nor one of FACESAAS_MASTER_KEYS_PREVIOUS: the old key was "
        "removed before `facesaas secrets rotate` ran, or the database comes from another deployment. A server "
        "problem, not the client's: the operator restores the key (`facesaas secrets status` names the key ids in use)."
    )


class SecretIntegrityError(ConfigurationError):
    rtn = -5011
    message = "a stored secret failed its integrity check"
    cause = (
        "A sealed server-side secret does not authenticate under the master key its header names: its bytes were "
        "changed, or it was copied from another row or file (each value is bound to its place), or it is stored in "
        "clear where a sealed value is required. A server problem: the operator restores the value from a backup."
    )


class MasterKeyError(ConfigurationError):
    rtn = -5012
    message = "master key setting missing or malformed"
    cause = (
        "FACESAAS_MASTER_KEY is unset on a staging or production cluster (required there), or it or an entry of "
        "FACESAAS_MASTER_KEYS_PREVIOUS is not the standard base64 of 32 bytes (`facesaas secrets generate-key` "
        "prints one), or <keys_dir>/master.key is unreadable. Raised at start-up and by the CLI."
    )


ERROR_CLASSES: tuple[type[FaceSaaSError], ...] = (
    MissingAuthHeaders,
    UnknownAccessId,
    DisabledAccessId,
    BadSignature,
    WrongAccessKey,
    BodyDigestMismatch,
    StaleTimestamp,
    ReplayedRequest,
    WrongCluster,
    ConsoleLoginRequired,
    ConsoleLoginFailed,
    ConsoleLoginThrottled,
    ConsoleCsrfRejected,
    ConsoleOriginRejected,
    ConsoleUnknownTenant,
    ConsoleTenantConflict,
    InvalidJson,
    MissingParameter,
    InvalidParameter,
    BodyTooLarge,
    InvalidBase64,
    ImageTooLarge,
    UnsupportedImageFormat,
    CorruptImage,
    ImageDimensionsTooLarge,
    InvalidFeature,
    FeatureModelMismatch,
    DocumentNeedsImage,
    NoFaceDetected,
    TooManyFaces,
    HolderNotFound,
    FaceQualityTooPoor,
    VideoTooLarge,
    CorruptVideo,
    VideoTooLong,
    LivenessSessionNotFound,
    LivenessSessionExpired,
    LivenessSessionUsed,
    LivenessPreviewLimit,
    RepoNotFound,
    UserNotFound,
    DuplicateUserId,
    RepoSchemeMismatch,
    NotFound,
    MethodNotAllowed,
    InternalError,
    ConfigurationError,
    SecretKeyUnavailable,
    SecretIntegrityError,
    MasterKeyError,
    ServiceUnavailable,
    StorageFull,
    Overloaded,
    AuditUnavailable,
    RateLimited,
    DailyQuotaExceeded,
    TooManyConcurrent,
)
"""Every concrete error, in table order; codes are unique (checked by the test suite)."""


def errors_markdown() -> str:
    """Render the error table of docs/errors.md from :data:`ERROR_CLASSES`."""
    lines = [
        "| rtn | HTTP | class | message | cause |",
        "|---:|---:|---|---|---|",
    ]
    for cls in ERROR_CLASSES:
        lines.append(f"| {cls.rtn} | {cls.http_status} | `{cls.__name__}` | {cls.message} | {cls.cause} |")
    return "\n".join(lines) + "\n"
