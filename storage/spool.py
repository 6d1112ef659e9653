"""The durable queue between collectors and stores: SQLite in WAL mode.

A collector acks its source only after `accept` has committed. Writers `take` a batch, store it,
and `delete` only what the store confirmed, so a crash anywhere replays instead of losing.

Every message ends, in bounded time, committed or as a dead letter: readings are checked against what
storage can hold before the commit, and a group whose commit still fails on its data is split until only
the offending message (then reading) is left, which becomes a dead letter. A fault of the file itself
(disk full, read-only, locked) is `SpoolUnavailable`: nothing of the group was taken, the caller keeps it
un-acked and tries again later.

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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from core.clock import Clock
from core.ports import SinkUnavailable
from core.reading import Reading, from_ns
from core.validation import InvalidReading, ReadingValidator
from storage import spool_text as text
from storage.spool_schema import SCHEMA

SpoolRow = tuple[int, str, int, bytes]  # id, asset_id, ts_ns, fields as JSON
# Errors of the data, not of the file: binding a value SQLite cannot hold, a constraint. Splitting helps.
_DATA_ERRORS = (OverflowError, ValueError, TypeError, sqlite3.InterfaceError, sqlite3.DataError, sqlite3.IntegrityError)

_GoodRow = tuple[str, int, bytes]  # asset_id, ts_ns, fields JSON
_BadRow = tuple[str, str, bytes, str]  # received_at, source, payload, error


class SpoolUnavailable(SinkUnavailable):
    """The spool file cannot be written now; the message names the file and SQLite's reason."""


@dataclass
class SpoolStats:
    spooled: int = 0
    dead_lettered: int = 0
    refused_full: int = 0
    split_commits: int = 0  # group commits that failed on their data and were split
    unavailable: int = 0  # commits that failed because of the file (disk full, read-only, locked)


@dataclass
class SpoolHealth:
    """What /health says about the spool: the last fault of the file, if it has not cleared."""

    error: str | None = None
    since: datetime | None = None


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


@dataclass
class _Message:
    source: str
    good: list[_GoodRow] = field(default_factory=list)
    bad: list[_BadRow] = field(default_factory=list)


class Spool:
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
        self._committed = threading.Condition(self._lock)

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

    def accept(self, readings: Sequence[Reading], *, source: str) -> bool:
        return self.accept_many([(readings, source)]) == 1

    def accept_many(self, messages: Sequence[tuple[Sequence[Reading], str]]) -> int:
        """Commit a group of messages in one transaction: how many, from the front, were taken.

        Messages that do not fit under `max_readings` are left to the caller (un-acked: back-pressure).
        Invalid readings become dead letters in the same transaction. SpoolUnavailable: none was taken.
        """
        if self.shared:
            with self._lock:
                self._refresh()
        room = self.max_readings - self._depth
        now = self.clock.now()
        received_at = now.isoformat()
        prepared: list[_Message] = []
        size = 0
        for readings, source in messages:
            # The first message is taken into an empty spool whatever its size, so no message can wedge it.
            if len(readings) > room - size and not (not prepared and self._depth == 0):
                break
            message = _Message(source)
            for reading in readings:
                try:
                    fields = self.validator.coerced_fields(reading, now)
                    # orjson refuses what JSON cannot say (an integer past 64 bits): the reading's fault.
                    message.good.append((reading.asset_id, reading.ts_ns, orjson.dumps(fields)))
                except (InvalidReading, TypeError, ValueError, OverflowError) as exc:
                    message.bad.append((received_at, source, text.payload(reading), text.reason(exc)))
            size += len(message.good)
            prepared.append(message)
        if len(prepared) < len(messages):
            self.stats.refused_full += 1
        if prepared:
            self._commit(prepared, received_at)
        return len(prepared)

    def _commit(self, messages: list[_Message], received_at: str) -> None:
        """Commit the group; on an error of its data, split it until only the offender is a dead letter."""
        try:
            with self._write() as db:
                db.executemany(
                    "INSERT INTO readings (asset_id, ts_ns, fields) VALUES (?, ?, ?)",
                    [row for m in messages for row in m.good],
                )
                db.executemany(
                    "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                    [row for m in messages for row in m.bad],
                )
                last_id = int(db.execute("SELECT coalesce(max(id), 0) FROM readings").fetchone()[0])
        except _DATA_ERRORS as exc:
            self.stats.split_commits += 1
            if len(messages) > 1:
                middle = len(messages) // 2
                self._commit(messages[:middle], received_at)
                self._commit(messages[middle:], received_at)
                return
            message = messages[0]
            if not message.good:
                # Only dead letters, and still refused: their text is made safe and tried once more.
                cleaned = [(at, text.safe(src), body, text.safe(error)) for at, src, body, error in message.bad]
                if cleaned == message.bad:
                    raise
                self._commit([_Message(text.safe(message.source), bad=cleaned)], received_at)
                return
            if len(message.good) > 1:  # one message of many readings (a poll): split it by reading
                halves = (message.good[: len(message.good) // 2], message.good[len(message.good) // 2 :])
                self._commit([_Message(message.source, halves[0], message.bad)], received_at)
                self._commit([_Message(message.source, halves[1])], received_at)
                return
            # One reading the database refuses although validation passed it: a dead letter with the reason.
            refused = [
                (received_at, message.source, text.row_payload(row), text.reason(exc, "the spool refused it"))
                for row in message.good
            ]
            self._commit([_Message(message.source, bad=[*message.bad, *refused])], received_at)
            return
        good = sum(len(m.good) for m in messages)
        with self._committed:
            self._depth += good
            if last_id > self._last_id:
                self._last_id = last_id
                if self.consumers:
                    self._commits.append((last_id, self.clock.now()))
            self._committed.notify_all()
        self.stats.spooled += good
        self.stats.dead_lettered += sum(len(m.bad) for m in messages)

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO dead_letters (received_at, source, payload, error) VALUES (?, ?, ?, ?)",
                (self.clock.now().isoformat(), source, payload, error[: text.ERROR_MAX]),
            )
        self.stats.dead_lettered += 1

    def take(self, limit: int, consumer: str = "store") -> list[SpooledReading]:
        """The consumer's next readings, oldest first, as Reading objects."""
        return [
            SpooledReading(row[0], Reading(row[1], from_ns(row[2]), orjson.loads(row[3])))
            for row in self.take_rows(limit, consumer)
        ]

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

        with self._committed:
            if not self.shared:
                return self._committed.wait_for(ready, timeout)
            deadline = time.monotonic() + timeout
            while not ready():  # other processes' commits notify nobody here: look again every poll_s
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._committed.wait(min(left, self.poll_s))
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
        with self._committed:
            self._committed.notify_all()

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
            cursor = self._cursors[consumer]
            for last_id, committed_at in self._commits:
                if last_id > cursor:
                    return committed_at
        return None

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
