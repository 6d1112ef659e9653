"""The patrol tables on the shared `Base`: patrols walked, checkpoints visited, sensor findings answered, and
the late/missed notices already sent. `storage/migrations/versions/0016_patrols.py` creates exactly these."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base
from storage.sql_types import UtcDateTime


class PatrolRow(Base):
    """One walk of a route, for the slot (the due time) it answers."""

    __tablename__ = "patrols"
    __table_args__ = (Index("ix_patrols_site_route_slot", "site_id", "route_id", "slot_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    route_id: Mapped[str] = mapped_column(String(48))
    slot_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_by: Mapped[str] = mapped_column(String(128))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class VisitRow(Base):
    """A checkpoint reached during a patrol, with its checklist results and any work order it opened."""

    __tablename__ = "patrol_visits"
    __table_args__ = (UniqueConstraint("patrol_id", "checkpoint", name="uq_patrol_visits_patrol_checkpoint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patrol_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patrols.id", ondelete="CASCADE"), index=True)
    checkpoint: Mapped[str] = mapped_column(String(16))
    visited_at: Mapped[datetime] = mapped_column(UtcDateTime)
    visited_by: Mapped[str] = mapped_column(String(128))
    results: Mapped[dict[str, Any]] = mapped_column(JSON)  # checklist item -> "ok" | "fail"
    note: Mapped[str] = mapped_column(Text, default="")
    finding: Mapped[bool] = mapped_column(Boolean, default=False)
    work_order_code: Mapped[str | None] = mapped_column(String(24))
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys in the shared photo store


class SensorNoteRow(Base):
    """What the walker said of a thing the sensors reported on the route: confirmed, or explained."""

    __tablename__ = "patrol_sensor_notes"
    __table_args__ = (UniqueConstraint("patrol_id", "key", name="uq_patrol_sensor_notes_patrol_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    patrol_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patrols.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))  # rule_id|asset_id, or offline|asset_id
    kind: Mapped[str] = mapped_column(String(24))
    verdict: Mapped[str] = mapped_column(String(16))  # confirmed | explained
    note: Mapped[str] = mapped_column(Text, default="")
    noted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    noted_by: Mapped[str] = mapped_column(String(128))


class PatrolNoticeRow(Base):
    """A late or missed notice sent for one slot of one route: written once, so it is sent once."""

    __tablename__ = "patrol_notices"
    __table_args__ = (UniqueConstraint("site_id", "route_id", "slot_at", "kind", name="uq_patrol_notices_slot_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64))
    route_id: Mapped[str] = mapped_column(String(48))
    slot_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(8))  # late | missed
    noticed_at: Mapped[datetime] = mapped_column(UtcDateTime)
