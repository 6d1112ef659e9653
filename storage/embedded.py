"""Readings in one SQLite file: the store when no InfluxDB is configured (demo, small sites).

It keeps InfluxDB's data model so either store can stand behind the ReadingStore port:

* ``series``: one row per measurement + tag set (the series key: non-empty tags sorted by key);
* ``series_tags``: every tag of every series, the index that finds an asset's series by its id tag;
* ``field_types``: the type of each field per measurement, fixed on first write like InfluxDB's;
* ``points``: one row per (series, field, timestamp). Writing the same series and timestamp again
  replaces the fields it names and keeps the others, as InfluxDB merges the fields of a point.

The primary key of ``points`` is (series_id, field, ts_ns), so a field's history, the sample
before or after a boundary and a bucketed aggregate are range scans of one b-tree.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from core.reading import FieldValue, from_ns, to_ns
from core.registry import AssetInfo
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

# SQLite integers are signed 64-bit; query bounds are clamped to that range.
_MIN_NS = -(2**63)
_MAX_NS = 2**63 - 1

# The field types InfluxDB 1.x knows, under the names SHOW FIELD KEYS uses.
_FLOAT, _INTEGER, _BOOLEAN, _STRING = "float", "integer", "boolean", "string"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id          INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    tagset      TEXT NOT NULL,  -- JSON [[key, value], ...] sorted by key
    UNIQUE (measurement, tagset)
);
CREATE TABLE IF NOT EXISTS series_tags (
    measurement TEXT NOT NULL,
    tag         TEXT NOT NULL,
    value       TEXT NOT NULL,
    series_id   INTEGER NOT NULL REFERENCES series (id),
    PRIMARY KEY (measurement, tag, value, series_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS field_types (
    measurement TEXT NOT NULL,
    field       TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('float', 'integer', 'boolean', 'string')),
    PRIMARY KEY (measurement, field)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (
    series_id INTEGER NOT NULL REFERENCES series (id),
    field     TEXT NOT NULL,
    ts_ns     INTEGER NOT NULL,
    value     NOT NULL,  -- no declared type, so no affinity: REAL stays REAL, TEXT stays TEXT
    PRIMARY KEY (series_id, field, ts_ns)
) WITHOUT ROWID;
"""

# Every query below starts from the asset's series, found by the id tag as InfluxDB's
# WHERE "meter_id" = '…' finds them; parameters: measurement, id tag, asset id, then field.
_FIELD_ROWS = """
    SELECT p.ts_ns, p.value FROM points p
    WHERE p.series_id IN (SELECT series_id FROM series_tags WHERE measurement = ? AND tag = ? AND value = ?)
      AND p.field = ?
"""
_RANGE_SQL = _FIELD_ROWS + " AND p.ts_ns >= ? AND p.ts_ns < ?"
_HISTORY_SQL = _RANGE_SQL + " ORDER BY p.ts_ns"


def _edge_sql(condition: str, order: str) -> str:
    """The oldest (ASC) or newest (DESC) sample of a field meeting `condition` on q.ts_ns.

    A correlated subquery finds the edge of each of the asset's series with one index seek, so
    the cost does not grow with history; ORDER BY … LIMIT 1 over an IN list would sort it all.
    Parameters: measurement, id tag, asset id, field, field again, then those of `condition`.
    """
    return f"""
        SELECT p.ts_ns, p.value FROM series_tags st CROSS JOIN points p
        WHERE st.measurement = ? AND st.tag = ? AND st.value = ?
          AND p.series_id = st.series_id AND p.field = ?
          AND p.ts_ns = (SELECT q.ts_ns FROM points q WHERE q.series_id = st.series_id AND q.field = ? AND {condition}
                         ORDER BY q.ts_ns {order} LIMIT 1)
        ORDER BY p.ts_ns {order} LIMIT 1
    """  # noqa: S608 (constants only)


