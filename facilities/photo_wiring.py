"""The photo store FACILITIES_PHOTOS_* choose, built once for the checklists (maintenance) and the patrols.

`folder` keeps photos under `<data_dir>/photos`; `s3://bucket/prefix` in an S3-compatible bucket through boto3
(the extra `facilities[s3]`). Either way FACILITIES_PHOTOS_MAX_MB bounds an upload. A bucket is asked once at
start: one that does not exist or refuses our credentials stops the hub with the variable to fix; one that does
not answer is logged and the hub starts anyway (readings and alarms do not need it), its /health check
`photos` (facilities/health.py) degraded until it answers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.photo_location import STORE
from core.settings import Settings
from facilities.errors import SetupError
from storage.photos import PhotoStore, S3PhotoBackend
from storage.photos_s3 import (
    DATA_TIMEOUTS,
    PROBE_TIMEOUTS,
    Boto3Missing,
    BucketProbe,
    BucketState,
    ClientFactory,
    s3_client,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Photos:
    """The store, and for a bucket the probe that /health asks."""

    store: PhotoStore
    probe: BucketProbe | None = None


def photos_from_settings(settings: Settings, *, clients: ClientFactory = s3_client) -> Photos:
    """The photo store of FACILITIES_PHOTOS_STORE with FACILITIES_PHOTOS_MAX_MB; SetupError naming what to fix.

    `clients` makes the S3 clients (tests pass their own).
    """
    location = settings.photos_s3
    if location is None:
        return Photos(PhotoStore.in_folder(settings.data_dir, max_bytes=settings.photos_max_bytes))
    where = {"endpoint": settings.photos_s3_endpoint, "region": settings.photos_s3_region}
    try:
        client = clients(**where, timeouts=DATA_TIMEOUTS)
        probe = BucketProbe(clients(**where, timeouts=PROBE_TIMEOUTS), location.bucket)
    except Boto3Missing as exc:
        raise SetupError(f"{STORE}={location} needs boto3: {exc}") from None
    except Exception as exc:  # botocore refuses a client: a region or endpoint it cannot use
        raise SetupError(f"{STORE}={location}: cannot make an S3 client: {type(exc).__name__}: {exc}") from None
    answer = probe.check(fresh=True)
    if answer.state in {BucketState.MISSING, BucketState.REFUSED}:
        raise SetupError(f"{STORE}={location}: {answer.detail}")
    if answer.state is BucketState.UNREACHABLE:
        log.warning("%s=%s: %s; starting anyway: photo uploads fail until it answers", STORE, location, answer.detail)
    backend = S3PhotoBackend(client, location.bucket, location.prefix)
    return Photos(PhotoStore(backend, max_bytes=settings.photos_max_bytes), probe)
