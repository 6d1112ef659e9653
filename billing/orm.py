"""The billing tables on the shared `Base`: statements, their lines, meter replacements, webhook deliveries.

`storage/migrations/versions/0005_billing.py` creates exactly these (a test compares the two) plus database
triggers that refuse to change or delete a final statement or its lines; the `before_flush` guard below
refuses the same one step earlier, with a message that names the statement.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column, relationship

from billing.statements import StatementFinal, StatementKind, StatementStatus
from storage.database import Base
from storage.sql_types import UtcDateTime, one_of


class DecimalText(TypeDecorator[Decimal]):
    """Decimals stored as their exact text on every backend (SQLite has no exact numeric type)."""

    impl = String(48)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"refusing to store {value!r} as money or quantity: pass a Decimal")
        return str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


STATEMENT_ID = "billing_statements.id"


class StatementRow(Base):
    __tablename__ = "billing_statements"
    __table_args__ = (
        UniqueConstraint("site_id", "unit_id", "period", "kind", "sequence", name="uq_billing_statements_unit_period"),
        Index("ix_billing_statements_site_period", "site_id", "period"),
        CheckConstraint(one_of("status", StatementStatus), name="status"),
        CheckConstraint(one_of("kind", StatementKind), name="kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[str] = mapped_column(String(64))
    building_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(DecimalText)
    fingerprint: Mapped[str] = mapped_column(String(64))
    vacant: Mapped[bool] = mapped_column(Boolean)
    adjusts_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(STATEMENT_ID))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finalized_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    lines: Mapped[list[StatementLineRow]] = relationship(
        order_by="StatementLineRow.position", cascade="all, delete-orphan", back_populates="statement"
    )


class StatementLineRow(Base):
    __tablename__ = "billing_statement_lines"
    __table_args__ = (
        UniqueConstraint("statement_id", "position", name="uq_billing_statement_lines_position"),
        Index("ix_billing_statement_lines_meter_id", "meter_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(STATEMENT_ID, ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    meter_id: Mapped[str] = mapped_column(String(64))
    utility: Mapped[str] = mapped_column(String(16))
    uom: Mapped[str] = mapped_column(String(8))
    start_value: Mapped[Decimal | None] = mapped_column(DecimalText)
    start_ts: Mapped[datetime | None] = mapped_column(UtcDateTime)
    start_method: Mapped[str | None] = mapped_column(String(32))
    end_value: Mapped[Decimal | None] = mapped_column(DecimalText)
    end_ts: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_method: Mapped[str | None] = mapped_column(String(32))
    consumption: Mapped[Decimal | None] = mapped_column(DecimalText)
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    estimated: Mapped[bool] = mapped_column(Boolean)
    estimate_method: Mapped[str | None] = mapped_column(Text)
    review: Mapped[str | None] = mapped_column(Text)
    charges: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[list[str]] = mapped_column(JSON)
    replacements: Mapped[list[dict[str, Any]]] = mapped_column(JSON)

    statement: Mapped[StatementRow] = relationship(back_populates="lines")


class ReplacementRow(Base):
    """A meter swap: the old meter's final register and the new one's initial register at `replaced_at`."""

    __tablename__ = "billing_meter_replacements"
    __table_args__ = (
        UniqueConstraint("site_id", "meter_id", "replaced_at", name="uq_billing_meter_replacements_meter_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[str] = mapped_column(String(64))
    meter_id: Mapped[str] = mapped_column(String(64))
    replaced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    old_final: Mapped[Decimal] = mapped_column(DecimalText)
    new_initial: Mapped[Decimal] = mapped_column(DecimalText)
    note: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))


class DeliveryRow(Base):
    """A statement the fee module confirmed receiving from one push target."""

    __tablename__ = "billing_deliveries"
    __table_args__ = (UniqueConstraint("statement_id", "target", name="uq_billing_deliveries_statement_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    statement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(STATEMENT_ID, ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int] = mapped_column(Integer)


TABLES = frozenset(
    {"billing_statements", "billing_statement_lines", "billing_meter_replacements", "billing_deliveries"}
)


def _stored_status(row: StatementRow) -> str | None:
    """The status the database holds for a loaded row (before this flush's changes)."""
    history = inspect(row).attrs.status.history
    if history.deleted:
        return str(history.deleted[0])
    return str(history.unchanged[0]) if history.unchanged else None


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_final(session: Session, _context: UOWTransaction, _instances: object) -> None:
    """No update or delete of a final statement, and no line added to, changed in or removed from one."""
    for row in (*session.dirty, *session.deleted):
        if not isinstance(row, StatementRow) or _stored_status(row) != StatementStatus.FINAL:
            continue
        if row in session.deleted or session.is_modified(row, include_collections=True):
            label = f"statement {row.id} (unit {row.unit_id}, {row.period})"
            raise StatementFinal(f"{label} is final; corrections are adjusting statements")
    changed_lines = [row for row in session.dirty if session.is_modified(row)]
    for row in (*session.new, *changed_lines, *session.deleted):
        if not isinstance(row, StatementLineRow) or row.statement is None or inspect(row.statement).pending:
            continue
        if _stored_status(row.statement) == StatementStatus.FINAL:
            raise StatementFinal(f"statement {row.statement.id} is final; its lines cannot change")
