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
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from core.reading import from_ns
from core.registry import AssetInfo
from storage.embedded_sql import (
    AT_OR_AFTER_SQL,
    BEFORE_SQL,
    BUCKETS_SQL,
    FIRST_LAST_SQL,
    HISTORY_SQL,
    LATEST_SQL,
    SCHEMA,
)
from storage.embedded_values import bound, bucket_ns, decode, decode_aggregate, validated
from storage.points import Point
from storage.store import (
    Aggregate,
    Sample,
    StoredValue,
    StoreRejected,
    StoreUnavailable,
    check_aggregate,
)


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
            for statement in SCHEMA.split(";"):
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
        rows = [validated(point) for point in points]
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
        """The last stored value and time of each field of the asset."""
        rows = self._read(LATEST_SQL, (*_asset_key(asset), asset.measurement))
        if not rows:
            return None
        fields = {field: decode(value, kind) for _, field, value, kind in rows}
        times = {field: from_ns(ts_ns) for ts_ns, field, _, _ in rows}
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
        every_ns = bucket_ns(every) if every is not None else None
        start_ns, end_ns = bound(start), bound(end)
        kind = self._field_type(asset.measurement, field)
        if kind is None or start_ns >= end_ns:
            return []
        params = (*_asset_key(asset), field, start_ns, end_ns)
        if every_ns is None:
            return [Sample(from_ns(ts), decode(value, kind)) for ts, value in self._read(HISTORY_SQL, params)]
        check_aggregate(aggregate, kind, field)
        rows = self._read(BUCKETS_SQL[aggregate], (every_ns, every_ns, every_ns, *params))
        return [Sample(from_ns(row[0]), decode_aggregate(row[1], aggregate, kind)) for row in rows]

    def first_last(self, asset: AssetInfo, field: str, start: datetime, end: datetime) -> tuple[Sample, Sample] | None:
        """The first and last sample of `field` in [start, end), or None when there is none."""
        start_ns, end_ns = bound(start), bound(end)
        kind = self._field_type(asset.measurement, field)
        if kind is None or start_ns >= end_ns:
            return None
        # One statement, so both ends come from the same snapshot even while the writer commits.
        edge = (*_asset_key(asset), field, field, start_ns, end_ns)
        rows = self._read(FIRST_LAST_SQL, edge + edge)
        if len(rows) < 2:
            return None
        first, last = (Sample(from_ns(ts), decode(value, kind)) for ts, value in rows)
        return first, last

    def last_before(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The newest sample of `field` strictly before `when`."""
        return self._one(BEFORE_SQL, asset, field, bound(when))

    def first_at_or_after(self, asset: AssetInfo, field: str, when: datetime) -> Sample | None:
        """The oldest sample of `field` at or after `when`."""
        return self._one(AT_OR_AFTER_SQL, asset, field, bound(when))

    def _one(self, sql: str, asset: AssetInfo, field: str, ts_ns: int) -> Sample | None:
        kind = self._field_type(asset.measurement, field)
        if kind is None:
            return None
        rows = self._read(sql, (*_asset_key(asset), field, field, ts_ns))
        if not rows:
            return None
        ts, value = rows[0]
        return Sample(from_ns(ts), decode(value, kind))

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


def _asset_key(asset: AssetInfo) -> tuple[str, str, str]:
    return asset.measurement, asset.id_tag, asset.asset_id
