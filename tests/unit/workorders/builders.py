"""Builders for work-order tests: one known instant, an elevator alarm, an order in any state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from workorders.alarms import AlarmFacts
from workorders.domain import WorkOrder
from workorders.lifecycle import Status
from workorders.values import Category, Deadlines, Priority, Source

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai, the 26th there too
MINUTE = timedelta(minutes=1)


def elevator_alarm(
    *,
    asset_id: str = "B1-L1",
    rule_id: str = "elevator.entrapment",
    severity: str = "critical",
    raised_at: datetime = T0,
    site_id: str = "lakeview",
    category: Category = Category.ELEVATOR,
) -> AlarmFacts:
    return AlarmFacts(
        rule_id=rule_id,
        asset_id=asset_id,
        severity=severity,
        raised_at=raised_at,
        message="Passenger trapped between floors 3 and 4",
        evidence={"state": "stopped", "door": "closed", "alarm_button": True, "floor": 3.5},
        site_id=site_id,
        building_id="B1",
        category=category,
    )


def new_order(*, at: datetime = T0, deadlines: Deadlines | None = None, code: str = "WO-20261126-0001") -> WorkOrder:
    """A staff-entered plumbing order, opened at `at`; its opening event and audit entry are kept."""
    return WorkOrder.open(
        code=code,
        site_id="lakeview",
        category=Category.PLUMBING,
        priority=Priority.NORMAL,
        source=Source.STAFF,
        title="Leaking pipe in the B1 pump room",
        description="Water on the floor under the booster pump",
        reported_at=at,
        opened_at=at,
        deadlines=deadlines or Deadlines(),
        actor="clerk-li",
    )


# The legal path into each state, as the commands that lead there.
PATH_TO: dict[Status, tuple[Status, ...]] = {
    Status.OPEN: (),
    Status.ACKNOWLEDGED: (Status.ACKNOWLEDGED,),
    Status.ON_SITE: (Status.ACKNOWLEDGED, Status.ON_SITE),
    Status.RESOLVED: (Status.ACKNOWLEDGED, Status.ON_SITE, Status.RESOLVED),
    Status.CLOSED: (Status.ACKNOWLEDGED, Status.ON_SITE, Status.RESOLVED, Status.CLOSED),
    Status.CANCELLED: (Status.CANCELLED,),
}


def move(order: WorkOrder, to: Status, *, actor: str = "tech-wang", at: datetime = T0) -> None:
    """The command that asks for `to`."""
    if to is Status.ACKNOWLEDGED:
        order.acknowledge(actor=actor, at=at)
    elif to is Status.ON_SITE:
        order.arrive(actor=actor, at=at)
    elif to is Status.RESOLVED:
        order.resolve(actor=actor, resolution="Replaced the gasket", at=at)
    elif to is Status.CLOSED:
        order.close(actor=actor, at=at)
    elif to is Status.CANCELLED:
        order.cancel(actor=actor, reason="Duplicate of WO-20261126-0002", at=at)
    else:
        raise AssertionError(f"no command leads to {to}")


def order_in(status: Status) -> WorkOrder:
    order = new_order()
    for step, target in enumerate(PATH_TO[status], start=1):
        move(order, target, at=T0 + step * MINUTE)
    return order
