"""The `flat` tariff kind: one unit price for all usage."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from billing.money import Money, RoundingRule
from billing.tariffs.base import DEFAULT_ROUNDING, PriceBreakdown, _breakdown, _make_lines, _Strict, _usage


class FlatTariff(_Strict):
    """One unit price for all usage."""

    kind: Literal["flat"] = "flat"
    unit_price: Money = Field(ge=0)

    def _items(self, quantity: Decimal) -> list[tuple[str, Decimal, Decimal]]:
        return [("flat rate", quantity, self.unit_price)]

    def price(self, quantity: Decimal | int, *, rounding: RoundingRule = DEFAULT_ROUNDING) -> PriceBreakdown:
        """Price `quantity` at the unit price. Raises TypeError for a float quantity."""
        lines = _make_lines(self._items(_usage(quantity, "quantity")), rounding)
        return _breakdown(lines, rounding)
