"""What every tariff kind shares: priced lines, their rounded total and the usage checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, localcontext

from pydantic import BaseModel, ConfigDict, model_validator

from billing.money import (
    BILLING_CONTEXT,
    Money,
    Quantity,
    RoundingMode,
    RoundingRule,
    exact_decimal,
    round_money,
)

# 0.01 CNY, half up (四舍五入 to the fen): how Chinese utility bills round each line.
DEFAULT_ROUNDING = RoundingRule()
# Pro-rata quantities are split to 0.001 (a litre, a watt-hour), half-even so no sub-period is favoured.
DEFAULT_SPLIT_ROUNDING = RoundingRule(quantum=Decimal("0.001"), mode=RoundingMode.HALF_EVEN)

_ZERO = Decimal(0)
_MINUTES_PER_DAY = 24 * 60

# Usage for one billing period: a quantity, or quantity per time-of-use period name.
Usage = Decimal | Mapping[str, Decimal]


class _Strict(BaseModel):
    # Unknown keys are errors so a misspelt TOML key cannot silently fall back to a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------- output


class PriceLine(_Strict):
    """One line of a bill: `quantity` of usage at `unit_price`, costing `amount` (already rounded).

    `start`/`end` (end exclusive) are set by `price_period` to the sub-period the line belongs to.
    """

    name: str
    quantity: Quantity
    unit_price: Money
    amount: Money
    start: date | None = None
    end: date | None = None


class PriceBreakdown(_Strict):
    """Priced lines and their total.

    Each line's amount is rounded on its own with the `RoundingRule`; `total` is the sum of those rounded
    amounts, so the customer can add up the printed lines and get the printed total. (Rounding the
    unrounded sum instead could differ by a fen or more.)
    """

    lines: tuple[PriceLine, ...] = ()
    total: Money

    @model_validator(mode="after")
    def _total_is_sum_of_lines(self) -> PriceBreakdown:
        line_sum = sum((line.amount for line in self.lines), _ZERO)
        if self.total != line_sum:
            raise ValueError(f"total {self.total} is not the sum of the line amounts {line_sum}")
        return self

    @property
    def quantity(self) -> Decimal:
        """Total usage over all lines."""
        return sum((line.quantity for line in self.lines), _ZERO)


def _make_lines(
    items: Iterable[tuple[str, Decimal, Decimal]],
    rounding: RoundingRule,
    start: date | None = None,
    end: date | None = None,
) -> list[PriceLine]:
    """Turn (name, quantity, unit price) items into rounded lines; zero-quantity items are left out."""
    with localcontext(BILLING_CONTEXT):
        return [
            PriceLine(
                name=name,
                quantity=quantity,
                unit_price=unit_price,
                amount=round_money(quantity * unit_price, rounding),
                start=start,
                end=end,
            )
            for name, quantity, unit_price in items
            if quantity != 0
        ]


def _breakdown(lines: Sequence[PriceLine], rounding: RoundingRule) -> PriceBreakdown:
    """Total = sum of the already-rounded line amounts, written with the quantum's exponent."""
    with localcontext(BILLING_CONTEXT):
        total = round_money(sum((line.amount for line in lines), _ZERO), rounding)
    return PriceBreakdown(lines=tuple(lines), total=total)


def _usage(value: Decimal | int, what: str) -> Decimal:
    """A usage quantity: exact (no float) and not negative."""
    quantity = exact_decimal(value, what)
    if quantity < 0:
        # Negative usage means a meter replacement or rollover that must be fixed before billing.
        raise ValueError(f"{what} must not be negative, got {quantity}")
    return quantity
