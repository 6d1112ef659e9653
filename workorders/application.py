"""The work-order application service the API and the console share: one bus per caller, one way to refuse.

Both entry points build their bus with `bus_for` and run commands through `execute`, which turns what the
domain refuses into `Refused(status, message)`: the API answers it as JSON, the console shows it on the page.
Neither entry point imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.clock import Clock
from core.site import Site
from workorders.codes import CHINA
from workorders.commands import Command
from workorders.events import WorkOrderEvent
from workorders.lifecycle import WorkOrderNotFound
from workorders.messagebus import MessageBus, build_bus
from workorders.sla import DEFAULT_SLA, SlaTable
from workorders.unit_of_work import ConcurrentUpdate, SqlAlchemyUnitOfWork, UnitOfWork

T = TypeVar("T")

CONCURRENT = "Someone changed this work order at the same moment; try again"


class Refused(Exception):
    """A command the caller must change or retry: `status` is the HTTP answer (403, 404, 409, 422)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bus_for(
    *,
    session_factory: Callable[[], Session],
    uow_factory: Callable[[], UnitOfWork] | None,
    clock: Clock,
    publish: Callable[[WorkOrderEvent], None] | None,
    sla: SlaTable = DEFAULT_SLA,
    tz: tzinfo = CHINA,
) -> MessageBus:
    """The bus over the hub's unit of work (it writes the alerts outbox) or a plain one over `session_factory`."""
    factory = uow_factory if uow_factory is not None else (lambda: SqlAlchemyUnitOfWork(session_factory))
    return build_bus(factory, clock=clock, publish=publish, sla=sla, tz=tz)


class EntryDeps(Protocol):
    """What an entry point holds that the bus needs (`api.ports.ApiDependencies` is one, the console reads it)."""

    @property
    def site(self) -> Site: ...
    @property
    def session_factory(self) -> Callable[[], Session]: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def uow_factory(self) -> Callable[[], UnitOfWork] | None: ...
    @property
    def work_order_events(self) -> Callable[[WorkOrderEvent], None] | None: ...


def entry_bus(deps: EntryDeps) -> MessageBus:
    """The bus of an API request or a console page: the site's calendar, every event to `work_order_events`."""
    return bus_for(
        session_factory=deps.session_factory,
        uow_factory=deps.uow_factory,
        clock=deps.clock,
        publish=deps.work_order_events,
        tz=ZoneInfo(deps.site.info.timezone),
    )


def execute(bus: MessageBus, command: Command | Callable[[UnitOfWork], T]) -> Any:
    """Run a command (or a use case of several) on the bus; what the domain refuses raises `Refused`.

    A move the lifecycle forbids (`WorkOrderConflict`) passes through: each entry point words it itself.
    """
    try:
        return bus.handle(command) if isinstance(command, Command) else bus.run(command)
    except WorkOrderNotFound as exc:
        raise Refused(404, str(exc)) from None
    except PermissionError as exc:  # a guard's refusal (`access.orders.AccessDenied`): another team's order
        raise Refused(403, str(exc)) from None
    except ValueError as exc:  # blank notes, a title of spaces: the domain names the field
        raise Refused(422, str(exc)) from None
    except ConcurrentUpdate:
        raise Refused(409, CONCURRENT) from None
