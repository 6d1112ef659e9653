"""Pricing one meter's period consumption under its utility's tariff schedule.

`price_period` (billing.tariffs) does the arithmetic; this module decides what to feed it: the consumption
(or, under a time-of-use tariff, its split by period), and for annual tiers the usage since the tariff year's
reset day, which decides the tier this period's usage starts in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.money import RoundingRule
from billing.periods import BillingPeriod
from billing.statements import Charge
from billing.tariffs import (
    AnyTariff,
    TariffSchedule,
    TierBasis,
    TieredTariff,
    TieredTimeOfUseTariff,
    TimeOfUseTariff,
    price_period,
)


def tariffs_in_period(schedule: TariffSchedule, start: date, end: date) -> list[AnyTariff]:
    """The tariffs in force at some time in [start, end), in date order."""
    found = [schedule.tariff_on(start)]
    found += [entry.tariff for entry in schedule.entries if start < entry.effective_from < end]
    return found


def annual_reset_before(schedule: TariffSchedule, period: BillingPeriod) -> date | None:
    """The last reset day before the period of the first annual tiered tariff in it, or None.

    None when no annual tariff applies or the period starts on the reset day (no earlier usage counts).
    """
    for tariff in tariffs_in_period(schedule, period.start_date, period.end_date):
        if isinstance(tariff, TieredTariff | TieredTimeOfUseTariff) and tariff.basis is TierBasis.ANNUAL:
            month, day = tariff.reset_month_day
            start = period.start_date
            reset = date(start.year, month, day)
            if reset > start:
                reset = date(start.year - 1, month, day)
            return None if reset == start else reset
    return None


def time_of_use_tariff(schedule: TariffSchedule, period: BillingPeriod) -> TimeOfUseTariff | None:
    """The time bands of the first time-of-use tariff (plain or tiered) in force during the period, if any."""
    for tariff in tariffs_in_period(schedule, period.start_date, period.end_date):
        if isinstance(tariff, TimeOfUseTariff):
            return tariff
        if isinstance(tariff, TieredTimeOfUseTariff):
            return tariff.bands
    return None


@dataclass(frozen=True)
class Priced:
    charges: tuple[Charge, ...]
    amount: Decimal


def price_consumption(
    schedule: TariffSchedule,
    period: BillingPeriod,
    usage: Decimal | Mapping[str, Decimal],
    *,
    prior_usage_in_year: Decimal,
    rounding: RoundingRule,
) -> Priced:
    """Charges and amount of a period's usage; a price change inside the period splits it pro rata by days."""
    breakdown = price_period(
        schedule,
        period.start_date,
        period.end_date,
        usage=usage,
        prior_usage_in_year=prior_usage_in_year,
        rounding=rounding,
    )
    charges = tuple(
        Charge(line.name, line.quantity, line.unit_price, line.amount, line.start, line.end) for line in breakdown.lines
    )
    return Priced(charges, breakdown.total)
