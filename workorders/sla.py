"""Service levels: how soon each kind of order must be taken, reached and fixed, and the check that marks misses.

Deadlines are fixed when an order opens, counted from when the problem was reported (the alarm's
raised_at, or the resident's call). A missed step is marked once, as a `sla_breaches` row and a
`SlaBreached` event the composition root routes to the supervisor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from workorders.events import SlaBreached
from workorders.unit_of_work import UnitOfWork, run_in_transaction
from workorders.values import Category, Deadlines, Priority


@dataclass(frozen=True)
class SlaPolicy:
    """The targets for one (category, priority); None means no target for that step."""

    acknowledge_within: timedelta | None
    on_site_within: timedelta | None
    resolve_within: timedelta | None

    def deadlines(self, reported_at: datetime) -> Deadlines:
        def due(within: timedelta | None) -> datetime | None:
            return None if within is None else reported_at + within

        return Deadlines(due(self.acknowledge_within), due(self.on_site_within), due(self.resolve_within))


@dataclass(frozen=True)
class SlaTable:
    """A policy for every (category, priority)."""

    policies: Mapping[tuple[Category, Priority], SlaPolicy]

    def __post_init__(self) -> None:
        missing = [f"{c.value}/{p.value}" for c in Category for p in Priority if (c, p) not in self.policies]
        if missing:
            raise ValueError(f"the SLA table has no policy for {', '.join(missing)}; add one for each")

    def policy(self, category: Category, priority: Priority) -> SlaPolicy:
        return self.policies[category, priority]


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def _hours(n: int) -> timedelta:
    return timedelta(hours=n)


# Company defaults; a contract with the owners' committee may set others. Emergency on site within 30 min
# follows the 中国物业管理协会《普通住宅小区物业管理服务等级标准》 level-one commitment (急修半小时内到达现场).
DEFAULT_BY_PRIORITY: dict[Priority, SlaPolicy] = {
    Priority.EMERGENCY: SlaPolicy(_minutes(5), _minutes(30), _hours(4)),
    Priority.HIGH: SlaPolicy(_minutes(15), _hours(2), _hours(24)),
    Priority.NORMAL: SlaPolicy(_hours(1), _hours(24), _hours(72)),
    Priority.LOW: SlaPolicy(_hours(4), _hours(72), _hours(168)),
}

DEFAULT_OVERRIDES: dict[tuple[Category, Priority], SlaPolicy] = {
    # Elevator emergency (困人, entrapment): the crew's job rules put them on site within 10 min. The legal
    # ceiling, TSG T5002-2017《电梯维护保养规则》第五条, is 30 min in a municipality or a city with districts
    # (1 h elsewhere). Arrival is the one clock: there is no separate acknowledge target to breach first.
    (Category.ELEVATOR, Priority.EMERGENCY): SlaPolicy(None, _minutes(10), _hours(2)),
    # A stopped elevator with nobody trapped still strands residents of a high-rise.
    (Category.ELEVATOR, Priority.HIGH): SlaPolicy(_minutes(5), _minutes(30), _hours(24)),
}

DEFAULT_SLA = SlaTable(
    {(c, p): DEFAULT_OVERRIDES.get((c, p), DEFAULT_BY_PRIORITY[p]) for c in Category for p in Priority}
)


def check_breaches(uow: UnitOfWork, now: datetime, *, site_id: str | None = None) -> list[SlaBreached]:
    """Mark every step missed by `now`, each (order, step) exactly once, and return the new breaches.

    The same `SlaBreached` events are also left on the unit of work for the message bus.
    """

    def mark() -> list[SlaBreached]:
        due = uow.work_orders.breach_candidates(now, site_id=site_id)
        return [breach for order in due for breach in order.record_breaches(now)]

    return run_in_transaction(uow, mark)
