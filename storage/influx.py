"""InfluxDB 1.x over HTTP: line protocol to /write, InfluxQL reads from /query."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import Any

import httpx

from core.reading import from_ns
from core.registry import AssetInfo
from storage.influxql import quote_ident, quote_literal
from storage.lineprotocol import encode
from storage.points import Point
from storage.store import StoredValue, StoreRejected, StoreUnavailable


class InfluxQLError(Exception):
    pass


class InfluxV1Store:
    def __init__(
        self,
        url: str,
        database: str,
        *,
        retention_policy: str = "",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.retention_policy = retention_policy
        auth = (username, password or "") if username else None
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, auth=auth)

    def close(self) -> None:
        self._http.close()

    def ensure_database(self) -> None:
        self._post_query(f"CREATE DATABASE {quote_ident(self.database)}")

    def write(self, points: Sequence[Point]) -> None:
        if not points:
            return
        params = {"db": self.database, "precision": "ns"}
        if self.retention_policy:
            params["rp"] = self.retention_policy
        body = gzip.compress(encode(points), compresslevel=1)
        try:
            response = self._http.post("/write", params=params, content=body, headers={"Content-Encoding": "gzip"})
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise StoreUnavailable(f"InfluxDB at {self.url} answered {response.status_code}: {response.text[:300]}")
        if response.status_code >= 400:
            raise StoreRejected(f"InfluxDB at {self.url} rejected the write: {response.text[:500]}")

    def query(self, influxql: str) -> list[dict[str, Any]]:
        """Rows of every series (tags merged in), times as epoch nanoseconds."""
        rows: list[dict[str, Any]] = []
        for result in self._post_query(influxql, read=True):
            for series in result.get("series", []):
                tags = series.get("tags", {})
                for values in series["values"]:
                    rows.append({**tags, **dict(zip(series["columns"], values, strict=True))})
        return rows

    def latest(self, asset: AssetInfo) -> StoredValue | None:
        query = (
            f"SELECT * FROM {quote_ident(asset.measurement)} "  # noqa: S608 (every value is quoted)
            f"WHERE {quote_ident(asset.id_tag)} = {quote_literal(asset.asset_id)} ORDER BY time DESC LIMIT 1"
        )
        rows = self.query(query)
        if not rows:
            return None
        row = rows[0]
        ts = from_ns(int(row.pop("time")))
        fields = {k: v for k, v in row.items() if v is not None and k not in asset.tags and k not in _TAG_KEYS}
        return StoredValue(ts=ts, fields=fields)

    def _post_query(self, influxql: str, *, read: bool = False) -> list[dict[str, Any]]:
        data = {"q": influxql, "db": self.database, "epoch": "ns"}
        try:
            response = self._http.post("/query", data=data)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise StoreUnavailable(f"InfluxDB at {self.url} answered {response.status_code}")
        payload = response.json()
        if "error" in payload:
            raise InfluxQLError(payload["error"])
        results: list[dict[str, Any]] = payload.get("results", [])
        for result in results:
            if "error" in result:
                raise InfluxQLError(result["error"])
        return results


# Tag keys any asset may carry; SELECT * returns them as columns next to the fields.
_TAG_KEYS = {"site", "building", "unit", "area", "utility", "meter_id", "elevator_id", "circuit_id"}
