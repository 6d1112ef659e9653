"""What people and the hub ask of work orders: one dataclass per command, handled by `workorders.handlers`.

A command names one intent and carries what it needs; the message bus runs its handler in a unit of work
and then hands the events the change raised to their handlers. A failing command raises to its caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from workorders.alarms import AlarmClearedFacts, AlarmFacts
from workorders.service import Guard, ResidentRequest
from workorders.values import Satisfaction


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base of every work-order command."""


@dataclass(frozen=True, kw_only=True)
class OpenFromAlarm(Command):
    """Open an order for a rule's alarm, or append it to the order covering it (returns an `OrderRef`)."""

    alarm: AlarmFacts


@dataclass(frozen=True, kw_only=True)
class NoteAlarmCleared(Command):
    """Note on the active order that its alarm cleared (returns the `OrderRef` or None)."""

    cleared: AlarmClearedFacts


@dataclass(frozen=True, kw_only=True)
class OpenRequest(Command):
    """Record a resident's or staff's request (returns an `OrderRef`)."""

    request: ResidentRequest


@dataclass(frozen=True, kw_only=True)
class CheckSla(Command):
    """Mark every SLA step missed by now (returns the new `SlaBreached` events); of one site when `site_id` is set
    (each site's hub checks its own: its breach alerts follow that site's routing)."""

    site_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderCommand(Command):
    """A change to one order by `actor`; `guard` runs on the order as loaded and raises to refuse it."""

    order_id: UUID
    actor: str
    guard: Guard | None = None


@dataclass(frozen=True, kw_only=True)
class Acknowledge(OrderCommand):
    """open → acknowledged (接單)."""


@dataclass(frozen=True, kw_only=True)
class Arrive(OrderCommand):
    """acknowledged → on_site (到場)."""


@dataclass(frozen=True, kw_only=True)
class Resolve(OrderCommand):
    """on_site → resolved (完工)."""

    resolution: str


@dataclass(frozen=True, kw_only=True)
class Close(OrderCommand):
    """resolved → closed (歸檔)."""


@dataclass(frozen=True, kw_only=True)
class Cancel(OrderCommand):
    """open or acknowledged → cancelled."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class Assign(OrderCommand):
    """Dispatch (派單) to a person and/or a team."""

    assignee: str | None
    team: str | None


@dataclass(frozen=True, kw_only=True)
class AddComment(OrderCommand):
    """A comment; `actor` is its author."""

    text: str


@dataclass(frozen=True, kw_only=True)
class RecordFollowUp(OrderCommand):
    """The follow-up call (回訪), once the order is resolved."""

    satisfaction: Satisfaction
    feedback: str
