"""InfluxDB 2.x / 3.x / 1.8+ over the v2 write API (token, org, bucket); reads via InfluxQL on `/query`.

Writes go through influxdb-client's *synchronous* write API: a call returns only once the server has
answered, which is what the spool needs before it deletes a batch. The client's batching mode is never
used, because it buffers in memory and drops what it holds when the process exits.

Reads reuse the v1 store: InfluxDB 2.x answers InfluxQL on its v1-compatible `/query` endpoint once a
database/retention policy (DBRP) is mapped to the bucket, see `InfluxV2Store.ensure_dbrp`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import urllib3
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.dbrp_create import DBRPCreate
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException
from influxdb_client.service.dbr_ps_service import DBRPsService

from core.registry import AssetInfo
from storage.influx import InfluxV1Store
from storage.lineprotocol import encode
from storage.points import Point
from storage.store import Aggregate, Sample, StoredValue, StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)

# The retention policy a DBRP mapping gets when the bucket name does not carry one ("db/rp").
DEFAULT_RP = "autogen"

# Statuses that mean "these points are bad": retrying the same bytes cannot succeed (bisect, dead-letter).
_REJECTED = {400, 413, 422}


class InfluxQLReader(Protocol):
    """The read side of a ReadingStore, as `InfluxV1Store` offers it over InfluxQL."""

    def latest(self, asset: AssetInfo) -> StoredValue | None: ...

    def history(
        self,
        asset: AssetInfo,
        field: str,
        start: datetime,
        end: datetime,
        *,
        every: timedelta | None = None,
        aggregate: Aggregate = Aggregate.MEAN,
    ) -> list[Sample]: ...

    def first_last(
        self, asset: AssetInfo, field: str, start: datetime, end: datetime
    ) -> tuple[Sample, Sample] | None: ...

    def last_before(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None: ...

    def first_at_or_after(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None: ...

    def close(self) -> None: ...


class InfluxV2Store:
    """A ReadingStore writing line protocol to `/api/v2/write` and reading with InfluxQL.

    Works with InfluxDB 2.x (and Cloud), InfluxDB 3.x, InfluxDB 1.8+ (token `user:password`, bucket
    `db/rp`) and other peers of the v2 write API such as VictoriaMetrics (writes only: it has no InfluxQL).
    """

    def __init__(
        self,
        url: str,
        *,
        token: str,
        org: str,
        bucket: str,
        timeout_s: float = 10.0,
        reader: InfluxQLReader | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.org = org
        self.bucket = bucket
        self.timeout_s = timeout_s
        self._token = token
        # A bucket "db/rp" is how InfluxDB 1.8 and virtual DBRP mappings name a database and its policy.
        self.database, _, rp = bucket.partition("/")
        self.retention_policy = rp or DEFAULT_RP
        # influxdb-client is only partly annotated; its objects are handled as untyped.
        self._client: Any = InfluxDBClient(
            url=self.url,
            token=token,
            org=org,
            timeout=int(timeout_s * 1000),  # the client counts in milliseconds
            enable_gzip=True,
            # No client-side retries: the spool writer retries with backoff and keeps the data meanwhile.
            retries=False,
        )
        self._write_api: Any = self._client.write_api(write_options=SYNCHRONOUS)
        self._reader = reader
        self._owns_reader = reader is None
        # Set when the DBRP mapping could not be made at start (InfluxDB down): the first write makes it.
        self.map_on_write = False

    # -- writes -------------------------------------------------------------------------------------

    def write(self, points: Sequence[Point]) -> None:
        """Store all points or raise StoreUnavailable (keep, retry later) / StoreRejected (bad points)."""
        if not points:
            return
        if self._write_api is None:
            raise RuntimeError(f"InfluxV2Store for {self.url} is closed")
        if self.map_on_write:
            self.ensure_dbrp()
        body = encode(points)
        try:
            self._write_api.write(bucket=self.bucket, org=self.org, record=body, write_precision=WritePrecision.NS)
        except ApiException as exc:
            raise self._api_error(exc, "write") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            # Refused connections, resets and timeouts: urllib3 errors (retries are off) or plain OSErrors.
            raise StoreUnavailable(f"InfluxDB at {self.url} unreachable: {exc}") from exc

    def _api_error(self, exc: ApiException, action: str) -> StoreUnavailable | StoreRejected:
        """The store exception for an HTTP error answer from the server."""
        return map_api_error(
            status=int(exc.status or 0),
            detail=_detail(exc),
            url=self.url,
            org=self.org,
            bucket=self.bucket,
            action=action,
        )

    # -- setup --------------------------------------------------------------------------------------

    def server_version(self) -> tuple[str, str] | None:
        """(version, build) from the `/ping` headers, or None when the server does not answer /ping with 2xx."""
        try:
            response = httpx.get(f"{self.url}/ping", timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.url} unreachable: {exc}") from exc
        if not response.is_success:
            return None
        return response.headers.get("X-Influxdb-Version", ""), response.headers.get("X-Influxdb-Build", "")

    def ensure_dbrp(self) -> bool:
        """Map the database to the bucket (see `_map_dbrp`); StoreUnavailable while InfluxDB is down."""
        created = self._map_dbrp()
        self.map_on_write = False
        return created

    def _map_dbrp(self) -> bool:
        """Map database `self.database` / policy `self.retention_policy` to the bucket for InfluxQL reads.

        Only InfluxDB 2.x (OSS or Cloud) has DBRP mappings; on any other server (InfluxDB 1.8 or 3.x,
        VictoriaMetrics) this logs and does nothing. Idempotent: an explicit mapping that exists is kept.
        Returns True when a mapping was created.
        """
        version = self.server_version()
        if version is None or not is_influxdb2(*version):
            log.info("InfluxDB at %s is not an InfluxDB 2.x (ping: %s); no DBRP mapping needed", self.url, version)
            return False
        dbrps: Any = DBRPsService(self._client.api_client)  # type: ignore[no-untyped-call]
        try:
            existing = dbrps.get_dbr_ps(org=self.org, db=self.database, rp=self.retention_policy)
            # A virtual mapping (made by InfluxDB from the bucket name) is read-only and not on every 2.x; an
            # explicit one is durable, so only an explicit mapping counts as done.
            if any(not mapping.virtual for mapping in existing.content or []):
                log.info("DBRP %s/%s already mapped on %s", self.database, self.retention_policy, self.url)
                return False
            buckets = self._client.buckets_api().find_buckets(org=self.org, name=self.bucket).buckets or []
            if not buckets:
                raise StoreUnavailable(
                    f"InfluxDB at {self.url}: no bucket {self.bucket!r} in org {self.org!r}; create it first"
                )
            mapping = DBRPCreate(  # type: ignore[no-untyped-call]
                org=self.org,
                bucket_id=buckets[0].id,
                database=self.database,
                retention_policy=self.retention_policy,
                default=True,
            )
            dbrps.post_dbrp(mapping)
        except ApiException as exc:
            raise self._api_error(exc, "DBRP mapping") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreUnavailable(f"InfluxDB at {self.url} unreachable: {exc}") from exc
        log.info("mapped DBRP %s/%s to bucket %s on %s", self.database, self.retention_policy, self.bucket, self.url)
        return True

    # -- reads (InfluxQL through the v1-compatible /query endpoint) -----------------------------------

    def _read(self) -> InfluxQLReader:
        # Built on first read: an ingest process only writes and never needs the query connection.
        if self._reader is None:
            reader: InfluxQLReader = InfluxV1Store(
                self.url,
                self.database,
                retention_policy=self.retention_policy if "/" in self.bucket else "",
                timeout_s=self.timeout_s,
                headers={"Authorization": f"Token {self._token}"},
            )
            self._reader = reader
        return self._reader

    def latest(self, asset: AssetInfo) -> StoredValue | None:
        """The newest values of an asset's fields."""
        return self._read().latest(asset)

    def history(
        self,
        asset: AssetInfo,
        field: str,
        start: datetime,
        end: datetime,
        *,
        every: timedelta | None = None,
        aggregate: Aggregate = Aggregate.MEAN,
    ) -> list[Sample]:
        """Samples of one field in [start, end), raw or aggregated per `every`."""
        return self._read().history(asset, field, start, end, every=every, aggregate=aggregate)

    def first_last(self, asset: AssetInfo, field: str, start: datetime, end: datetime) -> tuple[Sample, Sample] | None:
        """The first and last sample of a field in [start, end)."""
        return self._read().first_last(asset, field, start, end)

    def last_before(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The newest sample strictly before `when`."""
        return self._read().last_before(asset, field, when)

    def first_at_or_after(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The oldest sample at or after `when`."""
        return self._read().first_at_or_after(asset, field, when)

    def close(self) -> None:
        """Release the HTTP connections (and the reader, when this store built it)."""
        if self._write_api is not None:
            self._write_api.close()
            self._client.close()
            # The client's ApiClient disposes its pool again when collected; dropping our references lets
            # that happen now rather than at interpreter shutdown, where it fails noisily.
            self._write_api = self._client = None
        if self._owns_reader and self._reader is not None:
            self._reader.close()
            self._reader = None


def is_influxdb2(version: str, build: str) -> bool:
    """Whether `/ping`'s X-Influxdb-Version / X-Influxdb-Build name an InfluxDB 2.x (which has DBRP mappings)."""
    major = version.strip().lstrip("vV").split(".", 1)[0]
    if major:
        return major == "2"
    # InfluxDB Cloud (TSM) may send only its build name; it has the 2.x DBRP API.
    return build.strip().lower() == "cloud"


def map_api_error(
    *, status: int, detail: str, url: str, org: str, bucket: str, action: str = "write"
) -> StoreUnavailable | StoreRejected:
    """The store exception for an HTTP error answer.

    Only a verdict on the data itself (400 malformed, 413 too large, 422 unprocessable) is StoreRejected.
    Authentication and missing org/bucket are configuration problems: retrying will not help until an
    operator fixes them, but the data must not be dropped meanwhile, so they are StoreUnavailable, as are
    429, 5xx, redirects and anything unexpected.
    """
    where = f"InfluxDB at {url}"
    if status in _REJECTED:
        return StoreRejected(f"{where} rejected the {action} ({status}): {detail}")
    if status == 401:
        return StoreUnavailable(f"{where} refused the token (401 Unauthorized) for org {org!r}: {detail}")
    if status == 403:
        return StoreUnavailable(
            f"{where}: the token lacks permission for the {action} on bucket {bucket!r} of org {org!r} "
            f"(403 Forbidden): {detail}"
        )
    if status == 404:
        return StoreUnavailable(f"{where}: org {org!r} or bucket {bucket!r} not found (404): {detail}")
    if status == 429:
        return StoreUnavailable(f"{where} is throttling writes (429): {detail}")
    if status == 0:
        # The client reports TLS failures as status 0.
        return StoreUnavailable(f"{where} unreachable: {detail}")
    return StoreUnavailable(f"{where} answered {status} to the {action}: {detail}")


def _detail(exc: ApiException) -> str:
    """The server's error message (JSON `message` when present), shortened for logs and dead letters."""
    message: Any = getattr(exc, "message", None) or exc.body or exc.reason or ""
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message)[:500]
