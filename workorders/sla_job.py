"""The scheduled SLA check: every interval, the `CheckSla` command through the message bus."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler

from core.clock import Clock
from workorders.commands import CheckSla
from workorders.events import WorkOrderEvent
from workorders.messagebus import build_bus
from workorders.unit_of_work import UnitOfWork

SLA_JOB_ID = "workorders.sla_check"


def run_sla_check(
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    publish: Callable[[WorkOrderEvent], None],
    site_id: str | None = None,
) -> int:
    """One round of the scheduled job: the `CheckSla` command on the bus; returns how many breaches.

    The breaches are recorded either way; a failing `publish` is logged and the other events still go out.
    """
    breaches = build_bus(uow_factory, clock=clock, publish=publish).handle(CheckSla(site_id=site_id))
    return len(breaches)


def schedule_sla_checks(
    scheduler: BaseScheduler,
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    publish: Callable[[WorkOrderEvent], None],
    every: timedelta = timedelta(seconds=30),
    site_id: str | None = None,
) -> Any:
    """Add (or replace) the interval job that runs `run_sla_check`; returns APScheduler's Job.

    A breach is noticed at most `every` late. The job is synchronous, so the asyncio scheduler runs it in
    its thread pool; one instance at a time, and missed runs are coalesced into one.
    """
    if every <= timedelta(0):
        raise ValueError(f"the SLA check interval must be positive, got {every}")
    return scheduler.add_job(
        run_sla_check,
        "interval",
        seconds=every.total_seconds(),
        id=SLA_JOB_ID,
        name="work-order SLA check",
        kwargs={"uow_factory": uow_factory, "clock": clock, "publish": publish, "site_id": site_id},
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
