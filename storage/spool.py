"""The durable queue between collectors and stores: SQLite in WAL mode.

A collector acks its source only after `accept` has committed. Writers `take` a batch, store it,
and `delete` only what the store confirmed, so a crash anywhere replays instead of losing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from core.clock import Clock
from core.reading import Reading, from_ns
from core.validation import InvalidReading, ReadingValidator

SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asset_id TEXT NOT NULL,
    ts_ns INTEGER NOT NULL,
    fields TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
    consumer TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    source TEXT NOT NULL,
    payload BLOB NOT NULL,
    error TEXT NOT NULL
);
"""


SpoolRow = tuple[int, str, int, bytes]  # id, asset_id, ts_ns, fields as JSON


@dataclass
class SpoolStats:
    spooled: int = 0
    dead_lettered: int = 0
    refused_full: int = 0


@dataclass(frozen=True, slots=True)
class SpooledReading:
    id: int
    reading: Reading


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    received_at: datetime
    source: str
    payload: bytes
    error: str


class Spool:
    def __init__(
        self,
        path: str | Path,
        validator: ReadingValidator,
        clock: Clock,
        *,
        max_readings: int = 2_000_000,
        consumers: Sequence[str] = ("store",),
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.validator = validator
        self.clock = clock
        self.max_readings = max_readings
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process; FULL would also survive power loss at an fsync a commit.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self.stats = SpoolStats()
        # Each consumer (the store writer, the rules engine) reads past its own cursor; a reading is
        # deleted once every configured consumer is past it, and only when a consumer advances: merely
        # opening the spool (to list dead letters, say) deletes nothing. Cursors of consumers no longer
        # configured are ignored, so they cannot pin the spool.
        self.consumers = tuple(consumers)
        if not self.consumers:
            raise ValueError("a spool needs at least one consumer")
        self._cursors = {name: 0 for name in self.consumers}
        for name, last_id in self._db.execute("SELECT consumer, last_id FROM cursors"):
            if name in self._cursors:
                self._cursors[name] = int(last_id)
        self._depth = self._count("readings")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _count(self, table: str) -> int:
        row = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 (fixed table names)
        return int(row[0])

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def full(self) -> bool:
        return self._depth >= self.max_readings

    def accept(self, readings: Sequence[Reading], *, source: str) -> bool:
        return self.accept_many([(readings, source)]) == 1

    def accept_many(self, messages: Sequence[tuple[Sequence[Reading], str]]) -> int:
        """Commit a group of messages in one transaction: how many, from the front, were taken.

        Messages that do not fit under `max_readings` are left to the caller (un-acked: back-pressure).
        Invalid readings become dead letters in the same transaction.
        """
        room = self.max_readings - self._depth
        good: list[tuple[str, int, bytes]] = []
        bad: list[tuple[str, str, bytes, str]] = []
        now = self.clock.now()
        received_at = now.isoformat()
        taken = 0
        for readings, source in messages:
            # The first message is taken into an empty spool whatever its size, so no message can wedge it.
            if len(readings) > room - len(good) and not (taken == 0 and self._depth == 0):
                break
            for reading in readings:
                try:
                    fields = self.validator.coerced_fields(reading, now)
                except InvalidReading as exc:
                    payload = json.dumps({"ts": reading.ts.isoformat(), **reading.fields}).encode()
                    bad.append((received_at, source, payload, str(exc)))
                    continue
                good.append((reading.asset_id, reading.ts_ns, orjson.dumps(fields)))
            taken += 1
        if taken < len(messages):
            self.stats.refused_full += 1
        if taken == 0:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO readings (asset_id, ts_ns, fields) VALUES (?, ?, ?)", good)
            self._db.executemany(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)", bad
            )
            self._db.execute("COMMIT")
            self._depth += len(good)
        self.stats.spooled += len(good)
        self.stats.dead_lettered += len(bad)
        return taken

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                (self.clock.now().isoformat(), source, payload, error),
            )
        self.stats.dead_lettered += 1

    def take(self, limit: int, consumer: str = "store") -> list[SpooledReading]:
        """The consumer's next readings, oldest first, as Reading objects."""
        return [
            SpooledReading(row[0], Reading(row[1], from_ns(row[2]), orjson.loads(row[3])))
            for row in self.take_rows(limit, consumer)
        ]

    def take_rows(self, limit: int, consumer: str = "store") -> list[SpoolRow]:
        """The consumer's next readings as raw rows (id, asset_id, ts_ns, fields JSON), oldest first."""
        with self._lock:
            after = self._cursors[consumer]
            return self._db.execute(
                "SELECT id, asset_id, ts_ns, fields FROM readings WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
            ).fetchall()

    def advance(self, consumer: str, last_id: int) -> None:
        """The consumer is done with every reading up to `last_id`; delete what every consumer is done with."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO cursors (consumer, last_id) VALUES (?, ?) "
                "ON CONFLICT (consumer) DO UPDATE SET last_id = excluded.last_id",
                (consumer, last_id),
            )
            self._cursors[consumer] = last_id
            deleted = self._delete_consumed()
            self._db.execute("COMMIT")
            self._depth -= deleted

    def lag(self, consumer: str) -> int:
        """Readings the consumer has not processed yet."""
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM readings WHERE id > ?", (self._cursors[consumer],)).fetchone()
        return int(row[0])

    def _delete_consumed(self) -> int:
        cursor = self._db.execute("DELETE FROM readings WHERE id <= ?", (min(self._cursors.values()),))
        return cursor.rowcount

    def move_to_dead_letters(self, row: SpoolRow, error: str) -> None:
        """A spooled reading the store refuses leaves the queue for dead letters, in one transaction."""
        reading_id, asset_id, ts_ns, fields = row
        payload = json.dumps({"asset_id": asset_id, "ts_ns": ts_ns, **orjson.loads(fields)})
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                (self.clock.now().isoformat(), "store", payload.encode(), error),
            )
            self._db.execute("DELETE FROM readings WHERE id = ?", (reading_id,))
            self._db.execute("COMMIT")
            self._depth -= 1
        self.stats.dead_lettered += 1

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, received_at, source, payload, error FROM dead_letters ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [DeadLetter(r[0], datetime.fromisoformat(r[1]), r[2], bytes(r[3]), r[4]) for r in rows]

    def dead_letter_count(self) -> int:
        with self._lock:
            return self._count("dead_letters")
