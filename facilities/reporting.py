"""The monthly report wired to this hub's parts: the patrols file, the reading store and the planned-maintenance
port (the CLI, the hub's job on the 1st and the console's download use this one function)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.clock import Clock
from core.settings import Settings
from core.site import Site
from maintenance.reports import planned_completion
from patrols.config import EMPTY, PatrolBook, load_patrols
from reports.gather import build_monthly_report
from reports.model import MonthlyReport, PlannedMaintenance, PlannedMaintenanceSource
from storage.store import ReadingStore


def planned_maintenance(
    settings: Settings, site: Site, sessions: Callable[[], Session]
) -> PlannedMaintenanceSource | None:
    """The report's planned-maintenance section from the plans' records; None (not connected) without a plans file."""
    if settings.maintenance_file is None:
        return None
    zone = ZoneInfo(site.info.timezone)

    def source(site_id: str, start: datetime, end: datetime) -> PlannedMaintenance:
        local = start.astimezone(zone)  # the report's month starts at local midnight on the 1st
        done = planned_completion(sessions, site_id=site_id, year=local.year, month=local.month, tz=zone)
        overdue = tuple(
            f"{miss.due_on.isoformat()} {miss.task_key} {miss.asset_id}"
            + (f" {miss.work_order_code}" if miss.work_order_code else "")
            + (" (late)" if miss.late else " (not done)")
            for miss in done.misses
        )
        return PlannedMaintenance(due=done.due, on_time=done.on_time, overdue=overdue)

    return source


def patrol_book(settings: Settings, site: Site) -> PatrolBook:
    return load_patrols(settings.patrols_file, site) if settings.patrols_file is not None else EMPTY


def monthly_report(
    settings: Settings, site: Site, sessions: Callable[[], Session], store: ReadingStore | None, period: str,
    clock: Clock,
) -> MonthlyReport:  # fmt: skip
    planned = planned_maintenance(settings, site, sessions)
    book = patrol_book(settings, site)
    return build_monthly_report(site, sessions, store, period, book=book, clock=clock, planned=planned)
