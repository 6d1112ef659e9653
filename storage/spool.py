"""The durable queue between collectors and stores: SQLite in WAL mode.

A collector acks its source only after `accept` has committed. Writers `take` a batch, store it,
and `delete` only what the store confirmed, so a crash anywhere replays instead of losing.

Every message ends, in bounded time, committed or as a dead letter: readings are checked against what
storage can hold before the commit, and a group whose commit still fails on its data is split until only
the offending message (then reading) is left, which becomes a dead letter. A fault of the file itself
(disk full, read-only, locked) is `SpoolUnavailable`: nothing of the group was taken, the caller keeps it
un-acked and tries again later. Those checks and the split live in storage/spool_base.py, shared with the
spool in PostgreSQL (storage/pg_spool.py).

`shared=True`: other processes write this file too (collector replicas in one MQTT share group on one machine,
docs/scaling.md). SQLite serialises their commits, so ids still grow in commit order and every consumer's
cursor stays valid; this process reads the last id and the depth from the file whenever `PRAGMA data_version`
says another connection committed, and waits for readings by polling. A replica that only collects opens it
with no consumers.
"""

from __future__ import annotations

import collections
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from core.clock import Clock
from core.validation import ReadingValidator
from storage import spool_text as text
from storage.spool_base import (
    DeadLetter,
    Message,
    SpoolBase,
    SpooledReading,
    SpoolHealth,
    SpoolRow,
    SpoolStats,
    SpoolUnavailable,
    first_commit_after,
)
from storage.spool_schema import SCHEMA

__all__ = ["DeadLetter", "Spool", "SpoolHealth", "SpoolRow", "SpoolStats", "SpoolUnavailable", "SpooledReading"]

# Errors of the data, not of the file: binding a value SQLite cannot hold, a constraint. Splitting helps.
_DATA_ERRORS = (OverflowError, ValueError, TypeError, sqlite3.InterfaceError, sqlite3.DataError, sqlite3.IntegrityError)


