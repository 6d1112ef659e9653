"""What the entry points need to serve planned maintenance: the resolved plans, the photo store, the calendar."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from alerts.config import Calendar
from maintenance.loading import Maintenance
from storage.photos import PhotoStore


@dataclass(frozen=True)
class MaintenanceRuntime:
    maintenance: Maintenance
    photos: PhotoStore
    calendar: Calendar = field(default_factory=Calendar)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.maintenance.timezone)
