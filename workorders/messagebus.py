"""The message bus: commands to their handler, then the events the change raised to theirs (cosmicpython ch. 9–10).

`handle(command)` runs the command's handler in a fresh unit of work; a failing command raises to the caller.
Then every event the unit of work's aggregates raised goes to the handlers registered for its type (and for
its base classes, most specific first), one at a time. After each handler the bus collects the events that
handler raised in turn, so an event handler may run further commands on the unit of work it is given. A
failing event handler is logged and the bus moves on: the change is committed already.

Reactions that must not be lost (the alerts outbox) are not event handlers here: they are the unit of work's
`in_transaction` handlers and run inside the command's transaction (see docs/architecture.md).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import tzinfo
from typing import Any, TypeVar

from core.clock import Clock
from workorders.codes import CHINA
from workorders.commands import Command
from workorders.events import WorkOrderEvent
from workorders.handlers import COMMAND_HANDLERS, Context
from workorders.sla import DEFAULT_SLA, SlaTable
from workorders.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
T = TypeVar("T")

# Runs after the change committed; it may run further commands on the unit of work (their events follow).
EventHandler = Callable[[WorkOrderEvent, UnitOfWork], None]


class MessageBus:
    """One per caller kind (API, console, SLA job, rules worker); cheap to build, holds no state of its own."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        context: Context,
        event_handlers: Mapping[type[WorkOrderEvent], Sequence[EventHandler]] | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.context = context
        self.event_handlers = dict(event_handlers or {})

    def handle(self, command: Command) -> Any:
        """Run the command's handler, then the handlers of every event it raised; returns what the handler did."""
        handler = COMMAND_HANDLERS[type(command)]
        return self.run(lambda uow: handler(command, uow, self.context))

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """Like `handle`, for a use case that writes more than one command in one transaction (console intake)."""
        uow = self.uow_factory()
        result = work(uow)
        self.publish(uow)
        return result

    def publish(self, uow: UnitOfWork) -> None:
        """Hand every event `uow` holds to its handlers, and the events those raise, until none is left."""
        queue = deque(uow.collect_new_events())
        while queue:
            event = queue.popleft()
            for handler in self.handlers_for(type(event)):
                try:
                    handler(event, uow)
                except Exception:
                    log.exception("publishing %s for work order %s failed", type(event).__name__, event.code)
                queue.extend(uow.collect_new_events())

    def handlers_for(self, kind: type[WorkOrderEvent]) -> Iterator[EventHandler]:
        for cls in kind.__mro__:
            yield from self.event_handlers.get(cls, ())


def subscriber(publish: Callable[[WorkOrderEvent], None]) -> EventHandler:
    """An event handler that only needs the event (a log line, a test's list, a push to the console)."""
    return lambda event, _uow: publish(event)


def build_bus(
    uow_factory: Callable[[], UnitOfWork],
    *,
    clock: Clock,
    publish: Callable[[WorkOrderEvent], None] | None = None,
    sla: SlaTable = DEFAULT_SLA,
    tz: tzinfo = CHINA,
) -> MessageBus:
    """The bus the API, the console and the jobs use: `publish` (if any) receives every event."""
    handlers = {WorkOrderEvent: [subscriber(publish)]} if publish is not None else {}
    return MessageBus(uow_factory, context=Context(clock, sla, tz), event_handlers=handlers)