_IN_RANGE = "q.ts_ns >= ? AND q.ts_ns < ?"
_FIRST_LAST_SQL = (
    f"SELECT * FROM ({_edge_sql(_IN_RANGE, 'ASC')}) UNION ALL SELECT * FROM ({_edge_sql(_IN_RANGE, 'DESC')})"  # noqa: S608
)
_BEFORE_SQL = _edge_sql("q.ts_ns < ?", "DESC")
_AT_OR_AFTER_SQL = _edge_sql("q.ts_ns >= ?", "ASC")

# Per aggregate, over the columns (ts_ns, value) of one bucket. FIRST and LAST use SQLite's
# documented bare-column rule: with a lone min()/max(), `value` comes from the row holding it.
_AGGREGATE_SQL: dict[Aggregate, str] = {
    Aggregate.MEAN: "avg(value)",
    Aggregate.MIN: "min(value)",
    Aggregate.MAX: "max(value)",
    Aggregate.SUM: "sum(value)",
    Aggregate.COUNT: "count(value)",
    Aggregate.FIRST: "value, min(ts_ns)",
    Aggregate.LAST: "value, max(ts_ns)",
}
# Floor to the bucket start (parameter: the bucket length in ns three times, then the range's);
# SQLite's % truncates toward zero, so times before the epoch step back one bucket.
_BUCKETS_SQL: dict[Aggregate, str] = {
    aggregate: f"""
        SELECT bucket, {expression} FROM (
            SELECT ts_ns - ts_ns % ? - CASE WHEN ts_ns % ? < 0 THEN ? ELSE 0 END AS bucket, ts_ns, value
            FROM ({_RANGE_SQL})
        )
        GROUP BY bucket ORDER BY bucket
    """  # noqa: S608 (constants only)
    for aggregate, expression in _AGGREGATE_SQL.items()
}

# The newest timestamp over the asset's fields (one index seek per series and field), then every
# field at that timestamp. Parameters: measurement, id tag, asset id, measurement.
_LATEST_SQL = """
    WITH s AS (SELECT series_id FROM series_tags WHERE measurement = ? AND tag = ? AND value = ?),
         f AS (SELECT field, type FROM field_types WHERE measurement = ?),
         newest AS (
             SELECT max((SELECT ts_ns FROM points p WHERE p.series_id = s.series_id AND p.field = f.field
                         ORDER BY ts_ns DESC LIMIT 1)) AS ts_ns
             FROM s, f
         )
    SELECT p.ts_ns, f.field, p.value, f.type
    FROM newest CROSS JOIN s CROSS JOIN f CROSS JOIN points p  -- CROSS JOIN fixes this order: p by its key
    WHERE p.series_id = s.series_id AND p.field = f.field AND p.ts_ns = newest.ts_ns
"""


