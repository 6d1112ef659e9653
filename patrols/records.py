"""What a patrol is, read back: the patrol, its visits and its answers to the sensors (plain dataclasses)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Visit:
    checkpoint: str
    visited_at: datetime
    visited_by: str
    results: dict[str, Any]
    note: str
    finding: bool
    work_order_code: str | None
    photos: tuple[str, ...] = ()


@dataclass(frozen=True)
class SensorNote:
    key: str
    kind: str
    verdict: str
    note: str
    noted_at: datetime
    noted_by: str


@dataclass(frozen=True)
class Patrol:
    id: uuid.UUID
    site_id: str
    route_id: str
    slot_at: datetime
    started_at: datetime
    started_by: str
    completed_at: datetime | None
    visits: tuple[Visit, ...] = ()
    sensor_notes: tuple[SensorNote, ...] = field(default=())

    @property
    def visited(self) -> set[str]:
        return {visit.checkpoint for visit in self.visits}
