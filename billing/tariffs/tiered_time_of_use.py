"""The `tiered_time_of_use` tariff kind (阶梯 + 峰谷): time bands priced per tier, as most provinces price
residential electricity.

Usage is metered per time band (峰, 平, 谷); the period's total usage climbs the tiers (monthly, or annual from
a reset day, exactly as `tiered`); in each tier every band costs its base price plus the tier's increment
(Zhejiang: tier 2 adds 0.05 and tier 3 adds 0.30 to both 峰 0.568 and 谷 0.288). Since the increment is the same
for every band, the charge is the bands at their base prices plus each tier's increment on the usage in that
tier: exact, with no split of a tier's usage between bands to round. The lines say so: one per band at its
base price, one per tier above the first with its increment ("tier 2 increment 40 × 0.05").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator

from billing.money import Money, Quantity, RoundingRule
from billing.tariffs.base import _ZERO, DEFAULT_ROUNDING, PriceBreakdown, _breakdown, _make_lines, _Strict, _usage
from billing.tariffs.tiered import Tier, TierBasis, TieredTariff
from billing.tariffs.time_of_use import TimeOfUseTariff, TouPeriod


class TierIncrement(_Strict):
    """One tier: cumulative usage up to `up_to` (None = no limit) adds `increment` to every band's price."""

    up_to: Quantity | None = None
    increment: Money = Field(ge=0)
    name: str | None = Field(default=None, min_length=1, max_length=64)


class TieredTimeOfUseTariff(_Strict):
    """阶梯 + 峰谷: `periods` are the bands with their base (tier 1) prices; `tiers` the bounds and increments."""

    kind: Literal["tiered_time_of_use"] = "tiered_time_of_use"
    basis: TierBasis
    reset: str | None = None
    periods: tuple[TouPeriod, ...] = Field(min_length=1)
    tiers: tuple[TierIncrement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> TieredTimeOfUseTariff:
        # The bands and the tiers are checked by the kinds they combine, with the same messages.
        self.bands  # noqa: B018 - validates
        self.tiering  # noqa: B018 - validates
        return self

    @cached_property
    def bands(self) -> TimeOfUseTariff:
        """The time bands as a time-of-use tariff (base prices)."""
        return TimeOfUseTariff(periods=self.periods)

    @cached_property
    def tiering(self) -> TieredTariff:
        """The tiers as a tiered tariff whose unit prices are the increments."""
        tiers = tuple(Tier(up_to=t.up_to, unit_price=t.increment, name=t.name) for t in self.tiers)
        return TieredTariff(basis=self.basis, reset=self.reset, tiers=tiers)

    @property
    def period_names(self) -> tuple[str, ...]:
        return tuple(period.name for period in self.periods)

    @property
    def reset_month_day(self) -> tuple[int, int]:
        return self.tiering.reset_month_day

    def is_reset_day(self, day: date) -> bool:
        return self.tiering.is_reset_day(day)

    def _items(self, usage_by_period: Mapping[str, Decimal], prior: Decimal) -> list[tuple[str, Decimal, Decimal]]:
        bands = self.bands._items(usage_by_period)
        total = sum((quantity for _, quantity, _ in bands), _ZERO)
        increments = [
            (f"{self.tiers[index].name or f'tier {index + 1}'} increment", portion, self.tiers[index].increment)
            for index, portion in self.tiering.split(total, prior)
            if self.tiers[index].increment != 0
        ]
        return bands + increments

    def price(
        self,
        usage_by_period: Mapping[str, Decimal],
        *,
        prior_usage_in_year: Decimal | int = _ZERO,
        rounding: RoundingRule = DEFAULT_ROUNDING,
    ) -> PriceBreakdown:
        """Price usage per band; `prior_usage_in_year` as for `tiered` (ignored on a monthly basis)."""
        prior = _usage(prior_usage_in_year, "prior_usage_in_year")
        if self.basis is TierBasis.MONTHLY:
            prior = _ZERO
        return _breakdown(_make_lines(self._items(usage_by_period, prior), rounding), rounding)
