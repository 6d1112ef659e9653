"""Maintenance tables: each occurrence of a task (planned order, checklist results, sign-off) and usage counters.

Written to match migration 0014_maintenance; tests/integration/maintenance/test_schema.py checks they agree.
One row per (site, task, due date, trigger): the scheduler may run twice, on two replicas, after a restart,
and still opens one order per occurrence.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Float, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base
from storage.sql_types import UtcDateTime, one_of


class Trigger(StrEnum):
    CALENDAR = "calendar"
    USAGE = "usage"
    CONDITION = "condition"
    INSPECTION = "inspection"  # the statutory inspection's reminder


class OccurrenceStatus(StrEnum):
    OPEN = "open"  # the planned order is out; the checklist is not done
    DONE = "done"  # checklist recorded (a contractor's visit: entered, waiting for sign-off if signed_off_at is None)
    CANCELLED = "cancelled"


class OccurrenceRow(Base):
    __tablename__ = "maintenance_occurrences"
    __table_args__ = (
        UniqueConstraint("site_id", "task_key", "due_on", "trigger", name="uq_maintenance_occurrences_due"),
        CheckConstraint(one_of("trigger", Trigger), name="trigger"),
        CheckConstraint(one_of("status", OccurrenceStatus), name="status"),
        Index("ix_maintenance_occurrences_site_due", "site_id", "due_at"),
        Index("ix_maintenance_occurrences_asset", "site_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    task_key: Mapped[str] = mapped_column(String(160))  # plan/task/asset
    plan_id: Mapped[str] = mapped_column(String(40))
    task_id: Mapped[str] = mapped_column(String(40))
    asset_id: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16))
    trigger_detail: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the end of the due date in the site's zone
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    team: Mapped[str | None] = mapped_column(String(64), nullable=True)
    contractor_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    work_order_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=OccurrenceStatus.OPEN.value)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    done_by_contractor: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the contractor's person
    signed_off_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    signed_off_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    followup_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # orders opened for failed items


class UsageCounterRow(Base):
    """How much use a usage task has counted since it was last done, and up to when the readings were read."""

    __tablename__ = "maintenance_usage_counters"
    __table_args__ = (UniqueConstraint("site_id", "task_key", name="uq_maintenance_usage_counters_task"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    task_key: Mapped[str] = mapped_column(String(160))
    counted: Mapped[float] = mapped_column(Float, default=0.0)
    counted_until: Mapped[datetime] = mapped_column(UtcDateTime)
    last_state: Mapped[str] = mapped_column(String(32), default="")  # the field's last value (a transition's start)


TABLES = frozenset({OccurrenceRow.__tablename__, UsageCounterRow.__tablename__})
