"""Two billing runs of the same site and month at once (issue 22): one waits for the other's lock, both end
cleanly, and the stored statements are the ones one run alone stores. On PostgreSQL and SQLite."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from billing.periods import BillingPeriod
from billing.run import BillingRun, run_billing
from billing.run_lock import BillingBusy, lock_period
from billing.service import list_statements
from core.clock import FakeClock
from core.site import Site
from storage.embedded import EmbeddedStore
from tests.unit.billing.sample import CONFIG, OCTOBER, D, cst, write

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path, site: Site) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as embedded:
        write(embedded, "E-0101", [(cst(2026, 9, 30, 23, 50), 1000.0), (cst(2026, 10, 31, 23, 50), 1450.5)], site)
        write(embedded, "G-0101", [(cst(2026, 9, 30, 23, 50), 500.0), (cst(2026, 10, 31, 23, 50), 562.0)], site)
        write(embedded, "W-0101", [(cst(2025, 12, 31, 23, 50), 50.0), (cst(2026, 10, 31, 23, 50), 280.0)], site)
        write(embedded, "W-0101", [(cst(2026, 9, 30, 23, 50), 250.0)], site)
        yield embedded


def test_two_runs_at_once_both_end_cleanly(site: Site, store: EmbeddedStore, sessions: sessionmaker[Any]) -> None:
    # Both runs finish computing before either writes (the barrier sits in the progress callback), so without
    # the lock both find no statement and both insert: the second died on the unique key.
    together = threading.Barrier(2, timeout=30)
    results: list[BillingRun] = []
    errors: list[BaseException] = []

    def wait_for_the_other(done: int, total: int) -> None:
        together.wait()

    def one_run() -> None:
        try:
            clock = FakeClock(cst(2026, 11, 1, 2))
            run = run_billing(site, store, sessions, OCTOBER, CONFIG, clock=clock, progress=wait_for_the_other)
            results.append(run)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(tuple(sorted(run.counts.items())) for run in results) == [
        (("created", 2),),
        (("unchanged", 2),),
    ]
    stored = list_statements(sessions, site.id, OCTOBER)
    # 100.30 water + 266.02 electricity + 195.60 gas, as one run alone bills them (tests/unit/billing/test_bills.py)
    assert [(s.unit_id, s.total) for s in stored] == [("B1-0101", D("561.92")), ("B1-0102", D("0"))]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_run_that_cannot_get_the_lock_says_so_in_one_line(
    site: Site, store: EmbeddedStore, sessions: sessionmaker[Any]
) -> None:
    clock = FakeClock(cst(2026, 11, 1, 2))
    with sessions.begin() as holder:
        lock_period(holder, site.id, OCTOBER)
        with pytest.raises(BillingBusy) as caught:
            run_billing(site, store, sessions, OCTOBER, CONFIG, clock=clock, lock_wait=timedelta(milliseconds=200))
        # another month of the same site is not held up
        other = run_billing(site, store, sessions, BillingPeriod(2026, 9), CONFIG, clock=clock)
    message = str(caught.value)
    assert "\n" not in message
    assert message == (
        f"another billing run or finalisation of site {site.id} for 2026-10 is still in progress "
        "(waited 0.2 s); run it again when that one has finished"
    )
    assert other.counts == {"created": 2}
    assert list_statements(sessions, site.id, OCTOBER) == []
