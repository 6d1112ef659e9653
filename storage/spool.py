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
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    source TEXT NOT NULL,
    payload BLOB NOT NULL,
    error TEXT NOT NULL
);
"""


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
        if self.full:
            return False
        good: list[tuple[str, int, str]] = []
        bad: list[tuple[str, str, bytes, str]] = []
        now = self.clock.now().isoformat()
        for reading in readings:
            try:
                valid = self.validator.validate(reading)
            except InvalidReading as exc:
                payload = json.dumps({"ts": reading.ts.isoformat(), **reading.fields}).encode()
                bad.append((now, source, payload, str(exc)))
                continue
            good.append((valid.asset_id, valid.ts_ns, json.dumps(dict(valid.fields))))
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO readings (asset_id, ts_ns, fields) VALUES (?, ?, ?)", good)
            self._db.executemany(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)", bad
            )
            self._db.execute("COMMIT")
            self._depth += len(good)
        return True

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                (self.clock.now().isoformat(), source, payload, error),
            )

    def take(self, limit: int) -> list[SpooledReading]:
        """The oldest readings, left in the spool until `delete`."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, asset_id, ts_ns, fields FROM readings ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [SpooledReading(row[0], Reading(row[1], from_ns(row[2]), json.loads(row[3]))) for row in rows]

    def delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM readings WHERE id = ?", [(i,) for i in ids])
            self._db.execute("COMMIT")
            self._depth = self._count("readings")

    def move_to_dead_letters(self, item: SpooledReading, error: str) -> None:
        """A spooled reading the store refuses leaves the queue for dead letters, in one transaction."""
        fields = dict(item.reading.fields)
        payload = json.dumps({"asset_id": item.reading.asset_id, "ts_ns": item.reading.ts_ns, **fields})
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                (self.clock.now().isoformat(), "store", payload.encode(), error),
            )
            self._db.execute("DELETE FROM readings WHERE id = ?", (item.id,))
            self._db.execute("COMMIT")
            self._depth -= 1

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
