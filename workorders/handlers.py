"""The handler of each command: it runs `workorders.service` in the bus's unit of work, with the bus's clock,
SLA table and time zone. Add a command here and in `workorders.commands`; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from core.clock import Clock
from workorders import commands as cmd
from workorders import service
from workorders.codes import CHINA
from workorders.sla import DEFAULT_SLA, SlaTable, check_breaches
from workorders.unit_of_work import UnitOfWork, run_in_transaction


@dataclass(frozen=True)
class Context:
    """What handlers need besides the unit of work."""

    clock: Clock
    sla: SlaTable = DEFAULT_SLA
    tz: tzinfo = CHINA


def open_from_alarm(c: cmd.OpenFromAlarm, uow: UnitOfWork, ctx: Context) -> service.OrderRef:
    return service.open_from_alarm(uow, c.alarm, clock=ctx.clock, sla=ctx.sla, tz=ctx.tz)


def note_alarm_cleared(c: cmd.NoteAlarmCleared, uow: UnitOfWork, ctx: Context) -> service.OrderRef | None:
    return service.handle_alarm_cleared(uow, c.cleared, clock=ctx.clock)


def open_request(c: cmd.OpenRequest, uow: UnitOfWork, ctx: Context) -> service.OrderRef:
    def work() -> service.OrderRef:
        return service.open_request(uow, c.request, clock=ctx.clock, sla=ctx.sla, tz=ctx.tz)

    return run_in_transaction(uow, work)


def check_sla(c: cmd.CheckSla, uow: UnitOfWork, ctx: Context) -> object:
    return check_breaches(uow, ctx.clock.now(), site_id=c.site_id)


def acknowledge(c: cmd.Acknowledge, uow: UnitOfWork, ctx: Context) -> None:
    service.acknowledge(uow, order_id=c.order_id, actor=c.actor, clock=ctx.clock, guard=c.guard)


def arrive(c: cmd.Arrive, uow: UnitOfWork, ctx: Context) -> None:
    service.arrive(uow, order_id=c.order_id, actor=c.actor, clock=ctx.clock, guard=c.guard)


def resolve(c: cmd.Resolve, uow: UnitOfWork, ctx: Context) -> None:
    service.resolve(uow, order_id=c.order_id, actor=c.actor, resolution=c.resolution, clock=ctx.clock, guard=c.guard)


def close(c: cmd.Close, uow: UnitOfWork, ctx: Context) -> None:
    service.close(uow, order_id=c.order_id, actor=c.actor, clock=ctx.clock, guard=c.guard)


def cancel(c: cmd.Cancel, uow: UnitOfWork, ctx: Context) -> None:
    service.cancel(uow, order_id=c.order_id, actor=c.actor, reason=c.reason, clock=ctx.clock, guard=c.guard)


def assign(c: cmd.Assign, uow: UnitOfWork, ctx: Context) -> None:
    service.assign(
        uow, order_id=c.order_id, assignee=c.assignee, team=c.team, actor=c.actor, clock=ctx.clock, guard=c.guard
    )


def add_comment(c: cmd.AddComment, uow: UnitOfWork, ctx: Context) -> None:
    service.add_comment(uow, order_id=c.order_id, author=c.actor, text=c.text, clock=ctx.clock, guard=c.guard)


def record_follow_up(c: cmd.RecordFollowUp, uow: UnitOfWork, ctx: Context) -> None:
    service.record_follow_up(
        uow, order_id=c.order_id, actor=c.actor, satisfaction=c.satisfaction, feedback=c.feedback, clock=ctx.clock,
        guard=c.guard,
    )  # fmt: skip


CommandHandler = Callable[[Any, UnitOfWork, Context], Any]

COMMAND_HANDLERS: Mapping[type[cmd.Command], CommandHandler] = {
    cmd.OpenFromAlarm: open_from_alarm,
    cmd.NoteAlarmCleared: note_alarm_cleared,
    cmd.OpenRequest: open_request,
    cmd.CheckSla: check_sla,
    cmd.Acknowledge: acknowledge,
    cmd.Arrive: arrive,
    cmd.Resolve: resolve,
    cmd.Close: close,
    cmd.Cancel: cancel,
    cmd.Assign: assign,
    cmd.AddComment: add_comment,
    cmd.RecordFollowUp: record_follow_up,
}
