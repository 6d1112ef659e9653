"""The escalation job's schedule (the job itself runs against real databases in tests/integration/alerts)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from alerts.escalation import ESCALATION_JOB_ID, run_escalation_check, schedule_escalation_checks
from alerts.handlers import outbox_unit_of_work as OutboxUnitOfWork
from core.clock import FakeClock
from tests.unit.workorders.builders import T0


def never_called() -> OutboxUnitOfWork:
    raise AssertionError("scheduling must not run the job")


def test_schedule_adds_one_interval_job() -> None:
    clock = FakeClock(T0)

    async def schedule_twice() -> list[Any]:
        scheduler = AsyncIOScheduler()
        scheduler.start(paused=True)  # paused: nothing runs, but the job store resolves replace_existing
        for _ in range(2):
            schedule_escalation_checks(scheduler, uow_factory=never_called, clock=clock, sites=["lakeview"])
        jobs: list[Any] = scheduler.get_jobs()
        scheduler.shutdown(wait=False)
        return jobs

    (job,) = asyncio.run(schedule_twice())
    assert (job.id, job.func, job.trigger.interval) == (ESCALATION_JOB_ID, run_escalation_check, timedelta(seconds=15))
    assert (job.max_instances, job.coalesce, job.kwargs["clock"], job.kwargs["sites"]) == (1, True, clock, ["lakeview"])


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        schedule_escalation_checks(
            AsyncIOScheduler(), uow_factory=never_called, clock=FakeClock(T0), every=timedelta(0)
        )
