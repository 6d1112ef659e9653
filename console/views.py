"""What the pages show, computed from work orders: the next deadline and its countdown, teams, local times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Protocol

from console.i18n import Words
from workorders.lifecycle import ACTIVE_STATES, Status
from workorders.queries import WorkOrderSummary
from workorders.values import Deadlines, SlaKind

# The move each button makes, by the state it leads to.
ACTIONS: dict[Status, str] = {
    Status.ACKNOWLEDGED: "acknowledge",
    Status.ON_SITE: "arrive",
    Status.RESOLVED: "resolve",
    Status.CLOSED: "close",
    Status.CANCELLED: "cancel",
}
TARGETS: dict[str, Status] = {action: status for status, action in ACTIONS.items()}
NEEDS_NOTE = frozenset({"resolve", "cancel"})  # the domain refuses these without a text


@dataclass(frozen=True)
class Due:
    """The next step still to do and when it is due; `seconds_left` is negative once it is late."""

    step: SlaKind
    at: datetime
    seconds_left: int

    @property
    def late(self) -> bool:
        return self.seconds_left <= 0  # at the deadline itself the step is already missed (Deadlines.missed)


def next_due(
    deadlines: Deadlines,
    *,
    status: Status,
    acknowledged_at: datetime | None,
    arrived_at: datetime | None,
    resolved_at: datetime | None,
    now: datetime,
) -> Due | None:
    """The first step not yet done that has a deadline (acknowledge, on site, resolve); None when nothing is due."""
    if status not in ACTIVE_STATES:
        return None
    done = {SlaKind.ACKNOWLEDGE: acknowledged_at, SlaKind.ON_SITE: arrived_at, SlaKind.RESOLVE: resolved_at}
    for kind in SlaKind:
        due = deadlines.due(kind)
        if due is not None and done[kind] is None:
            return Due(kind, due, int((due - now).total_seconds()))
    return None


class HasSteps(Protocol):
    """A work order or a list's summary of one: its deadlines and when each step was done."""

    @property
    def deadlines(self) -> Deadlines: ...
    @property
    def status(self) -> Status: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def arrived_at(self) -> datetime | None: ...
    @property
    def resolved_at(self) -> datetime | None: ...


def due_of(order: HasSteps, now: datetime) -> Due | None:
    return next_due(
        order.deadlines,
        status=order.status,
        acknowledged_at=order.acknowledged_at,
        arrived_at=order.arrived_at,
        resolved_at=order.resolved_at,
        now=now,
    )


def countdown(due: Due | None, words: Words) -> str:
    """`剩余 7 分 05 秒` / `3 min 05 s overdue`: what a technician reads at a glance."""
    if due is None:
        return words.t("no_deadline")
    return words.t("overdue" if due.late else "left", time=duration(abs(due.seconds_left), words))


def duration(seconds: int | float, words: Words) -> str:
    seconds = int(seconds)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if words.lang == "zh-CN":
        parts = [f"{days} 天"] if days else []
        parts += [f"{hours} 小时"] if hours or days else []
        return " ".join([*parts, f"{minutes} 分", f"{secs:02d} 秒"] if not days else [*parts, f"{minutes} 分"])
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours or days else []
    return " ".join([*parts, f"{minutes} min", f"{secs:02d} s"] if not days else [*parts, f"{minutes} min"])


def minutes_text(value: timedelta | None, words: Words) -> str:
    return "—" if value is None else words.t("minutes", n=round(value.total_seconds() / 60))


def local(when: datetime | None, zone: tzinfo, *, with_date: bool = True) -> str:
    if when is None:
        return ""
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")


def by_deadline(rows: list[WorkOrderSummary], now: datetime) -> list[WorkOrderSummary]:
    """Soonest (or most overdue) deadline first; orders without one last, oldest first among them."""
    far = datetime.max.replace(tzinfo=now.tzinfo)

    def key(order: WorkOrderSummary) -> tuple[datetime, datetime]:
        due = due_of(order, now)
        return (due.at if due is not None else far, order.reported_at)

    return sorted(rows, key=key)
