"""The alert tables on the shared `Base`: the outbox of messages to deliver and the escalation clocks.

`storage/migrations/versions/0006_alerts.py` creates exactly these (a test compares the two). No foreign key
to `work_orders`: the alerts branch migrates on its own, and a delivery record outlives a purged order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.database import Base
from storage.sql_types import UtcDateTime, one_of


class MessageKind(StrEnum):
    ALERT = "alert"  # a new work order, to the teams the rules route it to
    ESCALATION = "escalation"  # nobody acknowledged in time: the next level of the chain
    BREACH = "breach"  # an SLA step was missed: the supervisors
    STATE = "state"  # the order's current state, retained per order on MQTT


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its first or next attempt
    SENDING = "sending"  # claimed by a dispatcher until `next_attempt_at` (the lease)
    DELIVERED = "delivered"
    FAILED = "failed"  # attempts used up, or the peer refused it for good
    SUPERSEDED = "superseded"  # a state message overtaken by a newer state of the same order


class OutboxRow(Base):
    """One message to one channel, written in the transaction that changed the work order."""

    __tablename__ = "alert_outbox"
    __table_args__ = (
        Index("ix_alert_outbox_due", "status", "next_attempt_at"),
        Index("ix_alert_outbox_work_order_id", "work_order_id"),
        CheckConstraint(one_of("kind", MessageKind), name="kind"),
        CheckConstraint(one_of("status", DeliveryStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Sent to the peer with every attempt, so a retry after a timeout is recognised there, not repeated.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    site_id: Mapped[str] = mapped_column(String(64))
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    work_order_code: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    team: Mapped[str | None] = mapped_column(String(64))
    personal: Mapped[bool] = mapped_column(Boolean)  # one member's own channel, not the team's group channel
    channel: Mapped[str] = mapped_column(String(64))
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class EscalationRow(Base):
    """Where a work order stands on its escalation chain; stopped once someone acknowledges it."""

    __tablename__ = "alert_escalations"
    __table_args__ = (Index("ix_alert_escalations_next_at", "next_at"),)

    work_order_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    chain: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)  # steps fired so far; 0 = only the first alert went out
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the first alert: step delays count from here
    next_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # None once stopped
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stop_reason: Mapped[str | None] = mapped_column(String(32))


TABLES = frozenset({"alert_outbox", "alert_escalations"})
