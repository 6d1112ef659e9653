"""Bills worked out by hand, from readings in a real embedded store.

Each test writes register readings, bills the period and compares with Decimal literals computed by hand;
the arithmetic is in the comments. Prices (tests/unit/billing/sample.py): water annual tiers 216/300 m³ at
2.90/3.85/6.70; electricity monthly tiers 230/400 kWh at 0.538/0.588/0.838; gas flat 3.00, 3.30 from
2026-10-16. Boundaries are read "last before" unless a test says otherwise; tolerance 6 h, lookback 10 days.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from billing.calculate import StatementCalculator
from billing.registers import Replacement
from billing.sources import StoreRegisterReader
from billing.statements import Charge, StatementNeedsReview
from core.clock import FakeClock
from storage.embedded import EmbeddedStore
from tests.unit.billing.sample import (
    CONFIG,
    JANUARY,
    OCTOBER,
    SEPTEMBER,
    SITE,
    D,
    calculate,
    config,
    cst,
    lines,
    write,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as embedded:
        yield embedded


def test_flat(store: EmbeddedStore) -> None:
    # September: gas is 3.00 all month. The readings just after each boundary must not be used.
    write(store, "G-0101", [(cst(2026, 8, 31, 23, 45), 120.5), (cst(2026, 9, 1, 0, 15), 121.0)])
    write(store, "G-0101", [(cst(2026, 9, 30, 23, 45), 163.25), (cst(2026, 10, 1, 0, 15), 164.0)])
    line = lines(calculate(store, SEPTEMBER))["G-0101"]
    # 163.250 - 120.500 = 42.750 m³; 42.750 × 3.00 = 128.25
    assert (line.start and line.start.value, line.end and line.end.value) == (D("120.500"), D("163.250"))
    assert line.start is not None and line.start.ts == cst(2026, 8, 31, 23, 45)
    assert line.consumption == D("42.750")
    assert line.amount == D("128.25")
    assert not line.estimated and line.review is None


def test_monthly_tiers(store: EmbeddedStore) -> None:
    write(store, "E-0101", [(cst(2026, 9, 30, 23, 50), 1000.0), (cst(2026, 10, 31, 23, 50), 1450.5)])
    line = lines(calculate(store))["E-0101"]
    # 450.5 kWh: 230 × 0.538 = 123.74; 170 × 0.588 = 99.96; 50.5 × 0.838 = 42.319 → 42.32
    assert line.consumption == D("450.500")
    assert [(c.quantity, c.amount) for c in line.charges] == [
        (D("230"), D("123.74")),
        (D("170"), D("99.96")),
        (D("50.500"), D("42.32")),
    ]
    # 123.74 + 99.96 + 42.32 = 266.02
    assert line.amount == D("266.02")


def test_annual_tiers_cross_a_tier_mid_year(store: EmbeddedStore) -> None:
    # Register 50 on 1 January, 250 on 1 October: 200 m³ used earlier this tariff year.
    write(store, "W-0101", [(cst(2025, 12, 31, 23, 50), 50.0), (cst(2026, 9, 30, 23, 50), 250.0)])
    write(store, "W-0101", [(cst(2026, 10, 31, 23, 50), 280.0)])
    line = lines(calculate(store))["W-0101"]
    # October 30 m³ starts at 200: 16 m³ up to 216 at 2.90 = 46.40; 14 m³ at 3.85 = 53.90; 100.30
    assert line.consumption == D("30.000")
    assert [(c.quantity, c.unit_price, c.amount) for c in line.charges] == [
        (D("16"), D("2.90"), D("46.40")),
        (D("14.000"), D("3.85"), D("53.90")),
    ]
    assert line.amount == D("100.30")
    assert "tariff-year usage before this period: 200.000 m3 since 2026-01-01" in line.notes


def test_price_change_mid_period(store: EmbeddedStore) -> None:
    write(store, "G-0101", [(cst(2026, 9, 30, 23, 50), 500.0), (cst(2026, 10, 31, 23, 50), 562.0)])
    line = lines(calculate(store))["G-0101"]
    # 62 m³ split by days: 1–15 Oct 15/31 → 30.000 at 3.00 = 90.00; 16–31 Oct 16/31 → 32.000 at 3.30 = 105.60
    assert line.charges == (
        Charge("flat rate", D("30.000"), D("3.00"), D("90.00"), cst(2026, 10, 1).date(), cst(2026, 10, 16).date()),
        Charge("flat rate", D("32.000"), D("3.30"), D("105.60"), cst(2026, 10, 16).date(), cst(2026, 11, 1).date()),
    )
    assert line.amount == D("195.60")


def test_rollover(store: EmbeddedStore) -> None:
    # The gas register's highest value is 9999: after 9999 it shows 0, so it wraps at 10000.
    write(store, "G-0101", [(cst(2026, 8, 31, 23, 50), 9990.5), (cst(2026, 9, 30, 23, 50), 12.25)])
    line = lines(calculate(store, SEPTEMBER))["G-0101"]
    # 9990.500 → 9999.999… → 0 → 12.250: 12.250 - 9990.500 + 10000 = 21.750 m³; 21.750 × 3.00 = 65.25
    assert line.consumption == D("21.750")
    assert line.amount == D("65.25")
    assert line.notes == ("register rolled over its maximum 9999 m3: counted as end − start + 10000",)
    assert line.review is None


def test_rollover_from_9900_to_100_is_200(store: EmbeddedStore) -> None:
    # Issue 22: 9900 → 9999 is 99, 9999 → 0 is 1, 0 → 100 is 100: 200 m³, not 199.
    write(store, "G-0101", [(cst(2026, 8, 31, 23, 50), 9900.0), (cst(2026, 9, 30, 23, 50), 100.0)])
    line = lines(calculate(store, SEPTEMBER))["G-0101"]
    assert line.consumption == D("200.000")
    # 200 × 3.00 = 600.00
    assert line.amount == D("600.00")


def test_replacement(store: EmbeddedStore) -> None:
    # January starts on the water tariff's reset day, so no earlier usage counts.
    write(store, "W-0101", [(cst(2025, 12, 31, 23, 50), 100.0), (cst(2026, 1, 15, 9, 0), 112.1)])
    write(store, "W-0101", [(cst(2026, 1, 15, 12, 0), 0.4), (cst(2026, 1, 31, 23, 50), 9.3)])
    swap = Replacement("W-0101", cst(2026, 1, 15, 10, 30), old_final=D("112.500"), new_initial=D("0.000"))
    line = lines(calculate(store, JANUARY, replacements={"W-0101": [swap]}))["W-0101"]
    # old meter 112.500 - 100.000 = 12.500; new meter 9.300 - 0.000 = 9.300; 21.800 m³ × 2.90 = 63.22
    assert line.consumption == D("21.800")
    assert line.amount == D("63.22")
    assert line.replacements == (swap,)
    assert not line.estimated and line.review is None


def test_missing_end_reading_is_estimated(store: EmbeddedStore) -> None:
    # The meter goes silent after 26 October; the end register is extrapolated, never left at zero.
    start = [(cst(2026, 9, 30, 23, 50), 2000.0)]
    write(store, "E-0101", [*start, (cst(2026, 10, 16), 2150.0), (cst(2026, 10, 26), 2250.0)])
    line = lines(calculate(store))["E-0101"]
    # 10-day lookback: 2250 - 2150 over 16 → 26 Oct = 10 kWh/day; 6 days to 1 Nov: end 2250 + 60 = 2310
    assert line.end is not None and (line.end.value, line.end.method) == (D("2310.000"), "extrapolated")
    # 310 kWh: 230 × 0.538 = 123.74; 80 × 0.588 = 47.04; 170.78
    assert line.consumption == D("310.000")
    assert line.amount == D("170.78")
    assert line.estimated
    assert line.estimate_method is not None and line.estimate_method.startswith("end: extrapolated (")
    assert "10.000/day" in line.estimate_method


def test_meter_without_readings_is_flagged_not_zero(store: EmbeddedStore) -> None:
    line = lines(calculate(store))["E-0101"]
    assert line.consumption is None and line.amount == D("0")
    assert line.estimated and line.estimate_method == "no readings: nothing to measure or estimate from"
    assert line.review == "no readings to find the start and end register"


def test_negative_delta_is_flagged_for_review(store: EmbeddedStore) -> None:
    write(store, "W-0102", [(cst(2026, 9, 30, 23, 50), 300.0), (cst(2026, 10, 31, 23, 50), 295.0)])
    write(store, "W-0102", [(cst(2025, 12, 31, 23, 50), 290.0)])
    statements = calculate(store)
    line = lines(statements)["W-0102"]
    # 295 - 300 = -5: not a rollover (no maximum configured), so nothing is charged and a person looks at it
    assert line.consumption == D("-5.000")
    assert line.charges == () and line.amount == D("0")
    assert line.review is not None and line.review.startswith("register went down by 5.000: start register 300.000")
    vacant = next(s for s in statements if s.unit_id == "B1-0102")
    with pytest.raises(StatementNeedsReview, match="W-0102"):
        vacant.finalize(cst(2026, 11, 3))


def test_interpolation_at_the_boundary(store: EmbeddedStore) -> None:
    write(store, "E-0101", [(cst(2026, 9, 30, 23), 100.0), (cst(2026, 10, 1, 1), 102.0)])
    write(store, "E-0101", [(cst(2026, 10, 31, 22), 150.0), (cst(2026, 11, 1, 2), 158.0)])
    line = lines(calculate(store, billing=config(boundary="interpolate")))["E-0101"]
    # start: halfway between 23:00 (100) and 01:00 (102) = 101; end: 2 of 4 h from 150 to 158 = 154
    assert line.start is not None and (line.start.value, line.start.ts) == (D("101.000"), cst(2026, 10, 1))
    assert line.end is not None and (line.end.value, line.end.method) == (D("154.000"), "interpolated")
    # 53 kWh × 0.538 = 28.514 → 28.51
    assert line.consumption == D("53.000")
    assert line.amount == D("28.51")
    assert not line.estimated


def test_interpolation_across_a_long_gap_is_an_estimate(store: EmbeddedStore) -> None:
    write(store, "E-0101", [(cst(2026, 9, 30, 12), 100.0), (cst(2026, 10, 1, 12), 124.0)])
    write(store, "E-0101", [(cst(2026, 10, 31, 23, 50), 200.0)])
    line = lines(calculate(store, billing=config(boundary="interpolate")))["E-0101"]
    # 24 h apart (more than the 6 h tolerance): 12 of 24 h from 100 to 124 = 112, flagged as an estimate
    assert line.start is not None and (line.start.value, line.start.method) == (D("112.000"), "interpolated_across_gap")
    assert line.estimated
    # end: only the reading 10 min before is near → taken as is; 200 - 112 = 88 kWh × 0.538 = 47.344 → 47.34
    assert line.end is not None and line.end.method == "last_reading"
    assert line.amount == D("47.34")


def test_statements_group_lines_by_unit(store: EmbeddedStore) -> None:
    write(store, "G-0101", [(cst(2026, 9, 30, 23, 50), 500.0), (cst(2026, 10, 31, 23, 50), 562.0)])
    write(store, "E-0101", [(cst(2026, 9, 30, 23, 50), 1000.0), (cst(2026, 10, 31, 23, 50), 1450.5)])
    statements = calculate(store)
    assert [(s.unit_id, [line.meter_id for line in s.lines], s.vacant) for s in statements] == [
        ("B1-0101", ["W-0101", "E-0101", "G-0101"], False),
        ("B1-0102", ["W-0102"], True),
    ]
    # water has no readings (0.00); electricity 266.02 + gas 195.60 = 461.62
    assert statements[0].total == D("461.62")
    assert statements[0].created_at == cst(2026, 11, 2, 3)
    assert statements[0].building_id == "B1"


def test_vacant_units_can_be_left_out(store: EmbeddedStore) -> None:
    statements = calculate(store, billing=config(bill_vacant_units=False))
    assert [s.unit_id for s in statements] == ["B1-0101"]


def test_a_boundary_reading_just_inside_the_tolerance_is_a_reading(store: EmbeddedStore) -> None:
    # last_before with 6 h tolerance: 6 h before the boundary is still a reading; the end is 6 h 1 min old.
    write(store, "E-0101", [(cst(2026, 9, 30, 18), 10.0), (cst(2026, 10, 31, 17, 59), 20.0)])
    write(store, "E-0101", [(cst(2026, 11, 1) + timedelta(hours=1), 21.0)])
    line = lines(calculate(store))["E-0101"]
    assert line.start is not None and line.start.method == "reading"
    # end: 17:59 (20) and 01:00 next day (21) are 7 h 1 min apart; 6 h 1 min of it is before midnight:
    # 20 + 1 × 361/421 = 20.857482… → 20.857
    assert line.end is not None and (line.end.value, line.end.method) == (D("20.857"), "interpolated_across_gap")


def test_progress_is_reported_per_chunk_of_meters(store: EmbeddedStore) -> None:
    calculator = StatementCalculator(
        SITE, CONFIG, store, StoreRegisterReader(store), FakeClock(cst(2026, 11, 2)), chunk=3
    )
    progress: list[tuple[int, int]] = []
    statements = calculator.calculate(OCTOBER, {}, lambda done, total: progress.append((done, total)))
    assert progress == [(3, 4), (4, 4)]
    assert [len(s.lines) for s in statements] == [3, 1]
