"""The same period billed from a real influxd and from the embedded store gives identical statements.

One set of readings exercises every path: interpolation at both boundaries, annual tiers with usage earlier
in the year, a meter silent at the period end (extrapolated from a rate the store is asked for), a register
rollover with a meter replacement, a gap across a boundary, and time-of-use from interval readings. Statements
are compared by their content fingerprint, so every register, timestamp, method, charge and note must match.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from billing.calculate import StatementCalculator
from billing.config import BillingConfig, parse_billing_config
from billing.influx_registers import InfluxRegisterReader
from billing.registers import Replacement
from billing.sources import RegisterReader, StoreRegisterReader
from billing.statements import Statement
from core.clock import FakeClock
from storage.embedded import EmbeddedStore
from storage.influx import InfluxV1Store
from storage.store import ReadingStore
from tests.support.services import Influxd
from tests.unit.billing.sample import OCTOBER, SITE, D, config, cst, write
from tests.unit.billing.test_time_of_use import TOU

pytestmark = pytest.mark.integration

SWAP = Replacement("G-0101", cst(2026, 10, 12, 15), old_final=D("5.5"), new_initial=D("3.0"))


def fill(store: ReadingStore) -> None:
    # Water: 50 on 1 Jan; either side of both October boundaries.
    write(store, "W-0101", [(cst(2025, 12, 31, 23), 49.9), (cst(2026, 1, 1, 1), 50.1)])
    write(store, "W-0101", [(cst(2026, 9, 30, 23), 249.9), (cst(2026, 10, 1, 1), 250.1)])
    write(store, "W-0101", [(cst(2026, 10, 31, 23, 45), 279.95), (cst(2026, 11, 1, 0, 15), 280.05)])
    # Electricity: hourly readings, silent from 26 October 00:00.
    hourly, total, at = [], 1000.0, cst(2026, 9, 30, 20)
    while at <= cst(2026, 10, 26):
        hourly.append((at, round(total, 3)))
        total += 0.9 if 8 <= at.hour < 22 else 0.4
        at += timedelta(hours=1)
    write(store, "E-0101", hourly)
    # Gas: rolls over at 9999 and is swapped on 12 October.
    write(store, "G-0101", [(cst(2026, 9, 30, 22), 9990.0), (cst(2026, 10, 1, 2), 9991.0)])
    write(store, "G-0101", [(cst(2026, 10, 5), 9998.0), (cst(2026, 10, 8), 2.0), (cst(2026, 10, 12, 14), 5.0)])
    write(store, "G-0101", [(cst(2026, 10, 13), 4.5)])
    write(store, "G-0101", [(cst(2026, 10, 31, 22), 40.25), (cst(2026, 11, 1, 3), 41.0)])
    # Vacant unit: a day-long gap across the start; ends on exactly the boundary.
    write(store, "W-0102", [(cst(2025, 12, 31, 12), 10.0), (cst(2026, 9, 30, 12), 11.0)])
    write(store, "W-0102", [(cst(2026, 10, 1, 12), 11.5), (cst(2026, 11, 1), 12.0)])


def statements(store: ReadingStore, reader: RegisterReader, config: BillingConfig) -> list[Statement]:
    calculator = StatementCalculator(SITE, config, store, reader, FakeClock(cst(2026, 11, 2)))
    return calculator.calculate(OCTOBER, {"G-0101": [SWAP]})


@pytest.fixture
def influx(influxd: Influxd) -> Iterator[InfluxV1Store]:
    store = InfluxV1Store(influxd.url, "billing")
    store.ensure_database()
    fill(store)
    yield store
    store.close()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as store:
        fill(store)
        yield store


@pytest.mark.parametrize("tariffs", ["tiered", "time_of_use"])
def test_identical_statements(influx: InfluxV1Store, embedded: EmbeddedStore, tariffs: str) -> None:
    chosen = config(boundary="interpolate") if tariffs == "tiered" else parse_billing_config(TOU)
    expected = statements(embedded, StoreRegisterReader(embedded), chosen)
    one_by_one = statements(influx, StoreRegisterReader(influx), chosen)
    batched = statements(influx, InfluxRegisterReader(influx), chosen)
    fingerprints = [s.fingerprint for s in expected]
    assert [s.fingerprint for s in one_by_one] == fingerprints
    assert [s.fingerprint for s in batched] == fingerprints
    # and the bill is the one worked out for these readings
    lines = {line.meter_id: line for s in expected for line in s.lines}
    # water: 250.0 at the start and 280.0 at the end (midpoints); 200 m³ earlier this year
    assert (lines["W-0101"].consumption, lines["W-0101"].notes[-1]) == (
        D("30.000"),
        "tariff-year usage before this period: 200.000 m3 since 2026-01-01",
    )
    # gas: 9990.5 at the start (2 of 4 h from 9990 to 9991); old meter rolls over to its final 5.5:
    # 5.5 - 9990.5 + 10000 = 15 (the register's highest value is 9999, it wraps at 10000);
    # new meter from 3 to 40.55 at the end (2 of 5 h from 40.25 to 41) = 37.55
    assert (lines["G-0101"].consumption, lines["G-0101"].replacements) == (D("52.550"), (SWAP,))
    assert lines["G-0101"].notes == ("register rolled over its maximum 9999 m3: counted as end − start + 10000",)
    assert lines["E-0101"].estimated and lines["E-0101"].end is not None
    assert lines["E-0101"].end.method == "extrapolated"
    assert lines["W-0102"].start is not None and lines["W-0102"].start.method == "interpolated_across_gap"