class Spool(SpoolBase):
    data_errors = _DATA_ERRORS

    def __init__(
        self,
        path: str | Path,
        validator: ReadingValidator,
        clock: Clock,
        *,
        max_readings: int = 2_000_000,
        consumers: Sequence[str] = ("store",),
        busy_timeout_s: float = 5.0,
        shared: bool = False,
        poll_s: float = 0.02,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.validator = validator
        self.clock = clock
        self.max_readings = max_readings
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=busy_timeout_s)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a killed process; FULL would also survive power loss at an fsync a commit.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self.stats = SpoolStats()
        self.health = SpoolHealth()
        # Each consumer (the store writer, the rules engine) reads past its own cursor; a reading is
        # deleted once every configured consumer is past it, and only when a consumer advances: merely
        # opening the spool (to list dead letters, say) deletes nothing. Cursors of consumers no longer
        # configured are ignored, so they cannot pin the spool.
        self.consumers = tuple(consumers)
        if not self.consumers and not shared:
            raise ValueError("a spool needs at least one consumer (only a shared spool may have none)")
        self.shared, self.poll_s = shared, poll_s
        self._data_version = self._db.execute("PRAGMA data_version").fetchone()[0]
        self._cursors = {name: 0 for name in self.consumers}
        for name, last_id in self._db.execute("SELECT consumer, last_id FROM cursors"):
            if name in self._cursors:
                self._cursors[name] = int(last_id)
        self._depth = self._count("readings")
        self._last_id = int(self._db.execute("SELECT coalesce(max(id), 0) FROM readings").fetchone()[0])
        # (last id of a commit, when it was committed): the age of the oldest reading a consumer has not
        # taken. Rows already here at start count from the start: a lower bound, said so by /health.
        self._commits: collections.deque[tuple[int, datetime]] = collections.deque()
        if self.consumers and self._last_id > min(self._cursors.values()):
            self._commits.append((self._last_id, clock.now()))
        self._committed_cv = threading.Condition(self._lock)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _count(self, table: str) -> int:
        row = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 (fixed table names)
        return int(row[0])

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def depth(self) -> int:
        return self._depth

    @property
    def full(self) -> bool:
        return self._depth >= self.max_readings

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction under the lock; rolled back on any error, file faults as SpoolUnavailable."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.rollback()
                if isinstance(exc, sqlite3.Error) and not isinstance(exc, _DATA_ERRORS):
                    self.stats.unavailable += 1
                    if self.health.error is None:
                        self.health.since = self.clock.now()
                    self.health.error = f"spool {self.path}: {exc}"
                    raise SpoolUnavailable(self.health.error) from exc
                raise
            self.health.error = self.health.since = None

    def _before_accept(self) -> None:
        if self.shared:
            with self._lock:
                self._refresh()

    def _insert(self, messages: Sequence[Message]) -> int:
        with self._write() as db:
            db.executemany(
                "INSERT INTO readings (asset_id, ts_ns, fields) VALUES (?, ?, ?)",
                [row for m in messages for row in m.good],
            )
            db.executemany(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                [row for m in messages for row in m.bad],
            )
            return int(db.execute("SELECT coalesce(max(id), 0) FROM readings").fetchone()[0])

    def _committed(self, readings: int, last_id: int) -> None:
        with self._committed_cv:
            self._depth += readings
            if last_id > self._last_id:
                self._last_id = last_id
                if self.consumers:
                    self._commits.append((last_id, self.clock.now()))
            self._committed_cv.notify_all()

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                (self.clock.now().isoformat(), source, payload, error[: text.ERROR_MAX]),
            )
        self.stats.dead_lettered += 1

    def take_rows(self, limit: int, consumer: str = "store", *, after: int | None = None) -> list[SpoolRow]:
        """The consumer's next readings as raw rows (id, asset_id, ts_ns, fields JSON), oldest first.

        `after`: past this id instead of the consumer's cursor (a consumer holding taken rows in memory).
        """
        with self._lock:
            after = self._cursors[consumer] if after is None else max(after, self._cursors[consumer])
            if self.shared and after >= self._last_id:
                self._refresh()
            if after >= self._last_id:
                return []  # nothing new: no query, so an idle consumer costs nothing
            try:
                return self._db.execute(
                    "SELECT id, asset_id, ts_ns, fields FROM readings WHERE id > ? ORDER BY id LIMIT ?",
                    (after, limit),
                ).fetchall()
            except sqlite3.Error as exc:
                raise SpoolUnavailable(f"spool {self.path}: {exc}") from exc

    def wait_for_readings(self, consumer: str, timeout: float, *, after: int | None = None) -> bool:
        """Block until a commit left readings past the consumer's cursor (or `after`), or `timeout` seconds passed."""

        def ready() -> bool:
            if self.shared:
                self._refresh()
            return self._last_id > max(after or 0, self._cursors[consumer])

        with self._committed_cv:
            if not self.shared:
                return self._committed_cv.wait_for(ready, timeout)
            deadline = time.monotonic() + timeout
            while not ready():  # other processes' commits notify nobody here: look again every poll_s
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._committed_cv.wait(min(left, self.poll_s))
            return True

    def _refresh(self) -> None:
        """Another process committed or deleted: read the last id and the depth from the file (holding the lock).

        The depth counts ids from the first to the last: the rare reading moved to dead letters in the middle
        is counted until it is passed, so back-pressure comes a little early, never late.
        """
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return
        self._data_version = version
        first, last = self._db.execute("SELECT min(id), max(id) FROM readings").fetchone()
        self._depth = 0 if last is None else int(last) - int(first) + 1
        if last is not None and int(last) > self._last_id:
            self._last_id = int(last)
            if self.consumers:
                self._commits.append((self._last_id, self.clock.now()))

    def wake_waiters(self) -> None:
        """Release every `wait_for_readings` now (at shutdown)."""
        with self._committed_cv:
            self._committed_cv.notify_all()

    def advance(self, consumer: str, last_id: int) -> None:
        """The consumer is done with every reading up to `last_id`; delete what every consumer is done with."""
        oldest = min(last_id if name == consumer else cursor for name, cursor in self._cursors.items())
        with self._write() as db:
            db.execute(
                "INSERT INTO cursors (consumer, last_id) VALUES (?, ?) "
                "ON CONFLICT (consumer) DO UPDATE SET last_id = excluded.last_id",
                (consumer, last_id),
            )
            deleted = db.execute("DELETE FROM readings WHERE id <= ?", (oldest,)).rowcount
        with self._lock:
            self._cursors[consumer] = last_id
            self._depth -= deleted
            while self._commits and self._commits[0][0] <= oldest:
                self._commits.popleft()

    def lag(self, consumer: str) -> int:
        """Readings the consumer has not processed yet."""
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT count(*) FROM readings WHERE id > ?", (self._cursors[consumer],)
                ).fetchone()
            except sqlite3.Error as exc:
                raise SpoolUnavailable(f"spool {self.path}: {exc}") from exc
        return int(row[0])

    def oldest_pending_at(self, consumer: str) -> datetime | None:
        """When the oldest reading the consumer has not taken yet was committed (at the latest), or None."""
        with self._lock:
            return first_commit_after(self._commits, self._cursors[consumer])

    def move_to_dead_letters(self, row: SpoolRow, error: str) -> None:
        """A spooled reading the store refuses leaves the queue for dead letters, in one transaction."""
        reading_id = row[0]
        with self._write() as db:
            db.execute(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                (self.clock.now().isoformat(), "store", text.row_payload(row[1:]), error[: text.ERROR_MAX]),
            )
            deleted = db.execute("DELETE FROM readings WHERE id = ?", (reading_id,)).rowcount
        self._depth -= deleted
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