class EmbeddedStore:
    """A ReadingStore in a SQLite file (WAL), safe to share between a writer thread and API readers.

    Each thread gets its own connection, kept until `close()`; WAL lets readers run while the
    writer commits. Call `close()` once, at shutdown, when no other thread is using the store.
    """

    def __init__(self, path: str | Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()  # guards _connections, _series_ids and _closed
        self._write_lock = threading.Lock()  # one writer at a time in this process, without busy waits
        self._series_ids: dict[tuple[str, str], int] = {}
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = self._connection()
        with self._transaction(connection, immediate=True):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write(self, points: Sequence[Point]) -> None:
        """Store all points in one transaction, or none: StoreRejected for bad data, StoreUnavailable else."""
        if not points:
            return
        rows = [_validated(point) for point in points]
        connection = self._connection()
        new_ids: dict[tuple[str, str], int] = {}
        try:
            with self._write_lock, self._transaction(connection, immediate=True):
                types: dict[str, dict[str, str]] = {}
                values: list[tuple[int, str, int, Any]] = []
                for point, tagset, typed in rows:
                    known = types.get(point.measurement)
                    if known is None:
                        known = types[point.measurement] = self._field_types(connection, point.measurement)
                    for field, (kind, _) in typed.items():
                        stored = known.setdefault(field, kind)
                        if stored != kind:
                            raise StoreRejected(
                                f"field type conflict: field {field!r} on measurement {point.measurement!r} "
                                f"is {kind}, already stored as {stored}"
                            )
                    series_id = self._series_id(connection, point, tagset, new_ids)
                    values.extend((series_id, field, point.ts_ns, value) for field, (_, value) in typed.items())
                connection.executemany(
                    "INSERT OR IGNORE INTO field_types (measurement, field, type) VALUES (?, ?, ?)",
                    [(m, f, t) for m, fields in types.items() for f, t in fields.items()],
                )
                connection.executemany(
                    "INSERT OR REPLACE INTO points (series_id, field, ts_ns, value) VALUES (?, ?, ?, ?)", values
                )
        except sqlite3.Error as exc:
            # Locked, full or unreadable file: the spool keeps the batch and retries.
            raise StoreUnavailable(f"embedded store {self.path}: {exc}") from exc
        # Only ids of a committed transaction may be cached; a rolled-back one never existed.
        with self._lock:
            self._series_ids.update(new_ids)

    def latest(self, asset: AssetInfo) -> StoredValue | None:
        """The newest point of the asset, with every field it has at that time."""
        rows = self._read(_LATEST_SQL, (*_asset_key(asset), asset.measurement))
        if not rows:
            return None
        fields = {field: _decode(value, kind) for _, field, value, kind in rows}
        return StoredValue(ts=from_ns(rows[0][0]), fields=fields)

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
        every_ns = _every_ns(every) if every is not None else None
        start_ns, end_ns = _bound(start), _bound(end)
        kind = self._field_type(asset.measurement, field)
        if kind is None or start_ns >= end_ns:
            return []
        params = (*_asset_key(asset), field, start_ns, end_ns)
        if every_ns is None:
            return [Sample(from_ns(ts), _decode(value, kind)) for ts, value in self._read(_HISTORY_SQL, params)]
        check_aggregate(aggregate, kind, field)
        rows = self._read(_BUCKETS_SQL[aggregate], (every_ns, every_ns, every_ns, *params))
        return [Sample(from_ns(row[0]), _decode_aggregate(row[1], aggregate, kind)) for row in rows]

    def first_last(self, asset: AssetInfo, field: str, start: datetime, end: datetime) -> tuple[Sample, Sample] | None:
        """The first and last sample of `field` in [start, end), or None when there is none."""
        start_ns, end_ns = _bound(start), _bound(end)
        kind = self._field_type(asset.measurement, field)
        if kind is None or start_ns >= end_ns:
            return None
        # One statement, so both ends come from the same snapshot even while the writer commits.
        edge = (*_asset_key(asset), field, field, start_ns, end_ns)
        rows = self._read(_FIRST_LAST_SQL, edge + edge)
        if len(rows) < 2:
            return None
        first, last = (Sample(from_ns(ts), _decode(value, kind)) for ts, value in rows)
        return first, last

    def last_before(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The newest sample of `field` strictly before `when`."""
        return self._one(_BEFORE_SQL, asset, field, _bound(when))

    def first_at_or_after(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The oldest sample of `field` at or after `when`."""
        return self._one(_AT_OR_AFTER_SQL, asset, field, _bound(when))

    def _one(self, sql: str, asset: AssetInfo, field: str, ts_ns: int) -> Sample | None:
        kind = self._field_type(asset.measurement, field)
        if kind is None:
            return None
        rows = self._read(sql, (*_asset_key(asset), field, field, ts_ns))
        if not rows:
            return None
        ts, value = rows[0]
        return Sample(from_ns(ts), _decode(value, kind))

    def _field_type(self, measurement: str, field: str) -> str | None:
        rows = self._read("SELECT type FROM field_types WHERE measurement = ? AND field = ?", (measurement, field))
        return str(rows[0][0]) if rows else None

    @staticmethod
    def _field_types(connection: sqlite3.Connection, measurement: str) -> dict[str, str]:
        rows = connection.execute("SELECT field, type FROM field_types WHERE measurement = ?", (measurement,))
        return {str(field): str(kind) for field, kind in rows}

    def _series_id(
        self, connection: sqlite3.Connection, point: Point, tagset: str, new_ids: dict[tuple[str, str], int]
    ) -> int:
        key = (point.measurement, tagset)
        with self._lock:
            cached = self._series_ids.get(key)
        if cached is not None:
            return cached
        if key in new_ids:
            return new_ids[key]
        # INSERT OR IGNORE then SELECT: another process may have created the series meanwhile.
        connection.execute("INSERT OR IGNORE INTO series (measurement, tagset) VALUES (?, ?)", key)
        (series_id,) = connection.execute("SELECT id FROM series WHERE measurement = ? AND tagset = ?", key).fetchone()
        connection.executemany(
            "INSERT OR IGNORE INTO series_tags (measurement, tag, value, series_id) VALUES (?, ?, ?, ?)",
            [(point.measurement, tag, value, series_id) for tag, value in json.loads(tagset)],
        )
        new_ids[key] = int(series_id)
        return int(series_id)

    def _read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        connection = self._connection()
        try:
            return connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"embedded store {self.path}: {exc}") from exc

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"embedded store {self.path} is closed")
            if connection is not None:
                return connection
            # isolation_level=None: no implicit transactions; writes open them explicitly.
            connection = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            self._connections.append(connection)
        connection.execute("PRAGMA journal_mode = WAL")
        # FULL: a confirmed batch is deleted from the spool, so the commit must survive a power cut.
        connection.execute("PRAGMA synchronous = FULL")
        self._local.connection = connection
        return connection

    @staticmethod
    @contextmanager
    def _transaction(connection: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so a writer never fails halfway on a busy upgrade.
        connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield
            connection.execute("COMMIT")
        except BaseException:
            # Also after a failed COMMIT, or the connection would stay inside the transaction.
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


def _validated(point: Point) -> tuple[Point, str, dict[str, tuple[str, FieldValue]]]:
    """The point, its series key and its typed fields; StoreRejected for what InfluxDB would refuse."""
    if not point.fields:
        raise StoreRejected(f"point of {point.measurement!r} at {point.ts_ns} has no fields")
    if not _MIN_NS < point.ts_ns < _MAX_NS:
        raise StoreRejected(f"timestamp {point.ts_ns} is out of range")
    typed: dict[str, tuple[str, FieldValue]] = {}
    for field, value in point.fields.items():
        kind = _kind(value)
        if kind is None:
            raise StoreRejected(f"field {field!r}: {value!r} is not a float, integer, boolean or string")
        if kind == _FLOAT and not math.isfinite(float(value)):
            raise StoreRejected(f"field {field!r}: {value!r} is not finite")
        typed[field] = (kind, value)
    # Empty tag values are dropped, as the line protocol encoder does for InfluxDB.
    tagset = json.dumps(sorted((k, v) for k, v in point.tags.items() if v), ensure_ascii=False, separators=(",", ":"))
    return point, tagset, typed


def _kind(value: object) -> str | None:
    # bool first: it is a subclass of int.
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, int):
        return _INTEGER if _MIN_NS <= value <= _MAX_NS else None
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, str):
        return _STRING
    return None


def _decode(value: Any, kind: str) -> FieldValue:
    if kind == _FLOAT:
        return float(value)
    if kind == _INTEGER:
        return int(value)
    if kind == _BOOLEAN:
        return bool(value)
    return str(value)


def _decode_aggregate(value: Any, aggregate: Aggregate, kind: str) -> FieldValue:
    if aggregate is Aggregate.MEAN:
        return float(value)
    if aggregate is Aggregate.COUNT:
        return int(value)
    return _decode(value, kind)


def _asset_key(asset: AssetInfo) -> tuple[str, str, str]:
    return asset.measurement, asset.id_tag, asset.asset_id


def _bound(when: datetime) -> int:
    return min(max(to_ns(when), _MIN_NS), _MAX_NS)


def _every_ns(every: timedelta) -> int:
    return bucket_micros(every, _MAX_NS) * 1_000
