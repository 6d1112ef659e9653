"""InfluxDB 1.x over HTTP: line protocol to /write, InfluxQL reads from /query."""

from __future__ import annotations

import gzip
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from core.reading import FieldValue, from_ns, to_ns
from core.registry import AssetInfo
from storage.influxql import quote_ident, quote_literal
from storage.lineprotocol import encode
from storage.points import Point
from storage.store import (
    Aggregate,
    Sample,
    StoredValue,
    StoreRejected,
    StoreUnavailable,
    bucket_micros,
    check_aggregate,
)

# InfluxDB's representable time range (influxql.MinTime / MaxTime); query bounds are clamped to it.
_MIN_NS = -9_223_372_036_854_775_806
_MAX_NS = 9_223_372_036_854_775_806


class InfluxQLError(Exception):
    """InfluxDB refused a query (syntax, missing database, authorization)."""


class InfluxV1Store:
    """A ReadingStore on InfluxDB 1.x (or 2.x's v1-compatible API with an `Authorization: Token` header)."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        retention_policy: str = "",
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.retention_policy = retention_policy
        auth = (username, password or "") if username else None
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, auth=auth, headers=headers)
        # measurement -> field -> InfluxDB type name; JSON loses float vs integer for whole numbers.
        self._field_types: dict[str, dict[str, str]] = {}
        # Set when the database could not be created at start (InfluxDB down): the first write creates it.
        self.create_on_write = False

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def ensure_database(self) -> None:
        """Create the database if it does not exist (CREATE DATABASE is idempotent)."""
        self._post_query(f"CREATE DATABASE {quote_ident(self.database)}")
        self.create_on_write = False

    def write(self, points: Sequence[Point]) -> None:
        """Write points as gzipped line protocol; StoreUnavailable to retry, StoreRejected for bad data."""
        if not points:
            return
        if self.create_on_write:
            self.ensure_database()
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
        """The last stored value and time of each field of the asset."""
        self._field_types.pop(asset.measurement, None)  # fields added since the last look count too
        types = self._types(asset.measurement, [])
        if not types:
            return None
        names = sorted(types)
        # One raw select per field in one request: last() over several fields drops their own times in 1.x.
        statements = "; ".join(
            self._statement(asset, quote_ident(name), tail="ORDER BY time DESC LIMIT 1") for name in names
        )
        fields: dict[str, FieldValue] = {}
        times: dict[str, datetime] = {}
        for name, rows in zip(names, self._select(statements), strict=True):
            if rows and rows[0][1] is not None:
                sample = _sample(rows[0], types.get(name))
                fields[name], times[name] = sample.value, sample.ts
        if not times:
            return None
        return StoredValue(ts=max(times.values()), fields=fields, times=times)

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
        """Raw samples of `field` in [start, end), or `aggregate` per epoch-aligned bucket of `every`."""
        if not isinstance(aggregate, Aggregate):
            raise ValueError(f"aggregate must be an Aggregate member, not {aggregate!r}")
        duration = _duration(every) if every is not None else None
        start_ns, end_ns = _bound(start), _bound(end)
        if start_ns >= end_ns:
            return []
        field_type = self._types(asset.measurement, [field]).get(field)
        window = (f"time >= {start_ns}ns", f"time < {end_ns}ns")
        if duration is None:
            (rows,) = self._select(self._statement(asset, quote_ident(field), *window))
            return [Sample(from_ns(int(row[0])), _decode(row[1], field_type)) for row in rows]
        check_aggregate(aggregate, field_type, field)
        # aggregate.value is one of the enum's fixed names, never caller text.
        selector = f"{aggregate.value}({quote_ident(field)})"
        (rows,) = self._select(self._statement(asset, selector, *window, tail=f"GROUP BY time({duration}) fill(none)"))
        return [Sample(from_ns(int(row[0])), _decode_aggregate(row[1], aggregate, field_type)) for row in rows]

    def first_last(self, asset: AssetInfo, field: str, start: datetime, end: datetime) -> tuple[Sample, Sample] | None:
        """The first and last sample of `field` in [start, end), or None when there is none."""
        start_ns, end_ns = _bound(start), _bound(end)
        if start_ns >= end_ns:
            return None
        # Two raw selects, not first()/last() in one statement: 1.x drops their own timestamps then.
        window = (f"time >= {start_ns}ns", f"time < {end_ns}ns")
        first, last = self._select(
            self._statement(asset, quote_ident(field), *window, tail="ORDER BY time ASC LIMIT 1")
            + "; "
            + self._statement(asset, quote_ident(field), *window, tail="ORDER BY time DESC LIMIT 1")
        )
        if not first or not last:
            return None
        field_type = self._types(asset.measurement, [field]).get(field)
        return _sample(first[0], field_type), _sample(last[0], field_type)

    def last_before(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The newest sample of `field` strictly before `when`."""
        return self._one(asset, field, f"time < {_bound(when)}ns", "DESC")

    def first_at_or_after(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The oldest sample of `field` at or after `when`."""
        return self._one(asset, field, f"time >= {_bound(when)}ns", "ASC")

    def _one(self, asset: AssetInfo, field: str, condition: str, order: str) -> Sample | None:
        (rows,) = self._select(
            self._statement(asset, quote_ident(field), condition, tail=f"ORDER BY time {order} LIMIT 1")
        )
        if not rows:
            return None
        return _sample(rows[0], self._types(asset.measurement, [field]).get(field))

    def _statement(self, asset: AssetInfo, selector: str, *conditions: str, tail: str = "") -> str:
        """SELECT `selector` over the asset's series; `selector`, `conditions` and `tail` are built by
        this module from quoted names, enum values and integers, never from caller text."""
        where = f"WHERE {quote_ident(asset.id_tag)} = {quote_literal(asset.asset_id)}"
        if "site" in asset.tags:  # one database for a company's sites (Grafana's $site): two may name an asset alike
            where += f" AND {quote_ident('site')} = {quote_literal(asset.tags['site'])}"
        where += "".join(f" AND {condition}" for condition in conditions)
        statement = f"SELECT {selector} FROM {self._source(asset.measurement)} {where}"  # noqa: S608 (all quoted)
        return f"{statement} {tail}" if tail else statement

    def _source(self, measurement: str) -> str:
        # Reads must name the retention policy the writes went to, or they see the default one.
        quoted = quote_ident(measurement)
        return f"{quote_ident(self.retention_policy)}.{quoted}" if self.retention_policy else quoted

    def _types(self, measurement: str, fields: Sequence[str]) -> dict[str, str]:
        """Field types of a measurement, asking InfluxDB again when one of `fields` is not known yet."""
        known = self._field_types.get(measurement)
        if known is None or any(f not in known for f in fields):
            (rows,) = self._select(f"SHOW FIELD KEYS FROM {self._source(measurement)}")
            # Replaced whole, so a reader in another thread never sees a half-filled dict.
            known = {str(name): str(kind) for name, kind in rows}
            self._field_types[measurement] = known
        return known

    def _select(self, influxql: str, *, columns: bool = False) -> list[list[Any]]:
        """Per statement, the value rows of its series (or (columns, values) pairs with `columns`)."""
        statements: list[list[Any]] = []
        results = sorted(self._post_query(influxql, read=True), key=lambda r: int(r.get("statement_id", 0)))
        for result in results:
            rows: list[Any] = []
            for series in result.get("series", []):
                for values in series.get("values", []):
                    rows.append((series["columns"], values) if columns else values)
            statements.append(rows)
        return statements

    def _post_query(self, influxql: str, *, read: bool = False) -> list[dict[str, Any]]:
        data = {"q": influxql, "db": self.database, "epoch": "ns"}
        try:
            response = self._http.post("/query", data=data)
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.url} unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise StoreUnavailable(f"InfluxDB at {self.url} answered {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            detail = response.text[:300]
            raise InfluxQLError(f"InfluxDB at {self.url} answered {response.status_code}: {detail}") from None
        if "error" in payload:
            raise InfluxQLError(payload["error"])
        results: list[dict[str, Any]] = payload.get("results", []) if isinstance(payload, dict) else []
        for result in results:
            if "error" in result:
                raise InfluxQLError(result["error"])
            if not influxql.upper().startswith("SHOW DATABASES") and any(
                series.get("name") == "databases" for series in result.get("series", [])
            ):  # VictoriaMetrics' answer to any InfluxQL: writes work there, reads cannot
                raise StoreUnavailable(
                    f"the store at {self.url} answers no InfluxQL (it replied with its database list): "
                    "VictoriaMetrics takes writes only; reads need InfluxDB (docs/scaling.md)"
                )
        return results


def _bound(when: datetime) -> int:
    return min(max(to_ns(when), _MIN_NS), _MAX_NS)


def _duration(every: timedelta) -> str:
    """An InfluxQL duration literal from a positive timedelta: whole seconds as `<n>s`, else `<n>u`."""
    micros = bucket_micros(every, _MAX_NS)
    return f"{micros // 1_000_000}s" if micros % 1_000_000 == 0 else f"{micros}u"


def _decode(value: Any, field_type: str | None) -> FieldValue:
    # Go's JSON writes the float 5.0 as 5; the field's declared type says which it was.
    if field_type == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    result: FieldValue = value
    return result


def _decode_aggregate(value: Any, aggregate: Aggregate, field_type: str | None) -> FieldValue:
    if aggregate is Aggregate.MEAN:
        return float(value)
    if aggregate is Aggregate.COUNT:
        return int(value)
    return _decode(value, field_type)


def _sample(row: Sequence[Any], field_type: str | None) -> Sample:
    return Sample(from_ns(int(row[0])), _decode(row[1], field_type))
