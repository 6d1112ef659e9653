"""The monthly operations report (月度小结) of one site, as plain data: what the PDF and the workbook show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class OrderLine:
    """Work orders of one category reported in the month."""

    category: str
    count: int
    breaches: int  # SLA steps missed (taken, on site, fixed)
    resolved: int
    median_hours_to_resolve: float | None
    within_sla: int = 0  # orders that missed no SLA step

    @property
    def sla_rate(self) -> float | None:
        return self.within_sla / self.count if self.count else None


@dataclass(frozen=True)
class PatrolLine:
    """One route's rounds due in the month."""

    route_id: str
    route_name: str
    due: int
    on_time: int
    late: int  # completed, but after the window
    missed: tuple[datetime, ...]  # rounds never completed

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


@dataclass(frozen=True)
class UtilityLine:
    """A utility's consumption this month, the month before and the same month a year earlier."""

    utility: str
    unit: str
    this_month: Decimal | None
    previous_month: Decimal | None
    last_year: Decimal | None
    meters: int
    meters_without_data: int  # this month
    meters_without_data_before: int = 0  # the month before


@dataclass(frozen=True)
class RecurringProblem:
    """An asset (or a unit) with more than one work order in the month."""

    place: str
    count: int
    categories: tuple[str, ...]
    titles: tuple[str, ...]


@dataclass(frozen=True)
class PlannedMaintenance:
    """What the maintenance plans delivered in the month (the plans package answers this through a port)."""

    due: int
    on_time: int
    overdue: tuple[str, ...]

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


class PlannedMaintenanceSource(Protocol):
    """The port the plans package fills: planned work due in [start, end) and how it went."""

    def __call__(self, site_id: str, start: datetime, end: datetime) -> PlannedMaintenance: ...


@dataclass(frozen=True)
class MonthlyReport:
    site_id: str
    site_name: str
    period: str  # YYYY-MM
    generated_at: datetime
    orders: tuple[OrderLine, ...]
    satisfaction: dict[str, int]
    patrols: tuple[PatrolLine, ...]
    alarms: dict[str, int]  # alarm kind (rule kind) -> work orders opened from alarms of that kind
    consumption: tuple[UtilityLine, ...]
    recurring: tuple[RecurringProblem, ...]
    planned: PlannedMaintenance | None = None  # None: the plans package is not connected
    notes: tuple[str, ...] = field(default=())

    @property
    def order_total(self) -> int:
        return sum(line.count for line in self.orders)

    @property
    def patrol_rate(self) -> float | None:
        due = sum(line.due for line in self.patrols)
        return sum(line.on_time for line in self.patrols) / due if due else None

    @property
    def satisfied_share(self) -> float | None:
        calls = sum(self.satisfaction.values())
        pleased = self.satisfaction.get("very_satisfied", 0) + self.satisfaction.get("satisfied", 0)
        return pleased / calls if calls else None
