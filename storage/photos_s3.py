"""The S3 client behind the photo bucket (boto3, the optional extra `facilities[s3]`) and its reachability probe.

storage/photos.py's `S3PhotoBackend` works with any boto3-style client; this module makes the real one, so that
boto3 is imported only when a bucket is configured. The probe asks `head_bucket` with a short timeout and keeps
the answer for a while: /health and the Prometheus scrape ask it often, and neither may wait on a dead server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from storage.photos import s3_error_code

INSTALL_HINT = "pip install 'facilities[s3]'"
DATA_TIMEOUTS = (3.0, 30.0, 3)  # connect s, read s, attempts: an 8 MB photo over a slow uplink
PROBE_TIMEOUTS = (2.0, 2.0, 1)  # /health must answer within its own few seconds
PROBE_TTL_S = 30.0

# head_bucket answers without a body, so its codes are bare HTTP statuses; a GET names them.
_MISSING = frozenset({"404", "NoSuchBucket", "NotFound"})
_REFUSED = frozenset(
    {"301", "400", "401", "403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
     "ExpiredToken", "AuthorizationHeaderMalformed", "PermanentRedirect", "InvalidClientTokenId"}
)  # fmt: skip
_NO_CREDENTIALS = frozenset({"NoCredentialsError", "PartialCredentialsError"})


class Boto3Missing(RuntimeError):
    """A bucket is configured but boto3 is not installed."""


class ClientFactory(Protocol):
    def __call__(self, *, endpoint: str | None, region: str | None, timeouts: tuple[float, float, int]) -> Any: ...


def s3_client(*, endpoint: str | None, region: str | None, timeouts: tuple[float, float, int]) -> Any:
    """A boto3 S3 client; credentials from boto3's own chain. A custom endpoint (MinIO, Ceph) gets path-style
    addressing (bucket in the path), which they serve without wildcard DNS."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise Boto3Missing(f"boto3 is not installed: {INSTALL_HINT}") from exc
    connect_s, read_s, attempts = timeouts
    config = Config(
        connect_timeout=connect_s,
        read_timeout=read_s,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint else None,
    )
    # A session of its own: boto3.client() shares a default session that keeps the credentials it found first.
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint, region_name=region, config=config)


class BucketState(StrEnum):
    OK = "ok"
    MISSING = "missing"  # no such bucket: a setting to fix
    REFUSED = "refused"  # credentials missing, unknown or not allowed: a setting to fix
    UNREACHABLE = "unreachable"  # no answer (network, server down, timeout): may pass


@dataclass(frozen=True)
class BucketAnswer:
    state: BucketState
    detail: str
    checked_at: float  # the probe's monotonic clock


def classify(exc: BaseException) -> BucketState:
    """What a failed `head_bucket` means, from the error's code (or, for botocore's own errors, its class)."""
    code = s3_error_code(exc)
    if code in _MISSING:
        return BucketState.MISSING
    if code in _REFUSED or type(exc).__name__ in _NO_CREDENTIALS:
        return BucketState.REFUSED
    return BucketState.UNREACHABLE


class BucketProbe:
    """Whether the photo bucket answers, asked at most once per `ttl_s` (one caller at a time asks)."""

    def __init__(
        self, client: Any, bucket: str, *, ttl_s: float = PROBE_TTL_S, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._last: BucketAnswer | None = None
        self._lock = threading.Lock()

    def check(self, *, fresh: bool = False) -> BucketAnswer:
        """The last answer while it is younger than `ttl_s`, else a new one (`fresh`: always a new one)."""
        with self._lock:
            last = self._last
            if not fresh and last is not None and self.monotonic() - last.checked_at < self.ttl_s:
                return last
            self._last = self._ask()
            return self._last

    def _ask(self) -> BucketAnswer:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            state = classify(exc)
            return BucketAnswer(state, _detail(state, self.bucket, exc), self.monotonic())
        return BucketAnswer(BucketState.OK, f"bucket {self.bucket} answers", self.monotonic())


def _detail(state: BucketState, bucket: str, exc: BaseException) -> str:
    reason = s3_error_code(exc) or f"{type(exc).__name__}: {exc}"
    if state is BucketState.MISSING:
        return f"bucket {bucket} does not exist ({reason}); create it, or correct the name in FACILITIES_PHOTOS_STORE"
    if type(exc).__name__ in _NO_CREDENTIALS:
        return f"no credentials for bucket {bucket} ({reason}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    if state is BucketState.REFUSED:
        return (
            f"bucket {bucket} refused us ({reason}); check that AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY name a key "
            "that may read and write it, and FACILITIES_PHOTOS_S3_REGION (a 301 or 400 means another region)"
        )
    return f"bucket {bucket} did not answer ({reason})"
