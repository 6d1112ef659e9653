"""Exact money arithmetic for billing: `decimal.Decimal` everywhere, never `float`.

A float cannot hold 2.90 exactly, so one stray float turns a bill into something that is off by a fen
after enough lines; every entry point here rejects floats instead of converting them.

Site files are TOML, where `2.90` parses as a float. Load them with `tomllib.loads(text,
parse_float=Decimal)` or quote the value (`price = "2.90"`); the `Money`/`Quantity` model types below
refuse a float with a message that says so.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

__all__ = [
    "BILLING_CONTEXT",
    "CNY_FEN",
    "Money",
    "Quantity",
    "RoundingMode",
    "RoundingRule",
    "exact_decimal",
    "round_money",
]

# Smallest unit of the renminbi on a bill: one fen (分).
CNY_FEN = Decimal("0.01")

# Arithmetic context for bill maths: wide enough that price × quantity is exact for any real bill,
# and independent of whatever the calling thread did to decimal.getcontext().
BILLING_CONTEXT = decimal.Context(prec=50, rounding=decimal.ROUND_HALF_EVEN)


class RoundingMode(StrEnum):
    """How an amount is rounded to the quantum; same meaning as the `decimal.ROUND_*` constants.

    `up` and `down` are away from / towards zero (so -2.341 rounds `up` to -2.35), as in `decimal`.
    """

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    DOWN = "down"
    UP = "up"

    @property
    def decimal_rounding(self) -> str:
        """The matching `decimal.ROUND_*` constant."""
        return _DECIMAL_ROUNDING[self]


_DECIMAL_ROUNDING: dict[RoundingMode, str] = {
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
}


def _reject_float(value: Any) -> Any:
    """Pydantic before-validator: refuse floats (and bools) before pydantic converts them to Decimal."""
    # bool is an int subclass; `price = true` is a typo, not 1 CNY.
    if isinstance(value, bool):
        raise ValueError("expected a decimal number, got a boolean")
    if isinstance(value, float):
        raise ValueError(
            f"got the float {value!r}; money and quantities must be exact: write it as a string "
            f'("{value!r}") or load the TOML with tomllib.loads(text, parse_float=Decimal)'
        )
    return value


# Decimal model fields that accept Decimal, int or a numeric string, and refuse float with a clear message.
Money = Annotated[Decimal, BeforeValidator(_reject_float)]
Quantity = Annotated[Decimal, BeforeValidator(_reject_float)]


def exact_decimal(value: Decimal | int, what: str = "value") -> Decimal:
    """Return `value` as a finite Decimal; raise TypeError for float, bool or other types.

    `what` names the argument in the error message (e.g. "usage").
    """
    # bool first: it is an int subclass and would otherwise pass as 0 or 1.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        if isinstance(value, float):
            raise TypeError(
                f"{what} must be a Decimal, not the float {value!r}; floats cannot hold money exactly, "
                f'use Decimal("{value!r}")'
            )
        raise TypeError(f"{what} must be a Decimal or int, not {type(value).__name__}")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, got {result}")
    return result


class RoundingRule(BaseModel):
    """How amounts are rounded: to a multiple of `quantum` (a power of ten) using `mode`.

    The default, 0.01 CNY half-up (四舍五入 to the fen), is what Chinese utility bills use.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    quantum: Money = CNY_FEN
    mode: RoundingMode = RoundingMode.HALF_UP

    @field_validator("quantum")
    @classmethod
    def _power_of_ten(cls, value: Decimal) -> Decimal:
        # Decimal.quantize only keeps the exponent, so 0.05 would silently act like 0.01.
        normalized = value.normalize(BILLING_CONTEXT)
        if normalized <= 0 or normalized.as_tuple().digits != (1,):
            raise ValueError(f"quantum must be a positive power of ten such as 0.01 or 1, got {value}")
        return normalized


def round_money(amount: Decimal | int, rule: RoundingRule) -> Decimal:
    """Round `amount` to `rule.quantum` with `rule.mode`; the result carries the quantum's exponent.

    `round_money(Decimal("2.345"), RoundingRule(mode="half_up"))` is `Decimal("2.35")`; with
    `half_even` it is `Decimal("2.34")`. Raises TypeError for a float `amount`.
    """
    exact = exact_decimal(amount, "amount")
    return exact.quantize(rule.quantum, rounding=rule.mode.decimal_rounding, context=BILLING_CONTEXT)
