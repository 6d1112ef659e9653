"""The hub's scheduled patrol check: late and missed patrols noticed every few minutes (APScheduler 3)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy.orm import Session

from core.clock import Clock
from patrols.config import PatrolBook
from patrols.watch import Notify, PatrolNotice, check_patrols

JOB_ID = "patrols.watch"
log = logging.getLogger("facilities.patrols")


def log_only(_session: Session, notice: PatrolNotice) -> None:
    """Where no alerts file is configured, a late or missed patrol is a warning in the hub's log only."""
    log.warning("no alert channel for patrol %s of %s (%s)", notice.route.id, notice.slot_at, notice.kind)


def run_patrol_check(
    sessions: Callable[[], Session], book: PatrolBook, *, site_id: str, zone: ZoneInfo, clock: Clock, notify: Notify
) -> int:
    """One check; how many notices it sent."""
    return len(check_patrols(sessions, book, site_id=site_id, zone=zone, now=clock.now(), notify=notify))


def schedule_patrol_checks(
    scheduler: BaseScheduler, sessions: Callable[[], Session], book: PatrolBook, *, site_id: str, zone: ZoneInfo,
    clock: Clock, notify: Notify, every: timedelta = timedelta(minutes=5),
) -> Any:  # fmt: skip
    """Add the interval job (one instance at a time, missed runs coalesced); APScheduler logs a failed run."""
    if every <= timedelta(0):
        raise ValueError(f"the patrol check interval must be positive, got {every}")
    return scheduler.add_job(
        run_patrol_check, "interval", seconds=every.total_seconds(), id=JOB_ID, name="late and missed patrols",
        args=(sessions, book), kwargs={"site_id": site_id, "zone": zone, "clock": clock, "notify": notify},
        replace_existing=True, max_instances=1, coalesce=True,
    )  # fmt: skip
