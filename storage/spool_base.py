"""What every spool shares: its records, the checks before a commit, and the split of a refused group.

A spool (`storage.spool.Spool` on SQLite, `storage.pg_spool.PgSpool` on PostgreSQL) only says how a group
is written and what counts as an error of the data; the rest is here, so both keep the same guarantee:
every message ends, in bounded time, committed or as a dead letter, and a fault of the database itself is
`SpoolUnavailable` with nothing of the group taken.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from core.clock import Clock
from core.ports import SinkUnavailable
from core.reading import Reading, from_ns
from core.validation import InvalidReading, ReadingValidator
from storage import spool_text as text
from storage.spool_text import ERROR_MAX as ERROR_MAX

SpoolRow = tuple[int, str, int, bytes]  # id, asset_id, ts_ns, fields as JSON
GoodRow = tuple[str, int, bytes]  # asset_id, ts_ns, fields JSON
BadRow = tuple[str, str, bytes, str]  # received_at, source, payload, error


class SpoolUnavailable(SinkUnavailable):
    """The spool cannot be written now; the message names where it is and the database's reason."""


@dataclass
class SpoolStats:
    spooled: int = 0
    dead_lettered: int = 0
    refused_full: int = 0
    split_commits: int = 0  # group commits that failed on their data and were split
    unavailable: int = 0  # commits that failed because of the database (disk full, read-only, locked, gone)


@dataclass
class SpoolHealth:
    """What /health says about the spool: the last fault of its database, if it has not cleared."""

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
class Message:
    """One message of a group, checked: the rows to commit and the dead letters beside them."""

    source: str
    good: list[GoodRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)


def first_commit_after(commits: Iterable[tuple[int, datetime]], cursor: int) -> datetime | None:
    """When the first commit holding a reading past `cursor` was made: (last id of a commit, when), oldest first."""
    return next((committed_at for last_id, committed_at in commits if last_id > cursor), None)


class SpoolBase(ABC):
    """The public interface of a spool, with the checks and the splitting both spools share."""

    validator: ReadingValidator
    clock: Clock
    max_readings: int
    consumers: tuple[str, ...]
    stats: SpoolStats
    health: SpoolHealth
    # Errors of the data, not of the database: a value it cannot hold, a constraint. Splitting helps.
    data_errors: tuple[type[BaseException], ...] = (OverflowError, ValueError, TypeError)

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the spool is, for messages (a file, or a database and site); never a password."""

    @property
    @abstractmethod
    def depth(self) -> int: ...

    @property
    def full(self) -> bool:
        return self.depth >= self.max_readings

    @abstractmethod
    def close(self) -> None: ...

    def _before_accept(self) -> None:  # noqa: B027 (a hook: most spools need nothing here)
        """Learn of other processes' commits before the bound is checked (a shared spool); nothing by default."""

    @abstractmethod
    def _insert(self, messages: Sequence[Message]) -> int:
        """Write the group's rows and dead letters in one transaction; the highest reading id afterwards.

        Raises one of `data_errors` (nothing taken; the group is split) or SpoolUnavailable.
        """

    @abstractmethod
    def _committed(self, readings: int, last_id: int) -> None:
        """Note a commit of `readings` ending at `last_id` and wake the consumers."""

    def accept(self, readings: Sequence[Reading], *, source: str) -> bool:
        return self.accept_many([(readings, source)]) == 1

    def accept_many(self, messages: Sequence[tuple[Sequence[Reading], str]]) -> int:
        """Commit a group of messages in one transaction: how many, from the front, were taken.

        Messages that do not fit under `max_readings` are left to the caller (un-acked: back-pressure).
        Invalid readings become dead letters in the same transaction. SpoolUnavailable: none was taken.
        """
        self._before_accept()
        depth = self.depth
        room = self.max_readings - depth
        now = self.clock.now()
        received_at = now.isoformat()
        prepared: list[Message] = []
        size = 0
        for readings, source in messages:
            # The first message is taken into an empty spool whatever its size, so no message can wedge it.
            if len(readings) > room - size and not (not prepared and depth == 0):
                break
            message = Message(source)
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

    def _commit(self, messages: list[Message], received_at: str) -> None:
        """Commit the group; on an error of its data, split it until only the offender is a dead letter."""
        try:
            last_id = self._insert(messages)
        except self.data_errors as exc:
            self.stats.split_commits += 1
            if len(messages) > 1:
                middle = len(messages) // 2
                self._commit(messages[:middle], received_at)
                self._commit(messages[middle:], received_at)
                return
            message = messages[0]
            if not message.good:
                # Only dead letters, and still refused: their text is made safe and tried once more.
                safe = [(at, text.safe(src), payload, text.safe(error)) for at, src, payload, error in message.bad]
                if safe == message.bad:
                    raise
                self._commit([Message(text.safe(message.source), bad=safe)], received_at)
                return
            if len(message.good) > 1:  # one message of many readings (a poll): split it by reading
                halves = (message.good[: len(message.good) // 2], message.good[len(message.good) // 2 :])
                self._commit([Message(message.source, halves[0], message.bad)], received_at)
                self._commit([Message(message.source, halves[1])], received_at)
                return
            # One reading the database refuses although validation passed it: a dead letter with the reason.
            refused = [
                (received_at, message.source, text.row_payload(row), text.reason(exc, "the spool refused it"))
                for row in message.good
            ]
            self._commit([Message(message.source, bad=[*message.bad, *refused])], received_at)
            return
        good = sum(len(m.good) for m in messages)
        self._committed(good, last_id)
        self.stats.spooled += good
        self.stats.dead_lettered += sum(len(m.bad) for m in messages)

    @abstractmethod
    def reject(self, *, source: str, payload: bytes, error: str) -> None: ...

    def take(self, limit: int, consumer: str = "store") -> list[SpooledReading]:
        """The consumer's next readings, oldest first, as Reading objects."""
        return [
            SpooledReading(row[0], Reading(row[1], from_ns(row[2]), orjson.loads(row[3])))
            for row in self.take_rows(limit, consumer)
        ]

    @abstractmethod
    def take_rows(self, limit: int, consumer: str = "store", *, after: int | None = None) -> list[SpoolRow]:
        """The consumer's next readings as raw rows (id, asset_id, ts_ns, fields JSON), oldest first.

        `after`: past this id instead of the consumer's cursor (a consumer holding taken rows in memory).
        """

    @abstractmethod
    def wait_for_readings(self, consumer: str, timeout: float, *, after: int | None = None) -> bool:
        """Block until a commit left readings past the consumer's cursor (or `after`), or `timeout` seconds passed."""

    @abstractmethod
    def wake_waiters(self) -> None:
        """Release every `wait_for_readings` now (at shutdown)."""

    @abstractmethod
    def advance(self, consumer: str, last_id: int) -> None:
        """The consumer is done with every reading up to `last_id`; delete what every consumer is done with."""

    @abstractmethod
    def lag(self, consumer: str) -> int:
        """Readings the consumer has not processed yet."""

    @abstractmethod
    def oldest_pending_at(self, consumer: str) -> datetime | None:
        """When the oldest reading the consumer has not taken yet was committed (at the latest), or None."""

    @abstractmethod
    def move_to_dead_letters(self, row: SpoolRow, error: str) -> None:
        """A spooled reading the store refuses leaves the queue for dead letters, in one transaction."""

    @abstractmethod
    def dead_letters(self, limit: int = 100) -> list[DeadLetter]: ...

    @abstractmethod
    def dead_letter_count(self) -> int: ...
