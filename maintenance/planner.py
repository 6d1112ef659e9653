"""The planner: opens the planned orders that are due, from the calendar, from usage, from a rule's alarm.

`Planner.run()` is one pass (the hub runs it every `every`, APScheduler in the site's zone; the CLI's
`facilities maintenance run` runs it once). Each occurrence is opened in its own transaction, so one bad task
never stops the others, and twice-run passes open nothing twice (one row per task, due date and trigger).
Statutory inspections open a reminder order `warn_days` (30) before the due date; it is due on that date, so an
overdue inspection is an SLA breach that alerts and escalates like any order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from alerts.config import Calendar
from core.clock import Clock
from core.registry import AssetRegistry
from maintenance.cadence import next_due, working_day_on_or_before
from maintenance.config import Cadence, Inspection, UsageTrigger
from maintenance.loading import Maintenance, PlannedTask
from maintenance.orders import Occurrence, open_occurrence, session_of
from maintenance.orm import OccurrenceRow, OccurrenceStatus, Trigger
from maintenance.usage import count_usage, has_source, take_usage
from storage.store import ReadingStore
from workorders.codes import local_day
from workorders.events import WorkOrderEvent
from workorders.messagebus import build_bus
from workorders.unit_of_work import UnitOfWork, run_in_transaction
from workorders.values import Priority

log = logging.getLogger("facilities.maintenance")
MAX_CATCH_UP = 60  # occurrences per task per pass after a long stop: each is opened overdue, a recorded miss
PLANNER_JOB_ID = "maintenance.planner"


@dataclass(frozen=True)
class LastOccurrence:
    due_on: date
    completed_at: datetime | None
    status: str


@dataclass
class PassResult:
    opened: list[str] = field(default_factory=list)  # order codes
    failed: list[str] = field(default_factory=list)  # task keys whose pass raised (logged)


@dataclass
class Planner:
    maintenance: Maintenance
    uow_factory: Callable[[], UnitOfWork]
    clock: Clock
    calendar: Calendar = field(default_factory=Calendar)
    store: ReadingStore | None = None
    registry: AssetRegistry | None = None
    publish: Callable[[WorkOrderEvent], None] | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.maintenance.timezone)

    def run(self) -> PassResult:
        """One pass: calendar tasks, usage tasks, inspections. Returns the codes of the orders opened."""
        result = PassResult()
        today = local_day(self.clock.now(), self.zone)
        for planned in self.maintenance.tasks:
            try:
                if planned.task.cadence is not None:
                    result.opened += self._calendar(planned, planned.task.cadence, today)
                usage = planned.task.usage
                if (
                    usage is not None
                    and self.store is not None
                    and self.registry is not None
                    and has_source(planned, usage, self.registry)
                ):
                    result.opened += self._usage(planned, usage, self.store, self.registry, today)
            except Exception:
                log.exception("maintenance task %s: the planner pass failed; the other tasks go on", planned.key)
                result.failed.append(planned.key)
        for inspection in self.maintenance.inspections:
            if today < inspection.due - timedelta(days=inspection.warn_days):
                continue
            try:
                result.opened += self._open(self._inspection(inspection))
            except Exception:
                log.exception("inspection reminder for %s failed; the others go on", inspection.asset)
                result.failed.append(f"inspection/{inspection.asset}")
        return result

    def _inspection(self, inspection: Inspection) -> Occurrence:
        asset = self.maintenance.assets[inspection.asset]
        cert = f"，证书 {inspection.certificate}" if inspection.certificate else ""
        occ = Occurrence(
            site_id=self.maintenance.site_id, task_key=f"inspection/{asset.id}", plan_id="inspection",
            task_id="statutory", asset=asset, trigger=Trigger.INSPECTION, due_on=inspection.due,
            title=f"电梯定期检验 {inspection.due.isoformat()} 到期 · {asset.name}",
            description=f"{asset.name}（{asset.id}）定期检验于 {inspection.due.isoformat()} 到期{cert}；"
            "请提前一个月向检验机构报检，并通知维保单位配合。",
            priority=Priority.NORMAL,
        )  # fmt: skip
        return occ

    def on_alarm(self, *, rule_id: str, asset_id: str, raised_at: datetime) -> list[str]:
        """Condition-based tasks: a rule's alarm on an asset makes its condition tasks due (one per day)."""
        opened: list[str] = []
        day = local_day(raised_at, self.zone)
        for planned in self.maintenance.tasks_for(asset_id):
            condition = planned.task.condition
            if condition is None or condition.rule != rule_id or self._open_exists(planned, Trigger.CONDITION):
                continue
            occ = self._occurrence(planned, Trigger.CONDITION, self._soon(day, planned),
                                   detail=f"{rule_id} raised at {raised_at.isoformat()}")  # fmt: skip
            opened += self._open(occ)
        return opened

    def _calendar(self, planned: PlannedTask, cadence: Cadence, today: date) -> list[str]:
        opened: list[str] = []
        lead = timedelta(days=self._lead_days(planned))
        for _ in range(MAX_CATCH_UP):
            last = self._last(planned, Trigger.CALENDAR)
            if last is None:
                due = next_due(cadence, anchor=planned.plan.anchor, after=None, done_on=None, calendar=self.calendar)
                while due < today:  # a new plan starts from today, not with a year of misses
                    due = next_due(cadence, anchor=planned.plan.anchor, after=due, done_on=None, calendar=self.calendar)
            else:
                done_on = local_day(last.completed_at, self.zone) if last.completed_at is not None else None
                due = next_due(cadence, anchor=planned.plan.anchor, after=last.due_on, done_on=done_on,
                               calendar=self.calendar)  # fmt: skip
            if due - lead > today:
                return opened
            codes = self._open(self._occurrence(planned, Trigger.CALENDAR, due))
            if not codes:
                return opened
            opened += codes
        return opened

    def _usage(
        self, planned: PlannedTask, usage: UsageTrigger, store: ReadingStore, registry: AssetRegistry, today: date
    ) -> list[str]:
        counted = count_usage(self.uow_factory, store, registry, planned, usage, now=self.clock.now())
        if counted < usage.every:
            return []
        detail = f"{counted:.0f} {usage.measure.value} since last time (every {usage.every:g})"
        codes = self._open(self._occurrence(planned, Trigger.USAGE, self._soon(today, planned), detail=detail),
                           reset_usage=usage.every)  # fmt: skip
        return codes

    def _soon(self, day: date, planned: PlannedTask) -> date:
        return working_day_on_or_before(day + timedelta(days=max(planned.task.lead_days, 7)), self.calendar)

    def _lead_days(self, planned: PlannedTask) -> int:
        notice = planned.contractor.notice_days if planned.contractor is not None else 0
        return max(planned.task.lead_days, notice)

    def _occurrence(self, planned: PlannedTask, trigger: Trigger, due: date, *, detail: str = "") -> Occurrence:
        doer = planned.contractor.name if planned.contractor is not None else (planned.team or "")
        items = len(planned.task.items)
        return Occurrence(
            site_id=self.maintenance.site_id, task_key=planned.key, plan_id=planned.plan.id,
            task_id=planned.task.id, asset=planned.asset, trigger=trigger, due_on=due,
            title=f"{planned.task.name} · {planned.asset.name} · {due.isoformat()} 前完成",
            description=f"{planned.plan.name}：{planned.task.name}（{items} 项），执行：{doer}。{detail}".strip(),
            team=planned.contractor.team if planned.contractor is not None else planned.team,
            contractor_id=planned.contractor.id if planned.contractor is not None else None,
            trigger_detail=detail,
        )  # fmt: skip

    def _open(self, occ: Occurrence, *, reset_usage: float | None = None) -> list[str]:
        bus = build_bus(self.uow_factory, clock=self.clock, publish=self.publish, tz=self.zone)

        def work(uow: UnitOfWork) -> str | None:
            def inner() -> str | None:
                code = open_occurrence(uow, occ, now=self.clock.now(), tz=self.zone)
                if code is not None and reset_usage is not None:
                    take_usage(session_of(uow), occ.site_id, occ.task_key, reset_usage)
                return code

            return run_in_transaction(uow, inner)

        code = bus.run(work)
        if code is not None:
            log.info("maintenance: opened %s for %s due %s (%s)", code, occ.task_key, occ.due_on, occ.trigger.value)
        return [code] if code is not None else []

    def _last(self, planned: PlannedTask, trigger: Trigger) -> LastOccurrence | None:
        with self.uow_factory() as uow:
            row = session_of(uow).scalar(
                select(OccurrenceRow)
                .where(OccurrenceRow.site_id == self.maintenance.site_id, OccurrenceRow.task_key == planned.key,
                       OccurrenceRow.trigger == trigger.value)
                .order_by(OccurrenceRow.due_on.desc())
                .limit(1)
            )  # fmt: skip
            return None if row is None else LastOccurrence(row.due_on, row.completed_at, row.status)

    def _open_exists(self, planned: PlannedTask, trigger: Trigger) -> bool:
        last = self._last(planned, trigger)
        return last is not None and last.status == OccurrenceStatus.OPEN.value


def schedule_planner(scheduler: Any, planner: Planner, *, every: timedelta = timedelta(minutes=15)) -> Any:
    """Add (or replace) the interval job running `planner.run`, first at once (what fell due while the hub was
    down opens at start-up); one instance at a time, missed runs coalesced."""
    if every <= timedelta(0):
        raise ValueError(f"the maintenance planner interval must be positive, got {every}")
    return scheduler.add_job(
        planner.run, "interval", seconds=every.total_seconds(), id=PLANNER_JOB_ID, name="maintenance planner",
        replace_existing=True, max_instances=1, coalesce=True, timezone=planner.zone,
        next_run_time=datetime.now(planner.zone),
    )  # fmt: skip
