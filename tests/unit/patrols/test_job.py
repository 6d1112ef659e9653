"""The hub's patrol check job: added with its arguments, refused with a useless interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from core.clock import FakeClock
from patrols.config import EMPTY
from patrols.job import JOB_ID, log_only, schedule_patrol_checks


def test_the_check_is_scheduled_every_five_minutes() -> None:
    scheduler = BackgroundScheduler()
    clock = FakeClock(datetime(2026, 12, 1, tzinfo=UTC))
    options = {"site_id": "lakeview", "zone": ZoneInfo("Asia/Shanghai"), "clock": clock, "notify": log_only}
    schedule_patrol_checks(scheduler, lambda: None, EMPTY, **options)  # type: ignore[arg-type,return-value]
    [job] = scheduler.get_jobs()
    assert (job.id, job.trigger.interval, job.max_instances, job.coalesce) == (JOB_ID, timedelta(minutes=5), 1, True)
    with pytest.raises(ValueError, match="must be positive"):
        schedule_patrol_checks(scheduler, lambda: None, EMPTY, every=timedelta(0), **options)  # type: ignore[arg-type,return-value]
