"""The work-order tables on the shared `Base`. Rows only; the repository maps them to the aggregate.

`storage/migrations/versions/0002_workorders.py` creates exactly these (a test compares the two).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.database import Base
from storage.sql_types import UtcDateTime, one_of
from workorders.lifecycle import ACTIVE_STATES, Status
from workorders.values import Category, Priority, Satisfaction, SlaKind, Source

# The partial unique index behind "at most one active order per (site, asset, rule)", on SQLite and PostgreSQL.
# The site is part of the key because asset ids are unique only within a site file, and hubs share a database.
ACTIVE_PREDICATE = one_of("status", ACTIVE_STATES)
ORDER_ID = "work_orders.id"


class WorkOrderRow(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("site_id", "code", name="uq_work_orders_site_code"),
        Index(
            "uq_work_orders_active_alarm",
            "site_id",
            "asset_id",
            "rule_id",
            unique=True,
            sqlite_where=text(ACTIVE_PREDICATE),
            postgresql_where=text(ACTIVE_PREDICATE),
        ),
        Index("ix_work_orders_status", "status"),
        Index("ix_work_orders_reported_at", "reported_at"),
        CheckConstraint(one_of("status", Status), name="status"),
        CheckConstraint(one_of("category", Category), name="category"),
        CheckConstraint(one_of("priority", Priority), name="priority"),
        CheckConstraint(one_of("source", Source), name="source"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(24))
    site_id: Mapped[str] = mapped_column(String(64))
    asset_id: Mapped[str | None] = mapped_column(String(64))
    rule_id: Mapped[str | None] = mapped_column(String(128))
    building_id: Mapped[str | None] = mapped_column(String(64))
    unit_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    reporter: Mapped[str | None] = mapped_column(String(128))
    assignee: Mapped[str | None] = mapped_column(String(128))
    team: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledge_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    on_site_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    alarm_count: Mapped[int] = mapped_column(Integer)
    last_alarm_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Optimistic lock: a writer that loaded an older version fails instead of overwriting (SQLite has no FOR UPDATE).
    version: Mapped[int] = mapped_column(Integer)

    alarms: Mapped[list[AlarmRow]] = relationship(order_by="AlarmRow.id", cascade="all, delete-orphan")
    comments: Mapped[list[CommentRow]] = relationship(order_by="CommentRow.id", cascade="all, delete-orphan")
    audit: Mapped[list[AuditRow]] = relationship(order_by="AuditRow.id", cascade="all, delete-orphan")
    follow_ups: Mapped[list[FollowUpRow]] = relationship(order_by="FollowUpRow.id", cascade="all, delete-orphan")
    breaches: Mapped[list[SlaBreachRow]] = relationship(order_by="SlaBreachRow.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own class attribute


class AlarmRow(Base):
    __tablename__ = "work_order_alarms"
    __table_args__ = (UniqueConstraint("work_order_id", "rule_id", "raised_at", name="uq_work_order_alarms_raised"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORDER_ID, ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(32))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)


class CommentRow(Base):
    __tablename__ = "work_order_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORDER_ID, ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)


class AuditRow(Base):
    __tablename__ = "work_order_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORDER_ID, ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


class FollowUpRow(Base):
    __tablename__ = "work_order_followups"
    __table_args__ = (CheckConstraint(one_of("satisfaction", Satisfaction), name="satisfaction"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORDER_ID, ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    made_by: Mapped[str] = mapped_column(String(128))
    satisfaction: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str] = mapped_column(Text)


class SlaBreachRow(Base):
    """One row per (order, step) that missed its deadline; the unique key makes marking idempotent."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint("work_order_id", "kind", name="uq_sla_breaches_order_kind"),
        Index("ix_sla_breaches_detected_at", "detected_at"),
        CheckConstraint(one_of("kind", SlaKind), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    work_order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORDER_ID, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CodeCounterRow(Base):
    """The last work-order number handed out per site and local day."""

    __tablename__ = "work_order_code_counters"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


TABLES = frozenset(
    {
        "work_orders",
        "work_order_alarms",
        "work_order_comments",
        "work_order_audit",
        "work_order_followups",
        "sla_breaches",
        "work_order_code_counters",
    }
)
