"""Statements, meter replacements and deliveries in the database, through one SQLAlchemy session.

The repository never commits; the caller owns the transaction (`with session_factory.begin() as session`).
Drafts may be replaced or deleted; a final statement can only be read (see `billing.orm` and the triggers of
migration 0005).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from billing.orm import DeliveryRow, ReplacementRow, StatementRow
from billing.periods import BillingPeriod
from billing.registers import Replacement
from billing.row_translation import fill_row, replacement_from_row, statement_from_row, statement_row
from billing.statements import Statement, StatementFinal, StatementKind, StatementStatus


@dataclass(frozen=True)
class PeriodSummary:
    """What is stored for one period of a site."""

    period: BillingPeriod
    statements: int
    drafts: int
    finals: int
    adjustments: int
    total: Decimal


class StatementRepository:
    """Reads and writes billing rows in `session`; the caller commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------------------------------ statements

    def add(self, statement: Statement) -> None:
        """Insert a new statement with its lines."""
        self.session.add(statement_row(statement))

    def get(self, statement_id: uuid.UUID) -> Statement | None:
        row = self._row(statement_id)
        return None if row is None else statement_from_row(row)

    def for_unit(self, site_id: str, unit_id: str, period: BillingPeriod) -> list[Statement]:
        """The unit's statements for the period: the regular one first, then adjustments in order."""
        return self._select(site_id, period, unit_id=unit_id)

    def for_period(
        self,
        site_id: str,
        period: BillingPeriod,
        *,
        status: StatementStatus | None = None,
        unit_id: str | None = None,
    ) -> list[Statement]:
        """Statements of a period, by unit, regular before adjustments."""
        return self._select(site_id, period, unit_id=unit_id, status=status)

    def periods(self, site_id: str) -> list[PeriodSummary]:
        """Every billed period of the site, newest first."""
        rows = self.session.execute(
            select(StatementRow.period, StatementRow.status, StatementRow.kind, StatementRow.total).where(
                StatementRow.site_id == site_id
            )
        ).all()
        grouped: dict[str, list[tuple[str, str, Decimal]]] = defaultdict(list)
        for period, status, kind, total in rows:
            grouped[period].append((status, kind, total))
        return [
            PeriodSummary(
                period=BillingPeriod.parse(period),
                statements=len(items),
                drafts=sum(status == StatementStatus.DRAFT for status, _, _ in items),
                finals=sum(status == StatementStatus.FINAL for status, _, _ in items),
                adjustments=sum(kind == StatementKind.ADJUSTMENT for _, kind, _ in items),
                total=sum((total for _, _, total in items), Decimal(0)),
            )
            for period, items in sorted(grouped.items(), reverse=True)
        ]

    def replace_draft(self, statement_id: uuid.UUID, new: Statement) -> Statement:
        """Give a draft new content, keeping its id; StatementFinal if it is final."""
        row = self._draft_row(statement_id)
        replaced = replace(new, id=row.id)
        # Old lines go first: the new ones reuse their (statement, position) keys.
        row.lines.clear()
        self.session.flush()
        fill_row(row, replaced)
        return replaced

    def delete_draft(self, statement_id: uuid.UUID) -> None:
        self.session.delete(self._draft_row(statement_id))

    def finalize(self, statement_id: uuid.UUID, at: datetime) -> Statement:
        """Mark a draft final (StatementNeedsReview if a line is flagged, StatementFinal if it already is)."""
        row = self._row(statement_id)
        if row is None:
            raise LookupError(f"no statement {statement_id}")
        final = statement_from_row(row).finalize(at)
        row.status, row.finalized_at = final.status.value, final.finalized_at
        return final

    # ------------------------------------------------------------------------------------------ replacements

    def add_replacement(self, site_id: str, replacement: Replacement, *, recorded_at: datetime, by: str) -> None:
        """Record a meter swap; it applies to every period billed (or re-billed) afterwards."""
        self.session.add(
            ReplacementRow(
                site_id=site_id,
                meter_id=replacement.meter_id,
                replaced_at=replacement.replaced_at,
                old_final=replacement.old_final,
                new_initial=replacement.new_initial,
                note=replacement.note,
                recorded_at=recorded_at,
                recorded_by=by,
            )
        )

    def replacements(self, site_id: str, meter_ids: Iterable[str] | None = None) -> dict[str, list[Replacement]]:
        """Recorded swaps per meter, oldest first."""
        query = select(ReplacementRow).where(ReplacementRow.site_id == site_id)
        if meter_ids is not None:
            query = query.where(ReplacementRow.meter_id.in_(list(meter_ids)))
        found: dict[str, list[Replacement]] = defaultdict(list)
        for row in self.session.scalars(query.order_by(ReplacementRow.replaced_at)):
            found[row.meter_id].append(replacement_from_row(row))
        return dict(found)

    # ------------------------------------------------------------------------------------------ deliveries

    def delivered(self, statement_id: uuid.UUID, target: str) -> bool:
        """True if `target` already confirmed this statement."""
        query = select(func.count()).where(DeliveryRow.statement_id == statement_id, DeliveryRow.target == target)
        return bool(self.session.scalar(query))

    def record_delivery(
        self, statement_id: uuid.UUID, target: str, *, key: str, at: datetime, attempts: int, status_code: int
    ) -> None:
        self.session.add(
            DeliveryRow(
                statement_id=statement_id,
                target=target,
                idempotency_key=key,
                delivered_at=at,
                attempts=attempts,
                status_code=status_code,
            )
        )

    # ------------------------------------------------------------------------------------------ helpers

    def _row(self, statement_id: uuid.UUID) -> StatementRow | None:
        query = select(StatementRow).options(selectinload(StatementRow.lines)).where(StatementRow.id == statement_id)
        return self.session.scalar(query)

    def _draft_row(self, statement_id: uuid.UUID) -> StatementRow:
        row = self._row(statement_id)
        if row is None:
            raise LookupError(f"no statement {statement_id}")
        if row.status == StatementStatus.FINAL:
            raise StatementFinal(f"{statement_from_row(row).label} is final; corrections are adjusting statements")
        return row

    def _select(
        self,
        site_id: str,
        period: BillingPeriod,
        *,
        unit_id: str | None = None,
        status: StatementStatus | None = None,
    ) -> list[Statement]:
        query = (
            select(StatementRow)
            .options(selectinload(StatementRow.lines))
            .where(StatementRow.site_id == site_id, StatementRow.period == str(period))
        )
        if unit_id is not None:
            query = query.where(StatementRow.unit_id == unit_id)
        if status is not None:
            query = query.where(StatementRow.status == status.value)
        # "adjustment" sorts before "regular"; the sequence (0 for regular) orders them instead.
        query = query.order_by(StatementRow.unit_id, StatementRow.sequence)
        return [statement_from_row(row) for row in self.session.scalars(query)]
