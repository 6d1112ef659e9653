"""Time-of-use (峰谷) electricity priced from hourly interval readings; amounts worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from billing.config import BillingConfig, parse_billing_config
from billing.statements import Charge
from storage.embedded import EmbeddedStore
from tests.unit.billing.sample import BILLING_TOML, D, calculate, cst, lines, write

TOU = BILLING_TOML.replace(
    """kind = "tiered"
basis = "monthly"
tiers = [{ up_to = 230, unit_price = 0.538 }, { up_to = 400, unit_price = 0.588 }, { unit_price = 0.838 }]""",
    """kind = "time_of_use"
periods = [
    { name = "峰", unit_price = 0.568, windows = ["08:00-22:00"] },
    { name = "谷", unit_price = 0.288, windows = ["22:00-08:00"] },
]""",
).replace('boundary = "last_before"', 'boundary = "interpolate"')


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as embedded:
        yield embedded


@pytest.fixture
def tou() -> BillingConfig:
    return parse_billing_config(TOU)


def test_peak_and_valley_from_hourly_readings(store: EmbeddedStore, tou: BillingConfig) -> None:
    # Hourly readings from 30 Sep 23:00 to 1 Nov 01:00: 1 kWh in each peak hour, 0.5 kWh in each valley hour.
    readings, total, at = [], 0.0, cst(2026, 9, 30, 23)
    while at <= cst(2026, 11, 1, 1):
        readings.append((at, total))
        total += 1.0 if 8 <= at.hour < 22 else 0.5
        at += timedelta(hours=1)
    write(store, "E-0101", readings)
    line = lines(calculate(store, billing=tou))["E-0101"]
    # 31 days × (14 h × 1 + 10 h × 0.5) = 31 × 19 = 589 kWh; peak 31 × 14 = 434, valley 31 × 5 = 155
    assert line.consumption == D("589.000")
    start, end = cst(2026, 10, 1).date(), cst(2026, 11, 1).date()
    # 434 × 0.568 = 246.512 → 246.51; 155 × 0.288 = 44.640 → 44.64
    assert line.charges == (
        Charge("峰", D("434.000"), D("0.568"), D("246.51"), start, end),
        Charge("谷", D("155.000"), D("0.288"), D("44.64"), start, end),
    )
    assert line.amount == D("291.15")
    assert not line.estimated


def test_one_month_long_interval_splits_by_the_hours(store: EmbeddedStore, tou: BillingConfig) -> None:
    write(store, "E-0101", [(cst(2026, 10, 1), 0.0), (cst(2026, 11, 1), 240.0)])
    line = lines(calculate(store, billing=tou))["E-0101"]
    # one interval over the whole month covers each hour of the day equally: 14/24 peak, 10/24 valley
    # 240 × 14/24 = 140 at 0.568 = 79.52; 100 at 0.288 = 28.80
    assert [(c.quantity, c.amount) for c in line.charges] == [(D("140.000"), D("79.52")), (D("100.000"), D("28.80"))]
    assert line.amount == D("108.32")
    # issue 22: two readings a month apart say nothing about the time of day, so the split is an estimate
    assert line.estimated
    assert line.estimate_method == (
        "time-of-use split estimated: 1 interval(s) between readings longer than 6 h were spread evenly over "
        "the day (the longest 744 h, 2026-10-01 00:00 to 2026-11-01 00:00)"
    )


def test_without_interval_readings_the_split_is_an_estimate(store: EmbeddedStore, tou: BillingConfig) -> None:
    # Only a reading 1 h before the period and 1 h after it: nothing inside to split by.
    write(store, "E-0101", [(cst(2026, 9, 30, 23), 0.0), (cst(2026, 11, 1, 1), 250.0)])
    line = lines(calculate(store, billing=tou))["E-0101"]
    # 840 peak and 600 valley minutes a day: 250 × 840/1440 = 145.8333… → 145.833, valley 104.167
    # 145.833 × 0.568 = 82.833144 → 82.83; 104.167 × 0.288 = 30.000096 → 30.00
    assert [(c.quantity, c.amount) for c in line.charges] == [(D("145.833"), D("82.83")), (D("104.167"), D("30.00"))]
    assert line.amount == D("112.83")
    assert line.estimated
    assert line.estimate_method == "time-of-use split by the hours of each period: no interval readings in the period"
