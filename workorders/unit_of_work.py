"""One unit of work = one transaction: commit or nothing, and the events the aggregates raised in it."""

from __future__ import annotations

import abc
import copy
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Protocol, Self, TypeVar
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workorders.domain import WorkOrder
from workorders.events import WorkOrderEvent
from workorders.repository import FakeWorkOrderRepository, SqlAlchemyWorkOrderRepository, WorkOrderRepository

T = TypeVar("T")

# Unique violation, serialization failure, deadlock (PostgreSQL); a unique or primary key clash (SQLite).
_CONFLICT_SQLSTATES = frozenset({"23505", "40001", "40P01"})
_CONFLICT_SQLITE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


class TransactionHandler(Protocol):
    """Reacts to a block's events inside its transaction, just before it commits (the alerts outbox).

    It reads the pending `events` of `orders` and writes in `session`; raising rolls the whole block back.
    It returns what to run once the transaction committed (wake a dispatcher), or None.
    """

    def __call__(self, session: Session, orders: Sequence[WorkOrder]) -> Callable[[], None] | None: ...


class ConcurrentUpdate(Exception):
    """Another writer changed the same orders first; the whole command should run again."""


class UnitOfWork(abc.ABC):
    """`with uow: …; uow.commit()` — leaving the block without commit rolls back."""

    work_orders: WorkOrderRepository

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the block's changes durable; raises `ConcurrentUpdate` when another writer came first."""

    @abc.abstractmethod
    def rollback(self) -> None: ...

    def collect_new_events(self) -> Iterator[WorkOrderEvent]:
        """The events raised in the last block, each handed out once."""
        for order in self.work_orders.seen:
            while order.events:
                yield order.events.pop(0)


class SqlAlchemyUnitOfWork(UnitOfWork):
    """A session per block, from `storage.database.session_factory(engine)`.

    `in_transaction` handlers (the message bus's, e.g. enqueueing alerts) run at each commit, in its session.
    """

    def __init__(
        self, session_factory: Callable[[], Session], *, in_transaction: Sequence[TransactionHandler] = ()
    ) -> None:
        self._session_factory = session_factory
        self.in_transaction = tuple(in_transaction)

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        if self.session.get_bind().dialect.name == "sqlite":
            # SQLite's stand-in for FOR UPDATE: take the write lock before reading, so writers queue
            # (busy timeout) instead of reading the same version and all but one failing at commit.
            try:
                self.session.execute(text("BEGIN IMMEDIATE"))
            except BaseException:
                self.session.close()
                raise
        self._repository = SqlAlchemyWorkOrderRepository(self.session)
        self.work_orders = self._repository
        return super().__enter__()

    def __exit__(self, *exc_info: object) -> None:
        try:
            super().__exit__(*exc_info)
        finally:
            self.session.close()

    def commit(self) -> None:
        committed: list[Callable[[], None]] = []
        try:
            # Their inserts flush the block's pending rows: a unique clash there must become ConcurrentUpdate too.
            orders = list(self.work_orders.seen)
            for handler in self.in_transaction:
                then = handler(self.session, orders)
                if then is not None:
                    committed.append(then)
            self._repository.flush()
            self.session.commit()
        except (DBAPIError, StaleDataError) as exc:
            self.session.rollback()
            if isinstance(exc, StaleDataError) or _is_conflict(exc):
                raise ConcurrentUpdate(f"another writer changed these work orders first: {exc}") from exc
            raise
        for then in committed:
            then()

    def rollback(self) -> None:
        self.session.rollback()


class FakeUnitOfWork(UnitOfWork):
    """In memory, for unit tests: counts commits; leaving a block uncommitted restores what it started with."""

    def __init__(self, repository: FakeWorkOrderRepository | None = None) -> None:
        self.fake_repository = repository or FakeWorkOrderRepository()
        self.work_orders = self.fake_repository
        self.commits = 0
        self._saved: tuple[dict[UUID, WorkOrder], dict[tuple[str, date], int]] | None = None

    def __enter__(self) -> Self:
        repository = self.fake_repository
        self._saved = copy.deepcopy((repository.orders, repository.counters))
        repository.forget_seen()  # like a fresh session: only this block's aggregates hand out events
        return super().__enter__()

    def commit(self) -> None:
        self.commits += 1
        self._saved = None

    def rollback(self) -> None:
        if self._saved is not None:
            self.fake_repository.orders, self.fake_repository.counters = self._saved
            self._saved = None


def run_in_transaction(uow: UnitOfWork, work: Callable[[], T], *, attempts: int = 5) -> T:
    """Run `work` in a block and commit; start again from a fresh read when a concurrent writer came first."""
    attempt = 1
    while True:
        try:
            with uow:
                result = work()
                uow.commit()
                return result
        except ConcurrentUpdate:
            if attempt >= attempts:
                raise
            attempt += 1


def _is_conflict(exc: DBAPIError) -> bool:
    original = exc.orig
    return (
        getattr(original, "sqlstate", None) in _CONFLICT_SQLSTATES
        or getattr(original, "sqlite_errorname", None) in _CONFLICT_SQLITE
    )
