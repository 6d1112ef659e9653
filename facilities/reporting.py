"""The monthly report wired to this hub's parts: the patrols file, the reading store and the planned-maintenance
port (the CLI, the hub's job on the 1st and the console's download use this one function)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.clock import Clock
from core.settings import Settings
from core.site import Site
from patrols.config import EMPTY, PatrolBook, load_patrols
from reports.gather import build_monthly_report
from reports.model import MonthlyReport, PlannedMaintenanceSource
from storage.store import ReadingStore

# PLANNED MAINTENANCE: the plans package (issue 21, maintenance plans) answers this port once it is merged;
# until then the report's section 3 says the plans are not connected.
PLANNED_MAINTENANCE: PlannedMaintenanceSource | None = None


def patrol_book(settings: Settings, site: Site) -> PatrolBook:
    return load_patrols(settings.patrols_file, site) if settings.patrols_file is not None else EMPTY


def monthly_report(
    settings: Settings, site: Site, sessions: Callable[[], Session], store: ReadingStore | None, period: str,
    clock: Clock,
) -> MonthlyReport:  # fmt: skip
    return build_monthly_report(
        site, sessions, store, period, book=patrol_book(settings, site), clock=clock, planned=PLANNED_MAINTENANCE
    )
