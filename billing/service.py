"""Billing use cases besides the run itself, one transaction each: finalising, meter swaps, and reads.

These are the functions the CLI and the API call; `billing.run.run_billing` is the run.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from billing.periods import BillingPeriod
from billing.registers import Replacement
from billing.repository import PeriodSummary, StatementRepository
from billing.run_lock import lock_period
from billing.statements import Statement, StatementNeedsReview, StatementStatus
from core.clock import Clock
from core.site import Site


@dataclass(frozen=True)
class FinalizeResult:
    """Drafts finalised, and those held back with the reason (lines to review)."""

    finalized: tuple[Statement, ...]
    blocked: tuple[tuple[Statement, str], ...]


def finalize_statement(session_factory: sessionmaker[Session], statement_id: uuid.UUID, *, clock: Clock) -> Statement:
    """Finalise one draft; StatementFinal, StatementNeedsReview or LookupError otherwise."""
    with session_factory.begin() as session:
        return StatementRepository(session).finalize(statement_id, clock.now())


def finalize_period(
    session_factory: sessionmaker[Session], site_id: str, period: BillingPeriod, *, clock: Clock
) -> FinalizeResult:
    """Finalise every draft of the period that has no line to review (regular and adjustments)."""
    finalized: list[Statement] = []
    blocked: list[tuple[Statement, str]] = []
    now = clock.now()
    with session_factory.begin() as session:
        lock_period(session, site_id, period)
        repository = StatementRepository(session)
        for draft in repository.for_period(site_id, period, status=StatementStatus.DRAFT):
            try:
                finalized.append(repository.finalize(draft.id, now))
            except StatementNeedsReview as exc:
                blocked.append((draft, str(exc)))
    return FinalizeResult(tuple(finalized), tuple(blocked))


def record_replacement(
    session_factory: sessionmaker[Session], site: Site, replacement: Replacement, *, clock: Clock, by: str
) -> None:
    """Store a meter swap after checking it names a meter of the site with sensible registers.

    Periods billed afterwards use it; a final statement it changes is corrected by an adjustment run.
    """
    if replacement.meter_id not in site.meters:
        raise ValueError(f"no meter {replacement.meter_id!r} in site {site.id}")
    if replacement.replaced_at.tzinfo is None:
        raise ValueError("replaced_at needs a time zone, e.g. 2026-10-15T10:30:00+08:00")
    for name in ("old_final", "new_initial"):
        value = getattr(replacement, name)
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise ValueError(f"{name} must be a non-negative Decimal register value, got {value!r}")
    with session_factory.begin() as session:
        StatementRepository(session).add_replacement(site.id, replacement, recorded_at=clock.now(), by=by)


def list_replacements(session_factory: sessionmaker[Session], site_id: str) -> dict[str, list[Replacement]]:
    """Every recorded swap of the site, per meter."""
    with session_factory() as session:
        return StatementRepository(session).replacements(site_id)


def list_periods(session_factory: sessionmaker[Session], site_id: str) -> list[PeriodSummary]:
    """Billed periods, newest first (for the fee module's period list)."""
    with session_factory() as session:
        return StatementRepository(session).periods(site_id)


def list_statements(
    session_factory: sessionmaker[Session],
    site_id: str,
    period: BillingPeriod,
    *,
    status: StatementStatus | None = None,
    unit_id: str | None = None,
) -> list[Statement]:
    """Statements of a period, optionally only final ones or one unit's."""
    with session_factory() as session:
        return StatementRepository(session).for_period(site_id, period, status=status, unit_id=unit_id)


def get_statement(session_factory: sessionmaker[Session], statement_id: uuid.UUID) -> Statement | None:
    with session_factory() as session:
        return StatementRepository(session).get(statement_id)
