"""What the billing routes answer: periods, statements with their lines, and the result of finalising.

Registers, quantities, prices and amounts are decimal strings ("100.30"), exactly as billed: no float
ever carries money. Times are ISO 8601 in UTC.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from billing.repository import PeriodSummary
from billing.statements import Statement, StatementKind, StatementStatus
from core.site import Utility

Money = str  # a decimal string, e.g. "100.30"


class PeriodOut(BaseModel):
    period: str = Field(examples=["2026-10"])
    statements: int
    drafts: int
    finals: int
    adjustments: int
    total: Money = Field(description="Sum of the statement totals, a decimal string.", examples=["561.92"])


class ReadingOut(BaseModel):
    """A register at a period boundary: its value, the time it holds for, and how it was obtained."""

    value: str = Field(examples=["250.000"])
    ts: datetime
    method: str = Field(examples=["reading", "interpolated", "extrapolated"])


class ChargeOut(BaseModel):
    """One tier (or time-of-use period) of a line, with the dates it applies to when a price changed."""

    name: str
    quantity: str
    unit_price: str
    amount: Money
    start: date | None
    end: date | None


class ReplacementOut(BaseModel):
    replaced_at: datetime
    old_final: str
    new_initial: str
    note: str | None = None


class LineOut(BaseModel):
    meter_id: str
    utility: Utility
    uom: str
    start: ReadingOut | None
    end: ReadingOut | None
    consumption: str | None = Field(description="End minus start register; null when nothing could be measured.")
    charges: list[ChargeOut]
    amount: Money
    estimated: bool
    estimate_method: str | None
    review: str | None = Field(description="Why the line must be reviewed before the statement can be final.")
    notes: list[str]
    replacements: list[ReplacementOut]


class StatementOut(BaseModel):
    id: uuid.UUID
    site_id: str
    unit_id: str
    building_id: str
    period: str = Field(examples=["2026-10"])
    kind: StatementKind
    sequence: int
    adjusts: uuid.UUID | None
    status: StatementStatus
    currency: str
    vacant: bool
    total: Money
    estimated: bool = Field(description="Some line is an estimate.")
    needs_review: bool = Field(description="Some line is flagged for review: the statement cannot be finalised.")
    created_at: datetime
    finalized_at: datetime | None
    fingerprint: str
    lines: list[LineOut]


class StatementRefOut(BaseModel):
    id: uuid.UUID
    unit_id: str
    kind: StatementKind
    sequence: int
    total: Money


class HeldStatementOut(StatementRefOut):
    reason: str


class FinalizeOut(BaseModel):
    period: str
    finalized: list[StatementRefOut] = Field(description="Drafts this request made final.")
    held: list[HeldStatementOut] = Field(description="Drafts left as drafts because lines need review.")
    already_final: int = Field(description="Statements of the period that were final before this request.")


def period_out(summary: PeriodSummary) -> PeriodOut:
    return PeriodOut(
        period=str(summary.period),
        statements=summary.statements,
        drafts=summary.drafts,
        finals=summary.finals,
        adjustments=summary.adjustments,
        total=str(summary.total),
    )


def statement_out(statement: Statement) -> StatementOut:
    data: dict[str, Any] = statement.to_dict()
    data["estimated"] = bool(statement.estimated_lines)
    data["needs_review"] = bool(statement.review_lines)
    return StatementOut.model_validate(data)


def statement_ref(statement: Statement) -> StatementRefOut:
    return StatementRefOut(
        id=statement.id,
        unit_id=statement.unit_id,
        kind=statement.kind,
        sequence=statement.sequence,
        total=str(statement.total),
    )
