"""阶梯 + 峰谷 (tiered_time_of_use), worked by hand with Zhejiang's published residential structure: annual
tiers 2,760 / 4,800 kWh adding 0.05 and 0.30 to 峰 0.568 (08:00-22:00) and 谷 0.288 (22:00-08:00).
Prices are data (docs/billing.md cites the source)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from billing.config import parse_billing_config
from billing.statements import Charge
from billing.tariffs import TieredTimeOfUseTariff, price_period
from core.config_files import ConfigError
from core.site import Utility
from storage.embedded import EmbeddedStore
from tests.unit.billing.sample import BILLING_TOML, D, calculate, cst, lines, write

ZHEJIANG = """kind = "tiered_time_of_use"
basis = "annual"
reset = "01-01"
periods = [
    { name = "峰", unit_price = 0.568, windows = ["08:00-22:00"] },
    { name = "谷", unit_price = 0.288, windows = ["22:00-08:00"] },
]
tiers = [
    { up_to = 2760, increment = 0, name = "第一档" },
    { up_to = 4800, increment = 0.05, name = "第二档" },
    { increment = 0.30, name = "第三档" },
]"""
TOML = BILLING_TOML.replace(
    """kind = "tiered"
basis = "monthly"
tiers = [{ up_to = 230, unit_price = 0.538 }, { up_to = 400, unit_price = 0.588 }, { unit_price = 0.838 }]""",
    ZHEJIANG,
).replace('boundary = "last_before"', 'boundary = "interpolate"')
CONFIG = parse_billing_config(TOML)
SCHEDULE = CONFIG.schedule_for(Utility.ELECTRICITY)


def test_the_config_is_the_combined_kind() -> None:
    assert SCHEDULE is not None
    assert isinstance(SCHEDULE.entries[0].tariff, TieredTimeOfUseTariff)


def test_annual_tier_crossed_inside_a_month() -> None:
    assert SCHEDULE is not None
    # 2,700 kWh before October; October 峰 60 + 谷 40 = 100: 60 fill tier 1 (to 2,760), 40 fall in tier 2.
    priced = price_period(
        SCHEDULE, date(2026, 10, 1), date(2026, 11, 1), usage={"峰": D("60"), "谷": D("40")}, prior_usage_in_year=2700
    )
    # 峰 60 × 0.568 = 34.08; 谷 40 × 0.288 = 11.52; tier 2 adds 40 × 0.05 = 2.00; 47.60
    # (= 峰 and 谷 at tier-2 prices 0.618 / 0.338 for the 40 kWh in tier 2, split any way between the bands)
    assert [(x.name, x.quantity, x.unit_price, x.amount) for x in priced.lines] == [
        ("峰", D("60"), D("0.568"), D("34.08")),
        ("谷", D("40"), D("0.288"), D("11.52")),
        ("第二档 increment", D("40"), D("0.05"), D("2.00")),
    ]
    assert priced.total == D("47.60")


def test_two_tiers_crossed_in_one_month() -> None:
    assert SCHEDULE is not None
    # 4,750 before; 峰 150 + 谷 50 = 200: 50 in tier 2 (to 4,800), 150 in tier 3.
    priced = price_period(
        SCHEDULE, date(2026, 10, 1), date(2026, 11, 1), usage={"峰": D("150"), "谷": D("50")}, prior_usage_in_year=4750
    )
    # 150 × 0.568 = 85.20; 50 × 0.288 = 14.40; 50 × 0.05 = 2.50; 150 × 0.30 = 45.00; 147.10
    assert [x.amount for x in priced.lines] == [D("85.20"), D("14.40"), D("2.50"), D("45.00")]
    assert priced.total == D("147.10")


def test_monthly_basis_ignores_the_year() -> None:
    tariff = TieredTimeOfUseTariff.model_validate(
        {
            "basis": "monthly",
            "periods": [{"name": "峰", "unit_price": D("0.6"), "windows": ["00:00-24:00"]}],
            "tiers": [{"up_to": D("100"), "increment": D("0")}, {"increment": D("0.1")}],
        }
    )
    # 120 kWh: 120 × 0.6 = 72.00; 20 over the monthly 100 × 0.1 = 2.00
    assert tariff.price({"峰": D("120")}, prior_usage_in_year=5000).total == D("74.00")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("up_to = 4800", "up_to = 2000", "tiers[1] (tier 2): up_to 2000 must be greater than tiers[0].up_to 2760"),
        ('windows = ["22:00-08:00"]', 'windows = ["23:00-08:00"]', "no period covers 22:00-23:00"),
        ("increment = 0.30", "increment = -0.30", "tiers[2].increment: Input should be greater than or equal to 0"),
        ("increment = 0.30", "increment = 0.30, unit_price = 1", "tiers[2].unit_price: unknown key"),
    ],
)
def test_hostile_configs_are_refused_with_the_key(old: str, new: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_billing_config(TOML.replace(old, new))
    assert "tariffs[1].entries[0].tariff" in str(caught.value)
    assert message in str(caught.value)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    with EmbeddedStore(tmp_path / "readings.db") as embedded:
        yield embedded


def test_billed_from_hourly_readings_across_the_annual_tier(store: EmbeddedStore) -> None:
    # Register 0 at the tariff year's start; 2,700 kWh at 1 October 00:00; then 1 kWh each 峰 hour, 0.5 each 谷 hour.
    write(store, "E-0101", [(cst(2025, 12, 31, 23), 0.0), (cst(2026, 1, 1, 1), 0.0)])
    readings, total, at = [], 2699.5, cst(2026, 9, 30, 23)
    while at <= cst(2026, 11, 1, 1):
        readings.append((at, total))
        total += 1.0 if 8 <= at.hour < 22 else 0.5
        at += timedelta(hours=1)
    write(store, "E-0101", readings)
    line = lines(calculate(store, billing=CONFIG))["E-0101"]
    # October: 峰 31 × 14 = 434, 谷 31 × 5 = 155, 589 kWh from 2,700: 60 in tier 1, 529 in tier 2.
    # 434 × 0.568 = 246.512 → 246.51; 155 × 0.288 = 44.64; 529 × 0.05 = 26.45; 317.60
    start, end = date(2026, 10, 1), date(2026, 11, 1)
    assert line.charges == (
        Charge("峰", D("434.000"), D("0.568"), D("246.51"), start, end),
        Charge("谷", D("155.000"), D("0.288"), D("44.64"), start, end),
        Charge("第二档 increment", D("529.000"), D("0.05"), D("26.45"), start, end),
    )
    assert line.amount == D("317.60")
    assert "tariff-year usage before this period: 2700.000 kWh since 2026-01-01" in line.notes
    assert not line.estimated
