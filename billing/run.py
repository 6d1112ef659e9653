"""Billing a period: compute every unit's statement, then reconcile it with what is stored.

Re-running a period is idempotent: an unchanged draft stays as it is (same id), a changed draft gets the new
content and its diff is reported, and a final statement is never touched: the run reports how the
recomputation differs from what was billed and, when asked (`adjust=True`), writes a draft adjusting
statement with the difference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from billing.calculate import Progress, StatementCalculator
from billing.config import BillingConfig
from billing.diff import Change, StatementDiff, adjustment, billed_by_meter, billed_charges, diff_billed, diff_lines
from billing.periods import BillingPeriod
from billing.repository import StatementRepository
from billing.run_lock import DEFAULT_WAIT, lock_period
from billing.sources import RegisterReader, StoreRegisterReader
from billing.statements import Statement, StatementKind
from core.clock import Clock
from core.site import Site
from storage.store import ReadingStore


class Outcome(StrEnum):
    CREATED = "created"  # first draft of the period
    UNCHANGED = "unchanged"  # the stored draft (or final) already says this
    UPDATED = "updated"  # the draft was replaced; see the diff
    FINAL_DIFFERS = "final_differs"  # the final statement disagrees with the recomputation; nothing written
    ADJUSTED = "adjusted"  # a draft adjusting statement carries the difference


@dataclass(frozen=True)
class UnitResult:
    unit_id: str
    outcome: Outcome
    statement: Statement  # the regular statement, or the adjustment for ADJUSTED
    diff: StatementDiff | None = None


@dataclass(frozen=True)
class BillingRun:
    """What a run did, unit by unit."""

    site_id: str
    period: BillingPeriod
    results: tuple[UnitResult, ...]

    @property
    def statements(self) -> list[Statement]:
        return [result.statement for result in self.results]

    @property
    def diffs(self) -> list[StatementDiff]:
        return [result.diff for result in self.results if result.diff is not None]

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(result.outcome.value for result in self.results))

    def to_dict(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "period": str(self.period),
            "counts": self.counts,
            "diffs": [diff.to_dict() for diff in self.diffs],
        }


def run_billing(
    site: Site,
    store: ReadingStore,
    session_factory: sessionmaker[Session],
    period: BillingPeriod,
    config: BillingConfig,
    *,
    clock: Clock,
    reader: RegisterReader | None = None,
    progress: Progress | None = None,
    adjust: bool = False,
    lock_wait: timedelta = DEFAULT_WAIT,
) -> BillingRun:
    """Bill `period` for every unit of `site` and store the drafts (one transaction).

    `reader` reads boundary registers in bulk (default: the store, meter by meter); `progress(done, total)`
    is called per unit; `adjust` writes adjusting statements where final ones differ from the readings now.
    Raises BillingError when the configuration cannot bill the period, and BillingBusy (a BillingError) when
    another run of the same site and period still holds the lock after `lock_wait`.
    """
    with session_factory() as session:
        replacements = StatementRepository(session).replacements(site.id)
    calculator = StatementCalculator(site, config, store, reader or StoreRegisterReader(store), clock)
    computed = calculator.calculate(period, replacements, progress)
    with session_factory.begin() as session:
        lock_period(session, site.id, period, wait=lock_wait)  # before reading: a concurrent run commits first
        repository = StatementRepository(session)
        stored: dict[str, list[Statement]] = defaultdict(list)
        for statement in repository.for_period(site.id, period):
            stored[statement.unit_id].append(statement)
        results = tuple(_reconcile(repository, new, stored[new.unit_id], adjust=adjust) for new in computed)
    return BillingRun(site.id, period, results)


def _reconcile(
    repository: StatementRepository, new: Statement, existing: Sequence[Statement], *, adjust: bool
) -> UnitResult:
    regular = next((s for s in existing if s.kind is StatementKind.REGULAR), None)
    if regular is None:
        repository.add(new)
        return UnitResult(new.unit_id, Outcome.CREATED, new)
    if not regular.is_final:
        if regular.fingerprint == new.fingerprint:
            return UnitResult(new.unit_id, Outcome.UNCHANGED, regular)
        diff = _diff(regular, new, diff_lines(regular, new), regular.total)
        return UnitResult(new.unit_id, Outcome.UPDATED, repository.replace_draft(regular.id, new), diff)
    finals = [s for s in existing if s.is_final]
    drafts = [s for s in existing if s.kind is StatementKind.ADJUSTMENT and not s.is_final]
    billed = billed_by_meter(finals)
    changes = diff_billed(billed, new)
    if not changes:
        for stale in drafts:  # the readings agree with the bill again: a pending correction is moot
            repository.delete_draft(stale.id)
        return UnitResult(new.unit_id, Outcome.UNCHANGED, regular)
    diff = _diff(regular, new, changes, sum((s.total for s in finals), Decimal(0)))
    if not adjust:
        return UnitResult(new.unit_id, Outcome.FINAL_DIFFERS, regular, diff)
    sequence = drafts[0].sequence if drafts else max(s.sequence for s in existing) + 1
    correction = adjustment(new, billed, regular, sequence, billed_charges(finals))
    if not drafts:
        repository.add(correction)
    elif drafts[0].fingerprint != correction.fingerprint:
        correction = repository.replace_draft(drafts[0].id, correction)
    else:
        correction = drafts[0]
    return UnitResult(new.unit_id, Outcome.ADJUSTED, correction, diff)


def _diff(against: Statement, new: Statement, changes: tuple[Change, ...], old_total: Decimal) -> StatementDiff:
    return StatementDiff(
        unit_id=new.unit_id,
        period=new.period,
        against=against.id,
        against_status=against.status,
        changes=changes,
        old_total=old_total,
        new_total=new.total,
    )
