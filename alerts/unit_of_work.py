"""A work-order unit of work that writes the outbox in the same transaction as the orders.

No hook in `workorders/`: this subclass adds one step to `commit` — the outbox rows for the events the
block's orders raised go into the same session just before it commits. The events stay on the orders, so
`collect_new_events()` still hands them to the bus afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from alerts.outbox import AlertOutbox
from workorders.unit_of_work import SqlAlchemyUnitOfWork


class OutboxUnitOfWork(SqlAlchemyUnitOfWork):
    """`SqlAlchemyUnitOfWork` + the outbox; `on_commit` (e.g. `OutboxDispatcher.wake`) runs after each commit."""

    def __init__(
        self,
        session_factory: Callable[[], Session],
        outbox: AlertOutbox,
        *,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(session_factory)
        self.outbox = outbox
        self.on_commit = on_commit
        self._written = 0

    def before_commit(self) -> None:
        # Its inserts flush the block's pending rows: a unique clash there must become ConcurrentUpdate too.
        self._written = self.outbox.enqueue(self.session, self.work_orders.seen)

    def commit(self) -> None:
        self._written = 0
        super().commit()
        if self._written and self.on_commit is not None:
            self.on_commit()
