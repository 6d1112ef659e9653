"""The spool in PostgreSQL: readings a replica acknowledged outlive its machine (issue 23).

Same interface and guarantee as `storage.spool.Spool` (the checks and the split of a refused group are
shared: storage/spool_base.py), in tables of the shared database (migration 0018_pg_spool) scoped by site.
Each site has its own readings, cursors and dead letters, so the replica that takes a site over opens
`PgSpool(dsn, …, site_id=…)` and resumes from that site's cursors what its old owner acknowledged.

Ids and commit order. A consumer reads `id > cursor` and then moves its cursor past what it read, so it
must never see id n+1 before id n has committed: it would skip n for good. A sequence does not give that
order (two writers draw 1 and 2; 2 commits first). So a site's writers draw ids from the site's counter row
(`spool_sites.last_id`, `UPDATE … RETURNING`) in the transaction that writes the rows: the row lock serialises
the writers of one site until commit, so a site's ids are gap-free and commit in order, and the ids of a
rolled-back batch are drawn again. Sites never wait on each other. Chosen over "take only ids below the
oldest in-flight transaction", which lets writers of one site run in parallel but needs a transaction id per
row and a snapshot per read: a site has one writer (its owner) except for the moments of a takeover, when
an old owner still writing is exactly what must be kept in order.

Batches go in with binary COPY (one round trip). COPY cannot say which row it refused; the shared split does:
a refused group is halved until the offending reading is a dead letter.

Waiting: a commit of this process wakes its consumers at once. A commit of another process on the site (an
old owner not yet gone) is seen when `wait_for_readings` times out and reads the counter: a poll at the
consumers' own interval, with no connection held open for LISTEN.

Two connections, each behind its own lock: one for the collectors' writes, one for the consumers, so a take
never waits for a COPY. A connection the server dropped is opened again on next use (a read is tried once more
at once; a write is not, as its caller keeps the messages un-acked and retries); a fault of the database
(unreachable, terminated, read-only, a statement past `statement_timeout_s`) is SpoolUnavailable, nothing taken.
Only a connection lost during the COMMIT itself leaves it unknown whether the batch went in; the caller's retry
may then spool it twice, which at-least-once allows (a point written twice overwrites itself).
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, LiteralString, cast

import psycopg
from psycopg.conninfo import conninfo_to_dict

from core.clock import Clock
from core.validation import ReadingValidator
from storage.spool_base import (
    ERROR_MAX,
    DeadLetter,
    Message,
    SpoolBase,
    SpoolHealth,
    SpoolRow,
    SpoolStats,
    first_commit_after,
)
from storage.spool_base import SpoolUnavailable as SpoolUnavailable
from storage.spool_text import row_payload

TABLES = ("spool_sites", "spool_readings", "spool_cursors", "spool_dead_letters")
Connection = psycopg.Connection[tuple[Any, ...]]


class _Link:
    """One connection, opened on first use and again after the server dropped it, used under `lock`."""

    def __init__(self, dsn: str, name: str, statement_timeout_s: float, connect_timeout_s: float) -> None:
        self.dsn = dsn
        self.name = name
        self.statement_timeout_ms = int(statement_timeout_s * 1000)
        self.connect_timeout_s = connect_timeout_s
        self.lock = threading.Lock()
        self._conn: Connection | None = None

    def connection(self) -> Connection:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        self.close()
        self._conn = psycopg.connect(
            self.dsn,
            autocommit=True,
            application_name=self.name,  # pg_stat_activity shows which replica's spool holds a connection
            connect_timeout=max(1, round(self.connect_timeout_s)),
            options=f"-c statement_timeout={self.statement_timeout_ms} -c TimeZone=UTC",
            # A peer gone without a word (a dead machine, a cut cable) is noticed in about half a minute.
            keepalives=1,
            keepalives_idle=15,
            keepalives_interval=5,
            keepalives_count=3,
        )
        return self._conn

    @property
    def opened(self) -> bool:
        return self._conn is not None

    def drop_if_broken(self) -> None:
        if self._conn is not None and (self._conn.broken or self._conn.closed):
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PgSpool(SpoolBase):
    # psycopg.DataError: a value PostgreSQL cannot hold (NUL in text, a number out of range). Splitting helps.
    data_errors = (OverflowError, ValueError, TypeError, psycopg.DataError)

    def __init__(
        self,
        dsn: str,
        validator: ReadingValidator,
        clock: Clock,
        *,
        site_id: str,
        max_readings: int = 2_000_000,
        consumers: Sequence[str] = ("store",),
        statement_timeout_s: float = 30.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        if not site_id:
            raise ValueError("a spool in PostgreSQL needs the id of the site it holds")
        # No consumers: a producer-only view (a collector replica, facilities/replica.py); as the site's rows are
        # shared by every process anyway, it needs no other mode.
        self.consumers = tuple(consumers)
        self.site_id = site_id
        self.validator = validator
        self.clock = clock
        self.max_readings = max_readings
        self.stats = SpoolStats()
        self.health = SpoolHealth()
        params = conninfo_to_dict(dsn)
        self._location = f"PostgreSQL {params.get('host', 'localhost')}/{params.get('dbname', '')} site {site_id}"
        self._writes = _Link(dsn, f"facilities-spool-{site_id}-writes", statement_timeout_s, connect_timeout_s)
        self._reads = _Link(dsn, f"facilities-spool-{site_id}-reads", statement_timeout_s, connect_timeout_s)
        self._lock = threading.Lock()
        self._waiters = threading.Condition(self._lock)
        try:
            stored = self._open_site()
        except BaseException:
            self.close()  # no connection left behind by a spool that never opened
            raise
        # As in Spool: cursors of consumers no longer configured are ignored, so they cannot pin the site's rows.
        self._cursors = {name: int(stored.get(name, 0)) for name in self.consumers}
        # (last id of a commit, when this process learnt of it): the age of the oldest reading not yet taken.
        self._commits: collections.deque[tuple[int, datetime]] = collections.deque()
        if self.consumers and self._last_id > min(self._cursors.values()):
            self._commits.append((self._last_id, clock.now()))

    def _open_site(self) -> dict[str, int]:
        """Check the tables, register the site, read its depth, last id and cursors."""
        with self._session(self._reads) as conn:
            missing = [t for t in TABLES if conn.execute("SELECT to_regclass(%s)", (t,)).fetchone() == (None,)]
            if missing:
                raise SpoolUnavailable(
                    f"spool {self._location}: tables {', '.join(missing)} are missing; "
                    "run `facilities db upgrade` with this FACILITIES_DATABASE_URL"
                )
            conn.execute(
                "INSERT INTO spool_sites (site_id, last_id) VALUES (%s, 0) ON CONFLICT (site_id) DO NOTHING",
                (self.site_id,),
            )
            rows = conn.execute("SELECT consumer, last_id FROM spool_cursors WHERE site_id = %s", (self.site_id,))
            stored = {str(name): int(last_id) for name, last_id in rows}
            self._depth = self._scalar(conn, "SELECT count(*) FROM spool_readings WHERE site_id = %s")
            self._last_id = self._scalar(conn, "SELECT last_id FROM spool_sites WHERE site_id = %s")
        return stored

    def _scalar(self, conn: Connection, query: LiteralString) -> int:
        row = conn.execute(query, (self.site_id,)).fetchone()
        return int(row[0]) if row is not None else 0

    @property
    def location(self) -> str:
        return self._location

    @property
    def depth(self) -> int:
        return self._depth

    def close(self) -> None:
        for link in (self._writes, self._reads):
            with link.lock:
                link.close()

    @contextmanager
    def _session(self, link: _Link, *, write: bool = False) -> Iterator[Connection]:
        """The link's connection under its lock (a transaction when `write`); database faults as SpoolUnavailable."""
        with link.lock:
            try:
                conn = link.connection()
                if write:
                    with conn.transaction():
                        yield conn
                else:
                    yield conn
            except self.data_errors:
                raise
            except psycopg.Error as exc:
                link.drop_if_broken()  # opened again on next use
                error = f"spool {self._location}: {type(exc).__name__}: {exc}".strip()[:ERROR_MAX]
                if write:
                    self.stats.unavailable += 1
                    if self.health.error is None:
                        self.health.since = self.clock.now()
                    self.health.error = error
                raise SpoolUnavailable(error) from exc
        if write:
            self.health.error = self.health.since = None

    def _fetch(self, query: LiteralString, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
        """A read on the consumers' connection; once more on a new one if the server had dropped it while idle."""
        try:
            with self._session(self._reads) as conn:
                return conn.execute(query, params).fetchall()
        except SpoolUnavailable:
            if self._reads.opened:
                raise  # the connection is still there: the fault is the database's, not a stale connection
            with self._session(self._reads) as conn:
                return conn.execute(query, params).fetchall()

    def _insert(self, messages: Sequence[Message]) -> int:
        rows = [row for m in messages for row in m.good]
        letters = [row for m in messages for row in m.bad]
        last_id = 0
        with self._session(self._writes, write=True) as conn:
            if rows:
                # The site's counter row: its lock keeps this site's writers in id order until commit.
                counter = conn.execute(
                    "UPDATE spool_sites SET last_id = last_id + %s WHERE site_id = %s RETURNING last_id",
                    (len(rows), self.site_id),
                ).fetchone()
                if counter is None:  # deleted under us: a fault of the database, not of the data
                    raise psycopg.OperationalError(f"the counter row of site {self.site_id} is gone")
                last_id = int(counter[0])
                first = last_id - len(rows) + 1
                with conn.cursor().copy(
                    "COPY spool_readings (site_id, id, asset_id, ts_ns, fields) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(["text", "int8", "text", "int8", "bytea"])
                    for n, (asset_id, ts_ns, fields) in enumerate(rows):
                        copy.write_row((self.site_id, first + n, asset_id, ts_ns, fields))
            if letters:
                self._insert_letters(conn, letters)
        return last_id

    def _insert_letters(self, conn: Connection, letters: Sequence[tuple[str, str, bytes, str]]) -> None:
        with conn.cursor().copy(
            "COPY spool_dead_letters (site_id, received_at, source, payload, error) FROM STDIN"
        ) as copy:
            for received_at, source, payload, error in letters:
                copy.write_row((self.site_id, received_at, source, payload, error))

    def _committed(self, readings: int, last_id: int) -> None:
        self._seen(last_id)  # ids below ours that another process committed count too: see _seen

    def _seen(self, last_id: int) -> None:
        """The site's readings now reach `last_id` (ours or another process's, an old owner's); wake the consumers.

        Ids are gap-free and commit in order, so every id up to `last_id` is a committed reading: depth grows
        by the difference. Rows another process deleted since are still counted until we advance past them.
        """
        with self._waiters:
            if last_id <= self._last_id:
                return
            self._depth += last_id - self._last_id
            self._last_id = last_id
            if self.consumers:
                self._commits.append((last_id, self.clock.now()))
            self._waiters.notify_all()

    def reject(self, *, source: str, payload: bytes, error: str) -> None:
        received_at = self.clock.now().isoformat()
        with self._session(self._writes, write=True) as conn:
            self._insert_letters(conn, [(received_at, source, payload, error[:ERROR_MAX])])
        self.stats.dead_lettered += 1

    def take_rows(self, limit: int, consumer: str = "store", *, after: int | None = None) -> list[SpoolRow]:
        """The consumer's next readings as raw rows (id, asset_id, ts_ns, fields JSON), oldest first.

        `after`: past this id instead of the consumer's cursor (a consumer holding taken rows in memory).
        """
        with self._lock:
            after = self._cursors[consumer] if after is None else max(after, self._cursors[consumer])
            if after >= self._last_id:
                return []  # nothing new: no query, so an idle consumer costs nothing
        rows = self._fetch(
            "SELECT id, asset_id, ts_ns, fields FROM spool_readings "
            "WHERE site_id = %s AND id > %s ORDER BY id LIMIT %s",
            (self.site_id, after, limit),
        )
        if rows:
            self._seen(int(rows[-1][0]))
        return cast(list[SpoolRow], rows)

    def wait_for_readings(self, consumer: str, timeout: float, *, after: int | None = None) -> bool:
        """Block until a commit left readings past the consumer's cursor (or `after`), or `timeout` seconds passed.

        Commits of this process wake it at once; at the timeout, the site's counter says whether another
        process (an old owner) committed meanwhile. A database fault then is no news: False, no exception.
        """
        with self._waiters:
            if self._waiters.wait_for(lambda: self._last_id > max(after or 0, self._cursors[consumer]), timeout):
                return True
        try:
            (row,) = self._fetch("SELECT last_id FROM spool_sites WHERE site_id = %s", (self.site_id,))
            last_id = int(row[0])
        except SpoolUnavailable:
            return False  # the consumer's next take reports the fault
        self._seen(last_id)
        with self._lock:
            return self._last_id > max(after or 0, self._cursors[consumer])

    def wake_waiters(self) -> None:
        """Release every `wait_for_readings` now (at shutdown)."""
        with self._waiters:
            self._waiters.notify_all()

    def advance(self, consumer: str, last_id: int) -> None:
        """The consumer is done with every reading up to `last_id`; delete what every consumer is done with."""
        oldest = min(last_id if name == consumer else cursor for name, cursor in self._cursors.items())
        with self._session(self._reads, write=True) as conn:
            conn.execute(
                "INSERT INTO spool_cursors (site_id, consumer, last_id) VALUES (%s, %s, %s) "
                "ON CONFLICT (site_id, consumer) DO UPDATE SET last_id = excluded.last_id",
                (self.site_id, consumer, last_id),
            )
            deleted = conn.execute(
                "DELETE FROM spool_readings WHERE site_id = %s AND id <= %s", (self.site_id, oldest)
            ).rowcount
        with self._lock:
            self._cursors[consumer] = last_id
            self._depth = max(0, self._depth - deleted)
            while self._commits and self._commits[0][0] <= oldest:
                self._commits.popleft()

    def lag(self, consumer: str) -> int:
        """Readings the consumer has not processed yet."""
        query = "SELECT count(*) FROM spool_readings WHERE site_id = %s AND id > %s"
        (row,) = self._fetch(query, (self.site_id, self._cursors[consumer]))
        return int(row[0])

    def oldest_pending_at(self, consumer: str) -> datetime | None:
        """When the oldest reading the consumer has not taken yet was committed (at the latest), or None."""
        with self._lock:
            return first_commit_after(self._commits, self._cursors[consumer])

    def move_to_dead_letters(self, row: SpoolRow, error: str) -> None:
        """A spooled reading the store refuses leaves the queue for dead letters, in one transaction."""
        letter = (self.clock.now().isoformat(), "store", row_payload(row[1:]), error[:ERROR_MAX])
        with self._session(self._reads, write=True) as conn:
            self._insert_letters(conn, [letter])
            deleted = conn.execute(
                "DELETE FROM spool_readings WHERE site_id = %s AND id = %s", (self.site_id, row[0])
            ).rowcount
        with self._lock:
            self._depth = max(0, self._depth - deleted)
        self.stats.dead_lettered += 1

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._fetch(
            "SELECT id, received_at, source, payload, error FROM spool_dead_letters "
            "WHERE site_id = %s ORDER BY id DESC LIMIT %s",
            (self.site_id, limit),
        )
        return [DeadLetter(int(r[0]), r[1], r[2], bytes(r[3]), r[4]) for r in rows]

    def dead_letter_count(self) -> int:
        (row,) = self._fetch("SELECT count(*) FROM spool_dead_letters WHERE site_id = %s", (self.site_id,))
        return int(row[0])
