"""Rows to statements and back. Decimals travel as exact text, times as aware UTC datetimes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from billing.orm import ReplacementRow, StatementLineRow, StatementRow
from billing.periods import BillingPeriod
from billing.registers import Replacement
from billing.statements import (
    BoundaryReading,
    Charge,
    Statement,
    StatementKind,
    StatementLine,
    StatementStatus,
    line_content,
)
from core.site import Utility


def statement_row(statement: Statement) -> StatementRow:
    """A new row (with its lines) for a statement."""
    row = StatementRow(id=statement.id, lines=[])
    fill_row(row, statement)
    return row


def fill_row(row: StatementRow, statement: Statement) -> None:
    """Copy a statement's content into a (draft) row, replacing its lines."""
    row.site_id = statement.site_id
    row.unit_id = statement.unit_id
    row.building_id = statement.building_id
    row.period = str(statement.period)
    row.kind = statement.kind.value
    row.sequence = statement.sequence
    row.status = statement.status.value
    row.currency = statement.currency
    row.total = statement.total
    row.fingerprint = statement.fingerprint
    row.vacant = statement.vacant
    row.adjusts_id = statement.adjusts
    row.created_at = statement.created_at
    row.finalized_at = statement.finalized_at
    row.lines = [_line_row(position, line) for position, line in enumerate(statement.lines)]


def _line_row(position: int, line: StatementLine) -> StatementLineRow:
    content = line_content(line)
    return StatementLineRow(
        position=position,
        meter_id=line.meter_id,
        utility=line.utility.value,
        uom=line.uom,
        start_value=line.start.value if line.start else None,
        start_ts=line.start.ts if line.start else None,
        start_method=line.start.method if line.start else None,
        end_value=line.end.value if line.end else None,
        end_ts=line.end.ts if line.end else None,
        end_method=line.end.method if line.end else None,
        consumption=line.consumption,
        amount=line.amount,
        estimated=line.estimated,
        estimate_method=line.estimate_method,
        review=line.review,
        charges=content["charges"],
        notes=list(line.notes),
        replacements=content["replacements"],
    )


def statement_from_row(row: StatementRow) -> Statement:
    """The statement a row holds; its fingerprint is checked against the stored one."""
    statement = Statement(
        id=row.id,
        site_id=row.site_id,
        unit_id=row.unit_id,
        building_id=row.building_id,
        period=BillingPeriod.parse(row.period),
        currency=row.currency,
        lines=tuple(_line(line) for line in row.lines),
        created_at=row.created_at,
        kind=StatementKind(row.kind),
        sequence=row.sequence,
        status=StatementStatus(row.status),
        vacant=row.vacant,
        adjusts=row.adjusts_id,
        finalized_at=row.finalized_at,
    )
    if statement.fingerprint != row.fingerprint:
        # Someone edited the rows behind our back (a final statement must never change): refuse to use it.
        raise ValueError(f"{statement.label}: stored content does not match its fingerprint")
    return statement


def _reading(value: Decimal | None, ts: datetime | None, method: str | None) -> BoundaryReading | None:
    if value is None or ts is None or method is None:
        return None
    return BoundaryReading(value, ts, method)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _line(row: StatementLineRow) -> StatementLine:
    return StatementLine(
        meter_id=row.meter_id,
        utility=Utility(row.utility),
        uom=row.uom,
        start=_reading(row.start_value, row.start_ts, row.start_method),
        end=_reading(row.end_value, row.end_ts, row.end_method),
        consumption=row.consumption,
        charges=tuple(_charge(c) for c in row.charges),
        amount=row.amount,
        estimated=row.estimated,
        estimate_method=row.estimate_method,
        review=row.review,
        notes=tuple(row.notes),
        replacements=tuple(_replacement(row.meter_id, r) for r in row.replacements),
    )


def _charge(data: dict[str, Any]) -> Charge:
    return Charge(
        name=data["name"],
        quantity=Decimal(data["quantity"]),
        unit_price=Decimal(data["unit_price"]),
        amount=Decimal(data["amount"]),
        start=_day(data["start"]),
        end=_day(data["end"]),
    )


def _replacement(meter_id: str, data: dict[str, Any]) -> Replacement:
    return Replacement(
        meter_id=meter_id,
        replaced_at=datetime.fromisoformat(data["replaced_at"]),
        old_final=Decimal(data["old_final"]),
        new_initial=Decimal(data["new_initial"]),
        note=data["note"],
    )


def replacement_from_row(row: ReplacementRow) -> Replacement:
    return Replacement(row.meter_id, row.replaced_at, row.old_final, row.new_initial, row.note)
