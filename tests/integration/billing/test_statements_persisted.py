"""Billing runs stored on SQLite and PostgreSQL: idempotent re-runs, diffs, finalising, immutability,
adjustments and the push to the fee module. Readings come from a real embedded store; time from a FakeClock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from billing.orm import StatementLineRow, StatementRow
from billing.periods import BillingPeriod
from billing.registers import Replacement
from billing.run import run_billing
from billing.service import finalize_period, get_statement, list_periods, list_statements, record_replacement
from billing.statements import StatementFinal, StatementKind, StatementStatus
from billing.webhook import WebhookPusher, push_statements
from core.clock import FakeClock
from core.site import Site
from storage.embedded import EmbeddedStore
from tests.unit.billing.fee_module import FeeModule, running
from tests.unit.billing.sample import CONFIG, OCTOBER, D, cst, write

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path, site: Site) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as embedded:
        # B1-0101: water 30 m³ after 200 earlier in the year, electricity 450.5 kWh, gas 62 m³.
        write(embedded, "W-0101", [(cst(2025, 12, 31, 23, 50), 50.0), (cst(2026, 9, 30, 23, 50), 250.0)], site)
        write(embedded, "W-0101", [(cst(2026, 10, 31, 23, 50), 280.0)], site)
        write(embedded, "E-0101", [(cst(2026, 9, 30, 23, 50), 1000.0), (cst(2026, 10, 31, 23, 50), 1450.5)], site)
        write(embedded, "G-0101", [(cst(2026, 9, 30, 23, 50), 500.0), (cst(2026, 10, 31, 23, 50), 562.0)], site)
        # B1-0102 (vacant): the register went down, so its statement waits for review.
        write(embedded, "W-0102", [(cst(2025, 12, 31, 23, 50), 290.0), (cst(2026, 9, 30, 23, 50), 300.0)], site)
        write(embedded, "W-0102", [(cst(2026, 10, 31, 23, 50), 295.0)], site)
        yield embedded


def bill(site: Site, store: EmbeddedStore, sessions: sessionmaker[Any], clock: FakeClock, **kwargs: Any) -> Any:
    return run_billing(site, store, sessions, OCTOBER, CONFIG, clock=clock, **kwargs)


def test_run_rerun_finalise_and_correct(site: Site, store: EmbeddedStore, sessions: sessionmaker[Any]) -> None:
    clock = FakeClock(cst(2026, 11, 1, 2))
    progress: list[tuple[int, int]] = []
    first = bill(site, store, sessions, clock, progress=lambda done, total: progress.append((done, total)))
    assert first.counts == {"created": 2} and progress == [(4, 4)]  # meters done, meters
    stored = list_statements(sessions, site.id, OCTOBER)
    # what comes back is what was computed, to the digit: 100.30 + 266.02 + 195.60 = 561.92
    assert [s.fingerprint for s in stored] == [s.fingerprint for s in first.statements]
    assert stored[0].total == D("561.92") and stored[0].created_at == cst(2026, 11, 1, 2)
    assert stored[0].lines[0].charges[1].unit_price == D("3.85")

    again = bill(site, store, sessions, clock)
    assert again.counts == {"unchanged": 2} and again.diffs == []
    assert [s.id for s in again.statements] == [s.id for s in first.statements]

    # A late reading moves the gas end register: the draft changes and the run says how.
    write(store, "G-0101", [(cst(2026, 10, 31, 23, 55), 563.0)], site)
    changed = bill(site, store, sessions, clock)
    assert changed.counts == {"updated": 1, "unchanged": 1}
    (diff,) = changed.diffs
    assert [(c.meter_id, c.field, c.old, c.new) for c in diff.changes if c.field in ("consumption", "amount")] == [
        ("G-0101", "consumption", "62.000", "63.000"),
        # 63 m³: 15/31 → 30.484 at 3.00 = 91.45; 32.516 at 3.30 = 107.30; 198.75
        ("G-0101", "amount", "195.60", "198.75"),
    ]
    assert (diff.old_total, diff.new_total) == (D("561.92"), D("565.07"))
    assert changed.statements[0].id == first.statements[0].id

    clock.set(cst(2026, 11, 5, 9))
    result = finalize_period(sessions, site.id, OCTOBER, clock=clock)
    assert [s.unit_id for s in result.finalized] == ["B1-0101"]
    assert [s.unit_id for s, _ in result.blocked] == ["B1-0102"]
    assert "lines to review (W-0102)" in result.blocked[0][1]
    final = get_statement(sessions, first.statements[0].id)
    assert final is not None and final.status is StatementStatus.FINAL and final.finalized_at == cst(2026, 11, 5, 9)
    assert bill(site, store, sessions, clock).counts == {"unchanged": 2}

    # The gas meter turns out to have been swapped on 20 October: the final bill is now wrong.
    swap = Replacement("G-0101", cst(2026, 10, 20, 10), old_final=D("540.000"), new_initial=D("0.000"))
    record_replacement(sessions, site, swap, clock=clock, by="clerk 王")
    write(store, "G-0101", [(cst(2026, 10, 31, 23, 58), 25.0)], site)
    differs = bill(site, store, sessions, clock)
    assert differs.counts == {"final_differs": 1, "unchanged": 1}
    assert len(list_statements(sessions, site.id, OCTOBER)) == 2  # nothing was written
    adjusted = bill(site, store, sessions, clock, adjust=True)
    assert adjusted.counts == {"adjusted": 1, "unchanged": 1}
    correction = adjusted.statements[0]
    # recomputed: (540 - 500) + (25 - 0) = 65 m³ → 15/31 = 31.452 at 3.00 = 94.36; 33.548 at 3.30 = 110.71;
    # 205.07. Billed 63 m³ for 198.75: the adjustment is +2.000 m³ and 205.07 - 198.75 = 6.32
    assert (correction.kind, correction.sequence, correction.adjusts) == (StatementKind.ADJUSTMENT, 1, final.id)
    assert [(x.meter_id, x.consumption, x.amount) for x in correction.lines] == [("G-0101", D("2.000"), D("6.32"))]
    # the tier detail is the difference too (issue 22), not the recomputed full charge:
    # 31.452 - 30.484 = 0.968 at 3.00: 94.36 - 91.45 = 2.91; 33.548 - 32.516 = 1.032 at 3.30: 110.71 - 107.30 = 3.41
    assert [(c.quantity, c.unit_price, c.amount) for c in correction.lines[0].charges] == [
        (D("0.968"), D("3.00"), D("2.91")),
        (D("1.032"), D("3.30"), D("3.41")),
    ]
    assert correction.lines[0].replacements == (swap,)
    # adjusting twice is idempotent: the same draft adjustment
    assert bill(site, store, sessions, clock, adjust=True).statements[0].id == correction.id
    (summary,) = list_periods(sessions, site.id)
    assert (summary.period, summary.statements, summary.finals, summary.adjustments) == (OCTOBER, 3, 1, 1)


def test_a_final_statement_cannot_change(site: Site, store: EmbeddedStore, sessions: sessionmaker[Any]) -> None:
    clock = FakeClock(cst(2026, 11, 1, 2))
    bill(site, store, sessions, clock)
    (final,) = finalize_period(sessions, site.id, OCTOBER, clock=clock).finalized
    # through the ORM: refused before anything reaches the database
    with pytest.raises(StatementFinal, match="is final; corrections are adjusting statements"), sessions.begin() as s:
        row = s.get(StatementRow, final.id)
        assert row is not None
        row.total = D("0")
    with pytest.raises(StatementFinal, match="its lines cannot change"), sessions.begin() as s:
        line = s.scalars(sa.select(StatementLineRow).where(StatementLineRow.statement_id == final.id)).first()
        assert line is not None
        line.amount = D("0")
    # behind the ORM's back: the database's own triggers refuse
    for sql in (
        "UPDATE billing_statements SET total = '0' WHERE id = :id",
        "DELETE FROM billing_statements WHERE id = :id",
        "UPDATE billing_statement_lines SET amount = '0' WHERE statement_id = :id",
        "DELETE FROM billing_statement_lines WHERE statement_id = :id",
        "INSERT INTO billing_statement_lines (statement_id, position, meter_id, utility, uom, amount, estimated, "
        "charges, notes, replacements) VALUES (:id, 9, 'X', 'water', 'm3', '1', false, '[]', '[]', '[]')",
    ):
        with pytest.raises(DBAPIError, match="final"), sessions.begin() as s:
            # the id as the backend stores it (SQLite: 32 hex digits, PostgreSQL: uuid)
            query = sa.text("SELECT id FROM billing_statements WHERE site_id = :site AND status = 'final'")
            raw_id = s.execute(query, {"site": site.id}).scalar_one()
            s.execute(sa.text(sql), {"id": raw_id})
    assert get_statement(sessions, final.id) == final


def test_final_statements_are_pushed_once(site: Site, store: EmbeddedStore, sessions: sessionmaker[Any]) -> None:
    clock = FakeClock(cst(2026, 11, 1, 2))
    statements = bill(site, store, sessions, clock).statements
    finalize_period(sessions, site.id, OCTOBER, clock=clock)
    current = list_statements(sessions, site.id, BillingPeriod(2026, 10))
    waits: list[float] = []
    with running(FeeModule(script=[503])) as fee:
        pusher = WebhookPusher(fee.url, sleep=waits.append)
        first = push_statements(sessions, pusher, current, clock=clock)
        second = push_statements(sessions, pusher, current, clock=clock)
        pusher.close()
    # the draft (B1-0102, to review) is never pushed; the final one once, after one retry
    assert [(r.statement_id, r.delivered, r.attempts) for r in first] == [(statements[0].id, True, 2)]
    assert [(r.delivered, r.already_delivered) for r in second] == [(True, True)]
    assert len(fee.requests) == 2 and len(fee.stored) == 1 and waits == [0.5]
