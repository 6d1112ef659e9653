"""The `tiered` tariff kind (阶梯): usage priced by the tier its cumulative position falls in."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from billing.money import BILLING_CONTEXT, Money, Quantity, RoundingRule
from billing.tariffs.base import _ZERO, DEFAULT_ROUNDING, PriceBreakdown, _breakdown, _make_lines, _Strict, _usage


class TierBasis(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"


class Tier(_Strict):
    """One step of a tiered tariff: usage up to `up_to` (cumulative; None = no limit) costs `unit_price`."""

    up_to: Quantity | None = None
    unit_price: Money
    name: str | None = Field(default=None, min_length=1, max_length=64)


_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


class TieredTariff(_Strict):
    """阶梯 tariff: usage is charged at the price of the tier its cumulative position falls in.

    Tier bounds are upper bounds of cumulative usage; a tier covers (previous bound, its bound], so usage
    exactly at a bound is still in the lower tier. The last tier has no bound.
    """

    kind: Literal["tiered"] = "tiered"
    basis: TierBasis
    # Month-day the annual count restarts ("01-01"); annual basis only, defaults to 01-01.
    reset: str | None = None
    tiers: tuple[Tier, ...] = Field(min_length=1)

    @field_validator("reset")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = _MONTH_DAY.match(value)
        if match is None:
            raise ValueError(f"reset {value!r} must be a month-day such as '01-01'")
        month, day = int(match[1]), int(match[2])
        try:
            # A non-leap year: a reset on 02-29 would be skipped three years in four.
            date(2001, month, day)
        except ValueError:
            raise ValueError(f"reset {value!r} is not a day that occurs every year") from None
        return value

    @model_validator(mode="after")
    def _check_tiers(self) -> TieredTariff:
        problems: list[str] = []
        if self.basis is TierBasis.MONTHLY and self.reset is not None:
            problems.append("reset only applies to basis = 'annual'; remove it or change the basis")
        last = len(self.tiers) - 1
        previous: Decimal | None = None
        for index, tier in enumerate(self.tiers):
            label = f"tiers[{index}] (tier {index + 1})"
            if tier.unit_price < 0:
                problems.append(f"{label}: unit_price {tier.unit_price} is negative")
            if tier.up_to is None:
                if index != last:
                    problems.append(f"{label}: only the last tier may leave up_to unset")
                continue
            if index == last:
                problems.append(f"{label}: the last tier must leave up_to unset so all usage has a price")
            if previous is None and tier.up_to <= 0:
                problems.append(f"{label}: up_to {tier.up_to} must be greater than 0")
            elif previous is not None and tier.up_to <= previous:
                problems.append(f"{label}: up_to {tier.up_to} must be greater than tiers[{index - 1}].up_to {previous}")
            previous = tier.up_to
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def reset_month_day(self) -> tuple[int, int]:
        """(month, day) the annual count restarts on; (1, 1) unless `reset` says otherwise."""
        if self.reset is None:
            return (1, 1)
        month, day = self.reset.split("-")
        return (int(month), int(day))

    def is_reset_day(self, day: date) -> bool:
        """True if `day` is the annual reset day (always False for a monthly basis)."""
        return self.basis is TierBasis.ANNUAL and (day.month, day.day) == self.reset_month_day

    def split(self, quantity: Decimal, prior: Decimal = _ZERO) -> list[tuple[int, Decimal]]:
        """Split `quantity`, counted on top of `prior`, into (tier index, quantity) parts; zeros left out."""
        parts: list[tuple[int, Decimal]] = []
        with localcontext(BILLING_CONTEXT):
            begin, finish = prior, prior + quantity
            lower = _ZERO
            for index, tier in enumerate(self.tiers):
                upper = finish if tier.up_to is None else min(tier.up_to, finish)
                portion = upper - max(lower, begin)
                if portion > 0:
                    parts.append((index, portion))
                if tier.up_to is None or tier.up_to >= finish:
                    break
                lower = tier.up_to
        return parts

    def _items(self, quantity: Decimal, prior: Decimal) -> list[tuple[str, Decimal, Decimal]]:
        return [
            (self.tiers[index].name or f"tier {index + 1}", portion, self.tiers[index].unit_price)
            for index, portion in self.split(quantity, prior)
        ]

    def price(
        self,
        quantity: Decimal | int,
        *,
        prior_usage_in_year: Decimal | int = _ZERO,
        rounding: RoundingRule = DEFAULT_ROUNDING,
    ) -> PriceBreakdown:
        """Price this period's `quantity`, split across tier boundaries, one line per tier touched.

        Annual basis: `prior_usage_in_year` is the usage since the last reset date before this period;
        only the increment is priced, starting at that cumulative position (prior 250 m³ and 70 m³ this
        month prices 50 m³ in tier 2 and 20 m³ in tier 3). Monthly basis: tiers apply to `quantity`
        alone and `prior_usage_in_year` is ignored, so callers may pass year-to-date usage regardless of
        basis. Raises TypeError for floats, ValueError for negative usage.
        """
        current = _usage(quantity, "quantity")
        prior = _usage(prior_usage_in_year, "prior_usage_in_year")
        if self.basis is TierBasis.MONTHLY:
            prior = _ZERO
        return _breakdown(_make_lines(self._items(current, prior), rounding), rounding)
