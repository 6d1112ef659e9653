"""Planned maintenance in the hub: the file loaded against the site, the photo store, the planner and its job."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from alerts.config import Calendar
from core.clock import Clock
from core.registry import AssetRegistry
from core.settings import Settings
from core.site import Site
from facilities.alerting import Alerts
from facilities.photo_wiring import photos_from_settings
from maintenance.loading import load_maintenance
from maintenance.planner import Planner
from maintenance.runtime import MaintenanceRuntime
from rules.events import AlarmRaised
from storage.photos import PhotoStore
from storage.store import ReadingStore
from workorders.events import WorkOrderEvent
from workorders.unit_of_work import UnitOfWork

log = logging.getLogger("facilities.maintenance")


def build_maintenance(
    settings: Settings, site: Site, alerts: Alerts | None, photos: PhotoStore | None = None
) -> MaintenanceRuntime | None:
    """The maintenance file if one is set (a missing or broken one stops the hub with a message naming file and
    key); `photos`: the hub's store, else the one FACILITIES_PHOTOS_* choose (facilities/photo_wiring.py)."""
    path = settings.maintenance_file
    if path is None:
        log.info("FACILITIES_MAINTENANCE_FILE is not set: planned maintenance is off")
        return None
    file = alerts.outbox.routing.file if alerts is not None else None
    teams = frozenset(file.teams) if file is not None else None
    maintenance = load_maintenance(path, site, teams=teams)
    for warning in maintenance.warnings:
        log.warning("%s: %s", path, warning)
    photos = photos or photos_from_settings(settings).store
    return MaintenanceRuntime(maintenance, photos, file.calendar if file is not None else Calendar())


def build_planner(
    runtime: MaintenanceRuntime, *, uow_factory: Callable[[], UnitOfWork], clock: Clock, store: ReadingStore,
    registry: AssetRegistry, publish: Callable[[WorkOrderEvent], None] | None,
) -> Planner:  # fmt: skip
    return Planner(runtime.maintenance, uow_factory, clock, calendar=runtime.calendar, store=store,
                   registry=registry, publish=publish)  # fmt: skip


def condition_trigger(planner: Planner) -> Callable[[Any], None]:
    """For the alarm dispatcher: a rule's alarm makes the asset's condition tasks due (a failure is logged)."""

    def on_alarm(event: Any) -> None:
        if not isinstance(event, AlarmRaised):
            return
        try:
            planner.on_alarm(rule_id=event.rule_id, asset_id=event.asset_id, raised_at=event.raised_at)
        except Exception:
            log.exception("condition-based maintenance for %s on %s failed", event.rule_id, event.asset_id)

    return on_alarm
