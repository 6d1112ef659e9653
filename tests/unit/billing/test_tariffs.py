"""Tariff pricing against hand-computed bills.

Every expected amount below was worked out by hand (quantity × unit price, rounded to the fen) and is
written as a Decimal literal; none is computed by the code under test. The arithmetic is in the comments.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from billing.money import RoundingMode, RoundingRule
from billing.tariffs import (
    FlatTariff,
    PriceBreakdown,
    PriceLine,
    ScheduleEntry,
    TariffSchedule,
    Tier,
    TierBasis,
    TieredTariff,
    TimeOfUseTariff,
    price_period,
)
from core.site import Utility

D = Decimal

# Hangzhou-like residential water: annual tiers, reset on 1 January.
WATER = TieredTariff(
    basis=TierBasis.ANNUAL,
    reset="01-01",
    tiers=(
        Tier(up_to=D("216"), unit_price=D("2.90")),
        Tier(up_to=D("300"), unit_price=D("3.85")),
        Tier(unit_price=D("6.70")),
    ),
)

# Residential electricity: monthly tiers.
ELECTRICITY = TieredTariff(
    basis=TierBasis.MONTHLY,
    tiers=(
        Tier(up_to=D("230"), unit_price=D("0.538")),
        Tier(up_to=D("400"), unit_price=D("0.588")),
        Tier(unit_price=D("0.838")),
    ),
)

# Peak/valley electricity; the valley window wraps midnight.
TOU = TimeOfUseTariff.model_validate(
    {
        "kind": "time_of_use",
        "periods": [
            {"name": "peak", "unit_price": "0.568", "windows": ["08:00-22:00"]},
            {"name": "valley", "unit_price": "0.288", "windows": ["22:00-08:00"]},
        ],
    }
)

HALF_EVEN = RoundingRule(mode=RoundingMode.HALF_EVEN)


def rows(breakdown: PriceBreakdown) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    return [(line.name, line.quantity, line.unit_price, line.amount) for line in breakdown.lines]


def dated_rows(breakdown: PriceBreakdown) -> list[tuple[str, Decimal, Decimal, Decimal, date | None, date | None]]:
    return [(line.name, line.quantity, line.unit_price, line.amount, line.start, line.end) for line in breakdown.lines]


def tou(periods: list[dict[str, Any]]) -> TimeOfUseTariff:
    return TimeOfUseTariff.model_validate({"kind": "time_of_use", "periods": periods})


def tiers(*specs: tuple[Any, Any]) -> dict[str, Any]:
    return {
        "kind": "tiered",
        "basis": "monthly",
        "tiers": [{"unit_price": price} if up is None else {"up_to": up, "unit_price": price} for up, price in specs],
    }


# ------------------------------------------------------------------------------------------- flat


def test_flat_price() -> None:
    # 12.345 m³ × 2.90 = 35.8005 → 35.80
    breakdown = FlatTariff(unit_price=D("2.90")).price(D("12.345"))
    assert rows(breakdown) == [("flat rate", D("12.345"), D("2.90"), D("35.80"))]
    assert breakdown.total == D("35.80")


def test_flat_rejects_negative_price() -> None:
    with pytest.raises(ValidationError, match="unit_price"):
        FlatTariff(unit_price=D("-1"))


# ------------------------------------------------------------------------------------------- monthly tiers


def test_month_crossing_one_tier_boundary() -> None:
    # 230 × 0.538 = 123.74; 70 × 0.588 = 41.16; total 164.90
    breakdown = ELECTRICITY.price(D("300"))
    assert rows(breakdown) == [
        ("tier 1", D("230"), D("0.538"), D("123.74")),
        ("tier 2", D("70"), D("0.588"), D("41.16")),
    ]
    assert breakdown.total == D("164.90")


def test_month_reaching_the_top_tier() -> None:
    # 123.74 + 170 × 0.588 = 99.96 + 50 × 0.838 = 41.90 → 265.60
    breakdown = ELECTRICITY.price(D("450"))
    assert rows(breakdown) == [
        ("tier 1", D("230"), D("0.538"), D("123.74")),
        ("tier 2", D("170"), D("0.588"), D("99.96")),
        ("tier 3", D("50"), D("0.838"), D("41.90")),
    ]
    assert breakdown.total == D("265.60")


def test_usage_exactly_on_a_bound_stays_in_the_lower_tier() -> None:
    assert rows(ELECTRICITY.price(D("230"))) == [("tier 1", D("230"), D("0.538"), D("123.74"))]
    # 123.74 + 170 × 0.588 = 99.96 → 223.70, nothing in tier 3
    at_400 = ELECTRICITY.price(D("400"))
    assert [line.name for line in at_400.lines] == ["tier 1", "tier 2"]
    assert at_400.total == D("223.70")


def test_just_past_a_bound_spills_into_the_next_tier() -> None:
    # 123.74 + 0.01 × 0.588 = 0.00588 → 0.01; total 123.75
    breakdown = ELECTRICITY.price(D("230.01"))
    assert rows(breakdown)[1] == ("tier 2", D("0.01"), D("0.588"), D("0.01"))
    assert breakdown.total == D("123.75")


def test_monthly_basis_ignores_prior_usage_in_year() -> None:
    assert ELECTRICITY.price(D("300"), prior_usage_in_year=D("5000")).total == D("164.90")


def test_zero_usage_gives_no_lines_and_a_zero_total() -> None:
    for breakdown in (
        ELECTRICITY.price(D("0")),
        WATER.price(D("0"), prior_usage_in_year=D("250")),
        FlatTariff(unit_price=D("2.90")).price(0),
        TOU.price({"peak": D("0"), "valley": D("0")}),
    ):
        assert breakdown.lines == ()
        assert str(breakdown.total) == "0.00"


def test_named_tiers_name_their_lines() -> None:
    tariff = TieredTariff.model_validate(tiers((10, "1"), (None, "2")))
    named = tariff.model_copy(
        update={"tiers": (Tier(up_to=D("10"), unit_price=D("1"), name="第一阶梯"), tariff.tiers[1])}
    )
    assert [line.name for line in named.price(D("12")).lines] == ["第一阶梯", "tier 2"]


def test_float_and_negative_usage_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        ELECTRICITY.price(300.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        WATER.price(D("1"), prior_usage_in_year=250.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        ELECTRICITY.price(D("-1"))


# ------------------------------------------------------------------------------------------- annual tiers


def test_annual_prior_usage_already_in_tier_2() -> None:
    # 250 m³ so far this year; 30 more stays in tier 2: 30 × 3.85 = 115.50
    breakdown = WATER.price(D("30"), prior_usage_in_year=D("250"))
    assert rows(breakdown) == [("tier 2", D("30"), D("3.85"), D("115.50"))]
    assert breakdown.total == D("115.50")


def test_annual_prior_in_tier_2_crossing_into_tier_3() -> None:
    # 250 → 320: 50 × 3.85 = 192.50; 20 × 6.70 = 134.00; total 326.50
    breakdown = WATER.price(D("70"), prior_usage_in_year=D("250"))
    assert rows(breakdown) == [
        ("tier 2", D("50"), D("3.85"), D("192.50")),
        ("tier 3", D("20"), D("6.70"), D("134.00")),
    ]
    assert breakdown.total == D("326.50")


def test_annual_crossing_from_tier_1() -> None:
    # 200 → 220: 16 × 2.90 = 46.40; 4 × 3.85 = 15.40; total 61.80
    breakdown = WATER.price(D("20"), prior_usage_in_year=D("200"))
    assert rows(breakdown) == [
        ("tier 1", D("16"), D("2.90"), D("46.40")),
        ("tier 2", D("4"), D("3.85"), D("15.40")),
    ]
    assert breakdown.total == D("61.80")


def test_annual_exact_boundary() -> None:
    # 216 × 2.90 = 626.40, all in tier 1
    assert rows(WATER.price(D("216"))) == [("tier 1", D("216"), D("2.90"), D("626.40"))]
    # Prior exactly on the bound: the next cubic metre is tier 2 → 3.85
    assert rows(WATER.price(D("1"), prior_usage_in_year=D("216"))) == [("tier 2", D("1"), D("3.85"), D("3.85"))]


def test_annual_prior_beyond_every_bound() -> None:
    # 400 so far, 5 more: 5 × 6.70 = 33.50
    assert rows(WATER.price(D("5"), prior_usage_in_year=D("400"))) == [("tier 3", D("5"), D("6.70"), D("33.50"))]


def test_reset_defaults_to_new_year() -> None:
    tariff = TieredTariff.model_validate(tiers((10, "1"), (None, "2")) | {"basis": "annual"})
    assert tariff.reset_month_day == (1, 1)
    assert tariff.is_reset_day(date(2025, 1, 1))
    assert not tariff.is_reset_day(date(2025, 1, 2))
    assert not ELECTRICITY.is_reset_day(date(2025, 1, 1))


# ------------------------------------------------------------------------------------------- rounding


def test_line_rounding_half_up_vs_half_even() -> None:
    # 12.5 kWh × 0.538 = 6.725: half up → 6.73, half even → 6.72
    assert ELECTRICITY.price(D("12.5")).total == D("6.73")
    assert ELECTRICITY.price(D("12.5"), rounding=HALF_EVEN).total == D("6.72")


def test_total_is_the_sum_of_rounded_lines() -> None:
    # peak 10.625 × 0.568 = 6.035; valley 10.15625 × 0.288 = 2.925
    # half up: 6.04 + 2.93 = 8.97 (rounding the raw sum 8.960 would give 8.96)
    usage = {"peak": D("10.625"), "valley": D("10.15625")}
    half_up = TOU.price(usage)
    assert [line.amount for line in half_up.lines] == [D("6.04"), D("2.93")]
    assert half_up.total == D("8.97")
    # half even: 6.035 → 6.04 (3 is odd), 2.925 → 2.92 (2 is even); total 8.96
    half_even = TOU.price(usage, rounding=HALF_EVEN)
    assert [line.amount for line in half_even.lines] == [D("6.04"), D("2.92")]
    assert half_even.total == D("8.96")


def test_breakdown_refuses_a_total_that_is_not_the_sum() -> None:
    line = PriceLine(name="x", quantity=D("1"), unit_price=D("1"), amount=D("1.00"))
    with pytest.raises(ValidationError, match="sum of the line amounts"):
        PriceBreakdown(lines=(line,), total=D("1.01"))


# ------------------------------------------------------------------------------------------- tier validation


def _tier_error(spec: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        TieredTariff.model_validate(spec)
    return str(caught.value)


def test_bounds_must_increase() -> None:
    message = _tier_error(tiers((216, "2.90"), (200, "3.85"), (None, "6.70")))
    assert "tiers[1]" in message
    assert "must be greater than tiers[0].up_to 216" in message


def test_equal_bounds_are_not_increasing() -> None:
    assert "tiers[1]" in _tier_error(tiers((216, "2.90"), (216, "3.85"), (None, "6.70")))


def test_only_the_last_tier_may_be_unbounded() -> None:
    message = _tier_error(tiers((216, "2.90"), (None, "3.85"), (None, "6.70")))
    assert "tiers[1] (tier 2): only the last tier may leave up_to unset" in message
    assert "tiers[2]" not in message


def test_last_tier_must_be_unbounded() -> None:
    assert "tiers[1] (tier 2): the last tier must leave up_to unset" in _tier_error(tiers((216, "2.90"), (300, "3.85")))


def test_negative_price_names_the_tier() -> None:
    message = _tier_error(tiers((216, "2.90"), (300, "3.85"), (None, "-6.70")))
    assert "tiers[2] (tier 3): unit_price -6.70 is negative" in message


def test_first_bound_must_be_positive() -> None:
    assert "tiers[0] (tier 1): up_to 0 must be greater than 0" in _tier_error(tiers((0, "1"), (None, "2")))


def test_every_tier_problem_is_reported_at_once() -> None:
    message = _tier_error(tiers((216, "-1"), (100, "3.85"), (300, "6.70")))
    assert "tiers[0]" in message
    assert "tiers[1]" in message
    assert "tiers[2]" in message


def test_a_tiered_tariff_needs_tiers() -> None:
    with pytest.raises(ValidationError, match="tiers"):
        TieredTariff.model_validate({"kind": "tiered", "basis": "monthly", "tiers": []})


@pytest.mark.parametrize(
    ("reset", "expected"), [("1-1", "month-day"), ("13-01", "every year"), ("02-29", "every year")]
)
def test_bad_reset_dates(reset: str, expected: str) -> None:
    assert expected in _tier_error(tiers((216, "2.90"), (None, "3.85")) | {"basis": "annual", "reset": reset})


def test_reset_on_a_monthly_basis_is_an_error() -> None:
    assert "reset only applies" in _tier_error(tiers((216, "2.90"), (None, "3.85")) | {"reset": "01-01"})


def test_float_prices_are_refused_with_a_hint() -> None:
    message = _tier_error(tiers((216, 2.90), (None, "3.85")))
    assert "tiers.0.unit_price" in message
    assert "parse_float=Decimal" in message


def test_unknown_keys_are_refused() -> None:
    assert "upto" in _tier_error(
        {"kind": "tiered", "basis": "monthly", "tiers": [{"upto": 10, "unit_price": "1"}, {"unit_price": "2"}]}
    )


# ------------------------------------------------------------------------------------------- time of use


def test_tou_pricing() -> None:
    # 100 × 0.568 = 56.80; 50 × 0.288 = 14.40; total 71.20
    breakdown = TOU.price({"peak": D("100"), "valley": D("50")})
    assert rows(breakdown) == [
        ("peak", D("100"), D("0.568"), D("56.80")),
        ("valley", D("50"), D("0.288"), D("14.40")),
    ]
    assert breakdown.total == D("71.20")


def test_tou_missing_period_counts_as_zero_and_lines_follow_tariff_order() -> None:
    # 50 × 0.288 = 14.40
    assert rows(TOU.price({"valley": D("50")})) == [("valley", D("50"), D("0.288"), D("14.40"))]


def test_tou_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown time-of-use period.*sharp.*peak, valley"):
        TOU.price({"peak": D("1"), "sharp": D("1")})


def test_tou_float_usage_is_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        TOU.price({"peak": 1.5})  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("moment", "period"),
    [
        (time(0, 0), "valley"),
        (time(7, 59, 59), "valley"),
        (time(8, 0), "peak"),
        (time(21, 59), "peak"),
        (time(22, 0), "valley"),
        (time(23, 30), "valley"),
    ],
)
def test_window_wrapping_midnight(moment: time, period: str) -> None:
    assert TOU.period_at(moment) == period


ZHEJIANG_LIKE = [
    {"name": "peak", "unit_price": "0.568", "windows": ["08:00-11:00", "13:00-22:00"]},
    {"name": "valley", "unit_price": "0.288", "windows": ["11:00-13:00", "22:00-08:00"]},
]


def test_several_windows_per_period() -> None:
    tariff = tou(ZHEJIANG_LIKE)
    assert tariff.period_at(time(12, 0)) == "valley"
    assert tariff.period_at(time(13, 0)) == "peak"
    assert tariff.period_at(time(3, 0)) == "valley"
    assert tariff.period_names == ("peak", "valley")


def test_window_may_end_at_24_00() -> None:
    tariff = tou(
        [
            {"name": "flat", "unit_price": "0.5", "windows": ["08:00-24:00"]},
            {"name": "valley", "unit_price": "0.3", "windows": [{"start": "00:00", "end": "08:00"}]},
        ]
    )
    assert tariff.period_at(time(23, 59)) == "flat"
    assert tou([{"name": "all", "unit_price": "0.5", "windows": ["00:00-24:00"]}]).period_at(time(5)) == "all"


def _tou_error(periods: list[dict[str, Any]]) -> str:
    with pytest.raises(ValidationError) as caught:
        tou(periods)
    return str(caught.value)


def test_overlapping_windows_are_named() -> None:
    message = _tou_error(
        [
            {"name": "peak", "unit_price": "0.568", "windows": ["08:00-22:00"]},
            {"name": "valley", "unit_price": "0.288", "windows": ["21:00-08:00"]},
        ]
    )
    assert "peak and valley overlap at 21:00-22:00" in message
    assert "no period covers" not in message


def test_overlap_across_midnight() -> None:
    message = _tou_error(
        [
            {"name": "peak", "unit_price": "0.568", "windows": ["07:00-23:30"]},
            {"name": "valley", "unit_price": "0.288", "windows": ["23:00-08:00"]},
        ]
    )
    assert "peak and valley overlap at 07:00-08:00" in message
    assert "peak and valley overlap at 23:00-23:30" in message


def test_missing_times_are_named() -> None:
    message = _tou_error(
        [
            {"name": "peak", "unit_price": "0.568", "windows": ["08:00-22:00"]},
            {"name": "valley", "unit_price": "0.288", "windows": ["23:00-07:30"]},
        ]
    )
    assert "no period covers 07:30-08:00" in message
    assert "no period covers 22:00-23:00" in message


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("8:00-22:00", "must be HH:MM"),
        ("08:00 to 22:00", "HH:MM-HH:MM"),
        ("25:00-08:00", "not a time of day"),
        ("24:00-08:00", "not a time of day"),
        ("08:60-22:00", "not a time of day"),
        ("08:00-08:00", "empty or ambiguous"),
        ("00:00-00:00", "empty or ambiguous"),
    ],
)
def test_bad_windows(window: str, expected: str) -> None:
    message = _tou_error([{"name": "all", "unit_price": "0.5", "windows": [window]}])
    assert expected in message
    assert "periods.0.windows.0" in message


def test_duplicate_period_names() -> None:
    message = _tou_error(
        [
            {"name": "peak", "unit_price": "0.568", "windows": ["08:00-22:00"]},
            {"name": "peak", "unit_price": "0.288", "windows": ["22:00-08:00"]},
        ]
    )
    assert "periods[1]: name 'peak' is used by an earlier period" in message


def test_negative_tou_price_names_the_period() -> None:
    message = _tou_error(
        [
            {"name": "peak", "unit_price": "0.568", "windows": ["08:00-22:00"]},
            {"name": "valley", "unit_price": "-0.288", "windows": ["22:00-08:00"]},
        ]
    )
    assert "periods[1] (valley): unit_price -0.288 is negative" in message


# ------------------------------------------------------------------------------------------- schedules

JUNE_RISE = date(2024, 6, 16)


def schedule(utility: Utility, *entries: tuple[date, Any]) -> TariffSchedule:
    return TariffSchedule(utility=utility, entries=tuple(ScheduleEntry(effective_from=d, tariff=t) for d, t in entries))


FLAT_WATER = schedule(
    Utility.WATER,
    (date(2024, 1, 1), FlatTariff(unit_price=D("2.90"))),
    (JUNE_RISE, FlatTariff(unit_price=D("3.10"))),
)


def test_tariff_on_picks_the_one_in_force() -> None:
    assert FlatTariff(unit_price=D("2.90")) == FLAT_WATER.tariff_on(date(2024, 6, 15))
    assert FlatTariff(unit_price=D("3.10")) == FLAT_WATER.tariff_on(JUNE_RISE)
    assert FlatTariff(unit_price=D("3.10")) == FLAT_WATER.tariff_on(date(2030, 1, 1))
    assert FLAT_WATER.entry_on(date(2024, 1, 1)).effective_from == date(2024, 1, 1)


def test_no_tariff_before_the_first_entry() -> None:
    with pytest.raises(LookupError, match=r"no water tariff in force on 2023-12-31.*2024-01-01"):
        FLAT_WATER.tariff_on(date(2023, 12, 31))


def test_datetime_is_not_a_day() -> None:
    with pytest.raises(TypeError, match="not a datetime"):
        FLAT_WATER.tariff_on(datetime(2024, 6, 16, 12, 0))


def test_schedule_dates_must_increase() -> None:
    with pytest.raises(ValidationError, match=r"entries\[2\]: effective_from 2024-03-01 must be after"):
        schedule(
            Utility.WATER,
            (date(2024, 1, 1), FlatTariff(unit_price=D("1"))),
            (date(2024, 6, 1), FlatTariff(unit_price=D("2"))),
            (date(2024, 3, 1), FlatTariff(unit_price=D("3"))),
        )


SITE_TOML = """
utility = "water"

[[entries]]
effective_from = 2024-01-01
[entries.tariff]
kind = "tiered"
basis = "annual"
reset = "01-01"
tiers = [
    { up_to = 216, unit_price = 2.90 },
    { up_to = 300, unit_price = 3.85 },
    { unit_price = 6.70 },
]

[[entries]]
effective_from = 2025-07-01
[entries.tariff]
kind = "flat"
unit_price = "3.50"
"""


def test_schedule_from_toml() -> None:
    loaded = TariffSchedule.model_validate(tomllib.loads(SITE_TOML, parse_float=Decimal))
    assert loaded.tariff_on(date(2024, 5, 1)) == WATER
    assert loaded.tariff_on(date(2025, 7, 1)) == FlatTariff(unit_price=D("3.50"))


def test_toml_floats_are_refused() -> None:
    with pytest.raises(ValidationError, match="parse_float=Decimal"):
        TariffSchedule.model_validate(tomllib.loads(SITE_TOML))


def test_toml_needs_a_known_kind() -> None:
    with pytest.raises(ValidationError, match="kind"):
        TariffSchedule.model_validate(
            {"utility": "water", "entries": [{"effective_from": "2024-01-01", "tariff": {"unit_price": "1"}}]}
        )
    with pytest.raises(ValidationError, match="stepped"):
        TariffSchedule.model_validate(
            {"utility": "water", "entries": [{"effective_from": "2024-01-01", "tariff": {"kind": "stepped"}}]}
        )


# ------------------------------------------------------------------------------------------- price_period


def test_period_without_a_change() -> None:
    elec = schedule(Utility.ELECTRICITY, (date(2024, 1, 1), ELECTRICITY))
    breakdown = price_period(elec, date(2024, 6, 1), date(2024, 7, 1), usage=D("300"))
    assert dated_rows(breakdown) == [
        ("tier 1", D("230"), D("0.538"), D("123.74"), date(2024, 6, 1), date(2024, 7, 1)),
        ("tier 2", D("70"), D("0.588"), D("41.16"), date(2024, 6, 1), date(2024, 7, 1)),
    ]
    assert breakdown.total == D("164.90")


def test_mid_month_price_change_split_by_days() -> None:
    # June has 30 days: 15 at the old price, 15 at the new. 30 m³ → 15 + 15.
    # 15 × 2.90 = 43.50; 15 × 3.10 = 46.50; total 90.00
    breakdown = price_period(FLAT_WATER, date(2024, 6, 1), date(2024, 7, 1), usage=D("30"))
    assert dated_rows(breakdown) == [
        ("flat rate", D("15"), D("2.90"), D("43.50"), date(2024, 6, 1), JUNE_RISE),
        ("flat rate", D("15"), D("3.10"), D("46.50"), JUNE_RISE, date(2024, 7, 1)),
    ]
    assert breakdown.total == D("90.00")


def test_uneven_split_keeps_the_whole_quantity() -> None:
    # 10 m³ over 30 days, 10 days old price: 10 × 10/30 = 3.333 (to 0.001), the rest 6.667.
    # 3.333 × 2.90 = 9.6657 → 9.67; 6.667 × 3.10 = 20.6677 → 20.67; total 30.34
    breakdown = price_period(FLAT_WATER, date(2024, 6, 6), date(2024, 7, 6), usage=D("10"))
    assert rows(breakdown) == [
        ("flat rate", D("3.333"), D("2.90"), D("9.67")),
        ("flat rate", D("6.667"), D("3.10"), D("20.67")),
    ]
    assert breakdown.total == D("30.34")


def test_per_day_usage_splits_by_actual_usage() -> None:
    # 1 m³/day for 5 days at 2.90 = 14.50; 3 m³/day for 5 days at 3.10 = 46.50; total 61.00
    # (pro rata by days would have given 10 + 10 → 29.00 + 31.00 = 60.00)
    daily = {date(2024, 6, day): D("1") for day in range(11, 16)} | {
        date(2024, 6, day): D("3") for day in range(16, 21)
    }
    breakdown = price_period(FLAT_WATER, date(2024, 6, 11), date(2024, 6, 21), daily_usage=daily)
    assert rows(breakdown) == [
        ("flat rate", D("5"), D("2.90"), D("14.50")),
        ("flat rate", D("15"), D("3.10"), D("46.50")),
    ]
    assert breakdown.total == D("61.00")


def test_per_day_usage_must_cover_the_period() -> None:
    daily = {date(2024, 6, day): D("1") for day in range(11, 20)}
    with pytest.raises(ValueError, match="missing days 2024-06-20"):
        price_period(FLAT_WATER, date(2024, 6, 11), date(2024, 6, 21), daily_usage=daily)
    daily |= {date(2024, 6, 20): D("1"), date(2024, 6, 21): D("1")}
    with pytest.raises(ValueError, match="days outside the period 2024-06-21"):
        price_period(FLAT_WATER, date(2024, 6, 11), date(2024, 6, 21), daily_usage=daily)


def test_monthly_tiers_continue_across_a_mid_month_change() -> None:
    raised = TieredTariff(
        basis=TierBasis.MONTHLY,
        tiers=(
            Tier(up_to=D("230"), unit_price=D("0.568")),
            Tier(up_to=D("400"), unit_price=D("0.618")),
            Tier(unit_price=D("0.868")),
        ),
    )
    elec = schedule(Utility.ELECTRICITY, (date(2024, 1, 1), ELECTRICITY), (JUNE_RISE, raised))
    # 300 kWh over June → 150 before the 16th, 150 after.
    # Before: 150 × 0.538 = 80.70 (tier 1). After, counting from 150: 80 × 0.568 = 45.44 in tier 1,
    # 70 × 0.618 = 43.26 in tier 2. Total 169.40.
    breakdown = price_period(elec, date(2024, 6, 1), date(2024, 7, 1), usage=D("300"))
    assert rows(breakdown) == [
        ("tier 1", D("150"), D("0.538"), D("80.70")),
        ("tier 1", D("80"), D("0.568"), D("45.44")),
        ("tier 2", D("70"), D("0.618"), D("43.26")),
    ]
    assert breakdown.total == D("169.40")


def test_annual_tiers_carry_prior_usage_across_a_change() -> None:
    dearer = TieredTariff(
        basis=TierBasis.ANNUAL,
        tiers=(
            Tier(up_to=D("216"), unit_price=D("3.10")),
            Tier(up_to=D("300"), unit_price=D("4.15")),
            Tier(unit_price=D("7.20")),
        ),
    )
    water = schedule(Utility.WATER, (date(2024, 1, 1), WATER), (date(2024, 7, 1), dearer))
    # 16 Jun–15 Jul: 15 days each side; 20 m³ → 10 + 10; 210 m³ used earlier this year.
    # 210 → 220 old: 6 × 2.90 = 17.40, 4 × 3.85 = 15.40. 220 → 230 new: 10 × 4.15 = 41.50. Total 74.30.
    breakdown = price_period(water, date(2024, 6, 16), date(2024, 7, 16), usage=D("20"), prior_usage_in_year=D("210"))
    assert rows(breakdown) == [
        ("tier 1", D("6"), D("2.90"), D("17.40")),
        ("tier 2", D("4"), D("3.85"), D("15.40")),
        ("tier 2", D("10"), D("4.15"), D("41.50")),
    ]
    assert breakdown.total == D("74.30")


def test_annual_count_restarts_at_the_reset_day_inside_the_period() -> None:
    water = schedule(Utility.WATER, (date(2024, 1, 1), WATER))
    # 16 Dec–15 Jan: 16 days in December, 15 in January; 31 m³ → 16 + 15; 290 m³ used in 2024.
    # December: 290 → 306: 10 × 3.85 = 38.50, 6 × 6.70 = 40.20. January restarts: 15 × 2.90 = 43.50.
    # Total 122.20.
    breakdown = price_period(water, date(2024, 12, 16), date(2025, 1, 16), usage=D("31"), prior_usage_in_year=D("290"))
    assert dated_rows(breakdown) == [
        ("tier 2", D("10"), D("3.85"), D("38.50"), date(2024, 12, 16), date(2025, 1, 1)),
        ("tier 3", D("6"), D("6.70"), D("40.20"), date(2024, 12, 16), date(2025, 1, 1)),
        ("tier 1", D("15"), D("2.90"), D("43.50"), date(2025, 1, 1), date(2025, 1, 16)),
    ]
    assert breakdown.total == D("122.20")


def test_period_starting_on_the_reset_day_has_no_prior_usage() -> None:
    water = schedule(Utility.WATER, (date(2024, 1, 1), WATER))
    with pytest.raises(ValueError, match="annual reset day 01-01"):
        price_period(water, date(2025, 1, 1), date(2025, 2, 1), usage=D("10"), prior_usage_in_year=D("5"))
    # 10 × 2.90 = 29.00
    assert price_period(water, date(2025, 1, 1), date(2025, 2, 1), usage=D("10")).total == D("29.00")


def test_tou_change_mid_month_splits_each_period() -> None:
    dearer_peak = tou(
        [
            {"name": "peak", "unit_price": "0.600", "windows": ["08:00-22:00"]},
            {"name": "valley", "unit_price": "0.288", "windows": ["22:00-08:00"]},
        ]
    )
    elec = schedule(Utility.ELECTRICITY, (date(2024, 1, 1), TOU), (JUNE_RISE, dearer_peak))
    # peak 60 → 30 + 30, valley 30 → 15 + 15.
    # Before: 30 × 0.568 = 17.04, 15 × 0.288 = 4.32. After: 30 × 0.600 = 18.00, 15 × 0.288 = 4.32.
    # Total 43.68.
    breakdown = price_period(elec, date(2024, 6, 1), date(2024, 7, 1), usage={"peak": D("60"), "valley": D("30")})
    assert rows(breakdown) == [
        ("peak", D("30"), D("0.568"), D("17.04")),
        ("valley", D("15"), D("0.288"), D("4.32")),
        ("peak", D("30"), D("0.600"), D("18.00")),
        ("valley", D("15"), D("0.288"), D("4.32")),
    ]
    assert breakdown.total == D("43.68")


def test_tou_per_day_usage() -> None:
    elec = schedule(Utility.ELECTRICITY, (date(2024, 1, 1), TOU))
    daily = {
        date(2024, 6, 1): {"peak": D("5"), "valley": D("2")},
        date(2024, 6, 2): {"peak": D("7")},
    }
    # peak 12 × 0.568 = 6.816 → 6.82; valley 2 × 0.288 = 0.576 → 0.58; total 7.40
    breakdown = price_period(elec, date(2024, 6, 1), date(2024, 6, 3), daily_usage=daily)
    assert rows(breakdown) == [
        ("peak", D("12"), D("0.568"), D("6.82")),
        ("valley", D("2"), D("0.288"), D("0.58")),
    ]
    assert breakdown.total == D("7.40")


def test_tou_tariff_needs_usage_per_period() -> None:
    elec = schedule(Utility.ELECTRICITY, (date(2024, 1, 1), TOU))
    with pytest.raises(ValueError, match="give usage per period"):
        price_period(elec, date(2024, 6, 1), date(2024, 7, 1), usage=D("90"))


def test_per_period_usage_is_summed_for_a_flat_tariff() -> None:
    # (10 + 5) × 2.90 = 43.50
    flat = schedule(Utility.ELECTRICITY, (date(2024, 1, 1), FlatTariff(unit_price=D("2.90"))))
    breakdown = price_period(flat, date(2024, 6, 1), date(2024, 7, 1), usage={"peak": D("10"), "valley": D("5")})
    assert breakdown.total == D("43.50")


def test_period_argument_errors() -> None:
    start, end = date(2024, 6, 1), date(2024, 7, 1)
    with pytest.raises(ValueError, match="exactly one of usage or daily_usage"):
        price_period(FLAT_WATER, start, end)
    with pytest.raises(ValueError, match="exactly one of usage or daily_usage"):
        price_period(FLAT_WATER, start, end, usage=D("1"), daily_usage={})
    with pytest.raises(ValueError, match="must be after start"):
        price_period(FLAT_WATER, start, start, usage=D("1"))
    with pytest.raises(LookupError, match="no water tariff"):
        price_period(FLAT_WATER, date(2023, 12, 1), date(2024, 1, 1), usage=D("1"))
    with pytest.raises(TypeError, match="float"):
        price_period(FLAT_WATER, start, end, usage=1.0)  # type: ignore[arg-type]


def test_period_lines_are_rounded_with_the_given_rule() -> None:
    elec = schedule(Utility.ELECTRICITY, (date(2024, 1, 1), ELECTRICITY))
    # 12.5 × 0.538 = 6.725 → half even 6.72
    breakdown = price_period(elec, date(2024, 6, 1), date(2024, 7, 1), usage=D("12.5"), rounding=HALF_EVEN)
    assert breakdown.total == D("6.72")


# ------------------------------------------------------------------------------------------- properties

quantities = st.decimals(min_value=0, max_value=2000, places=3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(usage=quantities, prior=quantities)
def test_tiers_neither_lose_nor_invent_usage(usage: Decimal, prior: Decimal) -> None:
    breakdown = WATER.price(usage, prior_usage_in_year=prior)
    assert breakdown.quantity == usage
    assert breakdown.total == sum((line.amount for line in breakdown.lines), D(0))


@settings(max_examples=200, deadline=None)
@given(first=quantities, second=quantities, prior=quantities)
def test_annual_pricing_in_two_steps_matches_one_step(first: Decimal, second: Decimal, prior: Decimal) -> None:
    # Same tier quantities whether a year's usage is billed in one go or in two consecutive bills.
    def per_tier(*breakdowns: PriceBreakdown) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for breakdown in breakdowns:
            for line in breakdown.lines:
                totals[line.name] = totals.get(line.name, D(0)) + line.quantity
        return totals

    in_two = per_tier(
        WATER.price(first, prior_usage_in_year=prior), WATER.price(second, prior_usage_in_year=prior + first)
    )
    assert in_two == per_tier(WATER.price(first + second, prior_usage_in_year=prior))


@settings(max_examples=200, deadline=None)
@given(
    usage=quantities,
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)),
    days=st.integers(min_value=1, max_value=400),
)
def test_period_split_keeps_the_whole_usage(usage: Decimal, start: date, days: int) -> None:
    water = schedule(
        Utility.WATER,
        (date(2024, 1, 1), WATER),
        (date(2025, 3, 10), FlatTariff(unit_price=D("3.00"))),
        (date(2025, 3, 20), WATER),
    )
    end = date.fromordinal(start.toordinal() + days)
    breakdown = price_period(water, start, end, usage=usage)
    assert breakdown.quantity == usage
    assert all(line.quantity > 0 for line in breakdown.lines)
